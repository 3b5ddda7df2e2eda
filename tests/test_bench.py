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

QUESTION = "When may the police process biometric data under Article 10 of the LED?"  # answerable from the LED


@pytest.mark.slow
def test_the_bench_smoke_run_reports_every_figure(real_settings: Settings, tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(PROJECT_DIR / "corpus" / "led.md", corpus / "led.md")  # the smallest document: a quick run
    data = Settings(data_dir=tmp_path / "data", corpus_dir=corpus)
    shutil.copytree(export_dir(real_settings), export_dir(data))  # the smoke run copies the export
    env = {**os.environ, "REDLINES_DATA_DIR": str(data.data_dir), "REDLINES_CORPUS_DIR": str(corpus)}
    done = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "eval" / "bench.py"), "--smoke", "--sizes", "150", "400", "--question", QUESTION],
        env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)

    ingest = result["ingest"]
    assert ingest["ours"]["passages"] > 0 and ingest["baseline"]["passages"] > 0
    assert result["cold_start"]["question"] == QUESTION
    assert 0 <= ingest["ours"]["outside_model_share"] <= 1
    for side in ("ours", "baseline"):
        assert result["cold_start"][side]["median_s"] > 0 and result["cold_start"][side]["peak_rss_mb"] > 0
        assert result["warm"][side]["ask_ms"]["p50"] <= result["warm"][side]["ask_ms"]["p95"]
    assert set(result["recall_at_5"]) == {"retrieval_queries", "blind_retrieval"}
    assert all(0 <= r["ours"] <= 1 and 0 <= r["baseline"] <= 1 for r in result["recall_at_5"].values())

    assert set(result["scale"]) == {"150", "400"}
    small, large = result["scale"]["150"], result["scale"]["400"]
    assert "chroma_server" in large and "chroma_server" not in small  # the server serves the largest size
    assert large["chroma_server"]["url"].startswith("http://127.0.0.1:")
    for figures in (large, large["exact"], large["chroma_embedded"], large["chroma_server"]):
        assert all(figures[k]["p50"] > 0 for k in figures if k.endswith("_ms"))
    assert 90 <= large["mean_words"] <= 140  # about 150 tokens

    assert set(result["targets"]) >= {"cold_start_s<=2.5", "warm_ask_p50_ms<=50", "hybrid_search_p50_ms_at_400<=30"}
    assert "| Figure | Ours | Baseline | Ours/baseline | Target |" in done.stderr
