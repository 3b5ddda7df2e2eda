"""The benchmark (`make bench`): ours beside the plain LangChain baseline, on this machine, in one run.

Prints one JSON object on stdout and a readable table on stderr; exits 1 when a target is missed.
Figures: ingest of the shipped corpus (seconds, passages/s, share of time outside the embedding
model), cold start to the first answer (new process, median of 5, peak RSS), warm `ask` p50/p95
over the golden questions, search p50/p95 and recall@5 on the retrieval sets, and retrieval p50/p95 on
synthetic corpora of 10k and 100k passages (exact in-process vectors + BM25, Chroma embedded, and a
local `chroma run` server started and stopped here). `--smoke` runs every part on tiny inputs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from typing import Any

from assistant.backends import export_dir, export_onnx, make_embeddings, make_reference_embeddings
from assistant.config import Settings
from assistant.index import ingest
from assistant.naive import NaiveRAG
from assistant.pipeline import Assistant
from bench_corpus import (
    COLD_QUESTION, TimedEmbeddings, cold_start, golden_questions, reingest_cli, retrieval_sets, search_and_recall, warm_ask,
)
from bench_report import check_targets, render_table
from bench_scale import Sizer

SIZES = (10_000, 100_000)


def _progress(part: str) -> None:
    print(f"[bench] {part} measured at {time.strftime('%H:%M:%S')}", file=sys.stderr, flush=True)


def _fresh(settings: Settings, smoke: bool) -> tuple[Settings, float | None]:
    """An empty data dir for a from-scratch ingest, with the ONNX export made in it (timed: torch
    is imported and the model traced) or, for a smoke run, copied with the cached vectors."""
    fresh = settings.model_copy(update={"data_dir": settings.data_dir / "bench" / "shipped"})
    shutil.rmtree(fresh.data_dir, ignore_errors=True)
    if smoke:
        shutil.copytree(export_dir(settings), export_dir(fresh))
        for cache in [*settings.data_dir.glob("*.npz"), *settings.data_dir.glob("*.npy")]:  # vectors, banks
            shutil.copy(cache, fresh.data_dir / cache.name)
        return fresh, None
    start = time.perf_counter()
    export_onnx(fresh)
    return fresh, round(time.perf_counter() - start, 1)


def _load(factory) -> tuple[Any, float]:
    start = time.perf_counter()
    model = factory()
    model.embed_query("warm up")  # the ONNX session loads on first use
    return model, round(time.perf_counter() - start, 2)


def _ingest_figures(report_seconds: float, embed_seconds: float, passages: int, load_s: float) -> dict[str, Any]:
    return {"seconds": round(report_seconds, 2), "passages": passages,
            "passages_per_s": round(passages / report_seconds, 1), "model_load_s": load_s,
            "embedding_s": round(embed_seconds, 2), "outside_model_share": round(1 - embed_seconds / report_seconds, 3)}


def shipped_corpus(settings: Settings, args: argparse.Namespace) -> tuple[dict[str, Any], Any, Any, list]:
    """Ingest, cold start, warm latency, search latency and recall@5 on the shipped corpus; also
    returns the two models and our passages for the scale part."""
    fresh, export_s = _fresh(settings, args.smoke)
    ours_model, ours_load = _load(lambda: make_embeddings(fresh))
    timed_ours = TimedEmbeddings(ours_model)
    report = ingest(fresh, embeddings=timed_ours)
    reference, ref_load = _load(lambda: make_reference_embeddings(fresh))
    timed_ref = TimedEmbeddings(reference)
    start = time.perf_counter()
    rag = NaiveRAG(fresh, embeddings=timed_ref)
    rag_seconds = time.perf_counter() - start
    out: dict[str, Any] = {"ingest": {
        "ours": {**_ingest_figures(report.seconds, timed_ours.seconds, report.passages, ours_load),
                 "onnx_export_s": export_s, "no_change_reingest_cli_s": reingest_cli(fresh)},
        "baseline": _ingest_figures(rag_seconds, timed_ref.seconds, len(rag.passages), ref_load),
    }}
    _progress("ingest")
    out["cold_start"] = cold_start(fresh, args.cold_runs, args.question)
    _progress("cold start")
    # as `redlines ask` runs it: models handed in would stand in for the tuned copies too
    assistant = Assistant(fresh)
    out["warm_ask"] = warm_ask(assistant.ask, golden_questions(args.questions))
    corpus = assistant.retriever.index.passages
    sets = retrieval_sets(args.questions)
    out["retrieval"] = {"ours": search_and_recall(assistant.retriever.search, sets, corpus),
                        "baseline": search_and_recall(rag.search, sets, corpus)}
    _progress("warm latency and recall")
    return out, ours_model, reference, list(corpus.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny inputs: checks that every part runs")
    parser.add_argument("--sizes", type=int, nargs="+", default=None, help=f"synthetic corpus sizes (default {SIZES})")
    parser.add_argument("--no-server", action="store_true", help="skip the `chroma run` figures")
    parser.add_argument("--question", default=COLD_QUESTION, help="the question of the cold-start runs")
    args = parser.parse_args(argv)
    args.cold_runs, args.questions = (1, 12) if args.smoke else (5, None)
    sizes = args.sizes or ((300,) if args.smoke else SIZES)
    start = time.perf_counter()
    settings = Settings()
    result, ours, reference, passages = shipped_corpus(settings, args)
    queries = [q["query"] for rows in retrieval_sets(args.questions).values() for q in rows][: 24 if args.smoke else 100]
    sizer = Sizer(settings, passages, ours, reference, queries)
    result["scale"] = {}
    for n in sizes:
        result["scale"][str(n)] = sizer.measure(n, server=not args.no_server and n == max(sizes))
        _progress(f"synthetic corpus of {n}")
    result["bench_s"] = round(time.perf_counter() - start, 1)
    # Other work on the machine slows every figure: say how busy it was.
    result["cpus"], result["load_average"] = os.cpu_count(), [round(x, 2) for x in os.getloadavg()]
    result["targets"] = check_targets(result, max(sizes))
    print(render_table(result), file=sys.stderr)
    print(json.dumps(result, indent=2))
    return 0 if args.smoke or all(t["met"] for t in result["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
