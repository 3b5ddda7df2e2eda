"""Retrieval at scale: synthetic corpora (10k and 100k passages) made by the script, searched by our
hybrid retriever (in-process vectors as open_index opens them, + BM25), over Chroma embedded (the
old path, and the plain baseline's store), and over a local `chroma run` server.

Passages are 110-word (about 150-token) runs of sentences drawn from the shipped corpus, spread over
its documents, so BM25 statistics, instrument filters and query neighbourhoods look like the real
thing. Each sentence is embedded once by the model; a passage's vector is the normalised mean of its
sentences' vectors (close to embedding the passage, and a thousand times cheaper). Sentence vectors,
BM25 and the Chroma collection are cached in the data dir's bench folder, so later runs measure
search time only.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.backends import ChromaBackend, OnnxEmbeddings, chroma_server
from assistant.config import Settings
from assistant.index import Index, Manifest, chroma_metadata
from assistant.sparse import SparseIndex
from assistant.retrieve import HybridRetriever
from assistant.types import Passage
from assistant.vectors import ExactVectorStore

WORDS = 110  # about 150 MiniLM tokens
SEED = 9
RECIPE = "2"  # bump when synthesise() changes, so cached indexes of the old corpora are rebuilt
COLLECTION = "bench-synthetic"
_SENTENCE = re.compile(r"(?<=[.;:])\s+(?=[A-Z(‘“])")


def percentiles(samples_ms: Sequence[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    return {f"p{q}": round(ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))], 2) for q in (50, 95)}


def timed(fn: Callable[[Any], Any], items: Sequence[Any]) -> dict[str, float]:
    """p50/p95 milliseconds of fn over the items, after one untimed warm-up call."""
    fn(items[0])
    samples = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        samples.append((time.perf_counter() - start) * 1000)
    return percentiles(samples)


def sentences_of(passages: Sequence[Passage]) -> list[str]:
    """Distinct sentences of 5-60 words from the passages' texts."""
    found = dict.fromkeys(s.strip() for p in passages for s in _SENTENCE.split(p.text))
    return [s for s in found if 5 <= len(s.split()) <= 60]


def synthesise(real: Sequence[Passage], sentences: Sequence[str], n: int) -> tuple[list[Passage], list[list[int]]]:
    """n passages of about WORDS words, each with the numbers of the sentences it is made of."""
    rng = np.random.default_rng(SEED)
    lengths = np.array([len(s.split()) for s in sentences])
    docs = list({p.doc_id: p for p in real}.values())  # one sample passage per document
    passages, members = [], []
    for i in range(n):
        picked: list[int] = []
        while lengths[picked].sum() < WORDS:
            picked.append(int(rng.integers(len(sentences))))
        doc = docs[i * len(docs) // n]  # documents in blocks, in corpus order, as ingest stores them
        passages.append(Passage(
            id=f"synthetic/{i}", label=f"{doc.instrument} synthetic {i}", text=" ".join(sentences[j] for j in picked),
            doc_id=doc.doc_id, instrument=doc.instrument, authority=doc.authority, order=i,
        ))
        members.append(picked)
    return passages, members


def sentence_vectors(model: OnnxEmbeddings, sentences: list[str], cache: Path) -> np.ndarray:
    """The model's vectors of the sentences, from the cache when it holds exactly these sentences."""
    if cache.exists():
        data = np.load(cache)
        if data["sentences"].tolist() == sentences:
            return data["vectors"]
    vectors = model.embed_array(sentences)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, sentences=np.array(sentences), vectors=vectors)
    return vectors


def passage_vectors(vectors: np.ndarray, members: list[list[int]]) -> np.ndarray:
    out = np.stack([vectors[m].mean(axis=0) for m in members]).astype(np.float32)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def _cache_dir(root: Path, sentences: list[str], n: int) -> Path:
    """A folder per corpus recipe; folders of other recipes of the same size are removed."""
    key = hashlib.sha256("\n".join([*sentences, str(n), str(WORDS), str(SEED), RECIPE]).encode()).hexdigest()[:10]
    folder = root / f"synthetic-{n}-{key}"
    for old in root.glob(f"synthetic-{n}-*"):
        if old != folder:
            shutil.rmtree(old, ignore_errors=True)
    return folder


def _sparse(passages: list[Passage], folder: Path) -> tuple[SparseIndex, float | None]:
    """BM25 over the passages and its build seconds (None when loaded from the cache)."""
    if (folder / "bm25_ids.json").exists():
        return SparseIndex.load(folder), None
    start = time.perf_counter()
    sparse = SparseIndex.build(passages)
    folder.mkdir(parents=True, exist_ok=True)
    sparse.save(folder)
    return sparse, round(time.perf_counter() - start, 1)


