"""Build and open the index: Chroma (dense) + BM25 (sparse) over the same passages.

Ingest is incremental and safe. A manifest records per-document hashes, the model and the chunker
version. Every build goes into a new collection and a new build folder; only when it is complete is
the manifest replaced (an atomic rename), which is the swap. Embeddings are cached by text, so a
rebuild re-embeds only passages whose embedded text changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np
from langchain_core.embeddings import Embeddings
from pydantic import BaseModel, Field
from tqdm import tqdm

from assistant.backends import ChromaBackend, ensure_onnx_export, make_embeddings, single_threaded_blas
from assistant.backends.tune import ensure_tuned
from assistant.chunking import CHUNKER_VERSION, chunk_corpus
from assistant.config import Settings
from assistant.corpus import corpus_version, load_documents
from assistant.errors import IndexMissingError, IndexStaleError
from assistant.labels import normalise_label
from assistant.sparse import SparseIndex
from assistant.types import Passage

if TYPE_CHECKING:
    from langchain_core.vectorstores import VectorStore

_INGEST_HINT = "run `redlines ingest` (or `make run`) to build it"
VECTORS = "vectors.npy"  # the build's vectors in passage order, for exact search in-process


class Manifest(BaseModel):
    """What the current index was built from."""

    build_id: str = Field(description="Folder under builds/ and suffix of the Chroma collection")
    collection: str = Field(description="Chroma collection holding this build's vectors")
    model: str = Field(description="Embedding model setting the vectors came from")
    chunker_version: str = Field(description="CHUNKER_VERSION at build time")
    corpus_version: str = Field(description="Hash over all documents")
    documents: dict[str, str] = Field(description="Document file name -> sha256")
    passages: int = Field(description="Number of passages indexed")
    built_at: str = Field(description="UTC timestamp of the build")


class IngestReport(BaseModel):
    """What `ingest` did, for the CLI to print."""

    documents: int
    passages: int
    added: int = 0
    changed: int = 0
    removed: int = 0
    embedded: int = Field(default=0, description="Passages that went through the model")
    rebuilt: bool = Field(default=False, description="True when a new build replaced the old one")
    reason: str = Field(default="", description="Why a build was (or was not) needed")
    seconds: float = 0.0
    corpus_version: str = ""


class CachingEmbeddings(Embeddings):
    """Embeddings with an on-disk cache keyed by text; the real model loads only on a miss."""

    def __init__(self, factory: Callable[[], Embeddings], cache_file: Path, progress: bool = False) -> None:
        self._factory, self._inner, self.cache_file, self.progress = factory, None, cache_file, progress
        self.cache: dict[str, list[float]] = {}
        self.misses = 0
        if cache_file.exists():
            data = np.load(cache_file)
            self.cache = dict(zip(data["keys"].tolist(), data["vectors"].tolist()))

    @property
    def inner(self) -> Embeddings:
        if self._inner is None:
            self._inner = self._factory()
        return self._inner

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        missing = list(dict.fromkeys(t for t in texts if self._key(t) not in self.cache))
        self.misses += len(missing)
        batches = [missing[i : i + 32] for i in range(0, len(missing), 32)]
        for batch in tqdm(batches, desc="embedding", unit="batch", disable=not self.progress or not batches):
            for text, vector in zip(batch, self.inner.embed_documents(batch)):
                self.cache[self._key(text)] = list(vector)
        return [self.cache[self._key(t)] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)

    def save(self) -> None:
        if not self.cache:
            return
        keys = list(self.cache)
        tmp = self.cache_file.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(keys), vectors=np.array([self.cache[k] for k in keys], dtype=np.float32))
        os.replace(tmp, self.cache_file)


class Index:
    """An opened, ready-to-search index. (A plain class, not a dataclass: the retriever's pydantic
    model then checks it by isinstance and never needs the langchain VectorStore type, whose import
    a no-change `redlines ingest` does without.)"""

    def __init__(self, manifest: Manifest, passages: dict[str, Passage], store: VectorStore, sparse: SparseIndex) -> None:
        self.manifest, self.passages, self.store, self.sparse = manifest, passages, store, sparse

    # Lookups the retriever needs on every question, built once per opened index (a scan of
    # 100k passages per question would cost more than the search itself).
    @cached_property
    def by_label(self) -> dict[str, list[Passage]]:
        """Passages per citation label, in corpus order."""
        out: dict[str, list[Passage]] = {}
        for p in self.passages.values():
            out.setdefault(p.label, []).append(p)
        return out

    @cached_property
    def labels_under(self) -> dict[str, list[str]]:
        """Normalised reference -> the labels it matches (labels.label_matches), in corpus order.

        A reference matches a label when it is the label's whole normalised form or the part before
        one of its '(': 'aiactart5(1)(e)' is keyed under 'aiactart5', 'aiactart5(1)' and itself.
        So resolving a reference is one look-up, not a scan of every label."""
        out: dict[str, list[str]] = {}
        for label in self.by_label:
            got = normalise_label(label)
            for key in dict.fromkeys([*(got[:i] for i, c in enumerate(got) if c == "("), got]):
                out.setdefault(key, []).append(label)
        return out

    @cached_property
    def doc_ids(self) -> dict[str, str]:
        """Instrument ('GDPR') -> the doc_id its passages carry."""
        return {p.instrument: p.doc_id for p in self.passages.values()}

    @cached_property
    def children(self) -> dict[str, list[Passage]]:
        """Passage id -> its direct children (the points under a lead-in)."""
        out: dict[str, list[Passage]] = {}
        for p in self.passages.values():
            if "/" in p.id:
                out.setdefault(p.id.rsplit("/", 1)[0], []).append(p)
        return out


def _manifest_path(settings: Settings) -> Path:
    return settings.data_dir / "manifest.json"


def read_manifest(settings: Settings) -> Manifest | None:
    path = _manifest_path(settings)
    return Manifest.model_validate_json(path.read_text()) if path.exists() else None


def _build_dir(settings: Settings, build_id: str) -> Path:
    return settings.data_dir / "builds" / build_id


def _read_passages(folder: Path) -> dict[str, Passage]:
    rows = json.loads((folder / "passages.json").read_text(encoding="utf-8"))
    return {row["id"]: Passage.model_validate(row) for row in rows}


def _why_rebuild(settings: Settings, old: Manifest | None, docs: dict[str, str], names: list[str]) -> str:
    if old is None:
        return "no index yet"
    if old.model != settings.embedding_model:
        return f"embedding model changed ({old.model} -> {settings.embedding_model})"
    if old.chunker_version != CHUNKER_VERSION:
        return f"chunker changed (v{old.chunker_version} -> v{CHUNKER_VERSION})"
    if old.collection not in names or not (_build_dir(settings, old.build_id) / VECTORS).exists():
        return "previous build is incomplete or missing"
    if old.documents != docs:
        return "corpus changed"
    return ""


def _embedding_cache(settings: Settings, embeddings: Embeddings | None, progress: bool) -> CachingEmbeddings:
    model_key = hashlib.sha256(settings.embedding_model.encode()).hexdigest()[:10]
    factory = (lambda: embeddings) if embeddings is not None else (lambda: make_embeddings(settings))
    return CachingEmbeddings(factory, settings.data_dir / f"embeddings-{model_key}.npz", progress)


def ingest(settings: Settings, embeddings: Embeddings | None = None, progress: bool = False) -> IngestReport:
    """Build or update the index from the corpus; a no-change run embeds nothing."""
    start = time.perf_counter()
    docs = load_documents(settings.corpus_dir)
    passages = chunk_corpus(docs)
    version = corpus_version(docs)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # The query path embeds with the model's ONNX export (no torch): rebuild it when missing or stale.
    exported = ensure_onnx_export(settings) if embeddings is None else ""
    built = [f"embedding model exported to ONNX ({exported})"] if exported else []
    # ... and the fact reader and the answer notes read with their own copies of it, tuned on their data
    built += ensure_tuned(settings) if embeddings is None else []
    old = read_manifest(settings)
    doc_hashes = {d.path: d.sha256 for d in docs}
    report = IngestReport(documents=len(docs), passages=len(passages), corpus_version=version)
    # Embedded, the query path searches the saved vectors and trusts the manifest for its Chroma
    # collection (as `check_fresh` does), so a no-change run with no other build left over need not
    # open Chroma: a cold `redlines ingest` then costs no chromadb or langchain retriever import. An
    # interrupted build (its folder is made before its collection) or a server takes the full check.
    leftovers = old and any(f.name != old.build_id for f in (settings.data_dir / "builds").glob("*"))
    if not settings.chroma_url and old and not leftovers and not _why_rebuild(settings, old, doc_hashes, [old.collection]):
        reason = _noting_built("index is up to date", built)
        return report.model_copy(update={"reason": reason, "seconds": time.perf_counter() - start})
    backend = ChromaBackend(settings)
    reason = _why_rebuild(settings, old, doc_hashes, backend.names())
    if not reason:
        _remove_stale_builds(settings, backend, old)  # leftovers of an interrupted ingest  # type: ignore[arg-type]
        reason = _noting_built("index is up to date", built)
        return report.model_copy(update={"reason": reason, "seconds": time.perf_counter() - start})

    previous = _read_passages(_build_dir(settings, old.build_id)) if old and "incomplete" not in reason else {}
    build_id = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S") + "-" + uuid.uuid4().hex[:6]
    folder = _build_dir(settings, build_id)
    folder.mkdir(parents=True)
    cached = _embedding_cache(settings, embeddings, progress)
    collection = f"{settings.collection_prefix}-{build_id}"
    store = backend.store(collection, cached)
    texts = [p.embedding_text() for p in passages]
    store.add_texts(texts, metadatas=[chroma_metadata(p) for p in passages], ids=[p.id for p in passages])
    cached.save()
    np.save(folder / VECTORS, np.asarray(cached.embed_documents(texts), dtype=np.float32))  # all cached now
    SparseIndex.build(passages).save(folder)
    (folder / "passages.json").write_text(
        json.dumps([p.model_dump() for p in passages], ensure_ascii=False), encoding="utf-8"
    )
    manifest = Manifest(
        build_id=build_id, collection=collection, model=settings.embedding_model,
        chunker_version=CHUNKER_VERSION, corpus_version=version, documents=doc_hashes,
        passages=len(passages), built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    tmp = _manifest_path(settings).with_suffix(".tmp")
    tmp.write_text(manifest.model_dump_json(indent=2))
    os.replace(tmp, _manifest_path(settings))  # the swap: search sees the new build from here on
    _remove_stale_builds(settings, backend, manifest)

    new = {p.id: p for p in passages}
    return report.model_copy(update={
        "added": len(new.keys() - previous.keys()),
        "removed": len(previous.keys() - new.keys()),
        "changed": sum(1 for k in new.keys() & previous.keys() if new[k] != previous[k].model_copy(update={"order": new[k].order})),
        "embedded": cached.misses,
        "rebuilt": True,
        "reason": _noting_built(reason, built),
        "seconds": time.perf_counter() - start,
    })


def chroma_metadata(passage: Passage) -> dict[str, str]:
    """What the vector store keeps beside a passage's vector (filters use doc_id)."""
    return {"label": passage.label, "doc_id": passage.doc_id, "authority": passage.authority}


