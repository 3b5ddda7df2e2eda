"""redlines: offline legal Q&A on the EU AI Act's red lines, starting with Article 5(1)(e)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.types import Answer, Citation, ConditionFinding, FrameFact, Passage

if TYPE_CHECKING:
    from assistant.pipeline import Assistant, ask

__all__ = ["Answer", "Assistant", "Citation", "ConditionFinding", "FrameFact", "Passage", "ask"]


def __getattr__(name: str) -> Any:
    # The pipeline (models, retrievers, langchain) loads only when asked for: `redlines ingest`
    # and the other commands that never answer a question start without it.
    if name in ("Assistant", "ask"):
        from assistant import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")
