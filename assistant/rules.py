"""The rule file's schema: conditions, findings (cues, exclusions, traps), verdicts, other law.

The legal knowledge lives in assistant/rules/*.yaml; this module only validates and compiles it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from functools import cached_property
from pathlib import Path
from collections.abc import Collection, Mapping
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from assistant.errors import RulesError

# libyaml's loader when present: about a dozen data files are read on every cold start.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path, cache_dir: Path | None = None) -> object:
    """A YAML data file, parsed safely (errors are yaml.YAMLError or OSError). With `cache_dir`, the
    parse is kept as JSON keyed by the file's bytes: every cold start reads the banks, and reading
    JSON is several times faster than building Python objects from YAML."""
    raw = Path(path).read_bytes()
    cached = cache_dir / f"yaml-{Path(path).stem}-{hashlib.sha256(raw).hexdigest()[:16]}.json" if cache_dir else None
    if cached and cached.exists():
        return json.loads(cached.read_text(encoding="utf-8"))
    data = yaml.load(raw.decode("utf-8"), Loader=_LOADER)  # noqa: S506 - a safe loader
    if cached:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, cached)
    return data

UNKNOWN = "unknown"
# a slot the user says they are not sure of: no finding lists it, so nothing is presumed of it
DOUBTED = "doubted"


class _Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Quote(_Rule):
    """A verbatim quote from the passage with this label."""

    label: str = Field(description="Citation label of the passage, e.g. 'Guidelines para. 228'")
    quote: str = Field(description="Verbatim part of that passage's text")


class Patterns(_Rule):
    """Regular expressions compiled once, matched case-insensitively."""

    patterns: tuple[str, ...] = ()

    @cached_property
    def compiled(self) -> list[re.Pattern[str]]:
        out = []
        for p in self.patterns:
            try:
                out.append(re.compile(p, re.IGNORECASE))
            except re.error as exc:
                raise RulesError(f"bad cue pattern {p!r}: {exc}", "fix the regular expression in the rule file")
        return out

    def find(self, text: str) -> re.Match[str] | None:
        """The first match, or None."""
        return next((m for pattern in self.compiled if (m := pattern.search(text))), None)

    def search(self, text: str) -> str | None:
        """The first matching phrase, or None."""
        return m.group(0) if (m := self.find(text)) else None


def _patterns(values: list[str]) -> Patterns:
    return Patterns(patterns=tuple(values))


class Topic(_Rule):
    """Questions matching `cues` (and not `unless`) are answered from these labelled passages."""

    cues: Patterns
    unless: Patterns
    labels: tuple[str, ...]

    @model_validator(mode="before")
    @classmethod
    def _wrap(cls, data: dict) -> dict:
        return {**data, "cues": _patterns(data.get("cues", [])), "unless": _patterns(data.get("unless", []))}

    def applies(self, question: str) -> bool:
        return self.cues.search(question) is not None and self.unless.search(question) is None


class QuestionRules(_Rule):
    interplay_instruments: tuple[str, ...] = Field(description="Citation prefixes whose naming makes a question one of interplay")
    other_regimes: Patterns
    off_task: Patterns = Field(default_factory=Patterns, description="Requests that ask for no legal answer (write code)")
    injection: Patterns
    law_terms: Patterns
    topics: tuple[Topic, ...] = ()

    def topic_labels(self, question: str) -> list[str]:
        return list(dict.fromkeys(label for t in self.topics if t.applies(question) for label in t.labels))

    @model_validator(mode="before")
    @classmethod
    def _wrap(cls, data: dict) -> dict:
        data = dict(data)
        for key in ("other_regimes", "off_task", "injection", "law_terms"):
            data[key] = _patterns(data.get(key, []))
        return data


class ConditionRule(_Rule):
    id: str
    label: str
    basis: Quote = Field(description="Where the condition itself is stated")
    explains: tuple[Quote, ...] = Field(default=(), description="What the law says the condition needs: cited when it is unclear")
    unclear: str = Field(description="Rationale when no fact decides the condition")
    question: str = Field(description="Clarifying question to ask when it is unclear")


class SlotValue(_Rule):
    """One value a fact slot can take."""

    id: str
    label: str = Field(description="How the value reads to a user, e.g. 'CCTV or surveillance footage'")
    negated: str | None = Field(default=None, description="What a negated mention of this value means")
    anchors: Patterns = Field(default_factory=Patterns, description="Phrases that state this value outright")
    yields: bool = Field(default=False, description="Says nothing on the slot's question: never overrides a value stated earlier")
    requires: Patterns = Field(
        default_factory=Patterns,
        description="The law's own qualifier ('exclusively'): where the conversation never says it, the value is only a doubt")

    unsettled_by: Patterns = Field(
        default_factory=Patterns,
        description="Words in the clause it is read from that leave the value only a doubt (a database built before the ban applied)")
    implies: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description="Values of other slots its own wording states in passing: read from the same clause, they are "
        "not separate facts (a one-photo face search speaks of 'matching faces' without keeping a database)")

    @model_validator(mode="before")
    @classmethod
    def _wrap(cls, data: dict) -> dict:
        return {**data, **{k: _patterns(data.get(k, [])) for k in ("anchors", "requires", "unsettled_by")}}


class Combination(_Rule):
    """Two values stated together that mean a third (a targeted search beside an untargeted one)."""

    of: tuple[str, str]
    gives: str


class Slot(_Rule):
    """A fact the law turns on, with a closed set of values (plus `unknown`)."""

    id: str
    label: str
    question: str = Field(description="Clarifying question when the slot matters and is unknown")
    on_conflict: Literal["precedence", "contradiction"] = Field(
        description="Two clauses with different values: keep the one listed first, or leave unknown"
    )
    multiple: bool = Field(default=False, description="Several values may hold at once (remarks raised)")
    values: tuple[SlotValue, ...]
    combine: tuple[Combination, ...] = Field(default=(), description="Pairs of values that, stated together, mean another")

    def value(self, value_id: str) -> SlotValue:
        return next(v for v in self.values if v.id == value_id)

    def ids(self) -> list[str]:
        return [v.id for v in self.values]

    def combined(self, a: str, b: str) -> str | None:
        """The value two values stated together mean, if the rule file says so."""
        return next((c.gives for c in self.combine if {a, b} == set(c.of)), None)

    @model_validator(mode="after")
    def _check_values(self) -> Slot:
        ids = set(self.ids())
        refs = [v.negated for v in self.values if v.negated] + [x for c in self.combine for x in (*c.of, c.gives)]
        if bad := [r for r in refs if r not in ids]:
            raise ValueError(f"slot {self.id!r} refers to unknown values {bad}")
        return self


class FindingRule(_Rule):
    """A finding sets one condition when every slot in `when` holds one of the listed values."""

    id: str
    condition: str
    status: Literal["met", "not_met", "unclear", "note"]
    priority: int = Field(ge=1, le=9)
    when: dict[str, tuple[str, ...]] = Field(description="Slot id -> values (`unknown` included)")
    rationale: str
    cites: tuple[Quote, ...] = ()
    other_law: tuple[str, ...] = ()

    def holds(self, frame: Mapping[str, Collection[str]]) -> bool:
        """True when every slot in `when` holds one of the listed values (a slot not read is `unknown`)."""
        return all(set(frame.get(slot) or {UNKNOWN}) & set(values) for slot, values in self.when.items())


class Statement(_Rule):
    """Text of our own plus the quotes that support it."""

    text: str
    cites: tuple[Quote, ...] = ()
    other_law: tuple[str, ...] = ()


class VerdictStatement(Statement):
    """A verdict's text, and the same verdict as the answer to a yes/no question that asks whether
    the ban catches the practice (`ban`) or whether it is free of it (`clear`)."""

    answers: dict[Literal["ban", "clear"], str] = {}


class FineRule(_Rule):
    """The Article 5 fine as figures (Art. 99(3) and (6)): its ceiling for a turnover the user states.
    The statements' texts hold {ceiling}, {turnover} and {share}, filled in EUR."""

    asks: Patterns = Field(description="A question about the fine")
    turnover: Patterns = Field(description="Words that name the turnover an amount is")
    small: Patterns = Field(description="The asker says they are an SME or a start-up")
    amount: int = Field(gt=0, description="The fixed ceiling in EUR")
    percent: float = Field(gt=0, le=100, description="The share of total worldwide annual turnover")
    higher: Statement = Field(description="The ceiling for an undertaking: whichever is higher")
    lower: Statement = Field(description="The ceiling for an SME, including a start-up: whichever is lower")
    lower_first: Statement = Field(description="The same, leading the answer when the asker says they are an SME")

    @model_validator(mode="before")
    @classmethod
    def _wrap(cls, data: dict) -> dict:
        return {**data, **{k: _patterns(data.get(k, [])) for k in ("asks", "turnover", "small")}}

    def quotes(self) -> list[Quote]:
        """Every quote its statements rest on."""
        return [q for s in (self.higher, self.lower, self.lower_first) for q in s.cites]


