"""Evaluation: run a golden-question suite through an answerer, grade each case, and summarise.

`suite` (the case format), `grading` (one case -> one row), `metrics` (rows -> numbers), `run`
(a whole run, baselines, the command).
"""

from assistant.evaluation.grading import CaseResult, check_case, first_sentence, frame_of, quote_verified, run_case
from assistant.evaluation.metrics import Metrics, Ratio, compute_metrics, flat_metrics, headline, percentile
from assistant.evaluation.run import Comparison, Run, compare, load_run, main, run_suite, summary
from assistant.evaluation.suite import DEFAULT_SUITE, Case, Expect, Suite, load_suite

__all__ = [
    "DEFAULT_SUITE", "Case", "CaseResult", "Comparison", "Expect", "Metrics", "Ratio", "Run", "Suite", "check_case",
    "compare", "compute_metrics", "first_sentence", "flat_metrics", "frame_of", "headline", "load_run", "load_suite",
    "main", "percentile", "quote_verified", "run_case", "run_suite", "summary",
]
