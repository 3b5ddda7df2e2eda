"""ui/conversation.py: turns corrected in place, corrections carried into follow-ups, and the exports."""

from __future__ import annotations

import json
import sys

from assistant.config import PROJECT_DIR
from assistant.errors import GuardError, InputError
from assistant.types import Answer, FrameFact
from test_render import SLOTS, scenario_answer  # the same answer shape, as compose.py writes it

sys.path.insert(0, str(PROJECT_DIR / "ui"))  # the app imports its modules by name, as Streamlit runs it
from conversation import Exchange, carried_facts, conversation_json, conversation_markdown  # noqa: E402


def exchanges() -> list[Exchange]:
    return [
        Exchange("We crawl *everything*", scenario_answer(), facts={"database": "creates"}),
        Exchange.failed("x" * 10, InputError("the question is too long", "shorten it")),
    ]


# ---- corrections --------------------------------------------------------------------------------


def test_a_correction_replaces_the_answer_and_keeps_the_one_before():
    ex = Exchange("q", scenario_answer(), history=["earlier"], facts={"source": "cctv"})
    first_key = ex.key
    corrected = scenario_answer("not_prohibited", ("met", "met", "met", "not_met"))
    ex.revise(corrected, {"source": "cctv", "targeting": "untargeted"})
    assert (ex.answer, ex.previous, ex.history) == (corrected, scenario_answer(), ["earlier"])
    assert ex.facts == {"source": "cctv", "targeting": "untargeted"}
    assert ex.key != first_key  # new widgets, which show the new answer's values


def test_a_failed_correction_keeps_the_answer_and_says_why():
    ex = Exchange("q", scenario_answer())
    ex.fail(GuardError("the answer failed its guards", "please report the question"))
    assert ex.answer == scenario_answer() and ex.previous is None
    assert (ex.error, ex.hint) == ("the answer failed its guards", "please report the question")
    ex.revise(scenario_answer("not_prohibited"), {})
    assert ex.error == ex.hint == ""


def follow_up(*facts: FrameFact) -> Answer:
    return scenario_answer().model_copy(update={"question": "What if it’s  only one suspect?", "facts": list(facts)})


def test_corrections_carry_over_except_for_slots_the_follow_up_speaks_to():
    set_before = {"source": "cctv", "targeting": "untargeted", "system": "ai"}
    answer = follow_up(
        FrameFact(slot="targeting", value="specific_individuals", label="only specific individuals", evidence="it's only one suspect"),
        FrameFact(slot="source", value="internet", label="the internet", evidence="We crawl social media"),  # an earlier turn's words
        FrameFact(slot="system", value="ai", label="an AI system", origin="given"),
    )
    # Typographic apostrophes and spacing are folded as the reader folds them.
    assert carried_facts(set_before, answer, "What if it’s  only one suspect?") == {"source": "cctv", "system": "ai"}
    assert carried_facts({}, answer, "What if it’s only one suspect?") == {}


# ---- exports ------------------------------------------------------------------------------------


def test_markdown_export_says_verdict_frame_conditions_and_text_once_each():
    out = conversation_markdown(exchanges(), SLOTS)
    assert "## 1. We crawl \\*everything\\*" in out
    assert "**Verdict: Prohibited** — because of the facts \\[1\\]\\[2\\]" in out
    assert "- **Where the images come from:** the internet (websites, social media) · from your words: “We crawl \\*everything\\*”" in out
    assert "creates a facial recognition database · set by you" in out
    assert "- met: **Condition conduct** — Because of conduct. \\[2\\]" in out
    assert out.count("Because of conduct") == 1 and out.count("What I understood") == 1
    assert "Verdict\\: prohibited" not in out  # the composer's verdict line is not repeated
    assert "To decide, I need to know\\: How are the images collected" in out  # no buttons in a file: the questions stay
    assert "\\[1\\] **Guidelines para. 228**: “does not affect the untargeted nature” <https://example.eu/guidelines>" in out
    assert "**What to do:** shorten it" in out
    assert "corpus version `abc123`" in out


def test_a_non_scenario_answer_is_exported_as_written():
    answer = Answer(question="q", kind="fact", answer="The ban applies from 2 February 2025 [1].", notice="n", corpus_version="v")
    out = conversation_markdown([Exchange("When?", answer)], SLOTS)
    assert "The ban applies from 2 February 2025 **\\[1\\]**." in out and "Verdict" not in out


def test_json_export_holds_the_full_answers_and_the_facts_set():
    data = json.loads(conversation_json(exchanges()))
    first, second = data["exchanges"]
    assert Answer.model_validate(first["answer"]) == scenario_answer()
    assert first["facts"] == {"database": "creates"}
    assert first["answer"]["facts"][0]["evidence"] == "We crawl *everything*"
    assert second == {"question": "x" * 10, "facts": {}, "answer": None, "error": "the question is too long", "hint": "shorten it"}
