"""Pure functions that turn an Answer into what the app shows and exports.

No Streamlit here: every piece is plain Markdown or data, so it is tested without a browser. Corpus
and user text is never passed as HTML. It is escaped as Markdown, and a quoted span is highlighted
with Streamlit's own `:orange-background[...]` directive, so the app needs no unsafe_allow_html.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from assistant.errors import RedlinesError
from assistant.types import Answer, Passage, Verdict

# Characters with a meaning anywhere in a line: emphasis, code, links, raw HTML, LaTeX ($),
# strikethrough, tables, entities, and Streamlit's :directives[...] and :emoji: shortcodes.
_INLINE = re.compile(r"([\\`*_\[\]<>$~|&:])")
# Characters with a meaning only at the start of a line: headings, lists, rules, and the '.' or ')'
# of a numbered list ('1.'); a digit itself cannot be escaped.
_LINE_START = re.compile(r"^(\s*(?:\d+(?=[.)]))?)([#+=.)-])", re.MULTILINE)

VERDICT_TITLES: dict[str, str] = {
    "prohibited": "Prohibited",
    "not_prohibited": "Not prohibited",
    "insufficient_facts": "Insufficient facts",
}
# Names of the Streamlit alert that shows each verdict (st.error, st.success, st.warning).
VERDICT_LEVELS: dict[str, str] = {"prohibited": "error", "not_prohibited": "success", "insufficient_facts": "warning"}
STATUS_BADGES: dict[str, str] = {
    "met": ":red-badge[:material/check: met]",
    "not_met": ":green-badge[:material/close: not met]",
    "unclear": ":orange-badge[:material/help: unclear]",
}
STATUS_WORDS: dict[str, str] = {"met": "met", "not_met": "not met", "unclear": "unclear"}
CHANGED_BADGE = ":violet-badge[:material/swap_horiz: changed]"


def escape_markdown(text: str) -> str:
    """Text that Markdown (and Streamlit's extensions) shows exactly as written."""
    escaped = _INLINE.sub(r"\\\1", text)
    return _LINE_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", escaped)


def _span(text: str, quote: str) -> tuple[int, int] | None:
    """Where the quote sits in the text; quotes are verbatim up to whitespace (compose.py)."""
    if not quote.strip():
        return None
    start = text.find(quote)
    if start >= 0:
        return start, start + len(quote)
    m = re.search(r"\s+".join(map(re.escape, quote.split())), text)
    return (m.start(), m.end()) if m else None


def highlight(text: str, quote: str) -> str:
    """The text as Markdown with the quoted span on an orange background."""
    span = _span(text, quote)
    if span is None:
        return escape_markdown(text)
    start, end = span
    before, inside, after = (escape_markdown(part) for part in (text[:start], text[start:end], text[end:]))
    return f"{before}:orange-background[{inside}]{after}"


def markers(numbers: Iterable[int]) -> str:
    """'[1][3]' as Markdown, or '' for none."""
    return "".join(rf"\[{n}\]" for n in numbers)


def answer_markdown(answer: Answer) -> str:
    """The answer text, one paragraph per line; the composer's '- ' lines stay a list."""
    lines = []
    for line in answer.answer.splitlines():
        if line.startswith("- "):
            lines.append("- " + escape_markdown(line[2:]))
        elif line.strip():
            lines.append("\n" + escape_markdown(line))
    # Markers (escaped to \[n\]) are set in bold, a run of them as one: **\[1\]\[2\]**.
    return re.sub(r"((?:\\\[\d+\\\])+)", r"**\1**", "\n".join(lines).strip())


def footer(answer: Answer) -> str:
    """The not-legal-advice notice and the corpus version, shown under every answer."""
    return f"{escape_markdown(answer.notice)} · corpus version `{answer.corpus_version}`"


# ---- verdict and condition panel ---------------------------------------------------------------


@dataclass(frozen=True)
class VerdictBox:
    level: str  # error | success | warning: which Streamlit alert shows it
    markdown: str


def verdict_box(answer: Answer) -> VerdictBox | None:
    """The verdict with the answer's first line (which says why), or None for other answers."""
    if answer.verdict is None:
        return None
    first = answer.answer.splitlines()[0] if answer.answer else ""
    reason = re.sub(r"^Verdict: [^,]*, ", "", first)
    return VerdictBox(VERDICT_LEVELS[answer.verdict], f"**{VERDICT_TITLES[answer.verdict]}** — {escape_markdown(reason)}")


def condition_rows(answer: Answer, changed: Iterable[str] = ()) -> list[str]:
    """One Markdown block per condition: status badge, label, rationale and citation numbers."""
    changed = set(changed)
    rows = []
    for finding in answer.conditions:
        flag = f" {CHANGED_BADGE}" if finding.id in changed else ""
        cites = f" {markers(finding.citations)}" if finding.citations else ""
        rows.append(
            f"{STATUS_BADGES[finding.status]} **{escape_markdown(finding.label)}**{flag}  \n"
            f"{escape_markdown(finding.rationale)}{cites}"
        )
    return rows


def changed_conditions(before: Answer, after: Answer) -> set[str]:
    """Ids of the conditions whose status differs between two answers."""
    old = {f.id: f.status for f in before.conditions}
    return {f.id for f in after.conditions if old.get(f.id) != f.status}


# ---- sources ----------------------------------------------------------------------------------


def source_link(url: str) -> str:
    """A Markdown link to a source, or '' when the URL is not a plain http(s) address."""
    if not re.fullmatch(r"https?://[^\s<>()\[\]]+", url):
        return ""
    return f"[Open the source]({url})"


def passage_meta(passage: Passage) -> str:
    """Authority level, editorial note and source link, as one caption line."""
    parts = [f"Authority: **{passage.authority}**"]
    if passage.note:
        parts.append(f"Note: {escape_markdown(passage.note)}")
    if link := source_link(passage.url):
        parts.append(link)
    return " · ".join(parts)


@dataclass(frozen=True)
class SourceCard:
    """One citation as the app shows it in an expander."""

    n: int
    title: str
    body: str
    meta: str


def source_cards(answer: Answer, passages: Mapping[str, Passage]) -> list[SourceCard]:
    """The answer's citations with their passages, the quoted span highlighted."""
    cards = []
    for c in answer.citations:
        passage = passages.get(c.passage_id)
        title = escape_markdown(f"[{c.n}] {c.label}")
        if passage is None:  # the index changed since the answer was given: show the quote alone
            cards.append(SourceCard(c.n, title, f":orange-background[{escape_markdown(c.quote)}]", source_link(c.url)))
        else:
            cards.append(SourceCard(c.n, title, highlight(passage.text, c.quote), passage_meta(passage)))
    return cards


def instrument_name(instrument: str) -> str:
    """'Enforcement:' -> 'Enforcement' (some citation prefixes end in a colon)."""
    return instrument.rstrip(": ")


def article_of(passage: Passage) -> str:
    """The group a passage is browsed under: its article, recital, paragraph or section."""
    rest = passage.label[len(passage.instrument):].strip()
    m = re.match(r"(Art\. \d+[a-z]?|Recital \d+|para\. \d+|section \d+|§\d+)", rest)
    return m.group(1) if m else rest or passage.label


def browse_index(passages: Iterable[Passage]) -> dict[str, dict[str, list[Passage]]]:
    """Instrument -> article -> passages, all in corpus order."""
    out: dict[str, dict[str, list[Passage]]] = {}
    for p in sorted(passages, key=lambda p: p.order):
        out.setdefault(instrument_name(p.instrument), {}).setdefault(article_of(p), []).append(p)
    return out


# ---- the conversation and its export -----------------------------------------------------------


@dataclass
class Exchange:
    """One turn of the chat: the question and either its answer or the error it raised."""

    question: str
    answer: Answer | None = None
    error: str = ""
    hint: str = ""
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])  # stable widget keys

    @classmethod
    def failed(cls, question: str, exc: RedlinesError) -> Exchange:
        return cls(question, error=message_of(exc), hint=exc.hint)


