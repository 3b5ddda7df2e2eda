"""redlines: offline legal Q&A on the EU AI Act's red lines, starting with Article 5(1)(e)."""

from assistant.pipeline import Assistant, ask
from assistant.types import Answer, Citation, ConditionFinding, FrameFact, Passage

__all__ = ["Answer", "Assistant", "Citation", "ConditionFinding", "FrameFact", "Passage", "ask"]
