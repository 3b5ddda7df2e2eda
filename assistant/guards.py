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
from assistant.labels import references_in
from assistant.rules import ConditionRule, FindingRule, RuleBook
from assistant.types import Answer, Fact, Kind, Passage, ScoredPassage, Status, Verdict

_MARKER = re.compile(r"\[(\d+)\]")


def fold(text: str) -> str:
    """The form cues are matched against: typographic apostrophes folded, whitespace collapsed."""
    return normalise_text(text.replace("’", "'").replace("‘", "'"))


def strip_injection(question: str, rules: RuleBook) -> str:
    """Drop the sentences that give the assistant instructions ('ignore previous instructions...')."""
    sentences = re.split(r"(?<=[.!?])\s+", fold(question))
    return " ".join(s for s in sentences if not rules.questions.injection.search(s))


def in_scope(question: str, rules: RuleBook) -> bool:
    """True when the question touches this prohibition's vocabulary or names a reference; an
    out-of-scope topic always wins, an off-topic word unless a core term is also there."""
    q = rules.questions
    if q.out_of_scope.search(question) or (q.off_topic.search(question) and not q.core_terms.search(question)):
        return False
    return bool(q.scope_terms.search(question) or references_in(question))


def classify(question: str, rules: RuleBook, *, follow_up: bool = False, has_facts: bool = False) -> Kind:
    """definition | fact | interplay | scenario | out_of_scope, from the rule file's cues.

    A question that describes a practice (an actor doing something, plus facts on another
    condition) is a scenario however it is phrased."""
    if has_facts:
        return "scenario"
    if not in_scope(question, rules) and not follow_up:
        return "out_of_scope"
    kinds = rules.questions.kinds
    decided = {a.condition.id for a in assess_conditions([question], rules) if a.status != "unclear"}
    acts = rules.questions.actor_condition in decided
    if kinds["scenario"].search(question) or (acts and len(decided) >= 2):
        return "scenario"
    if kinds["verdict_question"].search(question) and len(decided) >= 2:
        return "scenario"
    if follow_up and kinds["follow_up"].search(question):
        return "scenario"
    for kind in ("definition", "interplay"):
        if kinds[kind].search(question):
            return kind  # type: ignore[return-value]
    return "fact"


@dataclass(frozen=True)
class Assessment:
    """How one condition was decided: by which finding, on which words."""

    condition: ConditionRule
    status: Status
    finding: FindingRule | None = None
    phrase: str = ""
    given: str = ""  # the statement, when the fact was passed in directly
    notes: tuple[tuple[FindingRule, str], ...] = field(default=())


def _decisive(text: str, findings: Sequence[FindingRule]) -> tuple[FindingRule, str] | None:
    best: tuple[FindingRule, str] | None = None
    for finding in findings:
        if finding.status == "note" or (best and finding.priority <= best[0].priority):
            continue
        if (phrase := finding.cues.search(text)) is not None:
            best = (finding, phrase)
    return best


def _first_match(finding: FindingRule, texts: Sequence[str]) -> str | None:
    return next((phrase for t in texts if (phrase := finding.cues.search(t)) is not None), None)


def assess_conditions(
    turns: Sequence[str], rules: RuleBook, facts: Mapping[str, Fact] | None = None
) -> list[Assessment]:
    """Assess every condition. Later turns override earlier ones (what-if follow-ups); a fact
    passed directly overrides both. Notes (no status change) accumulate over all turns."""
    facts = facts or {}
    texts = [fold(t) for t in turns]
    out = []
    for condition in rules.conditions:
        findings = [f for f in rules.findings if f.condition == condition.id]
        notes = tuple((f, p) for f in findings if f.status == "note" and (p := _first_match(f, texts)))
        result = Assessment(condition, "unclear", notes=notes)
        for text in texts:
            if hit := _decisive(text, findings):
                result = Assessment(condition, hit[0].status, hit[0], hit[1], notes=notes)  # type: ignore[arg-type]
        if (fact := facts.get(condition.id)) is not None:
            hit = _decisive(fold(fact.statement), findings)
            status = fact.status or (hit[0].status if hit else "unclear")
            matching = hit if hit and hit[0].status == status else None
            result = Assessment(
                condition, status, matching[0] if matching else None,  # type: ignore[arg-type]
                matching[1] if matching else "", fact.statement, notes,
            )
        out.append(result)
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
    # 5. an abstention carries no law
    if answer.abstained and (answer.citations or answer.verdict):
        out.append(Violation("abstention", "an abstention must not cite or give a verdict"))
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
