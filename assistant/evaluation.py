"""Evaluation: run a golden-question suite through an answerer, grade each case, and summarise.

A case passes when every expectation it gives holds; each failed expectation is recorded with its
reason, and an exception inside `ask` is a failed row, never a crash. Metrics are plain functions
`(case, row) -> Score | None` summed over the run, so every number can be traced back to rows.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, computed_field, field_validator
from tqdm import tqdm

from assistant.config import PROJECT_DIR, Settings
from assistant.errors import InputError
from assistant.labels import label_matches
from assistant.types import Answer, Frame, Kind, Passage, ScoredPassage, Status, Verdict

DEFAULT_SUITE = PROJECT_DIR / "eval" / "golden.yaml"
RECALL_K = 5


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class Expect(_Strict):
    """What a case expects; every key is optional and a case passes when all given keys hold."""

    verdict: list[Verdict] | None = Field(default=None, description="Any of these verdicts")
    verdict_not: list[Verdict] | None = Field(default=None, description="None of these verdicts")
    conditions: dict[str, Status] | None = Field(default=None, description="Condition id -> status (a subset)")
    cites: list[str] | None = Field(default=None, description="Each label matched by some citation")
    cites_any: list[str] | None = Field(default=None, description="At least one label matched by a citation")
    mentions: list[str] | None = Field(default=None, description="Each phrase appears in the answer text")
    mentions_any: list[list[str]] | None = Field(
        default=None, description="Groups of phrases: each group needs one phrase in the answer text"
    )
    absent: list[str] | None = Field(default=None, description="None of these phrases appears")
    abstain: bool | None = Field(default=None, description="Whether the answer must abstain")
    frame: dict[str, str] | None = Field(default=None, description="Slot id -> value the reader must find ('unknown' = none)")
    lead: list[str] | None = Field(default=None, description="One of these phrases in the first sentence (the direct answer)")

    _listify = field_validator("verdict", "verdict_not", "lead", mode="before")(_as_list)

    @field_validator("mentions_any", mode="before")
    @classmethod
    def _groups(cls, value: Any) -> Any:
        # A flat list is one group; a list of lists is several groups.
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [value]
        return [_as_list(v) for v in value] if isinstance(value, list) else value

    def label_groups(self) -> list[list[str]]:
        """Expected labels as groups, each satisfied by one match: cites one per label, cites_any one."""
        return [[label] for label in self.cites or []] + ([self.cites_any] if self.cites_any else [])

    def mention_groups(self) -> list[list[str]]:
        return [[m] for m in self.mentions or []] + list(self.mentions_any or [])


class Case(_Strict):
    """One suite case: a question, optional earlier turns and facts, and what the answer must show."""

    id: str = Field(description="Unique id within the suite")
    kind: Kind = Field(description="What sort of question it is")
    question: str = Field(description="The question as a user would ask it")
    expect: Expect = Field(default_factory=Expect)
    history: list[str] = Field(default_factory=list, description="Earlier user questions, oldest first")
    facts: dict[str, str] = Field(default_factory=dict, description="Slot id -> value set by the user")


class Suite(_Strict):
    path: str = Field(description="Where the suite was loaded from")
    cases: list[Case]


def load_suite(path: Path) -> Suite:
    """Read and validate a suite; errors name the case and the bad key, nothing passes silently."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read suite {path}: {exc}", "pass a YAML suite with --suite") from exc
    if not isinstance(raw, dict) or raw.get("version") != 1:
        version = raw.get("version") if isinstance(raw, dict) else None
        raise InputError(f"{path}: unsupported suite version {version!r}", "start the suite with `version: 1`")
    if not isinstance(raw.get("cases"), list) or set(raw) - {"version", "cases"}:
        raise InputError(f"{path}: a suite has exactly `version` and a `cases` list", "see eval/golden.yaml")
    cases, seen = [], set()
    for i, item in enumerate(raw["cases"]):
        name = item.get("id", f"#{i + 1}") if isinstance(item, dict) else f"#{i + 1}"
        try:
            case = Case.model_validate(item)
        except ValidationError as exc:
            hint = f"kinds: {', '.join(get_args(Kind))}; expect keys: {', '.join(Expect.model_fields)}"
            raise InputError(f"{path}: case {name!r}: {_explain(exc)}", hint) from exc
        if case.id in seen:
            raise InputError(f"{path}: case {case.id!r} appears twice", "give every case its own id")
        seen.add(case.id)
        cases.append(case)
    return Suite(path=str(path), cases=cases)


def _explain(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(part) for part in err["loc"])
    return f"unknown key {where!r}" if err["type"] == "extra_forbidden" else f"{where}: {err['msg']}"


# ---- checking one answer -----------------------------------------------------------------------


def norm(text: str) -> str:
    """Case-insensitive, whitespace-collapsed form used for every text match."""
    return " ".join(text.split()).casefold()


def _cited(wanted: str, labels: Iterable[str]) -> bool:
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


def first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s+|\n", text.strip(), maxsplit=1)[0]


def _check_lead(want: list[str], a: Answer) -> list[str]:
    lead = norm(first_sentence(a.answer))
    return [] if any(norm(w) in lead for w in want) else [f"lead: none of {want} in the first sentence {lead[:80]!r}"]


def _labels(a: Answer) -> list[str]:
    return list(dict.fromkeys(c.label for c in a.citations))


def _check_cites(want: list[str], a: Answer) -> list[str]:
    labels = _labels(a)
    return [f"cites: no citation matches {w!r} (cited: {labels})" for w in want if not _cited(w, labels)]


