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
from assistant.rules import load_rules, read_yaml
from assistant.read import given_facts
from assistant.types import Frame

RULES = Settings().rules_file

# One fact frame per finding: each must make that finding decide its condition (or add its note).
FRAMES = {
    "conduct_activity": {"actor": "deployer"},
    "research_before_market": {"actor": "research"},
    "military": {"actor": "military"},
    "personal_use": {"actor": "personal"},
    "law_enforcement": {"actor": "law_enforcement"},
    "face_database": {"database": "creates"},
    "keeps_expanding": {"database": "expands"},
    "non_facial_biometrics": {"data": "other_biometrics", "database": "creates"},
    "not_facial_images": {"data": "not_facial", "database": "creates"},
    "fictitious_persons": {"database": "synthetic_generator"},
    "training_without_identification": {"database": "training_no_identification"},
    "existing_database": {"database": "uses_existing"},
    "identification_only": {"database": "no_storage"},
    "other_purpose": {"database": "other_purpose"},
    "untargeted_collection": {"targeting": "untargeted"},
    "step_by_step": {"targeting": "group_by_group", "system": "ai"},
    "combined_search": {"targeting": "targeted_plus_untargeted"},
    "targeted": {"targeting": "specific_individuals"},
    "reverse_image_search": {"targeting": "reverse_search"},
    "search_of_kept_faces": {"targeting": "reverse_search", "database": "creates"},
    "no_ai": {"system": "manual", "targeting": "untargeted"},
    "robots_txt": {"notes": "robots_txt", "targeting": "untargeted"},
    "internet_or_cctv": {"source": "cctv"},
    "own_sources": {"source": "provided_by_subjects"},
    "other_camera": {"source": "other_camera"},
    "social_media_consent": {"notes": "public_posting", "source": "internet"},
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


def test_every_finding_has_a_frame():
    assert {f.id for f in load_rules(RULES).findings} == set(FRAMES)


@pytest.mark.parametrize("finding_id", sorted(FRAMES))
def test_each_finding_fires_on_its_frame(rules, finding_id):
    finding = next(f for f in rules.findings if f.id == finding_id)
    result = next(a for a in assess_conditions(Frame(facts=tuple(given_facts(FRAMES[finding_id], rules))), rules) if a.condition.id == finding.condition)
    if finding.status == "note":
        assert finding_id in [n.id for n in result.notes]
    else:
        assert result.finding is not None and result.finding.id == finding_id, (
            f"{FRAMES[finding_id]} was decided by {result.finding.id if result.finding else None}"
        )
        assert result.status == finding.status


def test_every_slot_value_is_used_by_a_finding_or_is_neutral(rules):
    used = {(s, v) for f in rules.findings for s, values in f.when.items() for v in values}
    # faces is the ordinary case: nothing turns on it, but the reader still shows it; a value that
    # yields (answers nothing on its slot's question) must not decide anything
    yielding = {(s.id, v.id) for s in rules.slots for v in s.values if v.yields}
    unused = {(s.id, v.id) for s in rules.slots for v in s.values} - used - {("data", "faces")} - yielding
    assert not unused, unused
    assert not yielding & used, yielding & used


def _write(tmp_path: Path, mutate) -> Path:
    data = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_bad_regex_is_reported_with_the_pattern(tmp_path):
    path = _write(tmp_path, lambda d: d["questions"]["injection"].append("(unclosed"))
    with pytest.raises(RulesError, match="unclosed"):
        load_rules(path)


def test_finding_on_an_unknown_slot_value_is_rejected(tmp_path):
    path = _write(tmp_path, lambda d: d["findings"][0]["when"].update(actor=["pirate"]))
    with pytest.raises(RulesError, match="pirate"):
        load_rules(path)


def test_negation_naming_an_unknown_value_is_rejected(tmp_path):
    path = _write(tmp_path, lambda d: d["slots"][1]["values"][0].update(negated="robot"))
    with pytest.raises(RulesError, match="robot"):
        load_rules(path)


def test_an_implied_value_naming_an_unknown_value_is_rejected(tmp_path):
    path = _write(tmp_path, lambda d: d["slots"][1]["values"][0].update(implies={"database": ["warehouse"]}))
    with pytest.raises(RulesError, match="warehouse"):
        load_rules(path)


def test_finding_for_unknown_condition_is_rejected(tmp_path):
    path = _write(tmp_path, lambda d: d["findings"][0].update(condition="nonsense"))
    with pytest.raises(RulesError, match="nonsense"):
        load_rules(path)


def test_unknown_other_law_reference_is_rejected(tmp_path):
    path = _write(tmp_path, lambda d: d["findings"][0].update(other_law=["martian_law"]))
    with pytest.raises(RulesError, match="martian_law"):
        load_rules(path)


def test_a_data_file_is_parsed_once_per_content(tmp_path):
    path = tmp_path / "bank.yaml"
    path.write_text("version: 1\nitems: [a, b]\n", encoding="utf-8")
    cache = tmp_path / "cache"
    assert read_yaml(path, cache) == {"version": 1, "items": ["a", "b"]}
    (kept,) = cache.glob("yaml-bank-*.json")
    kept.write_text('{"version": 1, "items": ["from the cache"]}', encoding="utf-8")
    assert read_yaml(path, cache)["items"] == ["from the cache"]  # the parse is read back
    path.write_text("version: 1\nitems: [c]\n", encoding="utf-8")
    assert read_yaml(path, cache)["items"] == ["c"]  # new content, new key
    assert read_yaml(path) == {"version": 1, "items": ["c"]}  # no cache at all


def test_no_facial_images_means_no_facial_recognition_database(rules):
    # AI Act Art. 5(1)(e) concerns the scraping of facial images; names or product photos are not
    finding = next(f for f in rules.findings if "not_facial" in f.when.get("data", ()))
    assert finding.condition == "purpose" and finding.status == "not_met"
    assert any(c.label == "AI Act Art. 5(1)(e)" for c in finding.cites)


@pytest.mark.parametrize(("question", "foreign"), [
    ("Is Clearview legal under US federal law?", True),
    ("What does the US constitution say about face scraping?", True),
    ("US startup, customers in the US for now. Does the EU AI Act apply to us?", False),  # the EU's own Act
    ("is scraping faces allowed for us under the law?", False),  # the pronoun, not the country
])
def test_a_foreign_regime_is_named_by_its_name_not_by_the_pronoun_us(rules, question, foreign):
    assert bool(rules.questions.other_regimes.search(question)) is foreign


@pytest.mark.parametrize(("text", "internet"), [
    ("we scrape every public podcast", True), ("faces from public Telegram channels", True),
    ("all video platforms", True), ("customers upload a selfie in our online portal", False),
])
def test_places_of_the_internet_are_named_but_online_is_left_to_the_model(rules, text, internet):
    assert bool(rules.slot("source").value("internet").anchors.find(text)) is internet
