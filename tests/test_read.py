"""The fact reader: clauses, negation scope, given facts, the example bank, and reading real words."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from assistant.config import Settings
from assistant.errors import InputError, RulesError
from assistant.read import is_negated, load_asking, load_cues, load_examples, parse_given, split_clauses, windows
from assistant.rules import load_rules

SETTINGS = Settings()


@pytest.fixture(scope="module")
def rules():
    return load_rules(SETTINGS.rules_file)


def test_clauses_are_verbatim_spans_split_where_a_sentence_turns():
    text = "We scrape Instagram; we keep every face. But we never store names, except for staff.\n- Source: CCTV"
    clauses = split_clauses(text)
    assert all(c in text for c in clauses)
    assert clauses == ["We scrape Instagram", "we keep every face.", "But we never store names",
                       "except for staff.", "Source: CCTV"]


def test_long_clauses_are_read_in_windows_with_the_words_before_as_negation_scope():
    clause = "the tool which does not use machine learning at all downloads every picture it can find online"
    spans = windows(clause, 8)
    assert spans[0] == (clause, clause) and len(spans) > 2
    assert all(span in clause and span in scope for span, scope in spans)
    assert any(len(scope) > len(span) for span, scope in spans[1:])  # the words before a window


@pytest.mark.parametrize(("text", "negated"), [
    ("no AI is involved", True), ("we don't keep the images", True), ("instead of our bot, staff do it", True),
    ("not only faces but also names", False), ("no exceptions: every face", False), ("we keep every face", False),
])
def test_negation(text, negated):
    assert is_negated(text) is negated


def test_given_facts_are_checked_and_errors_name_the_valid_ones(rules):
    assert parse_given({"source": "cctv", "actor": "unknown"}, rules) == {"source": "cctv", "actor": "unknown"}
    with pytest.raises(InputError, match="colour") as err:
        parse_given({"colour": "blue"}, rules)
    assert "targeting" in err.value.hint
    with pytest.raises(InputError, match="mars") as err:
        parse_given({"source": "mars"}, rules)
    assert "provided_by_subjects" in err.value.hint


def test_the_example_bank_matches_the_slots_and_never_states_a_flipped_value_negatively(rules):
    bank = load_examples(SETTINGS.examples_file, rules)
    slots = {s.id: set(s.ids()) for s in rules.slots}
    assert all(v in slots[s] for s, v, _ in bank.rows)
    assert {(s, v) for s, v, _ in bank.rows} == {(s, v) for s, values in slots.items() for v in values}
    # The reader turns a negated reading of a value with `negated:` around ("no AI" -> non_ai), so
    # those values are stated positively; "the bot doesn't look for anyone in particular" may
    # teach `untargeted`, whose negated mention settles nothing. (Measured on the development
    # set: dropping such statements raised the critical errors from 5 to 14 of 271.)
    flipped = {(s.id, v.id) for s in rules.slots for v in s.values if v.negated}
    assert not [t for s, v, t in bank.rows if (s, v) in flipped and is_negated(t)]


def _bad_bank(tmp_path: Path, mutate) -> Path:
    data = yaml.safe_load(SETTINGS.examples_file.read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "examples.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_a_bank_entry_with_an_unknown_value_is_named(tmp_path, rules):
    path = _bad_bank(tmp_path, lambda d: d["slots"]["source"].update(moon=["photos from the moon"]))
    with pytest.raises(RulesError, match="moon"):
        load_examples(path, rules)


def test_cue_phrases_name_known_slot_values(tmp_path, rules):
    assert load_cues(SETTINGS.anchors_file, rules)
    path = tmp_path / "anchors.yaml"
    path.write_text("version: 1\nanchors:\n  - {slot: source, value: moon, priority: 1, phrases: ['moon']}\n")
    with pytest.raises(RulesError, match="source=moon"):
        load_cues(path, rules)


# ---- reading real words (real model) -----------------------------------------------------------


@pytest.mark.parametrize(("clause", "nothing"), [
    ("Is that untargeted scraping from the internet?", True),     # asks how the law classifies it
    ("Does the facial scraping ban cover it?", True),
    ("Still the banned scraping?", True),
    ("Does that change your answer?", True),
    ("Can we keep using it after February 2025?", False),         # words of its own: a fact
    ("Is it legal to scrape every face from Instagram for our search engine?", False),
    ("What if it only targeted one suspect?", False),             # a what-if states what it supposes
    ("The crawler takes every face.", False),                     # a statement, not a question
])
def test_a_question_about_the_laws_words_states_no_fact(clause, nothing):
    assert load_asking(SETTINGS.anchors_file).states_nothing(clause) is nothing


def test_the_asking_section_is_checked(tmp_path):
    bad = tmp_path / "anchors.yaml"
    bad.write_text("version: 1\nanchors: []\nasking: {words: [is], min_content: 3, supposing: '(('}\n")
    with pytest.raises(RulesError, match="anchors.yaml"):
        load_asking(bad)


def _frame(assistant, *turns, given=None):
    return {f.slot: f for f in assistant.reader.read(list(turns), given).facts}


@pytest.mark.slow
def test_each_fact_is_read_with_the_users_words_as_evidence(assistant):
    text = "Our AI crawler copies every face it finds on Instagram into a searchable face database."
    frame = _frame(assistant, text)
    assert {s: f.value for s, f in frame.items() if s in ("system", "source", "targeting", "database")} == {
        "system": "ai", "source": "internet", "targeting": "untargeted", "database": "creates"}
    assert all(f.evidence in text for f in frame.values())


@pytest.mark.slow
def test_a_negated_statement_is_flipped_and_a_negated_source_says_nothing(assistant):
    frame = _frame(assistant, "No AI is used for this.", "Nothing is taken from Instagram.")
    assert frame["system"].value == "non_ai"
    assert "source" not in frame


@pytest.mark.slow
def test_a_later_turn_overrides_only_the_slots_it_speaks_to_and_given_facts_win(assistant):
    first = "Our AI crawler copies every face it finds on Instagram into a searchable face database."
    frame = _frame(assistant, first, "What if the pictures came from the shop's CCTV cameras instead?")
    assert frame["source"].value == "cctv" and frame["targeting"].value == "untargeted"
    frame = _frame(assistant, first, given={"source": "offline"})
    assert (frame["source"].value, frame["source"].origin) == ("offline", "given")


@pytest.mark.slow
def test_a_closing_question_in_the_laws_words_adds_no_fact(assistant):
    # Without the filter, "from the internet" in the question was read as the images' source.
    text = "Our app users upload selfies of themselves. Is that untargeted scraping from the internet?"
    frame = _frame(assistant, text)
    assert all("Is that" not in f.evidence for f in frame.values())
    assert frame.get("source") is None or frame["source"].value != "internet"


@pytest.mark.slow
def test_the_reading_averages_one_head_per_mixture_draw(assistant):
    reader = assistant.reader
    heads = reader._heads()
    assert all(len(h) == reader.settings.mixture_seeds > 1 for h in heads.values())
    vectors = reader.encoder.encode(["the crawler keeps every face it finds"])
    each = [h.probabilities(vectors)[:, :-1] for h in heads["targeting"]]
    assert not np.allclose(each[0], each[1])  # the draws differ ...
    assert np.allclose(reader._probabilities("targeting", vectors), sum(each) / len(each))  # ... and are averaged


@pytest.mark.slow
def test_a_targeted_search_stated_beside_an_untargeted_one_is_the_combination(assistant):
    # Guidelines para. 231: the untargeted part of a combined system is caught.
    text = ("Our bot takes all the photos with a face from Instagram and TikTok into an index. "
            "A customer uploads a selfie of somebody and the app tells who it is.")
    frame = _frame(assistant, text)
    assert frame["targeting"].value == "targeted_plus_untargeted"
    assert not assistant.reader.read([text]).contradictions or all(
        "whose images" not in c for c in assistant.reader.read([text]).contradictions)


def test_combinations_name_known_values(rules):
    targeting = rules.slot("targeting")
    assert targeting.combined("specific_individuals", "untargeted") == "targeted_plus_untargeted"
    assert targeting.combined("untargeted", "untargeted") is None
    bad = targeting.model_dump() | {"combine": [{"of": ["untargeted", "nobody"], "gives": "untargeted"}]}
    with pytest.raises(ValueError, match="nobody"):
        type(targeting).model_validate(bad)


def test_values_the_law_treats_alike_are_grouped_and_exceptions_stand_alone(assistant):
    reader = assistant.reader
    def groups(slot):
        values = [label.split("=", 1)[1] for label in reader._labels[slot]]
        g = reader._groups[slot]
        return [{values[i] for i in range(len(values)) if g[i, j]} for j in range(g.shape[1])]
    assert {"creates", "expands"} in groups("database")          # Art. 5(1)(e): "create or expand"
    assert {"uses_existing"} in groups("database")                # an exception is read on its own
    assert {"untargeted", "group_by_group", "targeted_plus_untargeted"} in groups("targeting")  # paras 228-231
