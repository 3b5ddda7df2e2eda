"""Settings: offline defaults, REDLINES_ environment overrides, and values rejected where built."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from assistant.config import BUNDLED_MODEL, PROJECT_DIR, Settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No REDLINES_ variable from the machine running the tests leaks into them."""
    for name in list(os.environ):
        if name.upper().startswith("REDLINES_"):
            monkeypatch.delenv(name)


def test_defaults_run_offline():
    settings = Settings()
    assert settings.data_dir == Path(".redlines")
    assert settings.corpus_dir == PROJECT_DIR / "corpus"
    assert settings.embedding_model == BUNDLED_MODEL == "bundled:all-MiniLM-L6-v2"
    assert settings.chroma_url is None
    assert settings.llm_model is None
    assert settings.rules_file.exists()
    assert settings.retrieval.k == 8


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("REDLINES_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REDLINES_CHROMA_URL", "http://127.0.0.1:8123/")
    monkeypatch.setenv("REDLINES_LLM_MODEL", "ollama:llama3")
    monkeypatch.setenv("REDLINES_RETRIEVAL__K", "5")
    monkeypatch.setenv("REDLINES_RETRIEVAL__RELEVANCE_FLOOR", "0.5")
    settings = Settings()
    assert settings.data_dir == tmp_path / "data"
    assert settings.chroma_url == "http://127.0.0.1:8123"  # trailing slash dropped
    assert settings.llm_model == "ollama:llama3"
    assert settings.retrieval.k == 5
    assert settings.retrieval.relevance_floor == 0.5
    assert settings.retrieval.dense_k == 24  # untouched nested fields keep their defaults


def test_an_empty_chroma_url_means_embedded(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("REDLINES_CHROMA_URL", "")
    assert Settings().chroma_url is None


@pytest.mark.parametrize("url", ["localhost:8000", "ftp://host:21", "http://host", "not a url"])
def test_a_bad_chroma_url_names_the_variable(monkeypatch: pytest.MonkeyPatch, url: str):
    monkeypatch.setenv("REDLINES_CHROMA_URL", url)
    with pytest.raises(ValidationError) as err:
        Settings()
    assert "REDLINES_CHROMA_URL" in str(err.value)
    assert repr(url) in str(err.value)


def test_a_missing_corpus_dir_is_rejected(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    missing = tmp_path / "no-such-corpus"
    monkeypatch.setenv("REDLINES_CORPUS_DIR", str(missing))
    with pytest.raises(ValidationError) as err:
        Settings()
    assert str(missing) in str(err.value)
    with pytest.raises(ValidationError):
        Settings(corpus_dir=missing)


@pytest.mark.parametrize("name, value", [("REDLINES_RETRIEVAL__K", "0"), ("REDLINES_RETRIEVAL__K", "many")])
def test_out_of_range_retrieval_values_are_rejected(monkeypatch: pytest.MonkeyPatch, name: str, value: str):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


def test_unknown_keyword_settings_are_rejected():
    with pytest.raises(ValidationError):
        Settings(data_directory=Path("x"))  # type: ignore[call-arg]


@pytest.mark.parametrize("agreement", [(1, 0.7), (3, 1.5)])
def test_the_readers_agreement_rule_is_checked_where_it_is_built(agreement):
    with pytest.raises(ValidationError, match="agreement"):
        Settings(reader={"agreement": agreement})
