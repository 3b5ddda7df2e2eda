"""A smoke run of the benchmark (eval/bench.py --smoke): every part runs on tiny inputs and reports
every figure, ours beside the baseline. The timings themselves are not tested."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.backends import export_dir
from assistant.config import PROJECT_DIR, Settings


@pytest.mark.slow
def test_the_bench_smoke_run_reports_every_figure(real_settings: Settings, tmp_path: Path):
    data = real_settings.model_copy(update={"data_dir": tmp_path / "data"})
    shutil.copytree(export_dir(real_settings), export_dir(data))  # the smoke run copies the export
    for cache in [*real_settings.data_dir.glob("*.npz"), *real_settings.data_dir.glob("*.npy")]:
        shutil.copy(cache, data.data_dir / cache.name)  # and the cached vectors: its ingest embeds nothing
    env = {**os.environ, "REDLINES_DATA_DIR": str(data.data_dir)}
    done = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "eval" / "bench.py"), "--smoke", "--sizes", "150", "400"],
        env=env, capture_output=True, text=True, timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)

    ingest = result["ingest"]
    assert ingest["ours"]["passages"] > 0 and ingest["baseline"]["passages"] > 0
    assert 0 <= ingest["ours"]["outside_model_share"] <= 1
    for side in ("ours", "baseline"):
        assert result["cold_start"][side]["median_s"] > 0 and result["cold_start"][side]["peak_rss_mb"] > 0
        retrieval = result["retrieval"][side]
        assert retrieval["search_ms"]["p50"] <= retrieval["search_ms"]["p95"] and retrieval["queries"] == 12 * len(retrieval["sets"])
        assert set(retrieval["sets"]) == {"retrieval_queries", "blind_retrieval", "blind4_retrieval", "blind5_retrieval", "blind6_retrieval", "blind8_retrieval"}
        assert all(0 <= s["recall_at_5"] <= 1 and 0 <= s["mrr"] <= 1 for s in retrieval["sets"].values())
    assert result["warm_ask"]["questions"] == 12 and result["warm_ask"]["ask_ms"]["p50"] > 0

    assert set(result["scale"]) == {"150", "400"}
    small, large = result["scale"]["150"], result["scale"]["400"]
    assert "chroma_server" in large and "chroma_server" not in small  # the server serves the largest size
    assert large["chroma_server"]["url"].startswith("http://127.0.0.1:")
    for figures in (large, large["dense"], large["exact"], large["chroma_embedded"], large["chroma_server"]):
        assert all(figures[k]["p50"] > 0 for k in figures if k.endswith("_ms"))
    assert 90 <= large["mean_words"] <= 140  # about 150 tokens

    assert set(result["targets"]) >= {"cold_start_s<=2.5", "warm_ask_p50_ms<=50", "hybrid_search_p50_ms_at_400<=30"}
    assert "| Figure | Ours | Baseline | Ours/baseline | Target |" in done.stderr
