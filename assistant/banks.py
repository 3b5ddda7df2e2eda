"""The fact reader's data files, loaded and checked against the rule file's slots: the example bank
(examples.yaml), the cue phrases that state a value outright, and the words of a question that
asks about the law without stating a fact (anchors.yaml)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from assistant.errors import RulesError
from assistant.rules import Patterns, RuleBook, read_yaml


class _Bank(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int
    slots: dict[str, dict[str, tuple[str, ...]]]
    none: tuple[str, ...]

    @model_validator(mode="after")
    def _nonempty(self) -> _Bank:
        empty = [f"{s}.{v}" for s, values in self.slots.items() for v, ex in values.items() if not ex]
        if empty:
            raise ValueError(f"values without examples: {empty}")
        return self


@dataclass(frozen=True)
class ExampleBank:
    """Labelled statements: (slot, value, text) rows, plus statements that state no fact."""

    rows: tuple[tuple[str, str, str], ...]
    none: tuple[str, ...]

    def texts(self) -> list[str]:
        return [t for _, _, t in self.rows] + list(self.none)


def load_examples(path: Path, rules: RuleBook, cache_dir: Path | None = None) -> ExampleBank:
    """Read and validate the example bank against the rule file's slots; errors name the entry."""
    try:
        bank = _Bank.model_validate(read_yaml(path, cache_dir))
    except (yaml.YAMLError, ValidationError) as exc:
        raise RulesError(f"{path.name}: {exc}", "fix the example bank; see the comments at its top") from exc
    known = {s.id: set(s.ids()) for s in rules.slots}
    for slot, values in bank.slots.items():
        if slot not in known:
            raise RulesError(f"{path.name}: unknown slot {slot!r}", f"use one of: {', '.join(known)}")
        if bad := set(values) - known[slot]:
            raise RulesError(f"{path.name}: slot {slot!r} has unknown values {sorted(bad)}", f"use: {', '.join(sorted(known[slot]))}")
    rows = tuple((s, v, t) for s, values in bank.slots.items() for v, texts in values.items() for t in texts)
    return ExampleBank(rows, bank.none)


@dataclass(frozen=True)
class Cue:
    """Phrases that state a slot value outright, with the priority that breaks ties between cues."""

    slot: str
    value: str
    priority: int
    phrases: Patterns
    unless: Patterns = Patterns()  # words in the same clause that defeat the cue's presumption


def load_cues(path: Path, rules: RuleBook, cache_dir: Path | None = None) -> tuple[Cue, ...]:
    """Read the cue phrases (anchors.yaml), checked against the slots; bad patterns are named."""
    try:
        data = read_yaml(path, cache_dir)
        cues = tuple(
            Cue(a["slot"], a["value"], int(a["priority"]), Patterns(patterns=tuple(a["phrases"])),
                Patterns(patterns=tuple(a.get("unless", ()))))
            for a in data["anchors"]
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise RulesError(f"{path.name}: {exc}", "each anchor has slot, value, priority and phrases (and may have unless)") from exc
    for cue in cues:
        if cue.slot not in {s.id for s in rules.slots} or cue.value not in rules.slot(cue.slot).ids():
            raise RulesError(f"{path.name}: unknown slot value {cue.slot}={cue.value}", "use the rule file's slots")
        _ = cue.phrases.compiled, cue.unless.compiled
    return cues


@dataclass(frozen=True)
class Polar:
    """The words that say which way a yes/no question points: whether the ban catches a practice
    (`ban`) or the practice is free of it (`clear`); a negative question's inverted auxiliary and a
    trailing tag ("right?") turn nothing round."""

    ban: Patterns
    clear: Patterns
    inverted: re.Pattern[str]
    tag: re.Pattern[str]
    open: re.Pattern[str]  # a question asking for content ("which provision...?"), not yes or no
    frame: re.Pattern[str]  # the law a verdict is weighed under ("allowed under the ban"): its group 1 is kept
    bridge: re.Pattern[str]  # words that may stand between a negation and the verdict word it turns round


@dataclass(frozen=True)
class Asking:
    """Tells a question about the law's classification ("Is that untargeted scraping?") from a
    statement of fact: a question with fewer than `min_content` words of its own states nothing."""

    words: frozenset[str]
    min_content: int
    supposing: re.Pattern[str]
    polar: Polar

    def states_nothing(self, clause: str) -> bool:
        if not clause.rstrip().endswith("?") or self.supposing.search(clause):
            return False
        own = [w for w in (t.strip(".,;:!?\"'“”‘’") for t in clause.lower().split()) if w and w not in self.words]
        return len(own) < self.min_content


def load_asking(path: Path, cache_dir: Path | None = None) -> Asking:
    """The `asking:` section of anchors.yaml."""
    try:
        data = read_yaml(path, cache_dir)["asking"]
        polar = data["polar"]
        asking = Asking(
            frozenset(str(w).lower() for w in data["words"]), int(data["min_content"]),
            re.compile(data["supposing"], re.IGNORECASE),
            Polar(Patterns(patterns=tuple(polar["ban"])), Patterns(patterns=tuple(polar["clear"])),
                  re.compile(polar["inverted"], re.IGNORECASE), re.compile(polar["tag"], re.IGNORECASE),
                  re.compile(polar["open"], re.IGNORECASE), re.compile(polar["frame"], re.IGNORECASE),
                  re.compile(polar["bridge"], re.IGNORECASE)),
        )
        _ = asking.polar.ban.compiled, asking.polar.clear.compiled
        return asking
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError, re.error) as exc:
        raise RulesError(f"{path.name}: {exc}", "give `asking:` with `words`, `min_content`, a `supposing` pattern "
                         "and `polar:` (`ban` and `clear` patterns, `inverted`, `tag`, `open`, `frame` and `bridge`)") from exc
