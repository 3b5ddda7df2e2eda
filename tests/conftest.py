"""Shared fixtures. The real model and a real index are built once per session in a temp dir."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from assistant.config import PROJECT_DIR, Settings
from assistant.index import ingest
from assistant.pipeline import Assistant

REFERENCES = PROJECT_DIR.parent / "shared" / "sources"
CORPUS = PROJECT_DIR / "corpus"


@pytest.fixture
def fake_embeddings() -> DeterministicFakeEmbedding:
    """langchain-core's fake: deterministic vectors, no model load (for index mechanics)."""
    return DeterministicFakeEmbedding(size=32)


@pytest.fixture
def tmp_settings(tmp_path: Path) -> Settings:
    """Settings with a private data dir and a private copy of the corpus (tests may edit it)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for f in CORPUS.glob("*.md"):
        (corpus / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    return Settings(data_dir=tmp_path / "data", corpus_dir=corpus)


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """An index over the real corpus with the real bundled model, built once per session."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("redlines-data"))
    ingest(settings)
    return settings


@pytest.fixture(scope="session")
def assistant(real_settings: Settings) -> Assistant:
    """A warm Assistant over the real index (offline extractive composer)."""
    return Assistant(real_settings)
