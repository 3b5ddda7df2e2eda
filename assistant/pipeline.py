"""The facade: retrieve -> guards (four conditions) -> compose -> output guards -> Answer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property, lru_cache

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel

from assistant.backends import make_chat_model
from assistant.compose import CitationBook, ChatComposer, compose_extractive, compose_scenario
from assistant.config import Settings
from assistant.errors import GuardError, InputError
from assistant.guards import assess_conditions, check_answer, classify, should_abstain, strip_injection
from assistant.index import open_index
from assistant.retrieve import HybridRetriever
from assistant.rules import RuleBook, load_rules
from assistant.types import Answer, Fact, Passage

MAX_QUESTION_CHARS = 2000

History = Sequence[str | Mapping[str, str]]
Facts = Mapping[str, Fact | str | Mapping[str, str]]


def _user_turns(history: History | None) -> list[str]:
    """Earlier user questions; assistant turns carry no facts."""
    turns = []
    for turn in history or []:
        if isinstance(turn, str):
            turns.append(turn)
        elif turn.get("role", "user") == "user" and turn.get("content"):
            turns.append(turn["content"])
    return turns


def _facts(facts: Facts | None, rules: RuleBook) -> dict[str, Fact]:
    known = {c.id for c in rules.conditions}
    out = {}
    for key, value in (facts or {}).items():
        if key not in known:
            raise InputError(f"unknown condition {key!r} in facts", f"use one of: {', '.join(sorted(known))}")
        out[key] = value if isinstance(value, Fact) else Fact(statement=value) if isinstance(value, str) else Fact(**value)
    return out


class Assistant:
    """Holds the warm resources (rules, index, model) and answers questions."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embeddings: Embeddings | None = None,
        chat_model: BaseChatModel | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self._embeddings = embeddings
        self._chat_model = chat_model

    @cached_property
    def rules(self) -> RuleBook:
        return load_rules(self.settings.rules_file)

    @cached_property
    def retriever(self) -> HybridRetriever:
        return HybridRetriever(index=open_index(self.settings, self._embeddings), settings=self.settings.retrieval)

    @cached_property
    def composer(self) -> ChatComposer | None:
        model = self._chat_model or make_chat_model(self.settings)
        return ChatComposer(model) if model else None

    @property
    def corpus_version(self) -> str:
        return self.retriever.index.manifest.corpus_version

    def ask(self, question: str, *, history: History | None = None, facts: Facts | None = None) -> Answer:
        """Answer one question; `history` holds earlier turns, `facts` condition facts given directly."""
        if not isinstance(question, str) or not question.strip():
            raise InputError("the question is empty", "type a question about Article 5(1)(e) AI Act")
        if len(question) > MAX_QUESTION_CHARS:
            raise InputError(
                f"the question is {len(question)} characters long", f"shorten it to {MAX_QUESTION_CHARS} characters"
            )
        rules, given = self.rules, _facts(facts, self.rules)
        turns = [strip_injection(t, rules) for t in _user_turns(history)]
        clean = strip_injection(question, rules)
        follow_up = any(classify(t, rules) == "scenario" for t in turns)
        kind = classify(clean, rules, follow_up=follow_up, has_facts=bool(given))
        topics = rules.questions.topic_labels(clean)
        retrieved = self.retriever.search(clean, definitions=kind == "definition", labels=topics) if clean else []
        base = {"question": question, "kind": kind, "notice": rules.notice, "corpus_version": self.corpus_version}
        if should_abstain(kind, retrieved, self.settings.retrieval.relevance_floor):
            return Answer(**{**base, "kind": "out_of_scope"}, answer=self._abstention(), abstained=True)

        pool: dict[str, Passage] = {sp.passage.id: sp.passage for sp in retrieved}
        if kind == "scenario":
            pool |= {p.id: p for p in self.retriever.lookup(rules.labels())}
            book = CitationBook(pool)
            draft = compose_scenario(assess_conditions([*turns, clean], rules, given), rules, book)
            answer = Answer(
                **base, answer=draft.text, verdict=draft.verdict, conditions=draft.findings,
                citations=book.citations, clarifying_questions=draft.clarifying,
            )
            return self._guarded(answer, pool)
        pool |= {p.id: p for sp in retrieved for p in self.retriever.family(sp.passage)}
        if self.composer is not None:
            book = CitationBook(pool)
            answer = Answer(**base, answer=self.composer.compose(clean, retrieved, book), citations=book.citations)
            if not check_answer(answer, pool, rules):
                return answer
        book = CitationBook(pool)  # extractive: the default, and the fallback when a model fails a guard
        text = compose_extractive(clean, kind, retrieved, book)
        return self._guarded(Answer(**base, answer=text, citations=book.citations), pool)

    def _guarded(self, answer: Answer, pool: Mapping[str, Passage]) -> Answer:
        if violations := check_answer(answer, pool, self.rules):
            raise GuardError(
                "the answer failed its guards: " + "; ".join(f"{v.guard}: {v.detail}" for v in violations),
                "this is a bug in the rule file or composer; please report the question",
            )
        return answer

    def _abstention(self) -> str:
        return (
            "I can't answer that from my sources, so I won't guess. "
            + self.rules.covers
        )


@lru_cache(maxsize=4)
def _assistant_for(settings_json: str) -> Assistant:
    # One warm Assistant per distinct configuration, so repeated ask() calls reuse the model.
    return Assistant(Settings.model_validate_json(settings_json))


def ask(
    question: str, *, history: History | None = None, facts: Facts | None = None, settings: Settings | None = None
) -> Answer:
    """Answer a question about Article 5(1)(e) AI Act with pinpoint citations."""
    return _assistant_for((settings or Settings()).model_dump_json()).ask(question, history=history, facts=facts)
