"""Chunk documents by legal structure: one passage per numbered unit, with a stable id and label.

The corpus format is described in corpus/README.md. A section heading `# <ref> — <title>` decides
how the units under it are labelled: articles by paragraph and point, recitals by number,
guideline sections by paragraph number, anything else (blog sections, decisions) by the ref itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.errors import CorpusError
from assistant.types import Document, Passage

# Bump whenever the way passages are cut, labelled or given ids changes: the index then rebuilds.
CHUNKER_VERSION = "1"

_PARAGRAPH = re.compile(r"^(\d+[a-z]?)\.\s+(.+)$")
_POINT = re.compile(r"^\(([0-9a-z]{1,4})\)\s+(.+)$")
_ARTICLE_REF = re.compile(r"^Article (\d+[a-z]?)$")
_SECTION_REF = re.compile(r"^Section ([\d.]+)$")


@dataclass
class _Section:
    """The section being read and the numbering state inside it."""

    doc: Document
    ref: str
    title: str
    subheading: str = ""
    paragraph: str = ""
    points: list[tuple[str, str]] = field(default_factory=list)  # (number, text) per nesting depth
    lead_in: str = ""
    unnumbered: int = 0

    @property
    def heading(self) -> str:
        head = f"{self.doc.short} {self.ref}"
        return f"{head} — {self.title}" if self.title else head


def _slug(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "-", text.lower().replace("§", "s")).strip("-")


class _Chunker:
    """Reads one document line by line and emits passages."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.passages: list[Passage] = []
        self.section: _Section | None = None

    def fail(self, lineno: int, message: str) -> CorpusError:
        return CorpusError(f"{self.doc.path}:{lineno}: {message}", "see corpus/README.md for the format")

    def run(self) -> list[Passage]:
        # The body starts after the front matter: count its lines so errors point into the file.
        offset = self.doc.front_matter_lines
        for lineno, raw in enumerate(self.doc.body.splitlines(), start=1 + offset):
            line = raw.rstrip()
            if not line.strip():
                continue
            if line.startswith("# "):
                ref, _, title = line[2:].partition(" — ")
                self.section = _Section(self.doc, ref.strip(), title.strip())
            elif line.startswith(("## ", "### ")):
                self._need_section(lineno).subheading = line.lstrip("#").strip()
            elif line.startswith("> "):
                self._attach_note(lineno, line[2:].strip())
            else:
                self._unit(lineno, line)
        return self.passages

    def _need_section(self, lineno: int) -> _Section:
        if self.section is None:
            raise self.fail(lineno, "text before the first '# ' section heading")
        return self.section

    def _attach_note(self, lineno: int, note: str) -> None:
        if not self.passages:
            raise self.fail(lineno, "a '> ' note must follow a unit")
        last = self.passages[-1]
        joined = f"{last.note} {note}".strip()
        self.passages[-1] = last.model_copy(update={"note": joined})

    def _unit(self, lineno: int, line: str) -> None:
        section = self._need_section(lineno)
        indent = (len(line) - len(line.lstrip(" "))) // 2
        text = line.strip()
        if _ARTICLE_REF.match(section.ref):
            self._article_unit(lineno, section, indent, text)
        elif section.ref == "Recitals":
            m = _POINT.match(text)
            if not m or not m.group(1).isdigit():
                raise self.fail(lineno, "a recital line must start with its number, e.g. '(43) '")
            self._emit(f"recital-{m.group(1)}", f"Recital {m.group(1)}", m.group(2), section.heading)
        elif m := _SECTION_REF.match(section.ref):
            self._section_unit(lineno, section, m.group(1), indent, text)
        else:
            section.unnumbered += 1
            body = text[2:].strip() if text.startswith("- ") else text
            context = " — ".join(filter(None, [section.heading, section.subheading]))
            self._emit(f"{_slug(section.ref)}/{section.unnumbered}", section.ref, body, context)

    def _article_unit(self, lineno: int, section: _Section, indent: int, text: str) -> None:
        article = _ARTICLE_REF.match(section.ref).group(1)  # type: ignore[union-attr]
        base_id, base_label = f"art-{article}", f"Art. {article}"
        if indent == 0 and (m := _PARAGRAPH.match(text)):
            section.paragraph, section.points, section.lead_in = m.group(1), [], m.group(2)
            self._emit(f"{base_id}/{m.group(1)}", f"{base_label}({m.group(1)})", m.group(2), section.heading)
        elif m := _POINT.match(text):
            if indent > len(section.points):
                raise self.fail(lineno, f"point ({m.group(1)}) is indented deeper than the point above it")
            parents = section.points[:indent]
            section.points = parents + [(m.group(1), m.group(2))]
            numbers = ([section.paragraph] if section.paragraph else []) + [n for n, _ in section.points]
            context = " ".join(filter(None, [section.heading, section.lead_in, *(t for _, t in parents)]))
            self._emit(
                f"{base_id}/" + "/".join(numbers),
                base_label + "".join(f"({n})" for n in numbers),
                m.group(2),
                context,
            )
        else:
            if indent:
                raise self.fail(lineno, "an indented line must start with a point number like '(i) '")
            section.points, section.unnumbered = [], section.unnumbered + 1
            parent = f"/{section.paragraph}" if section.paragraph else ""
            label = f"{base_label}({section.paragraph})" if section.paragraph else base_label
            if not section.paragraph:
                section.lead_in = text
            self._emit(f"{base_id}{parent}/sub-{section.unnumbered}", label, text, section.heading)

    def _section_unit(self, lineno: int, section: _Section, number: str, indent: int, text: str) -> None:
        m = _POINT.match(text)
        if m and indent == 0 and m.group(1).isdigit():
            section.paragraph, section.lead_in = m.group(1), m.group(2)
            self._emit(f"para-{m.group(1)}", f"para. {m.group(1)}", m.group(2), section.heading)
        elif m and indent == 1 and section.paragraph:
            self._emit(
                f"para-{section.paragraph}/{m.group(1)}",
                f"para. {section.paragraph}({m.group(1)})",
                m.group(2),
                f"{section.heading} {section.lead_in}",
            )
        elif indent == 0:
            section.unnumbered += 1
            context = " — ".join(filter(None, [section.heading, section.subheading]))
            self._emit(f"section-{_slug(number)}/sub-{section.unnumbered}", f"section {number}", text, context)
        else:
            raise self.fail(lineno, "an indented line must follow a numbered paragraph")

    def _emit(self, local_id: str, unit: str, text: str, context: str) -> None:
        if not text.strip():
            raise CorpusError(f"{self.doc.path}: empty unit {unit}", "every unit needs text after its number")
        self.passages.append(
            Passage(
                id=f"{self.doc.id}/{local_id}",
                label=f"{self.doc.short} {unit}",
                text=text.strip(),
                context=context,
                doc_id=self.doc.id,
                instrument=self.doc.short,
                authority=self.doc.authority,
                url=self.doc.source_url,
                order=0,
            )
        )


def chunk_document(doc: Document) -> list[Passage]:
    """All passages of one document, in reading order (duplicates not yet removed)."""
    return _Chunker(doc).run()


def normalise_text(text: str) -> str:
    """Collapse whitespace: the form in which quotes and duplicates are compared."""
    return " ".join(text.split())


def chunk_corpus(docs: list[Document]) -> list[Passage]:
    """Passages of every document. A text repeated word for word inside one document is kept once
    (the first); the same words in two instruments are two different provisions and both stay
    (LED Art. 3(13) repeats GDPR Art. 4(14))."""
    seen_id: set[str] = set()
    out: list[Passage] = []
    for doc in docs:
        seen_text: set[str] = set()
        for passage in chunk_document(doc):
            if passage.id in seen_id:
                raise CorpusError(f"{doc.path}: duplicate passage id {passage.id}", "check the numbering")
            key = normalise_text(passage.text).lower()
            if key in seen_text:
                continue
            seen_text.add(key)
            seen_id.add(passage.id)
            out.append(passage.model_copy(update={"order": len(out)}))
    return out
