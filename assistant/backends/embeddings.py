"""The query path's embeddings: the model's ONNX export run by onnxruntime and tokenizers, no torch."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.backends.export import EXPORT_META, export_dir, export_problem
from assistant.config import Settings
from assistant.errors import IndexMissingError, IndexStaleError


class OnnxEmbeddings(Embeddings):
    """A sentence-transformers model exported to ONNX, run by onnxruntime with its own tokenizer.

    Vectors are L2-normalised (cosine similarity is a dot product) and match sentence-transformers'
    (cosine >= 0.999; tests/test_backends.py). The runtime loads on first use. Texts are encoded
    in batches sorted by length, so a batch pads little."""

    def __init__(self, folder: Path, model_name: str = "", batch_size: int = 32) -> None:
        # model_name: the model setting, so caches of vectors can be keyed by it (as with
        # langchain-huggingface's HuggingFaceEmbeddings.model_name).
        self.folder, self.model_name, self.batch_size = folder, model_name, batch_size
        self._runtime: tuple[Any, Any, list[str]] | None = None
        self._lock = threading.Lock()

    def _load(self) -> tuple[Any, Any, list[str]]:
        with self._lock:
            if self._runtime is None:
                self._runtime = self._open()
        return self._runtime

    def _open(self) -> tuple[Any, Any, list[str]]:
        import onnxruntime
        from tokenizers import Tokenizer

        try:
            meta = json.loads((self.folder / EXPORT_META).read_text())
            tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
            options = onnxruntime.SessionOptions()
            options.log_severity_level = 3  # warnings about unused initialisers are noise
            # Idle worker threads spinning for work steal a 2-core machine's time from the Python
            # around each call: off, a cold `ask` uses 0.3 s less CPU and batches run faster too.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            session = onnxruntime.InferenceSession(
                str(self.folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # noqa: BLE001 - a damaged export of any kind gets the same advice
            raise IndexStaleError(
                f"cannot load the ONNX export in {self.folder}: {exc}", f"delete {self.folder} and run `redlines ingest`"
            ) from exc
        tokenizer.enable_truncation(meta["max_tokens"])
        tokenizer.no_padding()  # batches are padded in embed_array, after sorting by length
        return tokenizer, session, meta["inputs"]

    def embed_array(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised vectors as a (len(texts), dim) float32 array, in the order given."""
        tokenizer, session, names = self._runtime or self._load()
        encodings = tokenizer.encode_batch(list(texts))
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        out: np.ndarray | None = None
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            width = max(len(encodings[i].ids) for i in batch)
            feeds = {name: np.zeros((len(batch), width), dtype=np.int64) for name in names}
            for row, i in enumerate(batch):
                enc = encodings[i]
                for name, values in (("input_ids", enc.ids), ("attention_mask", enc.attention_mask),
                                     ("token_type_ids", enc.type_ids)):
                    if name in feeds:
                        feeds[name][row, : len(values)] = values
            vectors = session.run(None, feeds)[0]
            if out is None:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[batch] = vectors
        if out is None:
            return np.empty((0, 0), dtype=np.float32)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_array([text])[0].tolist()


def make_embeddings(settings: Settings) -> Embeddings:
    """The embeddings everything uses: the model setting's ONNX export, run without torch.

    Build one per process and pass it on (retrieval, the fact reader): the model loads once, on first
    use. `redlines ingest` writes the export; a missing or stale one is an index error with a hint."""
    folder = export_dir(settings)
    if not (folder / EXPORT_META).exists():
        raise IndexMissingError(f"no ONNX export of the embedding model in {settings.data_dir}", "run `redlines ingest` to build it")
    if problem := export_problem(settings):
        raise IndexStaleError(
            f"the ONNX export of the embedding model in {settings.data_dir} is out of date: {problem}",
            "run `redlines ingest` to rebuild it",
        )
    return OnnxEmbeddings(folder, model_name=settings.embedding_model)
