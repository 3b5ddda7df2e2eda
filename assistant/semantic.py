"""Meaning by example: labelled text banks matched with the embedding model.

The fact reader (slot examples), the router (question kinds), answer notes and passage questions
all work the same way: texts with labels, embedded once and cached in the data dir, and a question
(or clause) scored per label by the mean similarity of its nearest examples.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings


def _normalise(m: np.ndarray) -> np.ndarray:
    return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)


class Encoder:
    """Normalised vectors for short texts in one batch call, remembering the ones seen (a follow-up
    re-reads the earlier turns; the router and the reader see the same question)."""

    def __init__(self, embeddings: Embeddings, name: str = "", memory: int = 4000) -> None:
        self.embeddings, self.memory = embeddings, memory
        # the model's name keys the banks' disk cache: another model never reads these vectors
        self.name = f"{type(embeddings).__name__}:{name}"
        self._seen: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        new = list(dict.fromkeys(t for t in texts if t not in self._seen))
        if new:
            if len(self._seen) + len(new) > self.memory:
                # forget the past, but not this call's texts that were already remembered
                self._seen.clear()
                new = list(dict.fromkeys(texts))
            self._seen.update(zip(new, _normalise(np.asarray(self.embeddings.embed_documents(new), dtype=np.float32))))
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return np.stack([self._seen[t] for t in texts])


class VectorBank:
    """Labelled texts; vectors computed once and cached on disk, keyed by content and model."""

    def __init__(
        self, name: str, texts: Sequence[str], labels: Sequence[str], encoder: Encoder, cache_dir: Path | None = None
    ) -> None:
        if len(texts) != len(labels):
            raise ValueError("every bank text needs a label")
        self.name, self.texts, self.labels = name, list(texts), list(labels)
        self.encoder, self.cache_dir = encoder, cache_dir
        self.label_set = list(dict.fromkeys(self.labels))
        rows: dict[str, list[int]] = {}
        for i, label in enumerate(self.labels):
            rows.setdefault(label, []).append(i)
        self._rows = {label: np.array(ids) for label, ids in rows.items()}
        # rows grouped in label_set order, so each label's nearest text is one maximum.reduceat
        self._grouped = np.array([i for label in self.label_set for i in rows[label]], dtype=np.intp)
        self._starts = np.cumsum([0] + [len(rows[label]) for label in self.label_set[:-1]], dtype=np.intp)

    @cached_property
    def digest(self) -> str:
        """The bank's content and model, as a cache key."""
        return hashlib.sha256("\x1f".join([self.encoder.name, *self.texts, "\x1e", *self.labels]).encode()).hexdigest()[:16]

    @cached_property
    def matrix(self) -> np.ndarray:
        digest = hashlib.sha256("\x1f".join([self.encoder.name, *self.texts]).encode()).hexdigest()[:16]
        path = self.cache_dir / f"bank-{self.name}-{digest}.npy" if self.cache_dir else None
        if path and path.exists():
            return np.load(path)
        matrix = _normalise(np.asarray(self.encoder.embeddings.embed_documents(self.texts), dtype=np.float32))
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, matrix)
        return matrix

    def rows(self, label: str) -> np.ndarray:
        """Positions of the texts carrying a label."""
        return self._rows[label]

    def similarities(self, vectors: np.ndarray) -> np.ndarray:
        return vectors @ self.matrix.T

    def nearest(self, sims: np.ndarray) -> np.ndarray:
        """(queries x label_set): each query's similarity to each label's nearest text."""
        if not len(self._grouped):
            return np.zeros((sims.shape[0], 0), dtype=np.float32)
        return np.maximum.reduceat(sims[:, self._grouped], self._starts, axis=1)

    def scores(self, sims: np.ndarray, labels: Sequence[str], k: int) -> np.ndarray:
        """(queries x labels): mean of each query's k highest similarities to each label's texts."""
        out = np.zeros((sims.shape[0], len(labels)), dtype=np.float32)
        for j, label in enumerate(labels):
            part = sims[:, self._rows[label]]
            kk = min(k, part.shape[1])
            out[:, j] = np.sort(part, axis=1)[:, -kk:].mean(axis=1)
        return out


class LinearHead:
    """A softmax classifier on frozen vectors: the given labels, plus `absent` for every row that
    carries none of them (it speaks about something else). Classes are weighted to balance.

    `rows` holds each training vector's labels (a mixture of two statements carries two)."""

    ABSENT = ""

    def __init__(self, data: Callable[[], tuple[np.ndarray, Sequence[frozenset[str]]]], labels: Sequence[str],
                 absent_weight: float = 1.0, l2: float = 1e-3, steps: int = 300, cache_dir: Path | None = None,
                 key: str = "") -> None:
        # `data` gives the training vectors and their labels, built only when training is needed;
        # `key` names that content for the disk cache (without it, the data itself is hashed).
        self.data, self.classes, self.key = data, [*labels, self.ABSENT], key
        self.absent_weight, self.l2, self.steps, self.cache_dir = absent_weight, l2, steps, cache_dir

    @cached_property
    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        """Trained once per content and settings; cached on disk, since training takes seconds."""
        key = hashlib.sha256(repr((self.classes, self.absent_weight, self.l2, self.steps)).encode())
        if self.key:
            key.update(self.key.encode())
        else:
            matrix, rows = self.data()
            key.update(matrix.tobytes())
            key.update(repr([sorted(r) for r in rows]).encode())
        path = self.cache_dir / f"head-{key.hexdigest()[:16]}.npz" if self.cache_dir else None
        if path and path.exists():
            data = np.load(path)
            return data["w"], data["b"]
        w, b = self._train()
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(path, w=w, b=b)
        return w, b

    def _train(self) -> tuple[np.ndarray, np.ndarray]:
        x, rows = self.data()
        index = {label: i for i, label in enumerate(self.classes[:-1])}
        y = np.array([next((index[label] for label in sorted(r) if label in index), len(index)) for r in rows])
        counts = np.bincount(y, minlength=len(self.classes)).astype(np.float32)
        class_w = len(y) / (len(self.classes) * np.maximum(counts, 1))
        class_w[-1] *= self.absent_weight
        sample_w = class_w[y]
        onehot = np.eye(len(self.classes), dtype=np.float32)[y]
        w = np.zeros((x.shape[1], len(self.classes)), dtype=np.float32)
        b = np.zeros(len(self.classes), dtype=np.float32)
        m_w, v_w, m_b, v_b = np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b)
        for t in range(1, self.steps + 1):  # Adam on the weighted cross-entropy
            p = _softmax(x @ w * 10 + b)
            g = (p - onehot) * sample_w[:, None] / sample_w.sum()
            gw, gb = 10 * x.T @ g + self.l2 * w, g.sum(axis=0)
            m_w, v_w = 0.9 * m_w + 0.1 * gw, 0.999 * v_w + 0.001 * gw**2
            m_b, v_b = 0.9 * m_b + 0.1 * gb, 0.999 * v_b + 0.001 * gb**2
            w -= 0.05 * (m_w / (1 - 0.9**t)) / (np.sqrt(v_w / (1 - 0.999**t)) + 1e-8)
            b -= 0.05 * (m_b / (1 - 0.9**t)) / (np.sqrt(v_b / (1 - 0.999**t)) + 1e-8)
        return w, b

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """(queries x classes), `absent` last."""
        w, b = self.weights
        return _softmax(vectors @ w * 10 + b)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
