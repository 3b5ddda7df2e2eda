"""The rule file: it loads, every quote is verbatim in the corpus, every finding can fire."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.chunking import chunk_corpus, normalise_text
from assistant.config import Settings
from assistant.corpus import load_documents
from assistant.errors import RulesError
from assistant.guards import assess_conditions
from assistant.rules import load_rules

RULES = Settings().rules_file

# One plain-language example per finding: each must make that finding decide its condition.
EXAMPLES = {
    "conduct_activity": "We sell a tool that crawls websites.",
    "no_system_yet": "Our board is only discussing the idea in a strategy paper.",
    "not_for_this_purpose": "We sell a generic web crawler used for price monitoring.",
    "research_before_market": "It is purely research and testing before it is ever placed on the market.",
    "military": "The system is used exclusively for military purposes.",
    "law_enforcement": "The police want to build it.",
    "face_database": "The images go into a face recognition database.",
    "not_sole_purpose": "The database is not only for face recognition, but it can also be searched by face.",
    "non_facial_biometrics": "We collect voice samples from podcasts.",
    "fictitious_persons": "We train a generator of synthetic faces of fictitious people.",
    "training_without_identification": "We only use the images to train a model and nobody is ever identified.",
    "existing_database": "We only query our existing database built before 2025.",
    "keeps_expanding": "We keep adding new images to the database every day.",
    "untargeted_collection": "A bot collects every face it finds.",
    "targeted": "The crawler looks only for images of one specific suspect.",
    "reverse_image_search": "Users upload a photo and the tool runs a reverse image search.",
    "no_ai": "Our staff download the photos manually.",
    "no_scraping": "We do not scrape anything.",
    "step_by_step": "We scrape step by step, one city at a time.",
    "combined_search": "It searches for named suspects but also stores every other face it sees.",
    "robots_txt": "Our crawler respects robots.txt.",
    "internet_or_cctv": "The photos come from social media.",
    "own_sources": "Customers upload their own selfies when they enrol.",
    "social_media_consent": "They posted the photos publicly on Instagram, so they consented.",
}


@pytest.fixture(scope="module")
def rules():
    return load_rules(RULES)


@pytest.fixture(scope="module")
def passages():
    return chunk_corpus(load_documents(Settings().corpus_dir))


def test_every_quote_is_verbatim_in_a_passage_with_its_label(rules, passages):
    for quote in rules.quotes():
        assert any(
            p.label == quote.label and normalise_text(quote.quote) in normalise_text(p.text) for p in passages
        ), f"{quote.label}: {quote.quote[:60]!r} is not in the corpus"


def test_every_label_the_rules_use_exists(rules, passages):
    labels = {p.label for p in passages}
    assert set(rules.labels()) <= labels


def test_every_finding_has_an_example():
    assert {f.id for f in load_rules(RULES).findings} == set(EXAMPLES)


@pytest.mark.parametrize("finding_id", sorted(EXAMPLES))
def test_each_finding_fires_on_its_example(rules, finding_id):
    finding = next(f for f in rules.findings if f.id == finding_id)
    result = next(a for a in assess_conditions([EXAMPLES[finding_id]], rules) if a.condition.id == finding.condition)
    if finding.status == "note":
        assert finding_id in [n.id for n, _ in result.notes]
    else:
        assert result.finding is not None and result.finding.id == finding_id, (
            f"{EXAMPLES[finding_id]!r} was decided by {result.finding.id if result.finding else None}"
        )
        assert result.status == finding.status


def _write(tmp_path: Path, mutate) -> Path:
    data = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_bad_regex_is_reported_with_the_pattern(tmp_path):
    path = _write(tmp_path, lambda d: d["findings"][0]["cues"].append("(unclosed"))
    with pytest.raises(RulesError, match="unclosed"):
        load_rules(path)


def test_finding_for_unknown_condition_is_rejected(tmp_path):
    path = _write(tmp_path, lambda d: d["findings"][0].update(condition="nonsense"))
    with pytest.raises(RulesError, match="nonsense"):
        load_rules(path)


def test_unknown_other_law_reference_is_rejected(tmp_path):
    path = _write(tmp_path, lambda d: d["findings"][0].update(other_law=["martian_law"]))
    with pytest.raises(RulesError, match="martian_law"):
        load_rules(path)
