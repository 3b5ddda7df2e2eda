"""The only package that touches chromadb, onnxruntime, tokenizers, sentence-transformers, torch,
bm25s, threadpoolctl and chat-model providers; everything else sees langchain-core interfaces
(Embeddings, VectorStore, BaseChatModel).

Heavy libraries are imported inside the functions that need them. Answering a question must not pay
for torch (seconds and hundreds of MB on a small machine): `make_embeddings` runs the model's ONNX
export (`embeddings`), which `redlines ingest` writes with torch (`export`); an embedded index is
searched in-process (`assistant.vectors`), a server through `chroma`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.backends.bm25 import BM25
from assistant.backends.chroma import ChromaBackend, chroma_server
from assistant.backends.embeddings import OnnxEmbeddings, make_embeddings
from assistant.backends.export import (
    ensure_onnx_export, export_dir, export_onnx, export_problem, make_reference_embeddings, resolve_model_path,
)
from assistant.backends.threads import single_threaded_blas
from assistant.config import Settings
from assistant.errors import ConfigError

if TYPE_CHECKING:  # the chat-model machinery costs half a second to import; only a configured model needs it
    from langchain_core.language_models import BaseChatModel

__all__ = [
    "BM25", "ChromaBackend", "OnnxEmbeddings", "chroma_server", "ensure_onnx_export", "export_dir", "export_onnx",
    "export_problem", "make_chat_model", "make_embeddings", "make_reference_embeddings", "resolve_model_path",
    "single_threaded_blas",
]


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
