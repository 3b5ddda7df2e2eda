"""CI gate: the golden suite must pass at the agreed rate (0.95), with every quote verifiable."""

from __future__ import annotations

import pytest

from assistant.config import PROJECT_DIR
from assistant.evaluation import load_suite, run_suite

MIN_PASS = 0.95


@pytest.mark.slow
def test_golden_suite_meets_the_agreed_pass_rate(assistant):
    suite = load_suite(PROJECT_DIR / "eval" / "golden.yaml")
    assert len(suite.cases) >= 120
    run = run_suite(assistant.ask, suite, assistant.retriever, passages=assistant.retriever.index.passages)
    failures = "\n".join(f"{r.id}: {r.reasons}" for r in run.failures)
    assert run.metrics.pass_rate.rate >= MIN_PASS, failures
    assert run.metrics.quote_verification.rate == 1.0
