"""Pure functions that turn an Answer into what the app shows and exports.

No Streamlit here: every piece is plain Markdown or data, so it is tested without a browser. Corpus
and user text is never passed as HTML. It is escaped as Markdown, and a quoted span is highlighted
with Streamlit's own `:orange-background[...]` directive, so the app needs no unsafe_allow_html.

A scenario answer is shown in parts, each once: the verdict box, "What I understood" (the fact
frame, one select box per slot), the clarifying questions (one click per value), the condition
panel, then the rest of the answer text (remarks, other law). The composer's text holds all of
these as lines; `shown_apart` names the lines the app shows in another form.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from assistant.errors import RedlinesError
from assistant.rules import UNKNOWN, Slot
from assistant.types import Answer, ConditionFinding, FrameFact, Passage

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
NOT_STATED = "not stated"
# The composer's line that states the frame in words; the app shows the frame as select boxes.
FRAME_LINE = "What I understood:"
# Where a condition's rationale goes on to quote the user's words (compose.py): the frame shows them.
_EVIDENCE = re.compile(r"\s+(?:From your words: “|As you set it: ).*\Z", re.DOTALL)


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


def answer_markdown(answer: Answer, omit: Collection[str] = ()) -> str:
    """The answer text, one paragraph per line, less the lines in `omit`; the composer's '- '
    lines stay a list."""
    lines = []
    for line in answer.answer.splitlines():
        if line in omit:
            continue
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


def verdict_line(answer: Answer) -> str:
    """The line that states the verdict: its first line, or the 'Verdict: ...' line where an answer
    note leads an undecided scenario."""
    lines = answer.answer.splitlines()
    return next((line for line in lines if line.startswith("Verdict: ")), lines[0] if lines else "")


def verdict_reason(answer: Answer) -> str:
    """The verdict line (which says why) without its 'Verdict: ...,' head, as Markdown."""
    return escape_markdown(re.sub(r"^Verdict: [^,]*, ", "", verdict_line(answer)))


def verdict_box(answer: Answer) -> VerdictBox | None:
    """The verdict with the reason the answer gives, or None for other answers."""
    if answer.verdict is None:
        return None
    return VerdictBox(VERDICT_LEVELS[answer.verdict], f"**{VERDICT_TITLES[answer.verdict]}** — {verdict_reason(answer)}")


def shown_apart(answer: Answer, *, questions: bool) -> set[str]:
    """The lines of a scenario answer that the app shows in another form: the verdict line (the
    verdict box), the frame line ("What I understood"), each condition line (the panel) and, when
    `questions`, the line asking the clarifying questions (one-click choices)."""
    lines = answer.answer.splitlines()
    if answer.verdict is None or not lines:
        return set()
    heads = tuple(f"- {f.label} —" for f in answer.conditions)
    out = {verdict_line(answer)} | {line for line in lines if line.startswith((FRAME_LINE, *heads))}
    if questions and answer.clarifying_questions:
        asked = " ".join(answer.clarifying_questions)
        out |= {line for line in lines if line.endswith(asked)}
    return out


def finding_markdown(finding: ConditionFinding) -> str:
    """A condition's rationale and citation numbers, without the user's words (the frame shows them)."""
    cites = f" {markers(finding.citations)}" if finding.citations else ""
    return escape_markdown(_EVIDENCE.sub("", finding.rationale)) + cites


def condition_rows(answer: Answer, changed: Iterable[str] = ()) -> list[str]:
    """One Markdown block per condition: status badge, label, rationale and citation numbers."""
    changed = set(changed)
    rows = []
    for finding in answer.conditions:
        flag = f" {CHANGED_BADGE}" if finding.id in changed else ""
        rows.append(f"{STATUS_BADGES[finding.status]} **{escape_markdown(finding.label)}**{flag}  \n{finding_markdown(finding)}")
    return rows


def changed_conditions(before: Answer, after: Answer) -> set[str]:
    """Ids of the conditions whose status differs between two answers."""
    old = {f.id: f.status for f in before.conditions}
    return {f.id for f in after.conditions if old.get(f.id) != f.status}


# ---- what I understood: the fact frame -------------------------------------------------------


def value_label(slot: Slot, value: str) -> str:
    """How a slot value reads to a user; `unknown` reads as 'not stated'."""
    return NOT_STATED if value == UNKNOWN else slot.value(value).label


def choices(slot: Slot) -> list[str]:
    """The values a user can give a slot: the rule file's, then `unknown`."""
    return [*slot.ids(), UNKNOWN]


def what_if(slot: Slot, value: str) -> str:
    """'Where the images come from: CCTV or surveillance footage' (plain text, not Markdown)."""
    return f"{slot.label}: {value_label(slot, value)}"


def _fact_source(fact: FrameFact) -> str:
    if fact.origin == "given":
        return "set by you"
    return f"from your words: “{escape_markdown(fact.evidence)}”" if fact.evidence else "read from your words"


@dataclass(frozen=True)
class FrameRow:
    """One slot of "What I understood": the value held and where it came from."""

    slot: Slot
    value: str  # the value id held (the first, for a slot holding several), or `unknown`
    text: str  # Markdown: the value label(s)
    source: str  # Markdown: the user's words it was read from, 'set by you', or 'not stated'

    @property
    def settable(self) -> bool:
        """A select box sets one value; a slot holding several (remarks raised) is shown, not set."""
        return not self.slot.multiple

    def markdown(self) -> str:
        return f"**{escape_markdown(self.slot.label)}:** {self.text} · {self.source}"


def frame_rows(answer: Answer, slots: Iterable[Slot]) -> list[FrameRow]:
    """Every slot in rule-file order with what the answer understood for it. A remark nobody
    raised (robots.txt, consent) is left out: it is not a missing fact."""
    held: dict[str, list[FrameFact]] = {}
    for fact in answer.facts:
        held.setdefault(fact.slot, []).append(fact)
    rows = []
    for slot in slots:
        facts = held.get(slot.id, [])
        if not facts and not slot.question:
            continue
        text = "; ".join(escape_markdown(f.label) for f in facts) or f"_{NOT_STATED}_"
        source = "; ".join(dict.fromkeys(_fact_source(f) for f in facts)) or NOT_STATED
        rows.append(FrameRow(slot, facts[0].value if facts else UNKNOWN, text, source))
    return rows


def missing_slots(answer: Answer, slots: Iterable[Slot]) -> list[Slot]:
    """The slots whose value would settle an unclear condition, in the answer's order."""
    by_id = {s.id: s for s in slots}
    return [by_id[s] for s in answer.missing if s in by_id]


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


# ---- errors -------------------------------------------------------------------------------------


def message_of(exc: RedlinesError) -> str:
    """The error's message without the hint that str() appends."""
    return str(exc.args[0]) if exc.args else type(exc).__name__


def error_markdown(message: str, hint: str = "") -> str:
    """An error and the hint that says what to do about it (errors.py gives every error one)."""
    what = f"  \n**What to do:** {escape_markdown(hint)}" if hint else ""
    return f"**Something went wrong:** {escape_markdown(message)}{what}"