def message_of(exc: RedlinesError) -> str:
    """The error's message without the hint that str() appends."""
    return str(exc.args[0]) if exc.args else type(exc).__name__


def error_markdown(message: str, hint: str = "") -> str:
    """An error and the hint that says what to do about it (errors.py gives every error one)."""
    what = f"  \n**What to do:** {escape_markdown(hint)}" if hint else ""
    return f"**Something went wrong:** {escape_markdown(message)}{what}"


def conversation_markdown(exchanges: Sequence[Exchange]) -> str:
    """The conversation as a Markdown document, every answer with its numbered sources."""
    out = ["# redlines conversation", ""]
    for i, ex in enumerate(exchanges, start=1):
        out += [f"## {i}. {escape_markdown(ex.question)}", ""]
        a = ex.answer
        if a is None:
            out += [error_markdown(ex.error, ex.hint), ""]
            continue
        if a.verdict:
            out += [f"**Verdict: {VERDICT_TITLES[a.verdict]}**", ""]
            out += [f"- {STATUS_WORDS[f.status]}: {escape_markdown(f.label)} {markers(f.citations)}".rstrip() for f in a.conditions]
            out.append("")
        out += [answer_markdown(a), ""]
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
        {"question": ex.question, "answer": ex.answer.model_dump(mode="json") if ex.answer else None,
         "error": ex.error, "hint": ex.hint}
        for ex in exchanges
    ]
    return json.dumps({"exchanges": rows}, ensure_ascii=False, indent=2)