def _check_cites_any(want: list[str], a: Answer) -> list[str]:
    labels = _labels(a)
    return [] if any(_cited(w, labels) for w in want) else [f"cites_any: none of {want} cited (cited: {labels})"]


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
    slot_accuracy: dict[str, Ratio] = Field(default_factory=dict, description="Expected frame values found, per slot")
    slot_precision: dict[str, Ratio] = Field(default_factory=dict, description="Same, over slots the reader filled")
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None


class Run(BaseModel):
    """A whole graded run: what run.json holds."""

    name: str = Field(description="Which system answered, e.g. 'redlines' or 'naive'")
    suite: str
    timestamp: str
    corpus_version: str
    rows: list[CaseResult]
    metrics: Metrics

    @property
    def failures(self) -> list[CaseResult]:
        return [r for r in self.rows if not r.passed]


def run_suite(
    answer_fn: AnswerFn,
    suite: Suite,
    retriever: Searcher | None = None,
    progress: bool = False,
    *,
    passages: Mapping[str, Passage] | None = None,
    name: str = "redlines",
) -> Run:
    """Every case through `answer_fn` (history and facts passed on); retrieval recall from `retriever`."""
    rows, version = [], ""
    for case in tqdm(suite.cases, desc=f"eval {name}", unit="case", disable=not progress):
        row, answer = run_case(answer_fn, case, retriever, passages)
        rows.append(row)
        version = version or (answer.corpus_version if answer else "")
    return Run(
        name=name, suite=suite.path, timestamp=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        corpus_version=version, rows=rows, metrics=compute_metrics(suite.cases, rows),
    )


# ---- metrics: plain functions (case, row) -> Score | None, summed over the run ---------------------


Score = tuple[int, int]  # (hits, total) for one case


def _groups_met(groups: list[list[str]], labels: list[str] | None) -> Score | None:
    if not groups or labels is None:
        return None
    return sum(any(_cited(w, labels) for w in g) for g in groups), len(groups)


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
    lead = norm(first_sentence(row.answer))
    return int(any(norm(w) in lead for w in case.expect.lead)), 1


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


# ---- comparing with a baseline -----------------------------------------------------------------


class Delta(BaseModel):
    before: float | None
    after: float | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def change(self) -> float | None:
        return None if self.before is None or self.after is None else self.after - self.before


class Comparison(BaseModel):
    """What got better and worse against an earlier run."""

    baseline: str = Field(description="Timestamp and suite of the baseline run")
    deltas: dict[str, Delta]
    newly_passing: list[str]
    newly_failing: list[str]
    added: list[str] = Field(default_factory=list, description="Case ids not in the baseline")
    removed: list[str] = Field(default_factory=list, description="Baseline case ids no longer in the run")


def compare(run: Run, baseline: Run) -> Comparison:
    before, after = headline(baseline.metrics), headline(run.metrics)
    old = {r.id: r.passed for r in baseline.rows}
    new = {r.id: r.passed for r in run.rows}
    return Comparison(
        baseline=f"{baseline.timestamp} ({baseline.suite})",
        deltas={k: Delta(before=before.get(k), after=after.get(k)) for k in dict.fromkeys([*after, *before])},
        newly_passing=[i for i, ok in new.items() if ok and old.get(i) is False],
        newly_failing=[i for i, ok in new.items() if not ok and old.get(i) is True],
        added=[i for i in new if i not in old],
        removed=[i for i in old if i not in new],
    )


def load_run(path: Path) -> Run:
    try:
        return Run.model_validate_json(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValidationError) as exc:
        raise InputError(f"cannot read baseline run {path}: {exc}", "pass a run.json written by --report") from exc


# ---- the command -------------------------------------------------------------------------------


def summary(run: Run, naive: Run | None = None, comparison: Comparison | None = None) -> dict[str, Any]:
    """The machine-readable summary printed by --json."""
    out: dict[str, Any] = {
        "suite": run.suite, "corpus_version": run.corpus_version, "cases": len(run.rows),
        "passed": run.metrics.pass_rate.hits, "pass_rate": run.metrics.pass_rate.rate,
        "metrics": run.metrics.model_dump(mode="json"),
        "failures": [{"id": r.id, "question": r.question, "reasons": r.reasons} for r in run.failures],
    }
    if naive is not None:
        out["naive"] = {"passed": naive.metrics.pass_rate.hits, "pass_rate": naive.metrics.pass_rate.rate,
                        "metrics": naive.metrics.model_dump(mode="json")}
    if comparison is not None:
        out["comparison"] = comparison.model_dump(mode="json")
    return out


def main(args: argparse.Namespace, settings: Settings, assistant: Any = None) -> int:
    """`redlines eval`: 1 when the pass rate is below --min-pass, else 0. `assistant` is a seam for tests."""
    from assistant.report import render_markdown, write_report

    suite = load_suite(Path(args.suite) if args.suite else DEFAULT_SUITE)
    baseline = load_run(Path(args.baseline)) if args.baseline else None  # fail before the long run
    progress = not (args.quiet or args.json)
    if assistant is None:
        from assistant.pipeline import Assistant

        assistant = Assistant(settings)
    retriever = assistant.retriever  # opens the index now: a missing index is one clear error
    run = run_suite(assistant.ask, suite, retriever, progress, passages=retriever.index.passages)
    naive = None
    if args.with_naive or args.report:
        from assistant.naive import NaiveRAG

        rag = NaiveRAG(settings)
        naive = run_suite(rag.ask, suite, rag, progress, passages=rag.passages, name="naive")
    comparison = compare(run, baseline) if baseline else None
    if args.report:
        write_report(Path(args.report), run, naive, comparison)
    if args.json:
        print(json.dumps(summary(run, naive, comparison), ensure_ascii=False, indent=2))
    else:
        print(render_markdown(run, naive, comparison))
    rate = run.metrics.pass_rate.rate or 0.0
    return 1 if args.min_pass is not None and rate < args.min_pass else 0
