"""eval/scenarios.yaml: every trainer scenario and every what-if flip gives its expected verdict with
the real assistant, and the rule engine's cues recognise every statement."""

from __future__ import annotations

import sys

import pytest

from assistant.config import PROJECT_DIR

sys.path.insert(0, str(PROJECT_DIR / "ui"))  # the app imports its modules by name, as Streamlit runs it
from render import Scenario, load_scenarios  # noqa: E402

pytestmark = pytest.mark.slow
LIBRARY = load_scenarios(PROJECT_DIR / "eval" / "scenarios.yaml")
CONDITIONS = {"conduct", "purpose", "untargeted_scraping", "source"}
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


def test_the_library_is_big_enough_and_covers_the_traps():
    assert len(LIBRARY.scenarios) >= 12
    assert all(set(s.facts) == CONDITIONS and s.flips and s.teaching_notes for s in LIBRARY.scenarios)
    for scenario_id, label in TOPICS.items():
        assert label in LIBRARY.get(scenario_id).key_citations


@pytest.mark.parametrize("scenario", LIBRARY.scenarios, ids=lambda s: s.id)
def test_scenario_and_its_flips_give_the_expected_verdicts(assistant, scenario: Scenario):
    answer = assistant.ask(scenario.narrative, facts=scenario.facts)
    assert answer.verdict == scenario.expected_verdict, statuses(answer)
    # Each statement is recognised by a cue: nothing is left unclear unless facts are meant to be missing.
    unclear = [cid for cid, status in statuses(answer).items() if status == "unclear"]
    assert bool(unclear) == (scenario.expected_verdict == "insufficient_facts"), unclear
    for flip in scenario.flips:
        flipped = assistant.ask(scenario.narrative, facts=scenario.facts_with(flip.condition, flip.statement))
        assert flipped.verdict == flip.expected_verdict, (flip.statement, statuses(flipped))
        assert statuses(flipped)[flip.condition] != statuses(answer)[flip.condition], flip.statement


@pytest.mark.parametrize("scenario", LIBRARY.scenarios, ids=lambda s: s.id)
def test_key_citations_are_cited_by_the_scenario_or_its_flips(assistant, scenario: Scenario):
    answers = [assistant.ask(scenario.narrative, facts=scenario.facts)] + [
        assistant.ask(scenario.narrative, facts=scenario.facts_with(f.condition, f.statement)) for f in scenario.flips
    ]
    cited = {c.label for a in answers for c in a.citations}
    assert set(scenario.key_citations) <= cited


def test_each_condition_fails_alone_in_some_scenario(assistant):
    alone = set()
    for scenario in LIBRARY.scenarios:
        failing = [cid for cid, s in statuses(assistant.ask(scenario.narrative, facts=scenario.facts)).items() if s != "met"]
        if len(failing) == 1:
            alone.add(failing[0])
    assert alone == CONDITIONS
