"""The `redlines` command, run in-process: output formats, messages and exit codes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from assistant.cli import EXIT_INDEX, EXIT_USAGE, main
from assistant.index import ingest

ANSWER_KEYS = {"question", "kind", "answer", "verdict", "conditions", "citations", "abstained",
               "clarifying_questions", "missing", "facts", "contradictions", "notice", "corpus_version"}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("REDLINES_"):
            monkeypatch.delenv(name)


@pytest.fixture
def real_env(monkeypatch: pytest.MonkeyPatch, real_settings) -> None:
    monkeypatch.setenv("REDLINES_DATA_DIR", str(real_settings.data_dir))


@pytest.fixture
def empty_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("REDLINES_DATA_DIR", str(tmp_path / "empty"))
    return tmp_path / "empty"


@pytest.mark.slow
def test_search_json_on_the_real_index(real_env, capsys):
    assert main(["search", "--json", "-k", "4", "Article 5(1)(e)"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["query"] == "Article 5(1)(e)"
    assert [r["rank"] for r in out["results"]] == [1, 2, 3, 4]
    first = out["results"][0]
    assert first["label"] == "AI Act Art. 5(1)(e)" and first["direct"] and first["passage_id"] == "ai-act/art-5/1/e"
    assert all(r["label"] and r["text"] and r["authority"] for r in out["results"])


@pytest.mark.slow
def test_search_with_an_instrument_filter(real_env, capsys):
    assert main(["search", "--json", "--instrument", "GDPR", "biometric data"]) == 0
    labels = [r["label"] for r in json.loads(capsys.readouterr().out)["results"]]
    assert labels and all(label.startswith("GDPR ") for label in labels)


@pytest.mark.slow
def test_search_plain_text_lists_labels(real_env, capsys):
    assert main(["search", "recital 43"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(" 1. AI Act Recital 43  (named in query")


def test_search_on_a_missing_index_says_to_ingest(empty_env, capsys):
    assert main(["search", "Article 5(1)(e)"]) == EXIT_INDEX == 3
    err = capsys.readouterr().err
    assert "no index" in err and "redlines ingest" in err


def test_search_on_a_stale_index_says_to_ingest(tmp_settings, fake_embeddings, monkeypatch, capsys):
    ingest(tmp_settings, embeddings=fake_embeddings)
    with (tmp_settings.corpus_dir / "led.md").open("a", encoding="utf-8") as f:
        f.write("(d) a point added by the tests.\n")
    monkeypatch.setenv("REDLINES_DATA_DIR", str(tmp_settings.data_dir))
    monkeypatch.setenv("REDLINES_CORPUS_DIR", str(tmp_settings.corpus_dir))
    assert main(["search", "Article 5(1)(e)"]) == EXIT_INDEX
    err = capsys.readouterr().err
    assert "out of date" in err and "redlines ingest" in err


@pytest.mark.slow
def test_ingest_json_with_nothing_changed(real_env, capsys):
    assert main(["ingest", "--json", "--quiet"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rebuilt"] is False and report["embedded"] == 0 and report["passages"] > 300


def test_config_prints_json_with_the_data_dir(empty_env, capsys):
    assert main(["config"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["data_dir"] == str(empty_env)
    assert out["chroma_url"] is None and out["retrieval"]["k"] == 8


def test_a_bad_setting_is_a_usage_error_naming_it(monkeypatch, capsys):
    monkeypatch.setenv("REDLINES_CHROMA_URL", "localhost")
    assert main(["config"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "chroma_url" in err and "REDLINES_CHROMA_URL" in err


@pytest.mark.slow
def test_ask_json_returns_an_answer(real_env, capsys):
    question = "We crawl social media for faces to build a searchable face database; is that allowed?"
    assert main(["ask", "--json", question]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert set(answer) == ANSWER_KEYS
    assert answer["question"] == question and answer["kind"] == "scenario"
    assert answer["verdict"] == "prohibited" and not answer["abstained"]
    assert answer["citations"] and all(c["label"] and c["quote"] for c in answer["citations"])
    assert len(answer["conditions"]) == 4


@pytest.mark.slow
def test_ask_plain_text_prints_sources_and_notice(real_env, capsys):
    assert main(["ask", "What does Article 5(1)(e) prohibit?"]) == 0
    out = capsys.readouterr().out
    assert "Sources:" in out and "AI Act Art. 5(1)(e)" in out and "Corpus " in out


@pytest.mark.parametrize("question", ["", "   "])
def test_ask_an_empty_question_is_a_usage_error(empty_env, capsys, question):
    assert main(["ask", question]) == EXIT_USAGE == 2
    err = capsys.readouterr().err
    assert "the question is empty" in err and "hint:" in err


def test_ask_with_a_malformed_fact_is_a_usage_error(empty_env, capsys):
    assert main(["ask", "--fact", "bad", "Is this allowed?"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "'bad'" in err and "slot=value" in err


def test_ask_with_an_unknown_slot_or_value_is_a_usage_error(real_env, capsys):
    assert main(["ask", "--fact", "colour=blue", "Is this allowed?"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "unknown fact slot 'colour'" in err and "targeting" in err
    assert main(["ask", "--fact", "source=mars", "Is this allowed?"]) == EXIT_USAGE
    assert "cctv" in capsys.readouterr().err


def test_ask_with_a_fact_correction(real_env, capsys):
    question = "Our AI crawler copies every face on Instagram into a face search database. Allowed?"
    assert main(["ask", "--json", "--fact", "source=provided_by_subjects", question]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "not_prohibited"
    assert {"slot": "source", "origin": "given"}.items() <= next(f for f in data["facts"] if f["slot"] == "source").items()
