"""The chat as the app keeps it: one Exchange per turn, corrections asked again in place, the
user's corrections carried into follow-ups, and the conversation exported as Markdown or JSON."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from assistant.errors import RedlinesError
from assistant.guards import fold
from assistant.rules import Slot
from assistant.types import Answer
from render import (
    STATUS_WORDS, VERDICT_TITLES, answer_markdown, error_markdown, escape_markdown, finding_markdown, footer,
    frame_rows, markers, message_of, shown_apart, source_link, verdict_reason,
)


@dataclass
class Exchange:
    """One turn of the chat: the question and either its answer or the error it raised, with
    what it was asked with, so that a correction can ask it again the same way."""

    question: str
    answer: Answer | None = None
    error: str = ""
    hint: str = ""
    history: list[str] = field(default_factory=list)  # the earlier questions it follows
    facts: dict[str, str] = field(default_factory=dict)  # slot values the user set, in force here
    previous: Answer | None = None  # the answer before the last correction
    version: int = 0  # counts corrections: widget keys change, so widgets show the new answer
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @property
    def key(self) -> str:
        """Widget key prefix for the answer as it stands."""
        return f"{self.id}-{self.version}"

    @classmethod
    def failed(cls, question: str, exc: RedlinesError, **context) -> Exchange:
        return cls(question, error=message_of(exc), hint=exc.hint, **context)

    def revise(self, answer: Answer, facts: Mapping[str, str]) -> None:
        """Take the answer to the same question asked again with the facts the user set."""
        self.previous, self.answer, self.facts = self.answer, answer, dict(facts)
        self.version += 1
        self.error = self.hint = ""

    def fail(self, exc: RedlinesError) -> None:
        """A correction failed: the answer stays, the error is shown beside it."""
        self.error, self.hint = message_of(exc), exc.hint


def carried_facts(facts: Mapping[str, str], answer: Answer, question: str) -> dict[str, str]:
    """The user's earlier corrections that still hold for a follow-up: those on slots the follow-up's
    own words do not speak to (a later turn overrides only the slots it speaks to). `answer` is the
    follow-up answered without them."""
    words = fold(question)
    stated = {f.slot for f in answer.facts if f.origin == "read" and f.evidence and fold(f.evidence) in words}
    return {slot: value for slot, value in facts.items() if slot not in stated}


def scenario_markdown(answer: Answer, slots: Iterable[Slot]) -> list[str]:
    """A scenario answer's verdict, frame and conditions as Markdown lines, each said once."""
    out = [f"**Verdict: {VERDICT_TITLES[answer.verdict]}** — {verdict_reason(answer)}", "", "**What I understood**", ""]
    out += [f"- {row.markdown()}" for row in frame_rows(answer, slots)]
    out += ["", "**The four conditions**", ""]
    out += [f"- {STATUS_WORDS[f.status]}: **{escape_markdown(f.label)}** — {finding_markdown(f)}" for f in answer.conditions]
    return [*out, ""]


def conversation_markdown(exchanges: Sequence[Exchange], slots: Iterable[Slot]) -> str:
    """The conversation as a Markdown document, every answer with its numbered sources."""
    slots = list(slots)
    out = ["# redlines conversation", ""]
    for i, ex in enumerate(exchanges, start=1):
        out += [f"## {i}. {escape_markdown(ex.question)}", ""]
        a = ex.answer
        if a is None:
            out += [error_markdown(ex.error, ex.hint), ""]
            continue
        if a.verdict:
            out += scenario_markdown(a, slots)
        if text := answer_markdown(a, omit=shown_apart(a, questions=False)):
            out += [text, ""]
        if a.citations:
            out += ["**Sources**", ""]
            for c in a.citations:
                link = f" <{c.url}>" if source_link(c.url) else ""
                out.append(f"{markers([c.n])} **{escape_markdown(c.label)}**: “{escape_markdown(c.quote)}”{link}  ")
            out.append("")
        out += [f"_{footer(a)}_", ""]
    return "\n".join(out)


def conversation_json(exchanges: Sequence[Exchange]) -> str:
    """The conversation as JSON: each question with the full Answer (citations included)."""
    rows = [
        {"question": ex.question, "facts": ex.facts, "answer": ex.answer.model_dump(mode="json") if ex.answer else None,
         "error": ex.error, "hint": ex.hint}
        for ex in exchanges
    ]
    return json.dumps({"exchanges": rows}, ensure_ascii=False, indent=2)
