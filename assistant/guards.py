"""Guards. Before composing: the four cumulative conditions, assessed from the rule file.
After composing: checks that every answer must pass before it is returned.

The engine is general: it knows nothing about scraping or faces. Everything legal is in the rule
file (assistant/rules/*.yaml).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from assistant.chunking import normalise_text
from assistant.rules import DOUBTED, ConditionRule, FindingRule, RuleBook
from assistant.types import Answer, Frame, FrameFact, Kind, Passage, ScoredPassage, Status, Verdict

_MARKER = re.compile(r"\[(\d+)\]")


def fold(text: str) -> str:
    """The form cues are matched against: typographic apostrophes folded, whitespace collapsed."""
    return normalise_text(text.replace("’", "'").replace("‘", "'"))


def strip_injection(question: str, rules: RuleBook) -> str:
    """Drop the sentences that give the assistant instructions ('ignore previous instructions...').
    Line breaks are kept: a list or a spec sheet ("Role: ...", "Input data: ...") states one fact
    per line, and the reader splits clauses there."""
    kept = []
    for line in question.splitlines():
        sentences = re.split(r"(?<=[.!?])\s+", fold(line))
        kept.append(" ".join(s for s in sentences if s and not rules.questions.injection.search(s)))
    return "\n".join(line for line in kept if line)


@dataclass(frozen=True)
class Assessment:
    """How one condition was decided: by which finding, on which of the user's facts."""

    condition: ConditionRule
    status: Status
    finding: FindingRule | None = None
    facts: tuple[FrameFact, ...] = ()  # the frame facts the finding rests on
    notes: tuple[FindingRule, ...] = field(default=())


def assess_conditions(frame: Frame, rules: RuleBook) -> list[Assessment]:
    """Derive every condition from the fact frame: the highest-priority finding whose slot values
    hold decides; notes (no status change) are collected beside it."""
    values = frame.values()
    for slot in frame.unsure:  # what is presumed of an unknown slot (an AI tool, a use) is not presumed
        values.setdefault(slot, {DOUBTED})
    out = []
    for condition in rules.conditions:
        findings = [f for f in rules.findings if f.condition == condition.id and f.holds(values)]
        notes = tuple(f for f in findings if f.status == "note")
        decisive = max((f for f in findings if f.status != "note"), key=lambda f: f.priority, default=None)
        if decisive is None:
            out.append(Assessment(condition, "unclear", notes=notes))
            continue
        facts = tuple(f for f in frame.facts if f.slot in decisive.when)
        # an unread follow-up may change any fact: what the earlier turns settle no longer decides
        status = "unclear" if frame.unread else decisive.status
        out.append(Assessment(condition, status, decisive, facts, notes))  # type: ignore[arg-type]
    return out


def decide_verdict(statuses: Sequence[Status]) -> Verdict:
    """Cumulative conditions (Guidelines para. 225): all met -> prohibited; any not met -> not."""
    if all(s == "met" for s in statuses):
        return "prohibited"
    if any(s == "not_met" for s in statuses):
        return "not_prohibited"
    return "insufficient_facts"


def should_abstain(kind: Kind, retrieved: Sequence[ScoredPassage], floor: float) -> bool:
    """Guard 5: abstain outside scope, or when nothing retrieved clears the relevance floor."""
    if kind == "out_of_scope" or not retrieved:
        return True
    if kind == "scenario" or any(sp.direct for sp in retrieved):
        return False
    return max(sp.dense for sp in retrieved) < floor


# ---- output guards ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    """One broken guard: which one and what exactly."""

    guard: str  # citations | quotes | uncited_law | verdict | abstention
    detail: str


def _unquoted(text: str) -> str:
    """Quoted spans are the sources' or the user's own words, not statements of ours."""
    return re.sub(r"“[^”]*”", "“…”", text)


def _uncited_law(text: str, rules: RuleBook) -> list[str]:
    """Sentences that state law without a [n] marker. Quoted spans are the sources' own words."""
    bad = []
    segments = re.split(r"(?:\s*\[\d+\])+", text)
    for i, segment in enumerate(segments):
        plain = _unquoted(segment)
        sentences = [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z“‘-])|\n+", plain) if s.strip()]
        cited_last = i < len(segments) - 1  # a marker follows this segment
        for j, sentence in enumerate(sentences):
            if cited_last and j == len(sentences) - 1:
                continue
            if sentence.rstrip().endswith("?") or sentence.strip() in {".", "“…”"}:
                continue
            if rules.questions.law_terms.search(sentence):
                bad.append(sentence.strip())
    return bad


def check_answer(answer: Answer, retrieved: Mapping[str, Passage], rules: RuleBook) -> list[Violation]:
    """Run guards 1-5 on a composed answer; an empty list means it may be returned."""
    out: list[Violation] = []
    numbers = {c.n for c in answer.citations}
    used = {int(n) for n in _MARKER.findall(_unquoted(answer.answer))} | {n for f in answer.conditions for n in f.citations}
    # 1. every [n] resolves to a citation, every citation to a passage retrieved for this question
    out += [Violation("citations", f"[{n}] has no citation") for n in sorted(used - numbers)]
    for c in answer.citations:
        if c.passage_id not in retrieved:
            out.append(Violation("citations", f"[{c.n}] cites {c.passage_id}, which was not retrieved"))
        # 2. every quote is a verbatim part of its passage
        elif not c.quote.strip() or normalise_text(c.quote) not in normalise_text(retrieved[c.passage_id].text):
            out.append(Violation("quotes", f"[{c.n}] quote is not verbatim in {c.label}: {c.quote[:60]!r}"))
    # 3. every sentence that states law carries a citation
    out += [Violation("uncited_law", f"no citation: {s[:80]!r}") for s in _uncited_law(answer.answer, rules)]
    # 4. the verdict follows from the conditions and the text does not say otherwise
    out += _verdict_violations(answer, rules)
    # 5. an abstention carries no law: at most the one provision it points to (the point of
    #    Article 5 a question is about, the provision a question in another language names)
    if answer.abstained and (len(answer.citations) > 1 or answer.verdict):
        out.append(Violation("abstention", "an abstention gives no verdict and cites at most the provision it points to"))
    return out


def _verdict_violations(answer: Answer, rules: RuleBook) -> list[Violation]:
    if answer.kind != "scenario":
        return [Violation("verdict", "only scenario answers carry a verdict")] if answer.verdict else []
    expected = decide_verdict([f.status for f in answer.conditions])
    out = []
    if len(answer.conditions) != len(rules.conditions):
        out.append(Violation("verdict", "every condition must be assessed"))
    if answer.verdict != expected:
        out.append(Violation("verdict", f"verdict {answer.verdict} but the conditions give {expected}"))
    if answer.verdict and (phrase := rules.contradictions[answer.verdict].search(fold(_unquoted(answer.answer)))):
        out.append(Violation("verdict", f"text says {phrase!r}, contradicting verdict {answer.verdict}"))
    if answer.verdict == "prohibited":
        out += [Violation("verdict", f"{f.id} is met without a citation") for f in answer.conditions if not f.citations]
    return out
