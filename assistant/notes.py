"""Answer notes: the editorial layer that lets the offline assistant lead with the answer.

A note is a short answer in our own words (assistant/rules/notes.yaml), each sentence tied to
verbatim quotes from the corpus, with the varied questions it answers. A question is matched to
notes by meaning (its parts one by one, so a question in several parts is answered part by part);
the composer then writes the note's sentences with their citation markers, and the output guards
check every quote exactly as they check the rule file's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.errors import RulesError
from assistant.labels import label_matches
from assistant.rules import Quote, read_yaml
from assistant.semantic import Encoder, VectorBank


class NoteSentence(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str = Field(description="One sentence in our words")
    cites: tuple[Quote, ...] = Field(min_length=1, description="Verbatim quotes that support it")


class Note(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    topic: str = ""
    questions: tuple[str, ...] = Field(min_length=1, description="Ways people ask it; all share one answer")
    unlike: tuple[str, ...] = Field(
        default=(), description="Near misses: questions worded like these whose answer is not this note's yes or no",
    )
    answer: tuple[NoteSentence, ...] = Field(min_length=1, description="The first sentence answers the question's form")

    def quotes(self) -> list[Quote]:
        return [q for s in self.answer for q in s.cites]


class _NoteFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int
    notes: tuple[Note, ...]


def load_notes(path: Path, cache_dir: Path | None = None) -> tuple[Note, ...]:
    """Read and validate the notes; errors name the file and the note."""
    try:
        notes = _NoteFile.model_validate(read_yaml(path, cache_dir)).notes
    except (yaml.YAMLError, ValidationError) as exc:
        raise RulesError(f"{path.name}: {exc}", "fix the notes file; see the comments at its top") from exc
    ids = [n.id for n in notes]
    if dupes := sorted({i for i in ids if ids.count(i) > 1}):
        raise RulesError(f"{path.name}: note ids appear twice: {dupes}", "give every note its own id")
    for note in notes:
        if both := sorted({q.casefold() for q in note.questions} & {q.casefold() for q in note.unlike}):
            raise RulesError(f"{path.name}: note {note.id!r} lists {both[0]!r} both as a question and as a near miss",
                             "a near miss is a question the note's yes or no would answer wrongly: keep it in one list")
    return notes


# A question in several parts: split at question marks, semicolons and "and/also" before a new
# question word, so that each part finds its own note.
_PARTS = re.compile(
    r"(?<=\?)\s+|;\s*|\s+(?:and|also|plus)\s+(?=(?:what|when|how|who|which|whether|does|do|is|are|can|could|will|if)\b)",
    re.IGNORECASE,
)


# A note's leading "Yes," or "No,": it answers the note's own questions.
LEADING_YES_NO = re.compile(r"^(Yes|No), +(?=\w)")


def yes_no(text: str) -> str:
    """'yes' or 'no' where an answer starts with one, else ''."""
    m = LEADING_YES_NO.match(text)
    return m.group(1).lower() if m else ""


def question_parts(question: str) -> list[str]:
    parts = [p.strip() for p in _PARTS.split(question) if p and len(p.split()) >= 2]
    return parts if len(parts) > 1 else [question]


@dataclass(frozen=True)
class NoteMatch:
    note: Note
    score: float
    part: str
    asked: str = ""  # the note's example question nearest to the part
    sure: bool = False  # whether the note's leading yes or no may answer the part
    plain: bool = False  # matched with help (a near twin, the passages found) or near a near miss: no yes or no
    says: str = ""  # 'yes' or 'no' where the figures the part asks about agree or disagree with the note's


class NoteBook:
    """Notes matched to questions by the nearest of their example questions."""

    def __init__(self, notes: tuple[Note, ...], encoder: Encoder, threshold: float, margin: float,
                 cache_dir: Path | None = None, lead_weight: float = 0.0, unlike_margin: float = 0.0) -> None:
        self.notes = {n.id: n for n in notes}
        texts = [q for n in notes for q in n.questions]
        labels = [n.id for n in notes for _ in n.questions]
        self.bank = VectorBank("notes", texts, labels, encoder, cache_dir)
        self.unlike = VectorBank("notes-unlike", [q for n in notes for q in n.unlike],
                                 [n.id for n in notes for _ in n.unlike], encoder, cache_dir)
        self.encoder, self.threshold, self.margin, self.lead_weight = encoder, threshold, margin, lead_weight
        self.unlike_margin = unlike_margin

    def match(self, question: str, limit: int = 3, found: Sequence[str] = (), threshold: float | None = None) -> list[NoteMatch]:
        """The notes answering the question's parts, in the order of the parts; a part whose best
        note is not clearly ahead of the next finds none (the extractive answer takes over).

        With `found` (the labels of the passages retrieved for the question) and a lower
        `threshold`, a note that cites one of those passages may be matched below the usual
        threshold: two independent searches, the questions and the sources, agree on it."""
        parts = question_parts(question)
        vectors = self.encoder.encode(parts)
        sims = self.bank.similarities(vectors)
        scores = self.bank.nearest(sims)
        misses = self.unlike.similarities(vectors) if self.unlike.texts else None
        out: dict[str, NoteMatch] = {}
        for i, (part, row) in enumerate(zip(parts, scores)):
            order = np.argsort(-row)
            best, second = float(row[order[0]]), float(row[order[1]]) if len(order) > 1 else 0.0
            note_id = self.bank.label_set[order[0]]
            # a question nearer one note than any other may be worded far from all its questions
            score = best + self.lead_weight * (best - second)
            near, ahead = score >= self.threshold, best - second >= self.margin
            # help: the passages found back the note, or the next note answers yes or no alike
            backed = threshold is not None and score >= threshold and self._cites(note_id, found)
            twin = len(order) > 1 and self._agree(note_id, self.bank.label_set[order[1]])
            if (near or backed) and (ahead or twin):
                rows = self.bank.rows(note_id)
                asked = self.bank.texts[int(rows[np.argmax(sims[i, rows])])]
                # as near a question the note's yes or no would answer wrongly as its own: what it says only
                missed = misses is not None and note_id in self.unlike.label_set and \
                    float(misses[i, self.unlike.rows(note_id)].max()) >= best - self.unlike_margin
                out.setdefault(note_id, NoteMatch(self.notes[note_id], best, part, asked,
                                                  plain=not (near and ahead) or missed))
        return list(out.values())[:limit]

    def _cites(self, note_id: str, labels: Sequence[str]) -> bool:
        return any(label_matches(q.label, label) or label_matches(label, q.label)
                   for q in self.notes[note_id].quotes() for label in labels)

    def _agree(self, first: str, second: str) -> bool:
        """Whether two notes start with the same yes or no."""
        leads = {yes_no(self.notes[n].answer[0].text) for n in (first, second)}
        return len(leads) == 1 and "" not in leads
