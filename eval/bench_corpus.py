"""The shipped corpus: ingest, cold start, warm latency and recall@5, ours beside the plain LangChain
baseline (assistant/naive.py with sentence-transformers embeddings, as a user would build it).

Run as a script (`python eval/bench_corpus.py baseline-ask "question"`) it is the baseline's cold
start: a new process that loads the model, opens its collection and answers one question.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from langchain_core.embeddings import Embeddings

from assistant.config import PROJECT_DIR, Settings
from assistant.recall import MRR_K, RECALL_K, first_hit, load_queries
from assistant.types import Passage
from bench_scale import percentiles, timed

COLD_QUESTION = "We crawl social media for faces to build a searchable face database; is that allowed?"
GOLDEN = PROJECT_DIR / "eval" / "golden.yaml"
MEASURE = Path(__file__).with_name("bench_measure.py")
RETRIEVAL_SETS = {
    "retrieval_queries": PROJECT_DIR / "tests" / "data" / "retrieval_queries.yaml",
    "blind_retrieval": PROJECT_DIR / "eval" / "blind" / "retrieval.yaml",
    "blind4_retrieval": PROJECT_DIR / "eval" / "blind4" / "retrieval.yaml",
    "blind5_retrieval": PROJECT_DIR / "eval" / "blind5" / "retrieval.yaml",
    "blind6_retrieval": PROJECT_DIR / "eval" / "blind6" / "retrieval.yaml",
    "blind8_retrieval": PROJECT_DIR / "eval" / "blind8" / "retrieval.yaml",
}


class TimedEmbeddings(Embeddings):
    """Counts the seconds spent inside the model, to tell embedding time from everything else."""

    def __init__(self, inner: Embeddings) -> None:
        self.inner, self.seconds = inner, 0.0

    def _timed(self, fn, arg):
        start = time.perf_counter()
        try:
            return fn(arg)
        finally:
            self.seconds += time.perf_counter() - start

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._timed(self.inner.embed_documents, texts)

    def embed_query(self, text: str) -> list[float]:
        return self._timed(self.inner.embed_query, text)


def golden_questions(limit: int | None = None) -> list[str]:
    cases = yaml.safe_load(GOLDEN.read_text(encoding="utf-8"))["cases"]
    return [c["question"] for c in cases][:limit]


def retrieval_sets(limit: int | None = None) -> dict[str, list[dict]]:
    return {name: load_queries(path)[:limit] for name, path in RETRIEVAL_SETS.items()}


def search_and_recall(search, sets: dict[str, list[dict]], corpus: Mapping[str, Passage]) -> dict[str, Any]:
    """Warm search latency (p50/p95 over every query of the retrieval sets; `search(query, k)` gives
    scored passages) and recall@5 and MRR per set, judged as assistant/recall.py judges them: the
    same footing for both systems, though the baseline's chunks carry no pinpoint labels."""
    search(next(iter(sets.values()))[0]["query"], MRR_K)  # warm up
    samples, scores = [], {}
    for name, queries in sets.items():
        ranks = []
        for q in queries:
            start = time.perf_counter()
            hits = search(q["query"], MRR_K)
            samples.append((time.perf_counter() - start) * 1000)
            ranks.append(first_hit(q["expect"], hits, corpus))
        scores[name] = {"recall_at_5": round(sum(1 for r in ranks if r and r <= RECALL_K) / len(ranks), 3),
                        "mrr": round(sum(1 / r for r in ranks if r) / len(ranks), 3)}
    return {"search_ms": percentiles(samples), "queries": len(samples), "sets": scores}


def cold_runs(command: Sequence[str], env: dict[str, str], runs: int) -> dict[str, Any]:
    """Median wall seconds, median CPU seconds (user + system: what a busy machine cannot inflate
    much) and peak RSS of `command` run `runs` times, each a new process."""
    seconds, cpu, peak_kb = [], [], 0
    for _ in range(runs):
        done = subprocess.run([sys.executable, str(MEASURE), *command], env=env, capture_output=True, text=True)
        run = json.loads(done.stdout) if done.returncode == 0 else {"code": done.returncode}
        if run["code"] != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {done.stderr[-2000:]}")
        seconds.append(run["seconds"])
        cpu.append(run["cpu_seconds"])
        peak_kb = max(peak_kb, run["peak_rss_kb"])
    return {"median_s": round(statistics.median(seconds), 2), "min_s": round(min(seconds), 2),
            "median_cpu_s": round(statistics.median(cpu), 2), "peak_rss_mb": round(peak_kb / 1024), "runs": runs}


def cold_start(settings: Settings, runs: int, question: str) -> dict[str, Any]:
    env = {**os.environ, "REDLINES_DATA_DIR": str(settings.data_dir), "REDLINES_CORPUS_DIR": str(settings.corpus_dir)}
    ours = cold_runs([str(Path(sys.executable).with_name("redlines")), "ask", question], env, runs)
    baseline = cold_runs([sys.executable, str(Path(__file__)), "baseline-ask", question], env, runs)
    return {"question": question, "ours": ours, "baseline": baseline}


def reingest_cli(settings: Settings) -> float:
    """A no-change `redlines ingest` in a new process, imports included."""
    env = {**os.environ, "REDLINES_DATA_DIR": str(settings.data_dir), "REDLINES_CORPUS_DIR": str(settings.corpus_dir)}
    start = time.perf_counter()
    subprocess.run([str(Path(sys.executable).with_name("redlines")), "ingest", "--quiet"], check=True,
                   capture_output=True, env=env)
    return round(time.perf_counter() - start, 2)


def warm_ask(ask, questions: list[str]) -> dict[str, Any]:
    """p50/p95 of answering each question in a warm process. A question whose answer raises is
    timed up to the error and counted, with the first error kept."""
    errors: list[str] = []

    def answer(question: str) -> None:
        try:
            ask(question)
        except Exception as exc:  # noqa: BLE001 - recorded in the result, never hidden
            errors.append(f"{question!r}: {type(exc).__name__}: {exc}"[:300])

    for q in questions[:10]:  # warm up: model, index, caches
        answer(q)
    errors.clear()
    return {"ask_ms": timed(answer, questions), "questions": len(questions), "errors": len(errors),
            "first_error": errors[0] if errors else None}


def _baseline_ask(question: str) -> None:
    from assistant.backends import make_reference_embeddings
    from assistant.naive import NaiveRAG

    settings = Settings()
    NaiveRAG(settings, embeddings=make_reference_embeddings(settings)).ask(question)


if __name__ == "__main__":
    if sys.argv[1:2] != ["baseline-ask"] or len(sys.argv) != 3:
        sys.exit("usage: bench_corpus.py baseline-ask QUESTION")
    _baseline_ask(sys.argv[2])
