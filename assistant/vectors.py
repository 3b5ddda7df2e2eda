"""Nearest-neighbour search in this process, over the vectors an ingest saved beside its build.

For the embedded index this is the query path's vector store. Opening it reads one matrix, with no
chromadb import (about a second of every cold start on a 2-core machine). A search is one exact
matrix-vector product: under 3 ms up to 10k passages, 20-25 ms at 100k on this machine, where it is
bound by reading the whole matrix. So beyond EXACT_LIMIT passages an unfiltered search goes to the
HNSW index of the Chroma collection that holds the same vectors (approximate; 3-4 ms at 100k, as
only ids and distances are read back: the texts are here). A metadata filter is always served here,
as a slice (one document's passages are contiguous) or a mask, because Chroma pre-filters and slows
down badly with a filter at that size. Everything else a langchain store offers (get, add, delete)
also goes to that collection, opened when first needed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore


EXACT_LIMIT = 20_000  # rows above which an unfiltered search uses the collection's HNSW index


class ExactVectorStore(VectorStore):
    """Cosine search over a (n, dim) matrix; rows are the ids, texts and metadata given, in order.

    Scores are cosine *distances* (lower is closer), as langchain-chroma returns them from
    `similarity_search_by_vector_with_relevance_scores`, so the two stores are interchangeable.
    """

    def __init__(
        self,
        vectors: np.ndarray,
        ids: Sequence[str],
        texts: Sequence[str],
        metadatas: Sequence[Mapping[str, Any]],
        embedding: Embeddings,
        fallback: Callable[[], VectorStore] | None = None,
    ) -> None:
        if not len(vectors) == len(ids) == len(texts) == len(metadatas):
            raise ValueError(f"{len(vectors)} vectors for {len(ids)} ids, {len(texts)} texts, {len(metadatas)} metadata")
        matrix = np.asarray(vectors, dtype=np.float32)
        self.vectors = matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
        self.ids, self.texts, self.metadatas = list(ids), list(texts), list(metadatas)
        self._embedding, self._fallback, self._other = embedding, fallback, None
        self._row: dict[str, int] | None = None  # id -> row, for results of the collection's search
        self._filtered: dict[tuple, slice | np.ndarray] = {}

    @property
    def embeddings(self) -> Embeddings:
        return self._embedding

    def _collection(self) -> VectorStore:
        if self._other is None:
            self._other = self._fallback()  # type: ignore[misc]
        return self._other

    def __getattr__(self, name: str) -> Any:
        # Only reached for attributes this class lacks (get, delete, add_texts...): the Chroma collection.
        if name.startswith("_") or self.__dict__.get("_fallback") is None:
            raise AttributeError(name)
        return getattr(self._collection(), name)

    def _rows(self, where: Mapping[str, Any]) -> slice | np.ndarray:
        """Rows whose metadata equals every `{key: value}` of a Chroma-style equality filter: a slice
        when they are contiguous (one document's passages are, in ingest order), so no copying."""
        key = tuple(sorted(where.items()))
        if key not in self._filtered:
            mask = np.ones(len(self.ids), dtype=bool)
            for name, value in where.items():
                mask &= np.array([m.get(name) == value for m in self.metadatas])
            rows = np.flatnonzero(mask)
            contiguous = len(rows) and rows[-1] - rows[0] + 1 == len(rows)
            self._filtered[key] = slice(int(rows[0]), int(rows[-1]) + 1) if contiguous else rows
        return self._filtered[key]

    def similarity_search_by_vector_with_relevance_scores(
        self, embedding: Sequence[float], k: int = 4, filter: Mapping[str, Any] | None = None, **kwargs: Any  # noqa: A002
    ) -> list[tuple[Document, float]]:
        """The k nearest rows (optionally among those matching `filter`) with their cosine distance."""
        if not filter and self._fallback is not None and len(self.ids) > EXACT_LIMIT:
            return self._nearest_in_collection(embedding, k)
        query = np.asarray(embedding, dtype=np.float32)
        rows = self._rows(filter) if filter else slice(None)
        scores = self.vectors[rows] @ (query / max(float(np.linalg.norm(query)), 1e-12))
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k] if k else np.array([], dtype=int)
        top = top[np.argsort(-scores[top], kind="stable")]
        picked = rows[top] if isinstance(rows, np.ndarray) else top + (rows.start or 0)  # back to row numbers
        return [
            (Document(id=self.ids[i], page_content=self.texts[i], metadata=dict(self.metadatas[i])), 1.0 - float(s))
            for i, s in zip(picked, scores[top])
        ]

    def _nearest_in_collection(self, embedding: Sequence[float], k: int) -> list[tuple[Document, float]]:
        """The collection's HNSW search. When it can give ids and distances alone (Chroma's store in
        assistant.backends), the documents are made from the rows held here, as they were stored."""
        other = self._collection()
        nearest = getattr(other, "nearest", None)
        if nearest is None:
            return other.similarity_search_by_vector_with_relevance_scores(list(embedding), k=k)
        if self._row is None:
            self._row = {pid: i for i, pid in enumerate(self.ids)}
        rows = [(self._row[pid], distance) for pid, distance in nearest(list(embedding), k)]
        return [(Document(id=self.ids[i], page_content=self.texts[i], metadata=dict(self.metadatas[i])), d) for i, d in rows]

    def similarity_search_by_vector(self, embedding: list[float], k: int = 4, **kwargs: Any) -> list[Document]:
        return [doc for doc, _ in self.similarity_search_by_vector_with_relevance_scores(embedding, k, **kwargs)]

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        return self.similarity_search_by_vector(self._embedding.embed_query(query), k, **kwargs)

    @classmethod
    def from_texts(
        cls, texts: list[str], embedding: Embeddings, metadatas: list[dict] | None = None,
        *, ids: list[str] | None = None, **kwargs: Any,
    ) -> ExactVectorStore:
        """A store over `texts`, embedded now (ids default to the row numbers)."""
        return cls(
            np.asarray(embedding.embed_documents(texts), dtype=np.float32),
            ids or [str(i) for i in range(len(texts))], texts, metadatas or [{} for _ in texts], embedding,
        )
