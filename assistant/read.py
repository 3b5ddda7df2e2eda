"""Read a scenario for its meaning: the user's words -> a fact frame (slot -> value, with evidence).

The reader splits each turn into clauses, embeds them in one batch with its own copy of the model,
fine-tuned on the example bank at ingest (assistant/backends/tune.py), and classifies every clause
against the example bank (assistant/rules/examples.yaml) with a softmax head per slot on those
vectors (its nearest examples a second opinion on exclusions). A negated clause ("no AI is involved") is flipped to the
value the rule file gives for the negation; a few precise anchors (robots.txt) decide outright.
Below the confidence threshold a slot stays unknown, and the answer asks instead of guessing.

The interface is frame in, frame out: `Reader.read(turns, given)` -> Frame, so another reader (a
language model) could fill the same frame under the same evidence checks.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from itertools import combinations
from pathlib import Path
from typing import TypeVar

import numpy as np

from assistant.banks import Asking, Cue, ExampleBank, Polar
from assistant.config import ReaderSettings
from assistant.errors import InputError
from assistant.route import sentences, statements
from assistant.rules import UNKNOWN, RuleBook, Slot
from assistant.semantic import Encoder, LinearHead, VectorBank
from assistant.types import Frame, FrameFact

# Clause boundaries: sentences, lines and list items, semicolons, and the words that turn a
# sentence ("but", "except", "then", "whereas"...), so that each fact is read where it is stated.
_CLAUSE = re.compile(
    r"(?<=[.!?])\s+|\n+|;\s*|:\s+(?=\S+\s+\S+\s+\S+)|\s+[-*•]\s+|"
    r",?\s+(?=(?:but|except|although|though|whereas|while|however|then|and then|instead|unless|so that)\b)",
    re.IGNORECASE,
)
_NEGATION = re.compile(
    r"\b(?:no|not|never|without|nothing|none|nobody|no[- ]?one|neither|nor|zero|cannot|n't|instead of|rather than)\b|n't\b|\bno longer\b",
    re.IGNORECASE,
)
# Words that look negative but negate nothing about the fact ("not only", "no matter"), and a
# negated stop, which says the thing goes on ("the crawler never stopped": it still runs).
_NOT_NEGATION = re.compile(
    r"\b(?:not only|not just|no matter|whether or not|no exceptions?|nothing but)\b|"
    r"(?:\b(?:never|not|no longer)|n't)\s+(?:been\s+)?(?:stop|stops|stopped|cease[sd]?|pause[sd]?|end(?:s|ed)?|quit)\b|"
    # a question tag ("..., aren't we?") asks for agreement and negates nothing
    r",?\s*\b(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should|wo|ca)n't\s+(?:it|we|they|you|i|he|she|that|this|there)\s*\?",
    re.IGNORECASE,
)


# A clause that states the user's own uncertainty ("I'm not sure whether we index the photos by
# face") asserts nothing: what is read in it can only unsettle, like a half-stated exception.
_HEDGE = re.compile(
    r"\b(?:not sure|unsure|(?:do|does|did)(?:n't| not) know|no idea|unclear|uncertain|(?:can't|cannot|couldn't) tell|"
    r"not clear|wonder(?:ing)?|(?:do|does|did)(?:n't| not) remember|no clue|"
    r"(?:won't|will not|wouldn't|would not|refuses? to|(?:do|does|did)(?:n't| not)) (?:tell|say|disclose|confirm))"
    r"\b[^.?!;]{0,20}?\b(?:whether|if|what|which|how|who|why)\b|"
    # a possibility or an undecided plan ("we might also keep the other faces, not decided yet")
    r"\b(?:might|maybe|perhaps|possibly)\b|\b(?:not (?:yet )?decided|undecided|(?:haven't|have not|hasn't|has not) (?:yet )?decided|to be decided|tbd)\b",
    re.IGNORECASE,
)


# A follow-up that adds an activity to the one described ("the crawler would ALSO keep every other
# face", "we'd also sell it to the police") leaves the first standing: the ban reaches the part that
# meets every condition. A discourse "Also," opening a clause adds nothing by itself.
_ADDING = re.compile(
    r"\b(?:also|additionally|in addition|on top of (?:that|it|this))\b|\b(?:too|as well)\s*[.?!]*\s*$", re.IGNORECASE
)
_ASIDE = re.compile(r"^\W*(?:also|additionally|in addition)\s*[,:]", re.IGNORECASE)


def adds(clause: str) -> bool:
    return bool(_ADDING.search(_ASIDE.sub(" ", clause)))


def hedged(clause: str) -> bool:
    return bool(_HEDGE.search(clause))


def polarity(question: str, polar: Polar) -> str:
    """Which way the message's last question points: 'ban' ("is this prohibited?", "does the ban
    reach us?"), 'clear' ("allowed?", "the ban shouldn't apply?", "exempt, isn't it?") or '' when
    it points neither way or both. A negation just before the words turns them round; the
    inverted auxiliary of a negative question ("Isn't this banned?") and a trailing tag do not, nor
    does the law a verdict is weighed under ("allowed under the ban?" points 'clear'). A
    question that asks for content ("which provision applies instead?") points neither way."""
    text = asked_sentence(question, polar)
    if not text or asks_content(text, polar):  # "which provision could apply instead?" asks for content
        return ""
    text = polar.frame.sub(r"\1", polar.inverted.sub(" ", text))
    ways: set[str] = set()
    for way, patterns in (("ban", polar.ban), ("clear", polar.clear)):
        for pattern in patterns.compiled:
            for m in pattern.finditer(text):
                # a negation's scope ends at a clause mark ("scraping without AI tools, covered?")
                before = " ".join(re.split(r"[,;:()]|\s[-–—]\s", text[: m.start()])[-1].split()[-6:])
                turned = negates(before, polar.bridge) and not is_negated(m.group(0))
                ways.add({"ban": "clear", "clear": "ban"}[way] if turned else way)
    return ways.pop() if len(ways) == 1 else ""


def asked_sentence(question: str, polar: Polar) -> str:
    """The message's last sentence that asks something (the last sentence where none has a
    question mark), without a trailing tag ("..., right?")."""
    parts = sentences(question)
    asked = [s for s in parts if "?" in s] or parts[-1:]
    return (polar.tag.sub("", asked[-1]).strip() or asked[-1]) if asked else ""


def asks_content(question: str, polar: Polar) -> bool:
    """Whether the question asked is a wh-question ("when was Clearview fined?", "which law
    applies?"): it wants a date, a name, a law, not a yes or no."""
    return bool(polar.open.search(asked_sentence(question, polar)))


def split_clauses(text: str) -> list[str]:
    """Clauses of a message, each a verbatim span of it (so it can be shown as evidence)."""
    parts = [p.strip(" ,-*•\t") for p in _CLAUSE.split(text) if p]
    return [p for p in parts if len(p.split()) >= 2]


def windows(clause: str, size: int) -> list[tuple[str, str]]:
    """The clause and, when it is long, overlapping spans of `size` words (each verbatim), with the
    text a negation is looked for in: the span plus the words before it back to the last comma,
    and at least the three words before it ("nothing has been placed on the market or put into
    service": the negation governs the whole phrase)."""
    words = [m.span() for m in re.finditer(r"\S+", clause)]
    out = [(clause, clause)]
    if len(words) > size:
        for start in range(0, len(words) - size // 2, max(1, size // 2)):
            end = min(start + size, len(words)) - 1
            span = clause[words[start][0] : words[end][1]].strip(" ,;")
            comma = clause.rfind(",", 0, words[start][0]) + 1
            begin = min(words[max(0, start - 3)][0], comma)
            out.append((span, clause[begin : words[end][1]].strip()))
    return out


def _keys(texts: Sequence[str], seed: int) -> np.ndarray:
    """A stable pseudo-random 64-bit key per text, from the text itself."""
    return np.array([int.from_bytes(hashlib.blake2b(f"{seed}\x1f{t}".encode(), digest_size=8).digest(), "little")
                     for t in texts], dtype=np.uint64)


def _mix(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser: spreads a 64-bit value's bits (wrapping arithmetic on uint64)."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def mixtures(texts: Sequence[str], labels: Sequence[str], per_text: int, seed: int = 5) -> tuple[list[str], list[frozenset[str]]]:
    """Each statement joined with others about a different slot (or about nothing), labelled with
    both: a deterministic augmentation that teaches the heads to find one fact among several.

    A statement's partners are the ones whose pair hash is smallest, and the hash depends only on
    the two texts: adding or removing a statement changes few pairings (about one in the bank's
    size) instead of redrawing them all, so one bank edit no longer retrains every head on
    different mixtures and moves unrelated readings."""
    slot_of = np.array([label.split("=", 1)[0] for label in labels])
    keys = _keys(texts, seed)
    out_texts, out_rows = [], []
    for i in range(len(texts)):
        h = _mix(keys ^ _mix(keys[i : i + 1]))
        h[i] = np.iinfo(np.uint64).max
        if slot_of[i]:
            h[slot_of == slot_of[i]] = np.iinfo(np.uint64).max
        for j in np.argsort(h, kind="stable")[:per_text]:
            first, second = (i, j) if h[j] & np.uint64(1) else (j, i)
            out_texts.append(f"{texts[first].rstrip('.')}, and {texts[second][:1].lower()}{texts[second][1:]}")
            out_rows.append(frozenset(x for x in (labels[i], labels[j]) if x))
    return out_texts, out_rows


# Exclusive negation denies everything but what is named ("the 200 listed people, nobody else"):
# it restricts a stated value and denies only breadth. Disposing of the rest says the same
# ("looks for the 30 children and discards all other faces": no other face is kept).
_EXCLUSIVE = re.compile(
    r"\b(?:nobody|no[- ]?one|nothing|none) else\b|\bno other\b|\bnot anyone else\b|"
    r"\b(?:discard|drop|delet|ignor|skip|purg|eras|remov|reject|throw|toss|bin|dump|filter)\w*"
    r"(?:\s+(?:away|out))?\s+(?:(?:all|any|every)\s+)?(?:(?:the|of the)\s+)?(?:other|others|rest|remaining)\b",
    re.IGNORECASE,
)


_Said = TypeVar("_Said", "Reading", FrameFact)  # a reading or a frame fact: both have value and confidence


def is_negated(clause: str) -> bool:
    return bool(_NEGATION.search(_NOT_NEGATION.sub(" ", clause)))


def negates(before: str, bridge: re.Pattern[str]) -> bool:
    """Whether the words before a verdict word negate it: a negation with only bridging words
    after it ("isn't really covered", "not be considered banned"), not one that belongs to a
    clause of its own ("a dataset where nobody is identified prohibited?")."""
    cleared = _NOT_NEGATION.sub(" ", before)
    last = None
    for last in _NEGATION.finditer(cleared):
        pass
    return last is not None and bool(bridge.fullmatch(cleared[last.end():].strip()))


def negation(clause: str) -> str:
    """'plain', 'exclusive' (only "nobody else" and the like) or '' (none)."""
    if not is_negated(clause) and not _EXCLUSIVE.search(clause):
        return ""
    return "plain" if is_negated(_EXCLUSIVE.sub(" ", clause)) else "exclusive"


@dataclass(frozen=True)
class Reading:
    """One slot value read from one clause."""

    slot: str
    value: str
    evidence: str
    confidence: float
    clause: int = 0  # position among the clauses read together
    anchored: bool = False  # read from a precise phrase, not by the model
    contested: bool = False  # a cue whose presumption the clause may defeat: the model is heard too
    doubt: bool = False  # an exception half-stated: it cannot set the slot, only unsettle it


class Reader:
    """Fills the fact frame from the user's words with the example bank and the embedding model."""

    def __init__(
        self, rules: RuleBook, bank: ExampleBank, encoder: Encoder, settings: ReaderSettings,
        cache_dir: Path | None = None, cues: tuple[Cue, ...] = (), asking: Asking | None = None,
    ) -> None:
        self.rules, self.settings, self.encoder, self.asking = rules, settings, encoder, asking
        self.cues = cues if settings.use_cues else ()
        labels = [f"{slot}={value}" for slot, value, _ in bank.rows] + [""] * len(bank.none)
        self.bank = VectorBank("reader", bank.texts(), labels, encoder, cache_dir)
        self._linear: dict[str, list[LinearHead]] | None = None
        # An exception must be clearly stated: values that make a condition fail need more evidence
        # (a value that does so only beside another, like a database beside a one-photo search, is
        # no exception on its own)
        self._excluding = {(s, v) for f in rules.findings if f.status in ("not_met", "unclear") and len(f.when) == 1
                           for s, values in f.when.items() for v in values}
        self._labels = {s.id: [f"{s.id}={v}" for v in s.ids() if f"{s.id}={v}" in self.bank.label_set] for s in rules.slots}
        # per slot, which of its read values make a condition fail (a remark never does)
        self._exceptions = {s.id: np.array([not s.multiple and (s.id, label.split("=", 1)[1]) in self._excluding
                                            for label in self._labels[s.id]], dtype=bool) for s in rules.slots}
        # what each value sets: (condition, status) pairs through the rule file's findings
        self._effects: dict[tuple[str, str], frozenset[tuple[str, str]]] = {}
        for f in rules.findings:
            for slot_id, values in f.when.items():
                for v in values:
                    self._effects[slot_id, v] = self._effects.get((slot_id, v), frozenset()) | {(f.condition, f.status)}
        self._groups = {s.id: self._alike(s.id) for s in rules.slots}
        if unknown := set(settings.slot_probability) - {s.id for s in rules.slots}:
            raise InputError(f"reader.slot_probability names unknown slots: {sorted(unknown)}",
                             f"use slot ids of the rule file: {', '.join(s.id for s in rules.slots)}")

    def _alike(self, slot: str) -> np.ndarray:
        """(values x groups) membership: values that set the same conditions to the same status
        through the rule file's findings form one group, unless they make a condition fail (an
        exception is read on its own evidence) or set nothing."""
        keys: list[object] = []
        for label in self._labels[slot]:
            v = label.split("=", 1)[1]
            effect = self._effects.get((slot, v))
            alone = (slot, v) in self._excluding or not effect or self.rules.slot(slot).multiple
            keys.append(v if alone else effect)
        unique = list(dict.fromkeys(keys))
        return np.array([[float(k == u) for u in unique] for k in keys], dtype=np.float32)

    def _heads(self) -> dict[str, list[LinearHead]]:
        """Heads per slot, trained on the bank and on mixtures of two statements about different
        slots, because users state several facts in one breath. One head per mixture seed, their
        probabilities averaged: one draw of pairings alone makes the reading depend on which
        statements happened to be paired (one bank entry more or less moved the development
        verdicts by 7 of 271)."""
        if self._linear is None:
            self._linear = {s.id: [] for s in self.rules.slots}
            for seed in range(self.settings.mixture_seeds):
                data = cache(lambda seed=seed: self._training(seed))
                key = f"{self.bank.digest}:{self.settings.mixtures}:{5 + seed}:pair-hash"
                for s in self.rules.slots:
                    self._linear[s.id].append(LinearHead(
                        data, self._labels[s.id], self.settings.absent_weight, cache_dir=self.bank.cache_dir, key=key))
        return self._linear

    def _training(self, seed: int) -> tuple[np.ndarray, list[frozenset[str]]]:
        """The bank's vectors and one draw of mixed statements, with their labels."""
        texts, rows = mixtures(self.bank.texts, self.bank.labels, self.settings.mixtures, seed=5 + seed)
        mixed = VectorBank(f"reader-mix{seed or ''}", texts, ["|".join(sorted(r)) for r in rows], self.encoder, self.bank.cache_dir)
        matrix = np.vstack([self.bank.matrix, mixed.matrix]) if texts else self.bank.matrix
        return matrix, [frozenset([x]) if x else frozenset() for x in self.bank.labels] + rows

    def _probabilities(self, slot: str, vectors: np.ndarray) -> np.ndarray:
        """(units x values) averaged over the slot's heads, `absent` dropped."""
        heads = self._heads()[slot]
        return (sum(h.probabilities(vectors) for h in heads) / len(heads))[:, :-1]

    def read_clauses(self, clauses: Sequence[str]) -> list[Reading]:
        """Every confident (slot, value) in every clause, negation and anchors applied.

        A long clause often states several facts, so each clause is also read through windows of a
        few words; each value keeps its most confident span as evidence, and a negation is looked
        for in that span and the words just before it (its scope)."""
        if not clauses:
            return []
        units = [(i, span, scope) for i, c in enumerate(clauses) for span, scope in windows(c, self.settings.window)
                 if len(span.split()) >= self.settings.min_words]
        if not units:  # only very short clauses: the precise phrases alone can speak
            units = [(-1, "", "")]
        vectors = self.encoder.encode([span for _, span, _ in units])
        sims = self.bank.similarities(vectors)
        owner = np.array([i for i, _, _ in units])
        negations = [negation(scope) for _, _, scope in units]  # each unit's, once for every slot
        denied = np.array([bool(n) for n in negations], dtype=bool)
        none = self.bank.scores(sims, [""], self.settings.k)[:, 0]  # nearness to statements of no fact
        out: list[Reading] = []
        for slot in self.rules.slots:
            values = [label.split("=", 1)[1] for label in self._labels[slot.id]]
            scores = self._probabilities(slot.id, vectors)
            # Values the law treats alike pool their probability ("create or expand": a clause
            # that is surely about a face database being built or grown need not say which);
            # the value shown is the likelier one of the group.
            groups = self._groups[slot.id]
            pooled = scores @ groups  # (units x groups)
            group = pooled.argmax(axis=1)
            best = pooled[np.arange(len(units)), group]
            chosen = np.where(groups[:, group].T > 0, scores, -1.0).argmax(axis=1)
            # A value that makes a condition fail (and a remark: one the user did not make would
            # be noise) needs more evidence, and the nearest examples must agree on it.
            excepting = self._exceptions[slot.id]
            strict = (excepting | slot.multiple)[chosen]
            knn = self.bank.scores(sims, self._labels[slot.id], self.settings.k)
            near = knn.argmax(axis=1)
            # ...and be about as near to them as to the statements that state no fact at all: off
            # the bank's map a linear head can be sure of anything ("Since the database predates
            # the ban, we're grandfathered" read as an existing database used). A negated unit is
            # read through its negation, whose wording no example need share.
            about = (knn[np.arange(len(units)), chosen] >= none - self.settings.off_map) | denied
            clear = (best >= self.settings.exclusion_probability) & (near == chosen) & about
            # ...or read alike through several spans of its clause: consistent evidence counts
            # ("counting visitors ... an AI head-counter" read as another purpose by three spans)
            spans, fair_probability = self.settings.agreement
            fair = (best >= fair_probability) & (near == chosen) & about & ~denied
            for u in np.flatnonzero(fair & ~clear):
                clear[u] = (fair & (owner == owner[u]) & (chosen == chosen[u])).sum() >= spans
            # (a slot with many confusable values may be read at a lower probability, calibrated
            # on development data: the database slot's paraphrases rarely reach the general one)
            ok = (best >= self.settings.slot_probability.get(slot.id, self.settings.probability)) & (~strict | clear)
            # An exception stated too faintly to read still casts doubt on what contradicts it
            # ("only of the 200 listed people" after "our crawler collects faces"): a wrong
            # verdict is worse than a question.
            faint = np.where(excepting, scores, 0.0)
            doubted = faint.argmax(axis=1)
            # ...if the span is at least as near to that exception's examples as to the statements
            # of no fact ("the DPO signed off on it" casts no doubt on anything)
            doubt = (faint.max(axis=1) >= self.settings.doubt) & (knn[np.arange(len(units)), doubted] >= none)
            for i, clause in enumerate(clauses):
                anchored = self._anchored(slot, clause, i)
                if anchored and not (anchored.contested and self.settings.use_model):
                    out.append(anchored)
                    continue
                if not self.settings.use_model:
                    continue
                found: dict[str, Reading] = {}  # one clause may state two values ("... but also ...")
                for u in sorted(np.flatnonzero((owner == i) & ok), key=lambda u: -best[u]):
                    value: str | None = values[int(chosen[u])]
                    negated = negations[u]
                    if negated == "exclusive":  # "the 200 listed people, nobody else": breadth denied
                        value = value if slot.value(value).negated else None
                    elif negated and not self._said_negatively(sims[u], f"{slot.id}={value}", not slot.value(value).negated):
                        value = slot.value(value).negated
                    if value and value not in found:
                        found[value] = Reading(slot.id, value, units[u][1], round(float(best[u]), 3), i)
                for u in np.flatnonzero((owner == i) & doubt):
                    value = values[int(doubted[u])]
                    if value not in found and not negations[u]:
                        found[value] = Reading(slot.id, value, units[u][1], round(float(faint[u].max()), 3), i, doubt=True)
                if anchored:
                    # A presumption the clause may defeat ("our crawler ... only for photos of the
                    # 37 children"): an exception the model reads or doubts there stands instead
                    exceptions = [r for r in found.values() if (slot.id, r.value) in self._excluding]
                    out += exceptions or [anchored]
                    continue
                out += found.values()
        unsure = {i for i, clause in enumerate(clauses) if hedged(clause)}
        return [replace(r, doubt=True) if r.clause in unsure else r for r in out]

    def _unqualified(self, reading: Reading, said: str) -> bool:
        """A value the law qualifies ("exclusively" military, Art. 2(3)) read where the conversation
        never says so: a defence contractor may also sell to the police."""
        requires = self.rules.slot(reading.slot).value(reading.value).requires
        return bool(requires.patterns) and not requires.find(said)

    def _unsettled(self, reading: Reading, clause: str) -> bool:
        """A value its own clause leaves open ("the face DB was built in 2023": built before the ban
        applied, and whether it is still being filled is not said)."""
        return bool(self.rules.slot(reading.slot).value(reading.value).unsettled_by.find(clause))

    def _implied(self, reading: Reading, readings: Sequence[Reading]) -> bool:
        """Whether another value read from the same clause states this one in passing (its rule
        file `implies`): then it is not a fact of its own."""
        return any(reading.value in self.rules.slot(r.slot).value(r.value).implies.get(reading.slot, ())
                   for r in readings if r.clause == reading.clause and r is not reading and not r.doubt)

    def _said_negatively(self, sims: np.ndarray, label: str, lenient: bool = False) -> bool:
        """Whether the value's examples nearest to a clause are themselves negative statements
        ("nothing is stored"): then the clause's negation is the value's own wording, not a
        negation of it."""
        rows = self.bank.rows(label)
        nearest = rows[np.argsort(-sims[rows])[: self.settings.k]]
        said = sum(is_negated(self.bank.texts[r]) for r in nearest)  # only the few nearest: reading all at start cost 0.12 s
        return said >= 1 if lenient else said * 2 > len(nearest)

    def _anchored(self, slot: Slot, clause: str, i: int) -> Reading | None:
        """A precise phrase decides outright (the rule file's anchors, then the cue phrases by
        priority), unless a negation stands just before it; a phrase that itself says "no ..."
        is not flipped again."""
        found = [(v.anchors, v.id, 1.0, False) for v in slot.values]
        for c in (c for c in self.cues if c.slot == slot.id):
            contested = bool(c.unless.find(clause))
            if contested and not self._effects.get((slot.id, c.value)):
                continue  # a value that sets no condition ("faces") has nothing to contest: its unless words defeat it
            found.append((c.phrases, c.value, 0.9 + c.priority / 100, contested))
        for patterns, value_id, confidence, contested in sorted(found, key=lambda f: -f[2]):
            if m := patterns.find(clause):
                scope = " ".join(clause[: m.start()].split()[-4:] + [m.group(0)])
                denied = negation(scope) if not is_negated(m.group(0)) else ""
                if denied == "exclusive":  # "... and drops all other faces": breadth denied, the model is heard
                    value = value_id if slot.value(value_id).negated else None
                else:
                    value = slot.value(value_id).negated if denied else value_id
                return Reading(slot.id, value, clause, confidence, i, anchored=True, contested=contested) if value else None
        return None

    def read(self, turns: Sequence[str], given: Mapping[str, str] | None = None) -> Frame:
        """The frame over a conversation: a later turn overrides only the slots it speaks to, and
        facts given by the user override both."""
        clauses = [[c for c in split_clauses(t) if not (self.asking and self.asking.states_nothing(c))] for t in turns]
        said = "\n".join(turns)
        every = [c for cs in clauses for c in cs]
        readings = [replace(r, doubt=True) if self._unqualified(r, said) or self._unsettled(r, every[r.clause]) else r
                    for r in self.read_clauses(every)]
        readings = [r for r in readings if not self._implied(r, readings)]
        frame: dict[str, list[FrameFact]] = {}
        contradictions: list[str] = []
        start = 0
        for cs in clauses:
            turn = [r for r in readings if start <= r.clause < start + len(cs)]
            start += len(cs)
            for slot in self.rules.slots:
                mine = [r for r in turn if r.slot == slot.id]
                if not mine:
                    continue
                facts, clash = self._resolve(slot, mine)
                if frame.get(slot.id) and facts and all(slot.value(f.value).yields for f in facts):
                    continue  # a value that answers nothing (the photo users search with) keeps what was said
                if frame.get(slot.id) and facts and any(adds(every[r.clause]) for r in mine if not r.doubt):
                    facts = self._joined(slot, frame[slot.id], facts)  # "... also keeps every other face"
                frame[slot.id] = facts
                if clash:
                    contradictions.append(clash)
        for slot_id, value in (given or {}).items():
            frame[slot_id] = given_facts({slot_id: value}, self.rules)
        facts = tuple(f for slot in self.rules.slots for f in frame.get(slot.id, []))
        # what was half-said where nothing was settled: the answer can say what it would change
        doubts: dict[tuple[str, str], Reading] = {}
        # (a hedge's doubts are only the user's uncertainty)
        for r in sorted((r for r in readings if r.doubt and not frame.get(r.slot) and not hedged(every[r.clause])),
                        key=lambda r: -r.confidence):
            doubts.setdefault((r.slot, r.value), r)
        doubted = tuple(FrameFact(slot=r.slot, value=r.value, label=self.rules.slot(r.slot).value(r.value).label,
                                  evidence=r.evidence, confidence=r.confidence) for r in doubts.values())
        # A follow-up that states something none of whose words could be placed may change any
        # fact ("Correction: it's number plates, not faces"): the earlier reading is not enough.
        last = clauses[-1] if len(clauses) > 1 and not (self.asking and self.asking.states_nothing(turns[-1])) else []
        # (only what it states: a question it asks changes no fact, "does our size matter?"; and a
        # value that sets no condition, "the faces", does not place it)
        told = statements(turns[-1]) if last else ""
        stated = [c for c in last if c in told]
        unread = " ".join(stated) if stated and not given and not any(r.clause >= start - len(last) and self._effects.get((r.slot, r.value))
                                                                     for r in readings) else ""
        # what the user says they do not know ("the vendor won't tell us whether there's any machine
        # learning in it") is not presumed either way
        unsure = tuple(dict.fromkeys(r.slot for r in readings if hedged(every[r.clause]) and not frame.get(r.slot)
                                     and not self.rules.slot(r.slot).multiple))
        return Frame(facts=facts, contradictions=tuple(contradictions), unread=unread, doubts=doubted, unsure=unsure)

    def asks(self, turns: Sequence[str]) -> str:
        """Which way the conversation's question points ('ban', 'clear' or ''): the last turn that
        asks something; a follow-up that only adds facts leaves the earlier question standing.
        Where no turn has a question mark ("... is it banned"), the last turn is the question."""
        asked = next((t for t in reversed(turns) if "?" in t), turns[-1] if turns else "")
        return polarity(asked, self.asking.polar) if asked and self.asking else ""

    def count(self, text: str) -> int:
        """How many fact slots one message fills (remarks not counted): tells a scenario apart."""
        return sum(1 for slot in self.read([text]).values() if not self.rules.slot(slot).multiple)

    def _joined(self, slot: Slot, before: Sequence[FrameFact], added: Sequence[FrameFact]) -> list[FrameFact]:
        """An earlier turn's facts with those a follow-up adds to them: values stated together that
        mean another are merged (a targeted search that also keeps every face, para. 231); what
        makes a condition fail no longer stands beside an added activity that meets it (voice
        crawling that also indexes faces); then the slot's precedence picks one."""
        facts = _combined(slot, {f.value: f for f in before} | {f.value: f for f in added},
                          lambda f, value: f.model_copy(update={"value": value, "label": slot.value(value).label}))
        if meeting := {v: f for v, f in facts.items() if (slot.id, v) not in self._excluding}:
            facts = meeting
        if slot.multiple:
            return list(facts.values())
        ids = slot.ids()
        return [min(facts.values(), key=lambda f: ids.index(f.value))]

    def _resolve(self, slot: Slot, readings: list[Reading]) -> tuple[list[FrameFact], str]:
        """One value per slot (several for a `multiple` slot): combined, by precedence, or unknown
        with the contradiction named."""
        readings = [r for r in readings if not r.doubt]
        if not readings:
            # only doubts: the slot stays unknown and the answer asks; in a later turn, this
            # unsettles what an earlier one said (a correction half understood is still one)
            return [], ""
        by_value: dict[str, Reading] = {}
        for r in sorted(readings, key=lambda r: -r.confidence):
            by_value.setdefault(r.value, r)
        by_value = _combined(slot, by_value, lambda r, value: replace(r, value=value))
        if stated := {v: r for v, r in by_value.items() if not slot.value(v).yields}:
            by_value = stated  # a value that answers nothing yields to any that answers
        fact = lambda r: FrameFact(  # noqa: E731
            slot=slot.id, value=r.value, label=slot.value(r.value).label,
            evidence=r.evidence, confidence=r.confidence,
        )
        if slot.multiple or len(by_value) == 1:
            return [fact(r) for r in by_value.values()], ""
        ranked = sorted(by_value.values(), key=lambda r: -r.confidence)
        a, b = ranked[0], ranked[1]
        polarities = {(slot.id, r.value) in self._excluding for r in ranked}
        # values that set the same conditions alike decide nothing differently ("no bot, no
        # crawler" beside "interns save the photos by hand"): no contradiction, the first listed stands
        alike = len({self._effects.get((slot.id, r.value)) for r in ranked}) == 1
        if slot.on_conflict == "contradiction" and not alike or len(polarities) > 1:
            # Values that would decide the law differently: a clear statement overrules a faint
            # one; otherwise the slot stays unknown and the answer says what contradicts what.
            by_priority = a.anchored and b.anchored and a.confidence > b.confidence
            if by_priority or a.confidence - b.confidence >= self.settings.overrule:
                # a precise phrase of higher priority, or a much clearer statement, overrules
                return [fact(a)], ""
            return [], (f"{slot.label.lower()}: I read “{a.evidence}” as {slot.value(a.value).label} "
                        f"but “{b.evidence}” as {slot.value(b.value).label}")
        ids = slot.ids()
        return [fact(min(by_value.values(), key=lambda r: ids.index(r.value)))], ""


def _combined(slot: Slot, by_value: dict[str, _Said], renamed: Callable[[_Said, str], _Said]) -> dict[str, _Said]:
    """Values stated together that mean another, merged until none is left to merge (a targeted
    search beside an untargeted one is the combination of para. 231; a pre-defined group inside a
    group-by-group sweep is a step of para. 230); the merged value keeps the clearer evidence.
    Works on readings and on frame facts alike (`renamed` gives one the merged value)."""
    out = dict(by_value)
    while pair := next(((a, b) for a, b in combinations(out, 2) if slot.combined(a, b)), None):
        first, second = out.pop(pair[0]), out.pop(pair[1])
        both = slot.combined(*pair)
        merged = renamed(max(first, second, key=lambda r: r.confidence), both)
        if both not in out or out[both].confidence < merged.confidence:
            out[both] = merged
    return out


def given_facts(values: Mapping[str, str], rules: RuleBook) -> list[FrameFact]:
    """Frame facts set by the user (`unknown` sets none)."""
    return [
        FrameFact(slot=s, value=v, label=rules.slot(s).value(v).label, confidence=1.0, origin="given")
        for s, v in values.items() if v != UNKNOWN
    ]


def parse_given(facts: Mapping[str, str] | None, rules: RuleBook) -> dict[str, str]:
    """Facts given by the user (`{"source": "cctv"}`), checked against the slots; errors name the
    valid slots and values."""
    out: dict[str, str] = {}
    slots = {s.id: s for s in rules.slots}
    for key, value in (facts or {}).items():
        if key not in slots:
            conditions = {c.id for c in rules.conditions}
            hint = "facts are now given per slot, not per condition; " if key in conditions else ""
            raise InputError(f"unknown fact slot {key!r}", f"{hint}use one of: {', '.join(slots)}")
        if not isinstance(value, str) or value not in {*slots[key].ids(), UNKNOWN}:
            raise InputError(
                f"unknown value {value!r} for fact slot {key!r}",
                f"use one of: {', '.join([*slots[key].ids(), UNKNOWN])}",
            )
        out[key] = value
    return out