class RuleBook(_Rule):
    id: str
    provision: str
    title: str
    covers: str
    notice: str
    questions: QuestionRules
    conditions: tuple[ConditionRule, ...]
    slots: tuple[Slot, ...]
    findings: tuple[FindingRule, ...]
    verdicts: dict[Literal["prohibited", "not_prohibited", "insufficient_facts"], VerdictStatement]
    other_law: dict[str, Statement]
    contradictions: dict[str, Patterns]
    fine: FineRule | None = None

    @model_validator(mode="before")
    @classmethod
    def _wrap(cls, data: dict) -> dict:
        return {**data, "contradictions": {k: _patterns(v) for k, v in data.get("contradictions", {}).items()}}

    @model_validator(mode="after")
    def _check_references(self) -> RuleBook:
        ids = {c.id for c in self.conditions}
        slots = {s.id: {*s.ids(), UNKNOWN} for s in self.slots}
        for f in self.findings:
            if f.condition not in ids:
                raise ValueError(f"finding {f.id!r} names unknown condition {f.condition!r}")
            for slot, values in f.when.items():
                if slot not in slots or set(values) - slots[slot]:
                    raise ValueError(f"finding {f.id!r}: unknown slot or value in when: {slot}: {list(values)}")
        for s in self.slots:
            for v in s.values:
                for slot, values in v.implies.items():
                    if slot not in slots or set(values) - slots[slot]:
                        raise ValueError(f"slot {s.id!r} value {v.id!r}: unknown slot or value in implies: {slot}: {list(values)}")
        for name in [x for f in self.findings for x in f.other_law] + [
            x for v in self.verdicts.values() for x in v.other_law
        ]:
            if name not in self.other_law:
                raise ValueError(f"unknown other_law entry {name!r}")
        return self

    def slot(self, slot_id: str) -> Slot:
        return next(s for s in self.slots if s.id == slot_id)

    def quotes(self) -> list[Quote]:
        """Every quote the rule file relies on (tests check each against the corpus)."""
        out = [q for c in self.conditions for q in (c.basis, *c.explains)] + [q for f in self.findings for q in f.cites]
        out += [q for s in [*self.verdicts.values(), *self.other_law.values()] for q in s.cites]
        if self.fine:
            out += self.fine.quotes()
        return out

    def labels(self) -> list[str]:
        """Every passage label the rule file relies on (quotes and topics)."""
        topics = [label for t in self.questions.topics for label in t.labels]
        return sorted({q.label for q in self.quotes()} | set(topics))


def load_rules(path: Path, cache_dir: Path | None = None) -> RuleBook:
    """Read and validate a rule file; every pattern is compiled so errors surface here."""
    try:
        book = RuleBook.model_validate(read_yaml(path, cache_dir))
    except (yaml.YAMLError, ValidationError) as exc:
        raise RulesError(f"{path.name}: {exc}", "fix the rule file; see the comments at its top") from exc
    topics = [p for t in book.questions.topics for p in (t.cues, t.unless)]
    anchors = [v.anchors for s in book.slots for v in s.values]
    for patterns in anchors + topics + [book.questions.other_regimes, book.questions.injection, book.questions.law_terms, *book.contradictions.values()]:
        _ = patterns.compiled
    return book
