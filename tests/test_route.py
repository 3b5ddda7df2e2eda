"""Routing by meaning: language, the routing bank, and when a question describes a practice."""

from __future__ import annotations

import pytest

from assistant.config import Settings
from assistant.errors import RulesError
from assistant.route import Route, describes_practice, language, lists_fields, load_kinds, speaks_of_own, statements


@pytest.mark.parametrize(("question", "lang"), [
    ("When does the scraping ban apply?", "en"),
    ("Quando si applica il divieto di raccolta delle immagini?", "other"),
    ("Ab wann gilt das Verbot und was ist eine Gesichtsdatenbank?", "other"),
    ("Est-ce que le scraping des visages est interdit pour nous?", "other"),
    ("CCTV?", "en"),
])
def test_language(question, lang):
    assert language(question) == lang


def test_the_routing_bank_loads_and_rejects_unknown_kinds(tmp_path):
    texts, labels = load_kinds(Settings().kinds_file)
    assert len(texts) == len(labels) > 300 and "other_practice:5(1)(f)" in labels
    bad = tmp_path / "kinds.yaml"
    bad.write_text("version: 1\nkinds:\n  gossip: ['who dates whom?']\n")
    with pytest.raises(RulesError, match="gossip"):
        load_kinds(bad)


@pytest.mark.parametrize(("kind", "confidence", "read", "follow_up", "expected"), [
    ("scenario", 0.3, 0, False, True),      # the router says so
    ("fact", 0.5, 3, False, True),          # three facts stated
    ("fact", 0.5, 2, False, False),
    ("definition", 0.95, 3, False, False),  # a definition names the terms the reader looks for
    ("definition", 0.95, 4, False, True),
    ("fact", 0.5, 1, True, True),           # one new fact after a scenario: a what-if
])
def test_describes_practice(kind, confidence, read, follow_up, expected):
    assert describes_practice(Route(kind, confidence), read, follow_up, sure=0.8) is expected


@pytest.mark.parametrize(("question", "own"), [
    ("What if we stop adding faces and keep using our old database?", True),
    ("I'm a postdoc and my crawler collects faces", True),
    ("Does Article 5(1)(e) apply to CCTV footage?", False),
    ("Is using existing databases banned?", False),
])
def test_speaks_of_own(question, own):
    assert speaks_of_own(question) is own


def test_lists_fields():
    assert lists_fields("Role: deployer\nInput data: CCTV footage from all stores\nIs this within 5(1)(e)?")
    assert lists_fields("- Source: public webcams\n- Method: keeps every face crop")
    assert not lists_fields("What does Article 5(1)(e) say: is it about CCTV?")


def test_statements_keep_what_is_stated_and_drop_what_is_asked_or_requested():
    text = ("The tool uses AI to monitor CCTV feeds. It saves face crops!\nIs that banned? what counts as a database\n"
            "Explain the ban. Can you check this. So it isn't a database, is it?")
    assert statements(text).splitlines() == ["The tool uses AI to monitor CCTV feeds.", "It saves face crops!"]
    assert statements("What is a facial recognition database?") == ""


@pytest.mark.slow
def test_facts_stated_as_statements_make_a_scenario_whatever_the_closing_question(assistant):
    # the router alone hears these as a definition or a fact question
    assert assistant.ask("The tool uses AI to monitor CCTV feeds and saves face crops.").kind == "scenario"
    frozen = ("We hold a facial database that our AI crawler built in 2022 from public websites. Since February 2025 "
              "it has been frozen: no new images are added, we only query it. Does Article 5(1)(e) apply to it?")
    assert assistant.ask(frozen).kind == "scenario"
    assert assistant.ask("what counts as a facial recognition database").kind == "definition"


@pytest.mark.slow
def test_a_system_described_by_its_fields_is_a_scenario(assistant):
    sheet = "Role: deployer (supermarket chain)\nIntended use: store analytics\nInput data: CCTV footage from all stores\nStorage: TBD\nIs this within Article 5(1)(e)?"
    assert assistant.ask(sheet).kind == "scenario"


@pytest.mark.slow
def test_a_statement_after_a_scenario_continues_it_and_a_provision_named_by_an_asker_stays_a_scenario(assistant):
    first = "We run an AI crawler that indexes every face it finds on public web pages."
    assert assistant.ask("Exclusively defence, no police or civilian users.", history=[first]).kind == "scenario"
    named = "What if we stop adding new faces and only keep using the face database we built in 2023? Does Article 5(1)(e) still apply to us?"
    assert assistant.ask(named).kind == "scenario"
    assert assistant.ask("Does Article 5(1)(e) apply to CCTV footage?").kind != "scenario"


@pytest.mark.slow
def test_the_router_on_plain_questions(assistant):
    assert assistant.router.route("What is a facial recognition database?").kind == "definition"
    assert assistant.router.route("Give me a recipe for lasagne").kind == "out_of_scope"


@pytest.mark.slow
def test_a_general_question_an_answer_note_answers_gets_the_note_not_a_verdict(assistant):
    # Guidelines para. 230: asked in general terms, it is a question about the law ...
    general = assistant.ask("what if someone scrapes in small steps, one group of people at a time - does that get around the ban?")
    assert general.kind != "scenario" and general.verdict is None
    assert "Guidelines para. 230" in {c.label for c in general.citations}
    # matched only loosely, the note keeps what it says but not its "Yes," (the question asks
    # whether it gets around the ban, the note whether it is covered); asked in its own words, it keeps it
    assert not general.answer.startswith(("Yes", "No"))
    assert assistant.ask("Is step-by-step scraping, one group at a time, still covered by the ban?").answer.startswith("Yes, ")
    # ... while the asker's own practice, or stated facts, is assessed
    own = assistant.ask("We scrape in small steps, one group of people at a time - does that get around the ban?")
    assert own.kind == "scenario"


def test_my_face_is_the_asker_in_the_pictures_not_a_practice_of_theirs():
    from assistant.route import speaks_of_own

    assert speaks_of_own("my crawler collects faces from forums")
    assert speaks_of_own("we keep every face")
    assert not speaks_of_own("can I make them delete my face?")
    assert not speaks_of_own("do they have my photos in their database?")
