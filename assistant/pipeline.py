"""The facade: retrieve -> guards (four conditions) -> compose -> output guards -> Answer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import cache, cached_property, lru_cache
from typing import TYPE_CHECKING

from langchain_core.embeddings import Embeddings

from assistant.backends import OnnxEmbeddings, make_chat_model, make_embeddings
from assistant.backends.export import EXPORT_META
from assistant.backends.tune import tuned_dir
from assistant.compose import CitationBook, ChatComposer, compose_extractive, compose_fine, compose_notes, compose_scenario
from assistant.config import Settings
from assistant.errors import GuardError, IndexStaleError, InputError
from assistant.figures import agrees
from assistant.guards import Assessment, assess_conditions, check_answer, decide_verdict, should_abstain, strip_injection
from assistant.labels import instruments_named, points_named, references_in
from assistant.index import open_index
from assistant.retrieve import HybridRetriever, QuestionIndex
from assistant.notes import Note, NoteBook, NoteMatch, load_notes, yes_no
from assistant.banks import load_asking, load_cues, load_examples
from assistant.read import Reader, asks_content, parse_given, polarity
from assistant.route import Route, Router, describes_practice, lists_fields, speaks_of_own, statements
from assistant.rules import RuleBook, load_rules
from assistant.semantic import Encoder
from assistant.types import Answer, Frame, Kind, Passage

if TYPE_CHECKING:  # imported only where a chat model is configured (half a second of imports)
    from langchain_core.language_models import BaseChatModel

MAX_QUESTION_CHARS = 2000

History = Sequence[str | Mapping[str, str]]


def _user_turns(history: History | None) -> list[str]:
    """Earlier user questions; assistant turns carry no facts."""
    turns = []
    for turn in history or []:
        if isinstance(turn, str):
            turns.append(turn)
        elif turn.get("role", "user") == "user" and turn.get("content"):
            turns.append(turn["content"])
    return turns


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
        self._note_ways: dict[str, str] = {}  # note id -> the way its questions point, read when first needed

    @cached_property
    def rules(self) -> RuleBook:
        return load_rules(self.settings.rules_file, self.settings.cache_dir)

    @cached_property
    def embeddings(self) -> Embeddings:
        """One model, loaded once, for retrieval and the fact reader."""
        return self._embeddings or make_embeddings(self.settings)

    @cached_property
    def retriever(self) -> HybridRetriever:
        index = open_index(self.settings, self.embeddings)
        asked = [(q, c.label) for n in self.notebook.notes.values() for q in n.questions for c in n.answer[0].cites]
        # the passages' questions are matched like the notes' (with the notes' tuned model): both
        # meet a user's informal question with questions written for the law
        questions = QuestionIndex(
            self.settings.passage_questions_file, index.passages, self.notes_encoder, self.settings.cache_dir, extra=asked
        )
        return HybridRetriever(index=index, settings=self.settings.retrieval, questions=questions, encoder=self.encoder)

    @cached_property
    def encoder(self) -> Encoder:
        return Encoder(self.embeddings, name=self.settings.embedding_model)

    @cached_property
    def router(self) -> Router:
        return Router(self.settings.kinds_file, self.encoder, cache_dir=self.settings.cache_dir)

    @cached_property
    def notes(self) -> tuple[Note, ...]:
        return load_notes(self.settings.notes_file, self.settings.cache_dir)

    @cached_property
    def notebook(self) -> NoteBook:
        cfg = self.settings.notes
        return NoteBook(self.notes, self.notes_encoder, cfg.threshold, cfg.margin, cache_dir=self.settings.cache_dir,
                        lead_weight=cfg.lead_weight, unlike_margin=cfg.unlike_margin)

    @cached_property
    def reader(self) -> Reader:
        cache = self.settings.cache_dir
        bank = load_examples(self.settings.examples_file, self.rules, cache)
        cues = load_cues(self.settings.anchors_file, self.rules, cache)
        asking = load_asking(self.settings.anchors_file, cache)
        return Reader(self.rules, bank, self.reader_encoder, self.settings.reader, cache_dir=self.settings.cache_dir,
                      cues=cues, asking=asking)

    @cached_property
    def reader_encoder(self) -> Encoder:
        """The fact reader's model: its copy tuned on the example bank (`redlines ingest` builds it),
        or the shared one when tuning is off or embeddings were handed in."""
        return self._tuned("reader", self.settings.reader.tuned, "the example bank")

    @cached_property
    def notes_encoder(self) -> Encoder:
        """The answer notes' model: its copy tuned on the notes' questions, or the shared one."""
        return self._tuned("notes", self.settings.notes.tuned, "the answer notes")

    def _tuned(self, model: str, wanted: bool, source: str) -> Encoder:
        if not wanted or self._embeddings is not None:
            return self.encoder
        # keyed by the rule book and the notes already loaded: no second read of their files
        folder = tuned_dir(self.settings, self.rules, model, self.notes if model == "notes" else None)
        if not (folder / EXPORT_META).exists():
            raise IndexStaleError(f"the {model} model tuned on {source} is missing or out of date",
                                  "run `redlines ingest` to build it")
        name = f"tuned-{model}:{folder.name}"
        return Encoder(OnnxEmbeddings(folder, model_name=name), name=name)

    @cached_property
    def composer(self) -> ChatComposer | None:
        model = self._chat_model or make_chat_model(self.settings)
        return ChatComposer(model) if model else None

    @property
    def corpus_version(self) -> str:
        return self.retriever.index.manifest.corpus_version

    def ask(self, question: str, *, history: History | None = None, facts: Mapping[str, str] | None = None) -> Answer:
        """Answer one question; `history` holds earlier user turns, `facts` slot values set by the
        user (`{"source": "cctv"}`), which override what is read from the words."""
        if not isinstance(question, str) or not question.strip():
            raise InputError("the question is empty", "type a question about Article 5(1)(e) AI Act")
        if len(question) > MAX_QUESTION_CHARS:
            raise InputError(
                f"the question is {len(question)} characters long", f"shorten it to {MAX_QUESTION_CHARS} characters"
            )
        rules, given = self.rules, parse_given(facts, self.rules)
        turns = [strip_injection(t, rules) for t in _user_turns(history)]
        clean = strip_injection(question, rules)
        matches = self._judged(self.notebook.match(clean)) if not given else []
        notes = [m.note for m in matches]
        kind, route = self._kind(clean, turns, bool(given), answered=bool(notes))
        if kind == "out_of_scope":  # another regime or task, named: no note of ours answers it
            matches, notes = [], []
        base = {"question": question, "kind": kind, "notice": rules.notice, "corpus_version": self.corpus_version}
        if route.language != "en" and not given:
            return self._not_english(clean, base)
        # a close answer note means the sources do speak to it (the 2026 deepfake ban, its date); a
        # loose one (the definition of an emotion recognition system) does not answer a question
        # about another practice of Article 5
        close = any(m.score >= self.settings.notes.polar for m in matches)
        if kind != "scenario" and not close and (pointer := self._other_practice(route, clean)):
            return self._pointed(pointer, base)
        topics = rules.questions.topic_labels(clean)
        retrieved = self.retriever.search(clean, definitions=kind == "definition", labels=topics) if clean else []
        floor = self.settings.retrieval.relevance_floor
        if not notes and kind not in ("scenario", "out_of_scope") and not should_abstain(kind, retrieved, floor) and not given:
            # no note near enough by its questions alone: one that cites what the search found may
            # do, where the search found something relevant at all ("write me a Python function")
            found = [sp.passage.label for sp in retrieved[: self.settings.notes.supported_k]]
            matches = self._judged(self.notebook.match(clean, found=found, threshold=self.settings.notes.supported))
            notes = [m.note for m in matches]
        if not notes and should_abstain(kind, retrieved, floor):
            return Answer(**{**base, "kind": "out_of_scope"}, answer=self._abstention(), abstained=True)

        pool: dict[str, Passage] = {sp.passage.id: sp.passage for sp in retrieved}
        if kind == "scenario":
            pool |= {p.id: p for p in self.retriever.lookup(rules.labels())}
            frame = self.reader.read([*turns, clean], given)
            assessments = assess_conditions(frame, rules)
            asks = self.reader.asks([*turns, clean])
            # Where the facts do not settle the verdict but an answer note clearly answers the
            # question asked ("we honour robots.txt, that makes it targeted, no?"), the note's answer
            # leads and the assessment follows, unless the note's words would contradict it.
            undecided = decide_verdict([a.status for a in assessments]) == "insufficient_facts"
            leading = [m for m in matches if m.sure] if undecided else []
            pool |= {p.id: p for p in self.retriever.lookup([q.label for m in leading for q in m.note.quotes()])}
            answer = self._scenario(base, frame, assessments, asks, pool, leading)
            if leading and check_answer(answer, pool, rules):
                answer = self._scenario(base, frame, assessments, asks, pool, [])
            return self._guarded(answer, pool)
        pool |= {p.id: p for sp in retrieved for p in self.retriever.family(sp.passage)}
        pool |= {p.id: p for p in self.retriever.lookup([q.label for n in notes for q in n.quotes()])}
        if rules.fine and rules.fine.asks.find(clean):  # the fine in figures, for a turnover stated
            pool |= {p.id: p for p in self.retriever.lookup([q.label for q in rules.fine.quotes()])}
        book = CitationBook(pool)
        figures = compose_fine(clean, rules.fine, book)
        if notes:  # the direct answer, its quotes, then what the search found beside them
            text = compose_notes(matches, book)
            if extra := compose_extractive(clean, kind, retrieved, book, max_passages=2, skip=True):
                text += "\n" + extra
        elif self.composer is not None:
            answer = Answer(**base, answer=self.composer.compose(clean, retrieved, book), citations=book.citations)
            if not check_answer(answer, pool, rules):
                return answer
            book = CitationBook(pool)  # the model failed a guard: the extractive answer instead
            text = compose_extractive(clean, kind, retrieved, book)
        else:
            text = compose_extractive(clean, kind, retrieved, book)
        text = f"{figures}\n{text}" if figures else text
        return self._guarded(Answer(**base, answer=text, citations=book.citations), pool)

    def _judged(self, matches: Sequence[NoteMatch]) -> list[NoteMatch]:
        """Which matched notes may answer yes or no: a close match, or one whose nearest example
        question points the same way as the question asked ("covered too?" beside "covered by
        5(1)(e)?"); a loose match asking the opposite way keeps only what the note says."""
        polar = self.reader.asking.polar if self.reader.asking else None

        def sure(m: NoteMatch) -> bool:
            if m.plain:  # helped to match, or near a near miss: what it says, not its yes or no
                return False
            if polar and asks_content(m.part, polar):  # "when was Clearview fined?" wants a date, not "Yes,"
                return False
            way, note_way = (polarity(m.part, polar), polarity(m.asked, polar) or self._note_way(m.note)) if polar else ("", "")
            if m.score >= self.settings.notes.polar:
                return not (way and note_way and way != note_way)
            return bool(way) and way == note_way

        def says(m: NoteMatch) -> str:
            """A yes or no from the figures the part puts to the note ("CNIL fined 30 million, right?"
            to a note stating EUR 20 million): what the note states decides, however it was asked."""
            # (a note matched only with help may be about something else; one near a near miss is not)
            if m.score < self.settings.notes.threshold or (polar and asks_content(m.part, polar)):
                return ""
            context = " ".join([s.text for s in m.note.answer[1:]] + [q.quote for q in m.note.quotes()])
            said = agrees(m.part, m.note.answer[0].text, context)
            # a figure the note states as asked confirms only a note that says yes ("did the
            # omnibus change the 35m ceiling?" names the figure; it does not claim it)
            return said if said == "no" or yes_no(m.note.answer[0].text) == "yes" else ""

        judged = [(m, says(m)) for m in matches]
        return [replace(m, sure=bool(said) or sure(m), says=said) for m, said in judged]

    def _note_way(self, note: Note) -> str:
        """Which way a note's example questions point, where all that point any way agree
        ("banned?", "covered by the ban?"): the way its leading yes or no answers."""
        if note.id not in self._note_ways:
            polar = self.reader.asking.polar if self.reader.asking else None
            ways = {polarity(q, polar) for q in note.questions} - {""} if polar else set()
            self._note_ways[note.id] = ways.pop() if len(ways) == 1 else ""
        return self._note_ways[note.id]

    def _scenario(
        self, base: dict, frame: Frame, assessments: list[Assessment], asks: str, pool: Mapping[str, Passage],
        leading: Sequence[NoteMatch],
    ) -> Answer:
        """The scenario answer: the rule engine's assessment, after the answer notes that lead it."""
        book = CitationBook(pool)
        lead = compose_notes(leading, book).split("\n", 1)[0] if leading else ""
        draft = compose_scenario(assessments, frame, self.rules, book, asks)
        return Answer(
            **base, answer=f"{lead}\n{draft.text}" if lead else draft.text, verdict=draft.verdict,
            conditions=draft.findings, citations=book.citations, clarifying_questions=draft.clarifying,
            missing=draft.missing, facts=list(frame.facts), contradictions=list(frame.contradictions),
        )

    def _kind(self, clean: str, turns: Sequence[str], given: bool, answered: bool) -> tuple[Kind, Route]:
        """The question's kind: the router's, unless the reader finds a practice described;
        named provisions and instruments and a matching answer note keep a question in, named
        foreign regimes send it out."""
        route = self.router.route(clean)
        if given:
            return "scenario", route
        questions = self.rules.questions
        if questions.other_regimes.search(clean) or questions.off_task.search(clean):
            return "out_of_scope", route
        sure = self.settings.route.sure
        follow_up = any(describes_practice(self.router.route(t), self.reader.count(t), False, sure) for t in turns)
        supposing = self.reader.asking is not None and self.reader.asking.supposing.search(clean)
        asks_only = self.reader.asking is not None and self.reader.asking.states_nothing(clean)
        # a yes/no question after a practice was described asks about it: whether the ban or an
        # exception reaches it ("doesn't law enforcement get an exception?"), or "does that make a difference?"
        yes_no = self.reader.asking is not None and not asks_content(clean, self.reader.asking.polar)
        if follow_up and (supposing or asks_only or yes_no or not clean.rstrip().endswith("?")):
            # a statement or a what-if after a scenario adds to it; "so is it banned then?" asks for its verdict
            return "scenario", route
        # facts stated as statements ("The tool saves face crops from CCTV.") describe a practice,
        # even where the router hears a question
        stated = statements(clean)
        told = cache(lambda: self.reader.count(stated) if stated else 0)  # read only when needed
        read = self.reader.count(clean)
        # a question about the law in general terms that an answer note answers ("does scraping
        # one group at a time get around the ban?") gets the note: it states no fact and speaks
        # of no practice of the asker's, so there is nothing to assess
        general = answered and not follow_up and read < 3 and not speaks_of_own(clean) and not told()
        # a question that names a provision asks about the law, unless it plainly describes a
        # practice: facts enough, or the asker's own practice ("we", "our") by the router's reading
        plain = read >= 3 or not references_in(clean) or (route.kind == "scenario" and speaks_of_own(clean))
        if describes_practice(route, read, follow_up, sure) and plain and not general:
            return "scenario", route
        if lists_fields(clean) and read >= 1:
            return "scenario", route  # a system described by its fields (role, intended use, input data)
        if told() >= self.settings.route.stated_facts:
            return "scenario", route
        if self._other_points(clean) and not answered:
            return "out_of_scope", route  # "... under 5(1)(h)?": another point, named outright
        named = bool(references_in(clean) or instruments_named(clean)) or answered
        if route.kind == "out_of_scope" and route.confidence >= sure and not named:
            return "out_of_scope", route
        if route.kind in ("definition", "interplay"):
            return route.kind, route  # type: ignore[return-value]
        return ("interplay" if self._names_other_law(clean) else "fact"), route

    def _not_english(self, clean: str, base: dict) -> Answer:
        """Only English is read: say so, pointing to a provision the question names, if any."""
        named = self.retriever.lookup(references_in(clean))[:1]
        book = CitationBook({p.id: p for p in named})
        text = "I can only read and answer questions in English; please ask again in English."
        if named:
            text += f" The provision you name is {named[0].label}: “{named[0].text}” [{book.cite(named[0], named[0].text)}]"
        answer = Answer(**{**base, "kind": "out_of_scope"}, answer=text, citations=book.citations, abstained=True)
        return self._guarded(answer, {p.id: p for p in named})

    def _other_practice(self, route: Route, clean: str) -> Passage | None:
        """The point of Article 5 a question is about, when it is surely another point than (e):
        named outright, or so the router is sure."""
        if named := self._other_points(clean):
            return next(iter(self.retriever.lookup(named[:1])), None)
        if route.kind != "other_practice" or route.confidence < self.settings.route.sure:
            return None
        if self._names_other_law(clean):
            return None
        return next(iter(self.retriever.lookup([f"AI Act Art. {route.point}"])), None)

    def _other_points(self, clean: str) -> list[str]:
        """Points of Article 5(1) other than the rule file's that a question names, unless it names
        that one too (then it asks about it, perhaps beside another point)."""
        named = points_named(clean)
        return [] if self.rules.provision in named else named

    def _names_other_law(self, clean: str) -> bool:
        return bool(set(self.rules.questions.interplay_instruments) & set(instruments_named(clean)))

    def _pointed(self, pointer: Passage, base: dict) -> Answer:
        """Another point of Article 5 asked about for its own sake: outside what the sources
        analyse, so the answer declines, naming the point and quoting its words, nothing more."""
        book = CitationBook({pointer.id: pointer})
        point = pointer.label.removeprefix("AI Act Art. ")
        n = book.cite(pointer, pointer.text)
        text = (f"This concerns Article {point} of the AI Act, not Article 5(1)(e), the only point my sources "
                f"analyse, so I do not answer it [{n}]. The provision begins: “{pointer.text}” [{n}]")
        answer = Answer(**{**base, "kind": "out_of_scope"}, answer=text, citations=book.citations, abstained=True)
        return self._guarded(answer, {pointer.id: pointer})

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
    question: str, *, history: History | None = None, facts: Mapping[str, str] | None = None,
    settings: Settings | None = None,
) -> Answer:
    """Answer a question about Article 5(1)(e) AI Act with pinpoint citations."""
    return _assistant_for((settings or Settings()).model_dump_json()).ask(question, history=history, facts=facts)
