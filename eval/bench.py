"""Benchmarks for the performance targets (run with `make bench`; not a timed test).

- warm `ask` latency p50 <= 60 ms on a 2-core machine, over the golden questions;
- a no-change re-ingest in under 3 s (timed in-process and as a fresh `redlines ingest`).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

from assistant.config import Settings
from assistant.index import ingest
from assistant.pipeline import Assistant

TARGET_ASK_P50_MS = 60.0
TARGET_REINGEST_S = 3.0


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    settings = Settings()
    ingest(settings)
    start = time.perf_counter()
    report = ingest(settings)
    reingest = time.perf_counter() - start
    assert not report.rebuilt, "the corpus changed between two ingests"
    # The same, as a user runs it: a fresh process, imports included.
    cli = Path(sys.executable).with_name("redlines")
    start = time.perf_counter()
    subprocess.run([str(cli), "ingest", "--quiet"], check=True, capture_output=True, env=os.environ.copy())
    reingest_cli = time.perf_counter() - start

    suite = yaml.safe_load((Path(__file__).parent / "golden.yaml").read_text(encoding="utf-8"))
    questions = [c["question"] for c in suite["cases"]]
    assistant = Assistant(settings)
    for q in questions[:10]:  # warm up: model, index, caches
        assistant.ask(q)
    timings = []
    for q in questions:
        t = time.perf_counter()
        assistant.ask(q)
        timings.append((time.perf_counter() - t) * 1000)
    result = {
        "questions": len(timings),
        "ask_ms": {"p50": round(statistics.median(timings), 1), "p95": round(_percentile(timings, 0.95), 1),
                   "max": round(max(timings), 1)},
        "no_change_reingest_s": round(reingest, 3),
        "no_change_reingest_cli_s": round(reingest_cli, 3),
        "targets": {"ask_p50_ms": TARGET_ASK_P50_MS, "reingest_s": TARGET_REINGEST_S},
    }
    ok = result["ask_ms"]["p50"] <= TARGET_ASK_P50_MS and reingest_cli < TARGET_REINGEST_S
    result["meets_targets"] = ok
    print(json.dumps(result, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