# ---- the trainer scenario library (eval/scenarios.yaml) ----------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Flip(_Strict):
    """A what-if: one condition's statement replaced."""

    condition: str = Field(description="Condition id whose statement is replaced")
    statement: str = Field(description="The alternative fact, in plain words")
    expected_verdict: Verdict


class Scenario(_Strict):
    """A trainer scenario: a narrative, one fact per condition, and what-if flips."""

    id: str
    title: str
    narrative: str = Field(description="The question a trainer would ask")
    facts: dict[str, str] = Field(description="Condition id -> plain-language statement")
    expected_verdict: Verdict
    flips: list[Flip] = Field(default_factory=list)
    teaching_notes: str = ""
    key_citations: list[str] = Field(default_factory=list, description="Labels of the decisive passages")

    @model_validator(mode="after")
    def _flips_name_given_conditions(self) -> Scenario:
        for flip in self.flips:
            if flip.condition not in self.facts:
                raise ValueError(f"flip names {flip.condition!r}, which has no fact in scenario {self.id!r}")
        return self

    def facts_with(self, condition: str, statement: str) -> dict[str, str]:
        """The facts with one condition's statement replaced."""
        return {**self.facts, condition: statement}


class ScenarioLibrary(_Strict):
    version: int = Field(description="Format version; only 1 exists")
    scenarios: list[Scenario]

    @model_validator(mode="after")
    def _unique_ids(self) -> ScenarioLibrary:
        if self.version != 1:
            raise ValueError(f"unsupported scenario file version {self.version}")
        ids = [s.id for s in self.scenarios]
        if dupes := sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"scenario ids appear twice: {', '.join(dupes)}")
        return self

    def get(self, scenario_id: str) -> Scenario:
        return next(s for s in self.scenarios if s.id == scenario_id)


def load_scenarios(path: Path) -> ScenarioLibrary:
    """Read and validate the scenario library."""
    return ScenarioLibrary.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def flip_label(flip: Flip, labels: Mapping[str, str]) -> str:
    """'What if — <condition>: “statement”' for a flip picker (plain text, not Markdown)."""
    return f"What if — {labels.get(flip.condition, flip.condition)}: “{flip.statement}”"

