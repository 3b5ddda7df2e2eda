"""Chroma: embedded in the data dir or a server (`REDLINES_CHROMA_URL`), and `chroma run` on this machine."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from assistant.config import Settings

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings
    from langchain_core.vectorstores import VectorStore


class ChromaBackend:
    """A Chroma client (embedded in the data dir, or a server) that hands out langchain stores."""

    def __init__(self, settings: Settings) -> None:
        import chromadb

        if settings.chroma_url:
            url = urlparse(settings.chroma_url)
            self.client = chromadb.HttpClient(
                host=url.hostname or "127.0.0.1", port=url.port or 8000, ssl=url.scheme == "https",
                settings=chromadb.config.Settings(anonymized_telemetry=False),
            )
        else:
            path = settings.data_dir / "chroma"
            path.mkdir(parents=True, exist_ok=True)
            self.client = chromadb.PersistentClient(
                path=str(path), settings=chromadb.config.Settings(anonymized_telemetry=False)
            )

    def store(self, name: str, embeddings: Embeddings) -> VectorStore:
        """A langchain Chroma store over collection `name` (cosine distance), created if missing.

        Our embeddings are always passed: Chroma's default embedding function would download a model.
        """
        from assistant.backends.chroma_store import ChromaStore

        return ChromaStore(
            client=self.client,
            collection_name=name,
            embedding_function=embeddings,
            collection_metadata={"hnsw:space": "cosine"},
        )

    def names(self) -> list[str]:
        return [c if isinstance(c, str) else c.name for c in self.client.list_collections()]

    def drop(self, name: str) -> None:
        self.client.delete_collection(name)


CHROMA = Path(sys.executable).with_name("chroma")  # installed with chromadb


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@contextmanager
def chroma_server(path: Path, timeout: float = 90.0) -> Iterator[str]:
    """A local `chroma run` over the data in `path` (created if missing), on a free port of
    127.0.0.1; yields its URL (for REDLINES_CHROMA_URL) and stops the server on exit."""
    port = _free_port()
    path.parent.mkdir(parents=True, exist_ok=True)
    log = (path.parent / f"{path.name}.log").open("w")
    server = subprocess.Popen(
        [str(CHROMA), "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(path)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while not _ready(url):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chroma run did not come up on {url}; see {log.name}")
            time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