def _chroma(settings: Settings, passages: list[Passage], vectors: np.ndarray, embeddings: Embeddings) -> tuple[Any, float | None]:
    """The langchain Chroma store of the corpus and its build seconds (None when cached)."""
    backend = ChromaBackend(settings)
    store = backend.store(COLLECTION, embeddings)
    if store.get(limit=1, include=[])["ids"]:
        return store, None
    start = time.perf_counter()
    collection, batch = backend.client.get_collection(COLLECTION), backend.client.get_max_batch_size()
    for i in range(0, len(passages), batch):
        rows = passages[i : i + batch]
        collection.add(ids=[p.id for p in rows], embeddings=vectors[i : i + batch],
                       documents=[p.embedding_text() for p in rows], metadatas=[chroma_metadata(p) for p in rows])
    return store, round(time.perf_counter() - start, 1)


def _index(passages: list[Passage], store: Any, sparse: SparseIndex) -> Index:
    manifest = Manifest(build_id="bench", collection=COLLECTION, model="bench", chunker_version="bench",
                        corpus_version="bench", documents={}, passages=len(passages), built_at="")
    return Index(manifest, {p.id: p for p in passages}, store, sparse)


class Sizer:
    """Measures one synthetic corpus size after another with the same models and queries."""

    def __init__(self, settings: Settings, real: list[Passage], ours: OnnxEmbeddings, reference: Embeddings,
                 queries: list[str]) -> None:
        self.settings, self.real, self.ours, self.reference, self.queries = settings, real, ours, reference, queries
        self.root = settings.data_dir / "bench"
        self.sentences = sentences_of(real)
        self.sentence_vectors = sentence_vectors(ours, self.sentences, self.root / "sentence-vectors.npz")
        self.query_vectors = [v.tolist() for v in ours.embed_array(queries)]
        # retrieve.py filters on a document when the query names an instrument other than the AI Act.
        self.filter_doc = next((p.doc_id for p in real if p.instrument != "AI Act"), real[0].doc_id)

    def _dense(self, store: Any) -> dict[str, Any]:
        search = store.similarity_search_by_vector_with_relevance_scores
        k = self.settings.retrieval.dense_k
        return {"dense_ms": timed(lambda v: search(v, k=k), self.query_vectors),
                "dense_filtered_ms": timed(lambda v: search(v, k=k, filter={"doc_id": self.filter_doc}), self.query_vectors)}

    def _hybrid(self, passages: list[Passage], store: Any, sparse: SparseIndex) -> dict[str, float]:
        retriever = HybridRetriever(index=_index(passages, store, sparse), settings=self.settings.retrieval)
        return timed(retriever.search, self.queries)

    def measure(self, n: int, server: bool) -> dict[str, Any]:
        """Every retrieval figure for a corpus of n passages."""
        folder = _cache_dir(self.root, self.sentences, n)
        passages, members = synthesise(self.real, self.sentences, n)
        vectors = passage_vectors(self.sentence_vectors, members)
        sparse, bm25_build = _sparse(passages, folder / "bm25")
        embedded = self.settings.model_copy(update={"data_dir": folder / "chroma-data", "chroma_url": None})
        chroma, built = _chroma(embedded, passages, vectors, self.reference)
        rows = ([p.id for p in passages], [p.embedding_text() for p in passages], [chroma_metadata(p) for p in passages])
        # Ours as open_index builds it (the collection's HNSW for unfiltered searches of a large
        # index), and the same vectors searched exactly whatever the size, for comparison.
        ours = ExactVectorStore(vectors, *rows, self.ours, fallback=lambda: chroma)
        out: dict[str, Any] = {
            "passages": n, "mean_words": round(float(np.mean([len(p.text.split()) for p in passages])), 1),
            "bm25_build_s": bm25_build, "embed_query_ms": timed(self.ours.embed_query, self.queries),
            "bm25_ms": timed(lambda q: sparse.search(q, self.settings.retrieval.sparse_k), self.queries),
            "hybrid_ms": self._hybrid(passages, ours, sparse), "dense": self._dense(ours),
            "exact": self._dense(ExactVectorStore(vectors, *rows, self.ours)),
        }
        out["chroma_embedded"] = {"build_s": built, "hybrid_ms": self._hybrid(passages, chroma, sparse), **self._dense(chroma)}
        # The plain baseline's whole search: the query embedded by sentence-transformers, Chroma top 4.
        out["baseline_search_ms"] = timed(lambda q: chroma.similarity_search_with_relevance_scores(q, k=4), self.queries)
        if server:
            out["chroma_server"] = self._served(embedded.data_dir / "chroma", passages, sparse)
        return out

    def _served(self, data: Path, passages: list[Passage], sparse: SparseIndex) -> dict[str, Any]:
        """The same collection behind `chroma run` (a copy of the embedded data: nothing is rebuilt)."""
        served = data.parent.with_name("served")
        shutil.rmtree(served, ignore_errors=True)
        shutil.copytree(data, served)
        try:
            with chroma_server(served) as url:
                store = ChromaBackend(self.settings.model_copy(update={"chroma_url": url})).store(COLLECTION, self.ours)
                return {"url": url, "hybrid_ms": self._hybrid(passages, store, sparse), **self._dense(store)}
        finally:
            shutil.rmtree(served, ignore_errors=True)
