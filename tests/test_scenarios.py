"""ui/scenarios.py and eval/scenarios.yaml: the library loads only with real slot values, and every
trainer scenario and every what-if flip gives its expected verdict with the real assistant."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from assistant.config import PROJECT_DIR, Settings
from assistant.rules import load_rules

sys.path.insert(0, str(PROJECT_DIR / "ui"))  # the app imports its modules by name, as Streamlit runs it
from scenarios import Scenario, load_scenarios  # noqa: E402

SLOTS = load_rules(Settings().rules_file).slots
LIBRARY = load_scenarios(PROJECT_DIR / "eval" / "scenarios.yaml", SLOTS)
CONDITIONS = {"conduct", "purpose", "untargeted_scraping", "source"}
# Every slot a condition turns on (the remarks slot has no question: it decides nothing).
DECISIVE = {s.id for s in SLOTS if s.question}
# The exclusions and traps of Guidelines paras 228-236 and the blog that trainers must be able to show.
TOPICS = {
    "step-by-step": "Guidelines para. 230", "robots-txt": "Guidelines para. 228",
    "reverse-image-search": "Guidelines para. 233", "police-no-exception": "Red Lines blog §5.2",
    "existing-database": "Guidelines para. 236", "fictitious-faces": "Guidelines para. 235",
    "voice-samples": "Guidelines para. 234", "no-ai-manual": "Guidelines para. 234",
    "combined-search": "Guidelines para. 231", "social-media-consent": "Guidelines para. 232",
}


def statuses(answer) -> dict[str, str]:
    return {f.id: f.status for f in answer.conditions}


# ---- the loader ---------------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenarios.yaml"
    path.write_text(text, encoding="utf-8")
    return path


SCENARIO = """
  - id: one
    title: t
    narrative: n
    facts: {source: internet, targeting: untargeted}
    expected_verdict: prohibited
    flips: [{slot: source, value: cctv, expected_verdict: prohibited}]
"""


def test_a_flip_sets_one_slot_to_another_value(tmp_path):
    scenario = load_scenarios(write(tmp_path, "version: 2\nscenarios:" + SCENARIO), SLOTS).get("one")
    flip = scenario.flips[0]
    assert scenario.facts_with(flip.slot, flip.value) == {"source": "cctv", "targeting": "untargeted"}
    assert scenario.facts["source"] == "internet"


@pytest.mark.parametrize(("text", "error"), [
    ("version: 1\nscenarios: []", "unsupported scenario file version 1"),
    ("version: 2\nscenarios:" + SCENARIO + SCENARIO, "appear twice: one"),
    ("version: 2\nscenarios:" + SCENARIO.replace("slot: source", "slot: actor"), "'actor', which has no fact"),
    ("version: 2\nscenarios:" + SCENARIO.replace("value: cctv", "value: internet"), "its value already"),
    ("version: 2\nscenarios:" + SCENARIO.replace("expected_verdict: prohibited\n", "expected_verdict: maybe\n"), "expected_verdict"),
    ("version: 2\nscenarios:" + SCENARIO.replace("{source: internet", "{colour: internet, source: internet"), "unknown slot 'colour'; use one of: actor"),
    ("version: 2\nscenarios:" + SCENARIO.replace("value: cctv", "value: tv"), "unknown value 'tv' for 'source'; use one of: cctv, existing_dataset"),
])
def test_a_bad_scenario_file_is_refused_naming_the_problem(tmp_path, text, error):
    with pytest.raises(ValidationError, match=error):
        load_scenarios(write(tmp_path, text), SLOTS)


def test_without_the_slots_only_the_shape_is_checked(tmp_path):
    text = "version: 2\nscenarios:" + SCENARIO.replace("value: cctv", "value: tv")
    assert load_scenarios(write(tmp_path, text)).get("one").flips[0].value == "tv"


# ---- the library, against the real assistant ----------------------------------------------------


def test_the_library_is_big_enough_and_covers_the_traps():
    assert len(LIBRARY.scenarios) >= 12
    # Every decisive slot is given, so a verdict follows from the law, not from how the narrative is read.
    assert all(DECISIVE <= set(s.facts) and s.flips and s.teaching_notes for s in LIBRARY.scenarios)
    for scenario_id, label in TOPICS.items():
        assert label in LIBRARY.get(scenario_id).key_citations


@pytest.mark.slow
@pytest.mark.parametrize("scenario", LIBRARY.scenarios, ids=lambda s: s.id)
def test_scenario_and_its_flips_give_the_expected_verdicts(assistant, scenario: Scenario):
    answer = assistant.ask(scenario.narrative, facts=scenario.facts)
    assert answer.verdict == scenario.expected_verdict, statuses(answer)
    # Nothing is left unclear unless a fact is meant to be missing.
    unclear = [cid for cid, status in statuses(answer).items() if status == "unclear"]
    assert bool(unclear) == (scenario.expected_verdict == "insufficient_facts"), unclear
    for flip in scenario.flips:
        flipped = assistant.ask(scenario.narrative, facts=scenario.facts_with(flip.slot, flip.value))
        assert flipped.verdict == flip.expected_verdict, (flip, statuses(flipped))
        assert statuses(flipped) != statuses(answer), flip  # the flip changes a condition, not only the text


@pytest.mark.slow
@pytest.mark.parametrize("scenario", LIBRARY.scenarios, ids=lambda s: s.id)
def test_key_citations_are_cited_by_the_scenario_or_its_flips(assistant, scenario: Scenario):
    answers = [assistant.ask(scenario.narrative, facts=scenario.facts)] + [
        assistant.ask(scenario.narrative, facts=scenario.facts_with(f.slot, f.value)) for f in scenario.flips
    ]
    cited = {c.label for a in answers for c in a.citations}
    assert set(scenario.key_citations) <= cited


@pytest.mark.slow
def test_each_condition_fails_alone_in_some_scenario(assistant):
    alone = set()
    for scenario in LIBRARY.scenarios:
        failing = [cid for cid, s in statuses(assistant.ask(scenario.narrative, facts=scenario.facts)).items() if s != "met"]
        if len(failing) == 1:
            alone.add(failing[0])
    assert alone == CONDITIONS


@pytest.mark.slow
def test_a_follow_up_the_reader_cannot_place_unsettles_the_verdict(assistant):
    # A correction none of whose words can be placed may change any fact: the earlier turn's
    # "prohibited" must not stand as if nothing had been said.
    first = "We want AI to collect every face from the city's CCTV into a searchable index."
    assert assistant.ask(first).verdict == "prohibited"
    answer = assistant.ask("Correction: my colleague got it all wrong, it works quite differently.", history=[first])
    assert answer.verdict == "insufficient_facts"
    assert "Your last message" in answer.answer and {c.status for c in answer.conditions} == {"unclear"}
    # a correction the reader can place decides instead: number plates, no face images (Guidelines para. 234)
    plates = assistant.ask("Correction: it's not faces at all. The cameras only read number plates, and no face images "
                           "are kept.", history=[first])
    assert plates.verdict == "not_prohibited"
    # a follow-up that only asks adds nothing and changes nothing
    assert assistant.ask("So is it banned then?", history=[first]).verdict == "prohibited"
