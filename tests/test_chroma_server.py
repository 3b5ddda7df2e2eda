"""The index against a real Chroma server (`chroma run`), selected by REDLINES_CHROMA_URL."""

from __future__ import annotations

import shutil
import urllib.request
from pathlib import Path

import pytest

from assistant.backends import ChromaBackend, chroma_server
from assistant.config import PROJECT_DIR, Settings
from assistant.index import ingest, open_index
from assistant.retrieve import HybridRetriever


@pytest.fixture
def chroma_url(tmp_path: Path):
    """A real `chroma run` on 127.0.0.1, started and stopped by the project's own helper."""
    with chroma_server(tmp_path / "chroma-server") as url:
        yield url


@pytest.mark.slow
def test_ingest_and_search_through_a_chroma_server(tmp_path: Path, chroma_url: str, fake_embeddings):
    corpus = tmp_path / "corpus"
    shutil.copytree(PROJECT_DIR / "corpus", corpus)
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus, chroma_url=chroma_url)

    report = ingest(settings, embeddings=fake_embeddings)
    assert report.rebuilt and report.added == report.passages > 0
    assert not (settings.data_dir / "chroma").exists()  # nothing embedded on disk: the server holds it

    index = open_index(settings, embeddings=fake_embeddings)
    hits = HybridRetriever(index=index, settings=settings.retrieval).search("Article 5(1)(e)", k=5)
    assert hits[0].passage.label == "AI Act Art. 5(1)(e)" and hits[0].direct

    names = ChromaBackend(settings).names()
    assert index.manifest.collection in names
    with urllib.request.urlopen(
        f"{chroma_url}/api/v2/tenants/default_tenant/databases/default_database/collections"
    ) as response:
        assert index.manifest.collection in response.read().decode()
    assert len(index.store.get()["ids"]) == index.manifest.passages

    again = ingest(settings, embeddings=fake_embeddings)
    assert not again.rebuilt and again.embedded == 0
