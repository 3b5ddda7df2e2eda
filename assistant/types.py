"""Core types. Frozen pydantic models that flow one way through the pipeline."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Authority = Literal["law", "guidance", "decision", "commentary"]
Kind = Literal["definition", "fact", "interplay", "scenario", "out_of_scope"]
Status = Literal["met", "not_met", "unclear"]
Verdict = Literal["prohibited", "not_prohibited", "insufficient_facts"]

# Primary law before guidance before decisions before commentary (used to break ties).
AUTHORITY_RANK: dict[str, int] = {"law": 0, "guidance": 1, "decision": 2, "commentary": 3}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Document(_Frozen):
    """One corpus file: front matter plus its Markdown body."""

    id: str = Field(description="Stable document id, the prefix of its passage ids")
    title: str = Field(description="Full title of the instrument or text")
    short: str = Field(description="Citation prefix, e.g. 'AI Act' or 'GDPR'")
    authority: Authority = Field(description="Rank of the text: law, guidance, decision or commentary")
    source_url: str = Field(default="", description="Where the official text can be read")
    version_date: str = Field(description="Date of the text as reproduced (ISO 8601)")
    notes: str = Field(default="", description="Provenance and fidelity notes")
    body: str = Field(description="Markdown body after the front matter")
    path: str = Field(description="File name inside the corpus directory")
    sha256: str = Field(description="Hash of the whole file, for incremental indexing")
    front_matter_lines: int = Field(default=0, description="Lines before the body, for error line numbers")


class Passage(_Frozen):
    """One citable unit: an article paragraph or point, a recital, a guideline paragraph..."""

    id: str = Field(description="Stable id derived from the unit's place, e.g. 'ai-act/art-5/1/e'")
    label: str = Field(description="Pinpoint citation label, e.g. 'AI Act Art. 5(1)(e)'")
    text: str = Field(description="The unit's verbatim wording, without its number marker")
    context: str = Field(default="", description="Enclosing headings and lead-in, used for embedding")
    note: str = Field(default="", description="Editorial note shown beside the text, never quoted")
    doc_id: str = Field(description="Id of the document the passage belongs to")
    instrument: str = Field(description="The document's citation prefix, e.g. 'GDPR'")
    authority: Authority = Field(description="Authority rank inherited from the document")
    url: str = Field(default="", description="Source link of the document")
    order: int = Field(description="Position of the passage in the corpus, for reading order")

    def embedding_text(self) -> str:
        """What gets embedded: the heading context helps short points find their meaning."""
        # The unit's own words first: the model truncates long inputs, and context is only a helper.
        return f"{self.label}. {self.text}\n({self.context})" if self.context else f"{self.label}. {self.text}"


class ScoredPassage(_Frozen):
    """A retrieved passage with how it was found."""

    passage: Passage
    score: float = Field(description="Fused rank score; higher is better")
    dense: float = Field(default=0.0, description="Cosine similarity to the question (0 if not in dense hits)")
    direct: bool = Field(default=False, description="Found because the question names its reference")


class Citation(_Frozen):
    """A numbered citation: a verbatim quote from one retrieved passage."""

    n: int = Field(description="The marker number used in the answer text, [n]")
    label: str = Field(description="Pinpoint citation label of the passage")
    passage_id: str = Field(description="Id of the cited passage; must be one retrieved for this question")
    quote: str = Field(description="Verbatim substring of the passage text")
    url: str = Field(default="", description="Source link")


class ConditionFinding(_Frozen):
    """The assessment of one cumulative condition."""

    id: str = Field(description="Condition id from the rule file, e.g. 'untargeted_scraping'")
    label: str = Field(description="Human-readable name of the condition")
    status: Status = Field(description="met, not_met or unclear")
    rationale: str = Field(description="Why, in one or two sentences")
    citations: list[int] = Field(default_factory=list, description="Citation numbers supporting the rationale")


class FrameFact(_Frozen):
    """One slot of the fact frame: what was understood, from which words, how surely."""

    slot: str = Field(description="Slot id from the rule file, e.g. 'source'")
    value: str = Field(description="Slot value id, e.g. 'cctv'; 'unknown' when nothing settles it")
    label: str = Field(description="How the value reads to a user")
    evidence: str = Field(default="", description="The user's own words it was read from (verbatim)")
    confidence: float = Field(default=0.0, description="Similarity-based confidence; 1.0 for anchors and given facts")
    origin: Literal["read", "given"] = Field(default="read", description="Read from the question, or given by the user")


class Frame(_Frozen):
    """The facts of a scenario as understood: one entry per value read or given."""

    facts: tuple[FrameFact, ...] = Field(default=(), description="Facts read or given")
    contradictions: tuple[str, ...] = Field(default=(), description="Statements that contradict each other")
    unread: str = Field(default="", description="A follow-up that states something the reader could not place")
    doubts: tuple[FrameFact, ...] = Field(
        default=(), description="Values half-stated (an exception too faint to read, a hedge) where their slot stayed unknown")
    unsure: tuple[str, ...] = Field(
        default=(), description="Slots the user says they are not sure of, left unknown: nothing is presumed of them")

    def values(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for f in self.facts:
            out.setdefault(f.slot, set()).add(f.value)
        return out


class Answer(_Frozen):
    """Everything needed to render or grade an answer without re-running anything."""

    question: str = Field(description="The question as asked")
    kind: Kind = Field(description="What sort of question it was")
    answer: str = Field(description="Everything the user reads, with [n] citation markers")
    verdict: Verdict | None = Field(default=None, description="Only for scenario questions")
    conditions: list[ConditionFinding] = Field(default_factory=list, description="Four-condition panel")
    citations: list[Citation] = Field(default_factory=list, description="Numbered citations")
    abstained: bool = Field(default=False, description="True when the question is outside the corpus")
    clarifying_questions: list[str] = Field(default_factory=list, description="One per unclear condition")
    facts: list[FrameFact] = Field(default_factory=list, description="What I understood: the fact frame (scenarios)")
    missing: list[str] = Field(default_factory=list, description="Slots whose value would settle an unclear condition")
    contradictions: list[str] = Field(default_factory=list, description="Statements in the question that contradict each other")
    notice: str = Field(description="Not-legal-advice notice")
    corpus_version: str = Field(description="Version of the corpus the index was built from")
