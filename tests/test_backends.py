"""Tests for assistant/backends.py: the ONNX export serves the query path without torch, its vectors
match sentence-transformers', and a missing, stale or damaged export is an index error with a hint
that `redlines ingest` repairs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from assistant.backends import (
    OnnxEmbeddings, export_dir, export_problem, make_embeddings, make_reference_embeddings,
)
from assistant.chunking import chunk_corpus
from assistant.cli import main
from assistant.config import PROJECT_DIR, Settings
from assistant.corpus import load_documents
from assistant.errors import IndexMissingError, IndexStaleError
from assistant.index import ingest

QUERIES = [q["query"] for q in yaml.safe_load(
    (PROJECT_DIR / "tests" / "data" / "retrieval_queries.yaml").read_text(encoding="utf-8"))["queries"]][:50]
QUESTION = "We crawl social media for faces to build a searchable face database; is that allowed?"
HEAVY = ("torch", "transformers", "sentence_transformers", "langchain_huggingface", "chromadb", "langchain_chroma", "bm25s", "scipy")


@pytest.fixture(scope="module")
def reference(real_settings: Settings):
    return make_reference_embeddings(real_settings)


@pytest.fixture
def copied(real_settings: Settings, tmp_path: Path) -> Settings:
    """A copy of the real data dir (index, embedding cache, ONNX export) that a test may damage."""
    shutil.copytree(real_settings.data_dir, tmp_path / "data")
    return real_settings.model_copy(update={"data_dir": tmp_path / "data"})


def _cosines(a: list[list[float]], b: list[list[float]]) -> np.ndarray:
    x, y = np.asarray(a), np.asarray(b)
    return (x * y).sum(axis=1) / (np.linalg.norm(x, axis=1) * np.linalg.norm(y, axis=1))


@pytest.mark.slow
def test_onnx_vectors_match_sentence_transformers_on_the_corpus_passages(real_settings, reference):
    texts = [p.embedding_text() for p in chunk_corpus(load_documents(real_settings.corpus_dir))]
    ours = make_embeddings(real_settings).embed_documents(texts)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)  # normalised: cosine is a dot product
    assert _cosines(ours, reference.embed_documents(texts)).min() >= 0.999


@pytest.mark.slow
def test_onnx_vectors_match_on_50_queries_one_by_one_and_batched(real_settings, reference):
    model = make_embeddings(real_settings)
    one_by_one = [model.embed_query(q) for q in QUERIES]
    assert len(QUERIES) == 50
    assert _cosines(one_by_one, [reference.embed_query(q) for q in QUERIES]).min() >= 0.999
    # Batches are sorted by length and padded: neither the order nor the padding may change a vector.
    assert _cosines(model.embed_documents(QUERIES), one_by_one).min() >= 0.99999
    assert model.embed_documents([]) == []


@pytest.mark.slow
def test_the_query_path_imports_neither_torch_nor_chromadb(real_settings):
    code = (
        "import json, sys\nfrom assistant.cli import main\n"
        f"code = main(['ask', {QUESTION!r}])\n"
        f"print(json.dumps({{'code': code, 'heavy': [m for m in {HEAVY!r} if m in sys.modules]}}))\n"
    )
    env = {**os.environ, "REDLINES_DATA_DIR": str(real_settings.data_dir)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"code": 0, "heavy": []}


def test_a_no_change_ingest_opens_neither_chroma_nor_the_pipeline(real_settings):
    # embedded, the query path reads the saved vectors and trusts the manifest for its collection
    code = (
        "import json, sys\nfrom assistant.cli import main\n"
        "code = main(['ingest', '--quiet'])\n"
        "heavy = [m for m in ('chromadb', 'torch', 'assistant.pipeline', 'langchain_core.retrievers') if m in sys.modules]\n"
        "print(json.dumps({'code': code, 'heavy': heavy}))\n"
    )
    env = {**os.environ, "REDLINES_DATA_DIR": str(real_settings.data_dir)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"code": 0, "heavy": []}


def test_a_missing_export_is_reported_by_ask_with_a_hint(tmp_settings, fake_embeddings, monkeypatch, capsys):
    with pytest.raises(IndexMissingError, match="ONNX export") as err:
        make_embeddings(tmp_settings)
    assert "redlines ingest" in err.value.hint
    ingest(tmp_settings, embeddings=fake_embeddings)  # an index, but no export
    monkeypatch.setenv("REDLINES_DATA_DIR", str(tmp_settings.data_dir))
    monkeypatch.setenv("REDLINES_CORPUS_DIR", str(tmp_settings.corpus_dir))
    assert main(["ask", QUESTION]) == 3
    err_text = capsys.readouterr().err
    assert "no ONNX export" in err_text and "hint: run `redlines ingest`" in err_text and "Traceback" not in err_text


@pytest.mark.slow
def test_a_stale_export_is_reported_by_ask_and_rebuilt_by_ingest(copied, monkeypatch, capsys):
    meta = export_dir(copied) / "export.json"
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "format": "0"}))
    assert "format changed" in export_problem(copied)
    monkeypatch.setenv("REDLINES_DATA_DIR", str(copied.data_dir))
    assert main(["ask", QUESTION]) == 3
    err_text = capsys.readouterr().err
    assert "out of date" in err_text and "hint: run `redlines ingest`" in err_text
    with pytest.raises(IndexStaleError):
        make_embeddings(copied)

    report = ingest(copied)
    assert not report.rebuilt and "embedding model exported to ONNX (export format changed" in report.reason
    assert export_problem(copied) == ""
    assert main(["ask", QUESTION]) == 0
    assert "ONNX" not in ingest(copied).reason  # a fresh export is kept


def test_an_export_of_another_model_setting_lives_elsewhere(tmp_settings):
    other = tmp_settings.model_copy(update={"embedding_model": "some/other-model"})
    assert export_dir(other) != export_dir(tmp_settings)
    assert export_dir(other).parent == export_dir(tmp_settings).parent == tmp_settings.data_dir / "onnx"


@pytest.mark.slow
def test_a_damaged_export_gives_advice_not_a_traceback(copied):
    (export_dir(copied) / "model.onnx.data").write_bytes(b"not weights")
    with pytest.raises(IndexStaleError) as err:
        OnnxEmbeddings(export_dir(copied)).embed_query("hello")
    assert "redlines ingest" in err.value.hint
    (export_dir(copied) / "tokenizer.json").unlink()
    assert "tokenizer.json missing" in export_problem(copied)