def _noting_built(reason: str, built: list[str]) -> str:
    return "; ".join([reason, *built])


def _remove_stale_builds(settings: Settings, backend: ChromaBackend, current: Manifest) -> None:
    """Drop collections and folders of earlier or interrupted builds."""
    for name in backend.names():
        if name.startswith(f"{settings.collection_prefix}-") and name != current.collection:
            backend.drop(name)
    for folder in (settings.data_dir / "builds").iterdir():
        if folder.name != current.build_id:
            shutil.rmtree(folder, ignore_errors=True)


def check_fresh(settings: Settings, manifest: Manifest) -> None:
    """Raise IndexStaleError when the index no longer matches the corpus, model or chunker."""
    docs = load_documents(settings.corpus_dir)
    problem = _why_rebuild(settings, manifest, {d.path: d.sha256 for d in docs}, [manifest.collection])
    if problem and "incomplete" not in problem:
        raise IndexStaleError(f"the index is out of date: {problem}", "run `redlines ingest` to update it")


def open_index(settings: Settings, embeddings: Embeddings | None = None) -> Index:
    """Open the current build for searching; says so when it is missing or stale.

    From here on the process runs numpy's BLAS on one thread: the query path's products are small,
    and split over two cores they wait on whatever else the machine runs (assistant/backends/threads.py)."""
    manifest = read_manifest(settings)
    if manifest is None:
        raise IndexMissingError(f"no index in {settings.data_dir}", _INGEST_HINT)
    check_fresh(settings, manifest)
    folder = _build_dir(settings, manifest.build_id)
    if not (folder / VECTORS).exists():
        raise IndexMissingError(f"the index in {settings.data_dir} is incomplete", _INGEST_HINT)
    passages = _read_passages(folder)
    embeddings = embeddings or make_embeddings(settings)
    single_threaded_blas()
    if settings.chroma_url:  # the index lives in a Chroma server: search there
        backend = ChromaBackend(settings)
        if manifest.collection not in backend.names():
            raise IndexMissingError(f"the index in {settings.chroma_url} is incomplete", _INGEST_HINT)
        return Index(manifest, passages, backend.store(manifest.collection, embeddings), SparseIndex.load(folder))
    # Embedded: search in this process over the saved vectors; no chromadb import on a cold start.
    from assistant.vectors import ExactVectorStore

    store = ExactVectorStore(
        np.load(folder / VECTORS), list(passages), [p.embedding_text() for p in passages.values()],
        [chroma_metadata(p) for p in passages.values()], embeddings,
        fallback=lambda: ChromaBackend(settings).store(manifest.collection, embeddings),
    )
    return Index(manifest, passages, store, SparseIndex.load(folder))
