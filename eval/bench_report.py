"""The benchmark's targets (from issue 9) and its readable table."""

from __future__ import annotations

from typing import Any

Row = tuple[str, Any, Any, str]  # figure, ours, baseline, target


def check_targets(r: dict[str, Any], largest: int) -> dict[str, dict[str, Any]]:
    """Each target with the measured value and whether it is met."""
    scale = r["scale"][str(largest)]
    pairs = {
        "cold_start_s<=2.5": (r["cold_start"]["ours"]["median_s"], 2.5),
        "cold_start_rss_mb<=400": (r["cold_start"]["ours"]["peak_rss_mb"], 400),
        "warm_ask_p50_ms<=50": (r["warm_ask"]["ask_ms"]["p50"], 50),
        "warm_ask_p95_ms<=150": (r["warm_ask"]["ask_ms"]["p95"], 150),
        "ingest_outside_model_share<=0.10": (r["ingest"]["ours"]["outside_model_share"], 0.10),
        "no_change_reingest_cli_s<=3": (r["ingest"]["ours"]["no_change_reingest_cli_s"], 3.0),
        f"hybrid_search_p50_ms_at_{largest}<=30": (scale["hybrid_ms"]["p50"], 30),
        "bench_s<=600": (r["bench_s"], 600),
    }
    return {name: {"value": value, "limit": limit, "met": value <= limit} for name, (value, limit) in pairs.items()}


def _pct(d: dict[str, float] | None) -> str:
    return f"{d['p50']:g} / {d['p95']:g}" if d else "–"


def _ratio(ours: Any, baseline: Any) -> str:
    if isinstance(ours, dict) and isinstance(baseline, dict):
        ours, baseline = ours["p50"], baseline["p50"]
    if isinstance(ours, (int, float)) and isinstance(baseline, (int, float)) and baseline:
        return f"{ours / baseline:.2f}"
    return "–"


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    return _pct(value) if isinstance(value, dict) else f"{value:g}" if isinstance(value, (int, float)) else str(value)


def _corpus_rows(r: dict[str, Any]) -> list[Row]:
    ours_i, base_i = r["ingest"]["ours"], r["ingest"]["baseline"]
    ours_c, base_c = r["cold_start"]["ours"], r["cold_start"]["baseline"]
    warm, ours_r, base_r = r["warm_ask"], r["retrieval"]["ours"], r["retrieval"]["baseline"]
    rows: list[Row] = [
        ("Ingest, shipped corpus (s)", ours_i["seconds"], base_i["seconds"], ""),
        ("Ingest passages/s", ours_i["passages_per_s"], base_i["passages_per_s"], ""),
        ("Ingest time outside the embedding model", ours_i["outside_model_share"], base_i["outside_model_share"], "<= 0.10"),
        ("Embedding model load (s)", ours_i["model_load_s"], base_i["model_load_s"], ""),
        ("ONNX export, once per model (s)", ours_i["onnx_export_s"], "–", ""),
        ("No-change re-ingest, new process (s)", ours_i["no_change_reingest_cli_s"], "–", "< 3"),
        (f"Cold start to first answer, median of {ours_c['runs']} (s)", ours_c["median_s"], base_c["median_s"], "<= 2.5"),
        ("Cold start CPU time, user + system, median (s)", ours_c["median_cpu_s"], base_c["median_cpu_s"], ""),
        ("Cold start peak RSS (MB)", ours_c["peak_rss_mb"], base_c["peak_rss_mb"], "<= 400"),
        (f"Warm ask p50 / p95 (ms), {warm['questions']} golden questions", warm["ask_ms"], "–", "50 / 150"),
        (f"Warm search p50 / p95 (ms), {ours_r['queries']} retrieval-set queries", ours_r["search_ms"], base_r["search_ms"], ""),
    ]
    for name, score in ours_r["sets"].items():
        rows.append((f"Recall@5 / MRR@10, {name}", f"{score['recall_at_5']:g} / {score['mrr']:g}",
                     f"{base_r['sets'][name]['recall_at_5']:g} / {base_r['sets'][name]['mrr']:g}", ""))
    return rows


def _scale_rows(n: str, s: dict[str, Any]) -> list[Row]:
    emb, srv = s["chroma_embedded"], s.get("chroma_server")
    rows: list[Row] = [
        (f"{n}: hybrid search p50 / p95 (ms) [baseline: its Chroma top-4 search]", s["hybrid_ms"], s["baseline_search_ms"], "p50 <= 30"),
        (f"{n}:   query embedding / BM25 p50 / p95 (ms)", f"{_pct(s['embed_query_ms'])}; {_pct(s['bm25_ms'])}", "", ""),
        (f"{n}:   dense (ours), unfiltered; filtered (ms)", f"{_pct(s['dense']['dense_ms'])}; {_pct(s['dense']['dense_filtered_ms'])}", "", ""),
        (f"{n}:   dense exact at any size, unfiltered; filtered (ms)", f"{_pct(s['exact']['dense_ms'])}; {_pct(s['exact']['dense_filtered_ms'])}", "", ""),
        (f"{n}: hybrid over Chroma embedded (the old path) (ms)", emb["hybrid_ms"], "", ""),
        (f"{n}:   Chroma embedded dense, unfiltered; filtered (ms)", f"{_pct(emb['dense_ms'])}; {_pct(emb['dense_filtered_ms'])}", "", ""),
    ]
    if srv:
        rows += [
            (f"{n}: hybrid over `chroma run` server (ms)", srv["hybrid_ms"], "", ""),
            (f"{n}:   server dense, unfiltered; filtered (ms)", f"{_pct(srv['dense_ms'])}; {_pct(srv['dense_filtered_ms'])}", "", ""),
        ]
    built = lambda seconds: "cached" if seconds is None else f"{seconds:g}"  # noqa: E731
    builds = f"BM25 {built(s['bm25_build_s'])}, Chroma {built(emb['build_s'])}"
    return rows + [(f"{n}: index builds (s)", builds, "", "")]


def render_table(r: dict[str, Any]) -> str:
    rows = _corpus_rows(r) + [row for n, s in r["scale"].items() for row in _scale_rows(n, s)]
    lines = ["| Figure | Ours | Baseline | Ours/baseline | Target |", "|---|---|---|---|---|"]
    for name, ours, baseline, target in rows:
        lines.append(f"| {name} | {_cell(ours)} | {_cell(baseline) if baseline != '' else ''} | {_ratio(ours, baseline)} | {target} |")
    missed = [name for name, t in r["targets"].items() if not t["met"]]
    load = ", ".join(f"{x:g}" for x in r["load_average"])
    lines.append(f"\nBench took {r['bench_s']:g} s on {r['cpus']} CPUs, load average {load} (1, 5, 15 min) at the end."
                 f" Targets missed: {', '.join(missed) or 'none'}.")
    return "\n".join(lines)
