"""The index against a real Chroma server (`chroma run`), selected by REDLINES_CHROMA_URL."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from assistant.backends import ChromaBackend
from assistant.config import PROJECT_DIR, Settings
from assistant.index import ingest, open_index
from assistant.retrieve import HybridRetriever

CHROMA = Path(sys.executable).parent / "chroma"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_heartbeat(url: str, server: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"chroma server exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise TimeoutError(f"chroma server at {url} did not answer within {timeout} s")


@pytest.fixture
def chroma_url(tmp_path: Path):
    assert CHROMA.exists(), f"no chroma executable next to {sys.executable}"
    port = _free_port()
    log = (tmp_path / "chroma-server.log").open("w")
    server = subprocess.Popen(
        [str(CHROMA), "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(tmp_path / "chroma-server")],
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_heartbeat(url, server)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


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
