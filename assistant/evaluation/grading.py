"""Grading one case: its expectations checked against the answer, and the row that records it.

A case passes when every expectation it gives holds; each failed expectation is recorded with its
reason, and an exception inside `ask` is a failed row, never a crash.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from pydantic import BaseModel, Field

from assistant.evaluation.suite import RECALL_K, Case, Expect
from assistant.labels import label_matches
from assistant.types import Answer, Frame, Kind, Passage, ScoredPassage, Status, Verdict

def norm(text: str) -> str:
    """Case-insensitive, whitespace-collapsed form used for every text match."""
    return " ".join(text.split()).casefold()


def cited(wanted: str, labels: Iterable[str]) -> bool:
    return any(label_matches(wanted, label) for label in labels)


def _check_verdict(want: list[str], a: Answer) -> list[str]:
    return [] if a.verdict in want else [f"verdict: expected {' or '.join(want)}, got {a.verdict}"]


def _check_verdict_not(want: list[str], a: Answer) -> list[str]:
    return [f"verdict_not: got {a.verdict}, which is excluded"] if a.verdict in want else []


def _check_conditions(want: dict[str, str], a: Answer) -> list[str]:
    got = {c.id: c.status for c in a.conditions}
    return [f"conditions: {cid} expected {s}, got {got.get(cid)}" for cid, s in want.items() if got.get(cid) != s]


def frame_of(a: Answer) -> dict[str, set[str]]:
    return Frame(facts=tuple(a.facts)).values()


def _check_frame(want: dict[str, str], a: Answer) -> list[str]:
    got = frame_of(a)
    return [
        f"frame: {slot} expected {value}, got {'/'.join(sorted(got.get(slot, {'unknown'})))}"
        for slot, value in want.items() if value not in got.get(slot, {"unknown"})
    ]


# Abbreviations that end in a full stop without ending the sentence ("AI Act Art. 99(4): ...").
_ABBREVIATION = re.compile(r"(?:\b(?:Arts?|paras?|No|nos?|e\.g|i\.e|cf|p|pp|vs|etc|Dir|Reg)|§)\.$", re.IGNORECASE)


def first_sentence(text: str) -> str:
    """The answer's first sentence: up to the first full stop, "!" or "?" that ends a sentence
    (not the one of "Art." or "para.") or the first line break."""
    line = text.strip().split("\n", 1)[0]
    for m in re.finditer(r"(?<=[.!?])\s+", line):
        if not _ABBREVIATION.search(line[: m.start()]):
            return line[: m.start()]
    return line


def leads_with(want: Iterable[str], answer: str) -> bool:
    """Whether the answer's first sentence holds one of the wanted words or phrases as a whole word,
    a plural allowed ("no" is not found in "not prohibited", nor "7 %" in "17 %"; "Member State"
    is found in "the Member States")."""
    lead = norm(first_sentence(answer))
    return any(re.search(rf"(?<!\w){re.escape(norm(w))}(?:e?s)?(?!\w)", lead) for w in want)


def _check_lead(want: list[str], a: Answer) -> list[str]:
    if leads_with(want, a.answer):
        return []
    return [f"lead: none of {want} in the first sentence {norm(first_sentence(a.answer))[:80]!r}"]


def _labels(a: Answer) -> list[str]:
    return list(dict.fromkeys(c.label for c in a.citations))


def _check_cites(want: list[str], a: Answer) -> list[str]:
    labels = _labels(a)
    return [f"cites: no citation matches {w!r} (cited: {labels})" for w in want if not cited(w, labels)]


def _check_cites_any(want: list[str], a: Answer) -> list[str]:
    labels = _labels(a)
    return [] if any(cited(w, labels) for w in want) else [f"cites_any: none of {want} cited (cited: {labels})"]


def _check_mentions(want: list[str], a: Answer) -> list[str]:
    return [f"mentions: {m!r} not in the answer" for m in want if norm(m) not in norm(a.answer)]


def _check_mentions_any(want: list[list[str]], a: Answer) -> list[str]:
    text = norm(a.answer)
    return [f"mentions_any: none of {g} in the answer" for g in want if not any(norm(m) in text for m in g)]


def _check_absent(want: list[str], a: Answer) -> list[str]:
    return [f"absent: {m!r} appears in the answer" for m in want if norm(m) in norm(a.answer)]


def _check_abstain(want: bool, a: Answer) -> list[str]:
    return [] if a.abstained == want else [f"abstain: expected {want}, got {a.abstained}"]


CHECKS: dict[str, Callable[[Any, Answer], list[str]]] = {
    "verdict": _check_verdict, "verdict_not": _check_verdict_not, "conditions": _check_conditions,
    "cites": _check_cites, "cites_any": _check_cites_any, "mentions": _check_mentions,
    "mentions_any": _check_mentions_any, "absent": _check_absent, "abstain": _check_abstain,
    "frame": _check_frame, "lead": _check_lead,
}
assert set(CHECKS) == set(Expect.model_fields), "every expect key needs a check"


def check_case(case: Case, answer: Answer) -> list[str]:
    """Reasons for every failed expectation; an empty list means the case passes."""
    return [
        reason for key in Expect.model_fields
        if (want := getattr(case.expect, key)) is not None
        for reason in CHECKS[key](want, answer)
    ]


# ---- running a suite ---------------------------------------------------------------------------


class AnswerFn(Protocol):
    def __call__(
        self, question: str, *, history: Sequence[str] | None = ..., facts: Mapping[str, str] | None = ...
    ) -> Answer: ...


class Searcher(Protocol):
    def search(self, query: str, k: int | None = ...) -> list[ScoredPassage]: ...


class CaseResult(BaseModel):
    """One graded row of a run."""

    id: str
    kind: Kind
    question: str
    passed: bool
    reasons: list[str] = Field(default_factory=list, description="One per failed expectation, or the error")
    answer: str = Field(default="", description="The answer text")
    verdict: Verdict | None = None
    abstained: bool = False
    conditions: dict[str, Status] = Field(default_factory=dict)
    facts: dict[str, list[str]] = Field(default_factory=dict, description="Slot -> values the reader found or was given")
    citations: list[str] = Field(default_factory=list, description="Citation labels in marker order")
    quotes_verified: list[bool] = Field(default_factory=list, description="Per citation: quote found in its passage")
    retrieved: list[str] | None = Field(default=None, description=f"Top-{RECALL_K} labels of a separate search")
    latency_ms: float = Field(default=0.0, description="Wall time of ask")
    error: str | None = Field(default=None, description="Exception raised while answering, if any")


def quote_verified(quote: str, passage: Passage | None) -> bool:
    """A quote counts only when it is a verbatim (whitespace-normalised) substring of its passage."""
    return passage is not None and " ".join(quote.split()) in " ".join(passage.text.split())


def run_case(
    answer_fn: AnswerFn, case: Case, retriever: Searcher | None = None, passages: Mapping[str, Passage] | None = None
) -> tuple[CaseResult, Answer | None]:
    """Answer and grade one case; an exception becomes a failed row with the error as its reason."""
    base = {"id": case.id, "kind": case.kind, "question": case.question}
    start = time.perf_counter()
    try:
        answer = answer_fn(case.question, history=case.history or None, facts=case.facts or None)
    except Exception as exc:  # noqa: BLE001 - a failing case is recorded, never a crash
        error = f"{type(exc).__name__}: {exc}"
        return CaseResult(**base, passed=False, reasons=[f"error: {error}"], error=error,
                          latency_ms=(time.perf_counter() - start) * 1000), None
    latency = (time.perf_counter() - start) * 1000
    reasons = check_case(case, answer)
    retrieved = None
    if retriever is not None:  # retrieval is measured on its own, outside the timed answer
        try:
            retrieved = [sp.passage.label for sp in retriever.search(case.question, k=RECALL_K)][:RECALL_K]
        except Exception as exc:  # noqa: BLE001
            reasons.append(f"retrieval error: {type(exc).__name__}: {exc}")
    return CaseResult(
        **base, passed=not reasons, reasons=reasons, answer=answer.answer, verdict=answer.verdict,
        abstained=answer.abstained, conditions={c.id: c.status for c in answer.conditions},
        facts={k: sorted(v) for k, v in frame_of(answer).items()},
        citations=[c.label for c in answer.citations],
        quotes_verified=[quote_verified(c.quote, (passages or {}).get(c.passage_id)) for c in answer.citations],
        retrieved=retrieved, latency_ms=latency,
    ), answer
