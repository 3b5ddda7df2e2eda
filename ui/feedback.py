"""Local feedback store: one JSON line per rating in <data_dir>/feedback.jsonl. Nothing leaves the machine."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.types import Answer, Verdict

Rating = Literal["up", "down"]


class Feedback(BaseModel):
    """A user's rating of one answer, with what is needed to find the answer again."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timestamp: str = Field(description="UTC time of the rating (ISO 8601)")
    question: str = Field(description="The question as asked")
    answer: str = Field(description="The answer text the user saw")
    verdict: Verdict | None = Field(default=None, description="The verdict, for scenario answers")
    history: list[str] = Field(default_factory=list, description="The earlier questions it followed")
    facts: dict[str, str] = Field(default_factory=dict, description="Slot values the user set (slot -> value id)")
    rating: Rating = Field(description="Thumbs up or down")
    comment: str = Field(default="", description="Optional free text")
    corpus_version: str = Field(description="Corpus the answer came from")


def feedback_file(data_dir: Path) -> Path:
    return data_dir / "feedback.jsonl"


def record_feedback(
    data_dir: Path, answer: Answer, rating: Rating, comment: str = "",
    history: Sequence[str] = (), facts: Mapping[str, str] | None = None,
) -> Feedback:
    """Append one rating, with the earlier questions and the facts the user set, so the answer can
    be asked again as it was. A single write in append mode per line, so concurrent sessions do
    not interleave their lines."""
    entry = Feedback(
        timestamp=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        question=answer.question, answer=answer.answer, verdict=answer.verdict,
        history=list(history), facts=dict(facts or {}),
        rating=rating, comment=comment.strip(), corpus_version=answer.corpus_version,
    )
    path = feedback_file(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(entry.model_dump_json() + "\n")
    return entry


def read_feedback(data_dir: Path) -> list[Feedback]:
    """Every rating stored so far, oldest first."""
    path = feedback_file(data_dir)
    if not path.exists():
        return []
    return [Feedback.model_validate_json(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
