"""Route a question by meaning: its kind (definition, fact, interplay, scenario, out of scope, or a
question about another point of Article 5) and its language.

The kind comes from a labelled bank of example questions (assistant/rules/kinds.yaml) and a
softmax head on the same frozen vectors the rest of the pipeline uses; the scenario reader has the
last word on whether a question describes a practice (see pipeline.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from assistant.errors import RulesError
from assistant.rules import read_yaml
from assistant.semantic import Encoder, LinearHead, VectorBank

KINDS = ("definition", "fact", "interplay", "scenario", "out_of_scope")
OTHER = "other_practice:"

# Function words: a question with few English ones and several of another language's is not
# English. Short lists suffice: these words make up a large share of any running text.
_ENGLISH = set("the a an of to in on for and or is are be it this that what which who how does do can may with by from "
               "as at if we our you your i my they their be was were has have not no when why".split())
_FOREIGN = set("il lo la le gli di da che per con non una uno sono della del dell nel è si quando come cosa "
               "quale questo nostro divieto articolo "  # Italian
               "der die das und ist nicht ein eine mit für von wir ich auf dem den des zu wann wie was gilt "
               "unser verbot "  # German
               "les est une pour avec dans nous sur qui pas du au quand comment quelle notre "  # French
               "el los las es por para con una que del se sus está cuándo cómo qué nuestro "  # Spanish
               "het een van niet voor zijn wij".split())  # Dutch

# The first person: "we", "our", "my" tell that the asker describes a practice of their own.
# "my face", "my photos" speak of the asker as the person in the pictures, not of a practice.
_OWN = re.compile(r"\b(?:we|we're|we've|we'd|our|us|i'm|i've|my(?!\s+(?:own\s+)?(?:face|faces|photos?|pictures?|pics|images?|selfies?|(?:personal\s+)?data|likeness)\b))\b", re.IGNORECASE)


def speaks_of_own(question: str) -> bool:
    return bool(_OWN.search(question))


# A system described by its fields ("Role: deployer", "Input data: CCTV footage"), one per line.
_FIELD = re.compile(r"^\s*(?:[-*•]\s*)?[A-Za-z][\w /()&-]{1,30}:\s*\S", re.MULTILINE)


def lists_fields(question: str) -> bool:
    return len(_FIELD.findall(question)) >= 2


# Sentences, and the ones that ask or request rather than state ("Explain ...", "Can you ...").
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_REQUEST = re.compile(
    r"^\W*(?:please\s+)?(?:explain|define|describe|tell|list|summari[sz]e|give|show|compare|clarify|outline|"
    r"help|can you|could you|would you|i (?:want|need|would like) to know|i wonder|i(?:'m| am) (?:wondering|curious))\b",
    re.IGNORECASE,
)


# A sentence in the form of a question, question mark or not ("what counts as a database").
_ASKING = re.compile(
    r"^\W*(?:what|which|who|whom|whose|when|where|why|how|is|are|was|were|does|do|did|can|could|should|would|"
    r"will|may|might|must|has|have|had|isn't|aren't|doesn't|don't)\b",
    re.IGNORECASE,
)


def sentences(text: str) -> list[str]:
    """The sentences (and lines) of a message, stripped, empty ones left out."""
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def statements(question: str) -> str:
    """The sentences of a message that state something (no question mark, no request), one per
    line: facts stated as statements describe a practice, whatever the closing question asks."""
    return "\n".join(s for s in sentences(question) if not s.endswith("?") and not _REQUEST.match(s) and not _ASKING.match(s))


def language(question: str) -> str:
    """'en', or 'other' when the question is plainly written in another language."""
    words = re.findall(r"[^\W\d_]+", question.lower())
    if len(words) < 4:
        return "en"
    english = sum(w in _ENGLISH for w in words)
    foreign = sum(w in _FOREIGN for w in words)
    return "other" if foreign >= 2 and foreign > english else "en"


class _KindFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int
    kinds: dict[str, list[str] | dict[str, list[str]]]


@dataclass(frozen=True)
class Route:
    """Where a question goes."""

    kind: str  # one of KINDS, or "other_practice"
    confidence: float
    point: str = ""  # for other_practice: the point of Article 5, e.g. "5(1)(f)"
    language: str = "en"


def load_kinds(path: Path, cache_dir: Path | None = None) -> tuple[list[str], list[str]]:
    """(texts, labels) of the routing bank; other-practice labels read 'other_practice:5(1)(f)'."""
    try:
        data = _KindFile.model_validate(read_yaml(path, cache_dir))
    except (yaml.YAMLError, ValidationError) as exc:
        raise RulesError(f"{path.name}: {exc}", "fix the routing bank; see the comments at its top") from exc
    if unknown := set(data.kinds) - {*KINDS, "other_practice"}:
        raise RulesError(f"{path.name}: unknown kinds {sorted(unknown)}", f"use: {', '.join([*KINDS, 'other_practice'])}")
    texts, labels = [], []
    for kind, examples in data.kinds.items():
        groups = examples.items() if isinstance(examples, dict) else [("", examples)]
        for point, items in groups:
            texts += items
            labels += [f"{OTHER}{point}" if point else kind] * len(items)
    return texts, labels


class Router:
    """Kind and language of a question, from the routing bank."""

    def __init__(self, path: Path, encoder: Encoder, cache_dir: Path | None = None) -> None:
        texts, labels = load_kinds(path, cache_dir)
        self.bank = VectorBank("kinds", texts, labels, encoder, cache_dir)
        self.encoder = encoder
        rows = [frozenset([x]) for x in labels]
        self.head = LinearHead(lambda: (self.bank.matrix, rows), self.bank.label_set, cache_dir=cache_dir,
                               key=self.bank.digest)

    def route(self, question: str) -> Route:
        lang = language(question)
        probs = self.head.probabilities(self.encoder.encode([question]))[0][:-1]
        best = int(probs.argmax())
        label, confidence = self.bank.label_set[best], float(probs[best])
        if label.startswith(OTHER):
            return Route("other_practice", confidence, label[len(OTHER):], lang)
        return Route(label, confidence, "", lang)


def describes_practice(route: Route, read: int, follow_up: bool, sure: float) -> bool:
    """A question describes a practice when the router says so, or when it states facts the reader
    can read: three, or one after a scenario (a what-if); four when the router is sure it asks
    something else."""
    if route.kind == "scenario":
        return True
    if route.confidence >= sure:  # a definition names the very terms the reader looks for
        return read >= 4
    return read >= 3 or (follow_up and read >= 1)
