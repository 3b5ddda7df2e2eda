"""Running a suite, comparing with a baseline run, and the `redlines eval` command."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, computed_field
from tqdm import tqdm

from assistant.config import Settings
from assistant.errors import InputError
from assistant.evaluation.grading import AnswerFn, CaseResult, Searcher, run_case
from assistant.evaluation.metrics import Metrics, compute_metrics, headline
from assistant.evaluation.suite import DEFAULT_SUITE, Suite, load_suite
from assistant.types import Passage

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
