"""BM25: bm25s builds and saves the index at ingest; a search reads the saved arrays without bm25s.

`import bm25s` imports scipy.sparse, 0.3 s of every cold start on a 2-core machine, for a search
that is a sum of precomputed columns. So a saved index is read here in the form bm25s 0.3 saves it
with its numpy backend and the default (Lucene) method: each (token, passage) score in a CSC matrix,
and the vocabulary. It is searched as bm25s searches it, the same sums in the same order and the
same top-k selection, so the ranking is the same (tests/test_index.py compares the two).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

_ARRAYS = ("data", "indices", "indptr")


class BM25:
    """BM25 over tokenised texts; `top` gives (row, score) pairs, best first."""

    def __init__(self, scores: Mapping[str, Any], vocab: Mapping[str, int], model: Any = None) -> None:
        self.data, self.indices, self.indptr = (np.asarray(scores[name]) for name in _ARRAYS)
        self.num_docs, self.vocab, self._model = int(scores["num_docs"]), vocab, model

    @classmethod
    def build(cls, corpus: Sequence[list[str]]) -> BM25:
        import bm25s

        model = bm25s.BM25()
        model.index(list(corpus), show_progress=False)
        return cls(model.scores, model.vocab_dict, model)

    def save(self, folder: Path) -> None:
        if self._model is None:
            raise ValueError("only an index built in this process can be saved")
        self._model.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> BM25:
        params = json.loads((folder / "params.index.json").read_text())
        if (params.get("method"), params.get("backend")) != ("lucene", "numpy"):
            raise ValueError(f"{folder}: a BM25 index of method {params.get('method')!r}, backend {params.get('backend')!r}")
        arrays = {name: np.load(folder / f"{name}.csc.index.npy") for name in _ARRAYS}
        vocab = json.loads((folder / "vocab.index.json").read_text())
        return cls({**arrays, "num_docs": params["num_docs"]}, vocab)

    def top(self, words: Sequence[str], k: int) -> list[tuple[int, float]]:
        """The k best rows with a positive score (bm25s.BM25.retrieve, numpy backend)."""
        ids = np.asarray([self.vocab[w] for w in words if w in self.vocab], dtype=np.int32)
        if not len(ids) or not self.num_docs:
            return []  # every score would be 0
        scores = np.zeros(self.num_docs, dtype=self.data.dtype)
        for start, end in zip(self.indptr[ids], self.indptr[ids + 1]):
            np.add.at(scores, self.indices[start:end], self.data[start:end])
        k = min(k, self.num_docs)
        rows = np.argpartition(scores, -k).take(indices=range(-k, 0))
        picked = np.take(scores, rows)
        order = np.flip(np.argsort(picked))
        return [(int(row), float(score)) for row, score in zip(rows[order], picked[order]) if score > 0]
