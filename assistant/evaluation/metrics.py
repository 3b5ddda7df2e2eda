"""Metrics: plain functions `(case, row) -> Score | None` summed over a run, so every number can be
traced back to rows."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

from pydantic import BaseModel, Field, computed_field

from assistant.evaluation.grading import CaseResult, cited, first_sentence, leads_with, norm
from assistant.evaluation.suite import Case

class Ratio(BaseModel):
    """hits out of total; rate is None when nothing was measured."""

    hits: int = 0
    total: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rate(self) -> float | None:
        return self.hits / self.total if self.total else None


class Metrics(BaseModel):
    pass_rate: Ratio
    per_kind: dict[str, Ratio]
    verdict_accuracy: Ratio = Field(description="Over cases with a verdict expectation")
    verdict_confusion: dict[str, dict[str, int]] = Field(description="Expected -> got -> count ('null' = none)")
    condition_accuracy: dict[str, Ratio]
    citation_recall: Ratio = Field(description="Expected cites / cites_any groups satisfied by citations")
    mention_coverage: Ratio = Field(description="mentions / mentions_any groups found in the answer")
    abstention_precision: Ratio = Field(description="Over cases with an abstain expectation")
    abstention_recall: Ratio = Field(description="Over cases with an abstain expectation")
    retrieval_recall_at_5: Ratio = Field(description="Expected label groups found in the top-5 of search")
    quote_verification: Ratio = Field(description="Citations whose quote is verbatim in the cited passage")
    critical_errors: Ratio = Field(default_factory=Ratio, description="Opposite decided verdicts, over decided expectations")
    insufficient_share: Ratio = Field(default_factory=Ratio, description="insufficient_facts answers, over verdict cases")
    direct_answer: Ratio = Field(default_factory=Ratio, description="First sentence holds the expected lead")
    opposite_answers: Ratio = Field(
        default_factory=Ratio, description="First sentence says 'yes' where 'no' is expected or the reverse, over yes/no leads",
    )
    slot_accuracy: dict[str, Ratio] = Field(default_factory=dict, description="Expected frame values found, per slot")
    slot_precision: dict[str, Ratio] = Field(default_factory=dict, description="Same, over slots the reader filled")
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None


# ---- metrics: plain functions (case, row) -> Score | None, summed over the run ---------------------


Score = tuple[int, int]  # (hits, total) for one case


def _groups_met(groups: list[list[str]], labels: list[str] | None) -> Score | None:
    if not groups or labels is None:
        return None
    return sum(any(cited(w, labels) for w in g) for g in groups), len(groups)


def passed(case: Case, row: CaseResult) -> Score | None:
    return int(row.passed), 1


def verdict_correct(case: Case, row: CaseResult) -> Score | None:
    return None if case.expect.verdict is None else (int(row.verdict in case.expect.verdict), 1)


def citation_recall(case: Case, row: CaseResult) -> Score | None:
    return _groups_met(case.expect.label_groups(), row.citations)


def retrieval_recall(case: Case, row: CaseResult) -> Score | None:
    return _groups_met(case.expect.label_groups(), row.retrieved)


def mention_coverage(case: Case, row: CaseResult) -> Score | None:
    groups, text = case.expect.mention_groups(), norm(row.answer)
    return (sum(any(norm(m) in text for m in g) for g in groups), len(groups)) if groups else None


def abstention_precision(case: Case, row: CaseResult) -> Score | None:
    if case.expect.abstain is None or not row.abstained:
        return None
    return int(case.expect.abstain), 1


def abstention_recall(case: Case, row: CaseResult) -> Score | None:
    return (int(row.abstained), 1) if case.expect.abstain else None


def quote_verification(case: Case, row: CaseResult) -> Score | None:
    return (sum(row.quotes_verified), len(row.quotes_verified)) if row.quotes_verified else None


DECIDED = {"prohibited", "not_prohibited"}


def critical_error(case: Case, row: CaseResult) -> Score | None:
    """The opposite decided verdict: prohibited where the law gives not_prohibited, or the reverse."""
    want = set(case.expect.verdict or [])
    if not want or not want <= DECIDED or len(want) > 1:
        return None
    return int(row.verdict in DECIDED - want), 1


def insufficient_share(case: Case, row: CaseResult) -> Score | None:
    return None if case.expect.verdict is None else (int(row.verdict == "insufficient_facts"), 1)


def direct_answer(case: Case, row: CaseResult) -> Score | None:
    if not case.expect.lead:
        return None
    return int(leads_with(case.expect.lead, row.answer)), 1


_POLAR = {"yes": "no", "no": "yes"}


def opposite_answer(case: Case, row: CaseResult) -> Score | None:
    """A yes/no question answered with the opposite word: the question-side twin of a critical error."""
    want = {norm(w) for w in case.expect.lead or []} & set(_POLAR)
    if len(want) != 1:
        return None
    first = norm(first_sentence(row.answer)).split(maxsplit=1)
    return int(bool(first) and first[0].strip(",.:;") == _POLAR[want.pop()]), 1


def slot_accuracy(pairs: Sequence[tuple[Case, CaseResult]], confident_only: bool = False) -> dict[str, Ratio]:
    """Per slot: expected values found. With confident_only, only over slots the reader filled."""
    out: dict[str, Ratio] = {}
    for case, row in pairs:
        for slot, value in (case.expect.frame or {}).items():
            got = row.facts.get(slot, ["unknown"])
            if confident_only and got == ["unknown"]:
                continue
            r = out.get(slot, Ratio())
            out[slot] = Ratio(hits=r.hits + (value in got), total=r.total + 1)
    return dict(sorted(out.items()))


def total(metric: Callable[[Case, CaseResult], Score | None], pairs: Iterable[tuple[Case, CaseResult]]) -> Ratio:
    scores = [s for c, r in pairs if (s := metric(c, r)) is not None]
    return Ratio(hits=sum(h for h, _ in scores), total=sum(t for _, t in scores))


def condition_accuracy(pairs: Sequence[tuple[Case, CaseResult]]) -> dict[str, Ratio]:
    out: dict[str, Ratio] = {}
    for case, row in pairs:
        for cid, status in (case.expect.conditions or {}).items():
            r = out.get(cid, Ratio())
            out[cid] = Ratio(hits=r.hits + (row.conditions.get(cid) == status), total=r.total + 1)
    return dict(sorted(out.items()))


def verdict_confusion(pairs: Sequence[tuple[Case, CaseResult]]) -> dict[str, dict[str, int]]:
    matrix: dict[str, dict[str, int]] = {}
    for case, row in pairs:
        if case.expect.verdict is not None:
            cell = matrix.setdefault("|".join(case.expect.verdict), {})
            got = row.verdict or "null"
            cell[got] = cell.get(got, 0) + 1
    return matrix


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def compute_metrics(cases: Sequence[Case], rows: Sequence[CaseResult]) -> Metrics:
    pairs = list(zip(cases, rows, strict=True))
    kinds = sorted({c.kind for c in cases})
    latencies = [r.latency_ms for r in rows]
    return Metrics(
        pass_rate=total(passed, pairs),
        per_kind={k: total(passed, [(c, r) for c, r in pairs if c.kind == k]) for k in kinds},
        verdict_accuracy=total(verdict_correct, pairs),
        verdict_confusion=verdict_confusion(pairs),
        condition_accuracy=condition_accuracy(pairs),
        citation_recall=total(citation_recall, pairs),
        mention_coverage=total(mention_coverage, pairs),
        abstention_precision=total(abstention_precision, pairs),
        abstention_recall=total(abstention_recall, pairs),
        retrieval_recall_at_5=total(retrieval_recall, pairs),
        quote_verification=total(quote_verification, pairs),
        critical_errors=total(critical_error, pairs),
        insufficient_share=total(insufficient_share, pairs),
        direct_answer=total(direct_answer, pairs),
        opposite_answers=total(opposite_answer, pairs),
        slot_accuracy=slot_accuracy(pairs),
        slot_precision=slot_accuracy(pairs, confident_only=True),
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
    )


def flat_metrics(metrics: Metrics) -> dict[str, Ratio | float | None]:
    """The metrics as one flat name -> value map (per-kind and per-condition entries prefixed)."""
    flat: dict[str, Ratio | float | None] = {}
    for name, value in metrics:
        if name == "per_kind":
            flat |= {f"kind.{k}": r for k, r in value.items()}
        elif name in ("condition_accuracy", "slot_accuracy", "slot_precision"):
            prefix = {"condition_accuracy": "condition", "slot_accuracy": "slot", "slot_precision": "slot_confident"}[name]
            flat |= {f"{prefix}.{k}": r for k, r in value.items()}
        elif name != "verdict_confusion":
            flat[name] = value
    return flat


def headline(metrics: Metrics) -> dict[str, float | None]:
    """Flat metrics as plain numbers, for deltas and bars."""
    return {k: v.rate if isinstance(v, Ratio) else v for k, v in flat_metrics(metrics).items()}
