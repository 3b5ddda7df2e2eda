"""The Streamlit front end: Ask (chat), Sources (browse and search) and Demo (trainer scenarios).

It stays thin: it calls Assistant.ask and renders the Answer with the pure functions of render.py.
The Assistant (index and embedding model) loads once per process; everything per user lives in
st.session_state. Corpus and user text is rendered as escaped Markdown, never as HTML.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import streamlit as st
from pydantic import ValidationError

# Streamlit puts this file's folder on sys.path, so the UI's own modules import by name.
import render
from assistant.config import PROJECT_DIR, Settings
from assistant.errors import IndexMissingError, IndexStaleError, RedlinesError
from assistant.index import ingest
from assistant.pipeline import Assistant
from assistant.types import Answer, Passage
from feedback import record_feedback

SCENARIOS = PROJECT_DIR / "eval" / "scenarios.yaml"
EXAMPLE = "We crawl social media for faces to build a searchable face database; is that allowed?"
# A follow-up is read as a refinement of the scenario when it says 'suppose', 'what if', ...
FOLLOW_UP_STARTER = "Suppose "
EDIT = -1  # the demo's "edit one condition myself" choice


@st.cache_resource(show_spinner=False)
def load_assistant(settings_json: str) -> Assistant:
    """One warm Assistant per process and configuration. The index is built first when it is
    missing or stale (first use, or the corpus, model or chunker changed since the last build)."""
    assistant = Assistant(Settings.model_validate_json(settings_json))
    try:
        _ = assistant.retriever  # opens the index and loads the embedding model
    except (IndexMissingError, IndexStaleError):
        ingest(assistant.settings)
        _ = assistant.retriever
    return assistant


@st.cache_resource(show_spinner=False)
def load_library() -> render.ScenarioLibrary:
    return render.load_scenarios(SCENARIOS)


# ---- shared pieces ------------------------------------------------------------------------------


def show_panel(answer: Answer, changed: Iterable[str] = ()) -> None:
    """Verdict on top, then the four conditions with status, rationale and citation numbers."""
    box = render.verdict_box(answer)
    if box is None:
        return
    getattr(st, box.level)(box.markdown)
    for row in render.condition_rows(answer, changed):
        with st.container(border=True):
            st.markdown(row)


def show_sources(answer: Answer, passages: Mapping[str, Passage]) -> None:
    for card in render.source_cards(answer, passages):
        with st.expander(card.title):
            st.markdown(card.body)
            st.caption(card.meta)


def show_answer(answer: Answer, passages: Mapping[str, Passage], clarify_key: str = "") -> None:
    """An abstention as such; otherwise the panel, the clarifying questions (when `clarify_key`
    is given), the cited text and its sources. The notice and corpus version always close it."""
    if answer.abstained:
        st.info(render.escape_markdown(answer.answer), icon=":material/block:")
    else:
        show_panel(answer)
        if clarify_key:
            show_clarifying(answer, clarify_key)
        st.markdown(render.answer_markdown(answer))
        show_sources(answer, passages)
    st.caption(render.footer(answer))


def show_passage(passage: Passage) -> None:
    st.markdown(f"**{render.escape_markdown(passage.label)}**  \n{render.escape_markdown(passage.text)}")
    st.caption(render.passage_meta(passage))


def show_error(exc: RedlinesError) -> None:
    st.error(render.error_markdown(render.message_of(exc), exc.hint))


# ---- Ask ----------------------------------------------------------------------------------------


def ask_exchange(assistant: Assistant, question: str, earlier: list[render.Exchange]) -> render.Exchange:
    # Earlier questions are the history, so a follow-up ("what if...") refines the scenario.
    history = [ex.question for ex in earlier if ex.answer is not None]
    try:
        return render.Exchange(question, assistant.ask(question, history=history))
    except RedlinesError as exc:
        return render.Exchange.failed(question, exc)


def prefill_follow_up(question: str) -> None:
    st.session_state.prompt = FOLLOW_UP_STARTER
    st.session_state.answering = question


def show_clarifying(answer: Answer, key: str) -> None:
    if not answer.clarifying_questions:
        return
    st.markdown("**To decide, I need to know** (click one, then answer in the box below):")
    for j, question in enumerate(answer.clarifying_questions):
        st.button(render.escape_markdown(question), key=f"{key}-clarify-{j}", on_click=prefill_follow_up, args=(question,))


def show_feedback(assistant: Assistant, ex: render.Exchange) -> None:
    sent: set[str] = st.session_state.feedback_sent
    if ex.id in sent:
        st.caption("Thanks, your feedback is saved.")
        return
    rating = st.feedback("thumbs", key=f"rating-{ex.id}")
    if rating is None:
        return
    comment = st.text_input("Comment (optional)", key=f"comment-{ex.id}")
    if st.button("Send feedback", key=f"send-{ex.id}"):
        record_feedback(assistant.settings.data_dir, ex.answer, "up" if rating == 1 else "down", comment)
        sent.add(ex.id)
        st.caption("Thanks, your feedback is saved.")


def show_exchange(assistant: Assistant, ex: render.Exchange, last: bool) -> None:
    with st.chat_message("user"):
        st.markdown(render.escape_markdown(ex.question))
    with st.chat_message("assistant"):
        if ex.answer is None:
            st.error(render.error_markdown(ex.error, ex.hint))
            return
        show_answer(ex.answer, assistant.retriever.index.passages, clarify_key=ex.id if last else "")
        show_feedback(assistant, ex)


def ask_tab(assistant: Assistant) -> None:
    exchanges: list[render.Exchange] = st.session_state.exchanges
    log = st.container()
    prompt = st.chat_input("Ask about Article 5(1)(e) AI Act, or describe a practice", key="prompt")
    with log:
        if not exchanges and not prompt:
            st.caption(f"Ask a question, or describe a practice and ask whether it is prohibited. For example: “{EXAMPLE}”")
        for i, ex in enumerate(exchanges):
            show_exchange(assistant, ex, last=not prompt and i == len(exchanges) - 1)
        if prompt:
            st.session_state.pop("answering", None)
            with st.spinner("Reading the sources…"):
                ex = ask_exchange(assistant, prompt, exchanges)
            exchanges.append(ex)
            show_exchange(assistant, ex, last=True)
        if question := st.session_state.get("answering"):
            st.info(f"Answering: {render.escape_markdown(question)}", icon=":material/edit:")


# ---- Sources ------------------------------------------------------------------------------------


def sources_tab(assistant: Assistant) -> None:
    passages = assistant.retriever.index.passages
    query = st.text_input("Search the sources", key="source-query", placeholder="e.g. robots.txt, consent, Clearview")
    if query.strip():
        with st.container(border=True):
            for hit in assistant.retriever.search(query):
                show_passage(hit.passage)
    st.markdown("#### Browse")
    groups = render.browse_index(passages.values())
    # Open on the provision this assistant is about (the rule file names it).
    home = next((p for p in passages.values() if p.label == assistant.rules.provision), None)
    instruments = list(groups)
    start = render.instrument_name(home.instrument) if home else instruments[0]
    left, right = st.columns(2)
    instrument = left.selectbox("Instrument", instruments, index=instruments.index(start), key="browse-instrument")
    articles = list(groups[instrument])
    first = render.article_of(home) if home and instrument == start else articles[0]
    article = right.selectbox("Article, recital or paragraph", articles, index=articles.index(first), key=f"browse-{instrument}")
    with st.container(border=True):
        for passage in groups[instrument][article]:
            show_passage(passage)


# ---- Demo ---------------------------------------------------------------------------------------


def demo_tab(assistant: Assistant) -> None:
    library = load_library()
    labels = {c.id: c.label for c in assistant.rules.conditions}
    titles = {s.id: s.title for s in library.scenarios}
    scenario = library.get(st.selectbox("Scenario", list(titles), format_func=titles.get, key="demo-scenario"))
    st.markdown(f"> {render.escape_markdown(scenario.narrative)}")
    with st.expander("Facts given to the assistant, and teaching notes"):
        for cid, statement in scenario.facts.items():
            st.markdown(f"**{render.escape_markdown(labels.get(cid, cid))}**: {render.escape_markdown(statement)}")
        st.markdown(f"*Teaching notes:* {render.escape_markdown(scenario.teaching_notes)}")
        st.caption("Key citations: " + render.escape_markdown(", ".join(scenario.key_citations)))

    choices = [*range(len(scenario.flips)), EDIT]
    choice = st.radio(
        "Flip one condition", choices, key=f"demo-flip-{scenario.id}",
        # Radio labels are Markdown.
        format_func=lambda i: "Edit one condition myself" if i == EDIT else render.escape_markdown(render.flip_label(scenario.flips[i], labels)),
    )
    if choice == EDIT:
        condition = st.selectbox("Condition", list(scenario.facts), format_func=labels.get, key=f"demo-cond-{scenario.id}")
        statement = st.text_area("Statement", scenario.facts[condition], key=f"demo-text-{scenario.id}-{condition}")
        expected = None
    else:
        flip = scenario.flips[choice]
        condition, statement, expected = flip.condition, flip.statement, flip.expected_verdict

    try:
        original = assistant.ask(scenario.narrative, facts=scenario.facts)
        flipped = assistant.ask(scenario.narrative, facts=scenario.facts_with(condition, statement))
    except RedlinesError as exc:
        show_error(exc)
        return
    left, right = st.columns(2, border=True)
    with left:
        st.markdown("#### As given")
        st.caption(f"Expected: {render.VERDICT_TITLES[scenario.expected_verdict]}")
        show_panel(original)
    with right:
        st.markdown("#### What if")
        what_if = f"{labels.get(condition, condition)}: “{statement}”"
        st.caption(render.escape_markdown(what_if) + (f" · Expected: {render.VERDICT_TITLES[expected]}" if expected else ""))
        show_panel(flipped, render.changed_conditions(original, flipped))
    with st.expander("Full analysis with sources (as given)"):
        show_answer(original, assistant.retriever.index.passages)


# ---- page ---------------------------------------------------------------------------------------


def sidebar(assistant: Assistant) -> None:
    exchanges: list[render.Exchange] = st.session_state.exchanges
    manifest = assistant.retriever.index.manifest
    with st.sidebar:
        st.title("redlines")
        st.caption("Article 5(1)(e) AI Act: untargeted scraping of facial images to build facial recognition databases")
        st.warning(render.escape_markdown(assistant.rules.notice), icon=":material/gavel:")
        st.caption(f"Corpus version `{manifest.corpus_version}` · {manifest.passages} passages · index built {manifest.built_at}")
        st.markdown("#### Conversation")
        st.download_button(
            "Export as Markdown", render.conversation_markdown(exchanges), "redlines-conversation.md",
            "text/markdown", disabled=not exchanges, icon=":material/download:",
        )
        st.download_button(
            "Export as JSON", render.conversation_json(exchanges), "redlines-conversation.json",
            "application/json", disabled=not exchanges, icon=":material/data_object:",
        )
        st.button("New conversation", on_click=new_conversation, disabled=not exchanges)


def new_conversation() -> None:
    st.session_state.exchanges.clear()
    st.session_state.pop("answering", None)


def open_assistant() -> Assistant:
    """The warm Assistant, or an error on the page (and a stop) when it cannot be opened."""
    try:
        settings = Settings()
        with st.spinner("Opening the index. On first use it is built from the corpus, which takes about a minute…", show_time=True):
            return load_assistant(settings.model_dump_json())
    except ValidationError as exc:
        st.error(render.error_markdown(f"a setting is invalid: {exc}", "check the REDLINES_* environment variables"))
    except RedlinesError as exc:
        show_error(exc)
    st.stop()


def main() -> None:
    st.set_page_config(page_title="redlines · Art. 5(1)(e) AI Act", page_icon=":material/gavel:", layout="wide")
    assistant = open_assistant()
    st.session_state.setdefault("exchanges", [])
    st.session_state.setdefault("feedback_sent", set())
    ask, sources, demo = st.tabs(["Ask", "Sources", "Demo"])
    with ask:
        ask_tab(assistant)
    with sources:
        sources_tab(assistant)
    with demo:
        demo_tab(assistant)
    sidebar(assistant)  # last, so the export includes an answer given in this run


main()
