"""The fact reader's data files (assistant/banks.py): the example bank, cue phrases and the words of
a question that states no fact, each checked against the rule file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.banks import load_asking, load_cues, load_examples
from assistant.config import Settings
from assistant.errors import RulesError
from assistant.read import is_negated
from assistant.rules import load_rules

SETTINGS = Settings()


@pytest.fixture(scope="module")
def rules():
    return load_rules(SETTINGS.rules_file)

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
    path.write_text("version: 1\nanchors:\n  - {slot: source, value: internet, priority: 1, phrases: ['web'], unless: ['(only']}\n")
    with pytest.raises(RulesError, match="only"):  # a broken `unless` pattern is named too
        load_cues(path, rules)
    crawl = next(c for c in load_cues(SETTINGS.anchors_file, rules) if c.unless.patterns and c.slot == "targeting")
    assert crawl.unless.find("only for photos of the 37 children") and not crawl.unless.find("every face it finds")


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
