"""The Streamlit front end: Ask (chat), Sources (browse and search) and Demo (trainer scenarios).

It stays thin: it calls Assistant.ask and shows the Answer with widgets.py, which renders with the
pure functions of render.py. The Assistant (index and embedding model) loads once per process;
everything per user lives in st.session_state (conversation.py). Corpus and user text is rendered
as escaped Markdown, never as HTML.
"""

from __future__ import annotations

import streamlit as st
from pydantic import ValidationError

# Streamlit puts this file's folder on sys.path, so the UI's own modules import by name.
import render
from assistant.config import PROJECT_DIR, Settings
from assistant.errors import IndexMissingError, IndexStaleError, RedlinesError
from assistant.index import ingest
from assistant.pipeline import Assistant
from assistant.rules import UNKNOWN, Slot
from conversation import Exchange, carried_facts, conversation_json, conversation_markdown
from feedback import record_feedback
from scenarios import ScenarioLibrary, load_scenarios
from widgets import show_answer, show_error, show_panel, show_passage

SCENARIOS = PROJECT_DIR / "eval" / "scenarios.yaml"
EXAMPLE = "We sell an AI crawler that collects every face it finds on social media into a searchable face database. Is that allowed?"
EDIT = -1  # the demo's "set one fact myself" choice


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
    # The fact reader and the router load on the first question; load them now, under the
    # spinner, so that the user's first question is answered as fast as the next ones.
    assistant.ask(EXAMPLE)
    return assistant


@st.cache_resource(show_spinner=False)
def load_library(_slots: tuple[Slot, ...]) -> ScenarioLibrary:
    return load_scenarios(SCENARIOS, _slots)


# ---- Ask ----------------------------------------------------------------------------------------


def ask_exchange(assistant: Assistant, question: str, earlier: list[Exchange]) -> Exchange:
    """Answer a new turn. Earlier questions are the history, so a follow-up ("what if...")
    refines the scenario; the user's corrections carry over unless the new words speak to the
    same slot. It is asked without them first: a question that is no scenario keeps its kind."""
    answered = [ex for ex in earlier if ex.answer is not None]
    history = [ex.question for ex in answered]
    facts = dict(answered[-1].facts) if answered else {}
    try:
        answer = assistant.ask(question, history=history)
        if answer.verdict is not None and facts:
            facts = carried_facts(facts, answer, question)
            if facts:
                answer = assistant.ask(question, history=history, facts=facts)
    except RedlinesError as exc:
        return Exchange.failed(question, exc, history=history, facts=facts)
    return Exchange(question, answer, history=history, facts=facts)


def show_feedback(assistant: Assistant, ex: Exchange) -> None:
    sent: set[str] = st.session_state.feedback_sent
    if ex.key in sent:
        st.caption("Thanks, your feedback is saved.")
        return
    rating = st.feedback("thumbs", key=f"rating-{ex.key}")
    if rating is None:
        return
    comment = st.text_input("Comment (optional)", key=f"comment-{ex.key}")
    if st.button("Send feedback", key=f"send-{ex.key}"):
        record_feedback(
            assistant.settings.data_dir, ex.answer, "up" if rating == 1 else "down", comment, ex.history, ex.facts,
        )
        sent.add(ex.key)
        st.caption("Thanks, your feedback is saved.")


def show_exchange(assistant: Assistant, ex: Exchange) -> None:
    with st.chat_message("user"):
        st.markdown(render.escape_markdown(ex.question))
    with st.chat_message("assistant"):
        if ex.answer is None:
            st.error(render.error_markdown(ex.error, ex.hint))
            return
        if ex.previous is not None:
            was = render.VERDICT_TITLES.get(ex.previous.verdict or "", "no verdict")
            st.caption(f"Asked again with the facts you set; before, the verdict was: {was}.")
        show_answer(assistant, ex.answer, ex)
        if ex.error:
            st.error(render.error_markdown(ex.error, ex.hint))
        show_feedback(assistant, ex)


def ask_tab(assistant: Assistant) -> None:
    exchanges: list[Exchange] = st.session_state.exchanges
    log = st.container()
    prompt = st.chat_input("Ask about Article 5(1)(e) AI Act, or describe a practice", key="prompt")
    with log:
        if not exchanges and not prompt:
            st.caption(f"Ask a question, or describe a practice and ask whether it is prohibited. For example: “{EXAMPLE}”")
        for ex in exchanges:
            show_exchange(assistant, ex)
        if prompt:
            with st.spinner("Reading the sources…"):
                ex = ask_exchange(assistant, prompt, exchanges)
            exchanges.append(ex)
            show_exchange(assistant, ex)


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
    library = load_library(assistant.rules.slots)
    slots = {s.id: s for s in assistant.rules.slots}
    titles = {s.id: s.title for s in library.scenarios}
    scenario = library.get(st.selectbox("Scenario", list(titles), format_func=titles.get, key="demo-scenario"))
    st.markdown(f"> {render.escape_markdown(scenario.narrative)}")
    with st.expander("Facts given to the assistant, and teaching notes"):
        for slot_id, value in scenario.facts.items():
            st.markdown(f"- {render.escape_markdown(render.what_if(slots[slot_id], value))}")
        st.markdown(f"*Teaching notes:* {render.escape_markdown(scenario.teaching_notes)}")
        st.caption("Key citations: " + render.escape_markdown(", ".join(scenario.key_citations)))

    choices = [*range(len(scenario.flips)), EDIT]
    choice = st.radio(
        "Change one fact", choices, key=f"demo-flip-{scenario.id}",
        # Radio labels are Markdown.
        format_func=lambda i: "Set one fact myself" if i == EDIT else render.escape_markdown(
            "What if — " + render.what_if(slots[scenario.flips[i].slot], scenario.flips[i].value)),
    )
    if choice == EDIT:
        settable = [s.id for s in slots.values() if not s.multiple]
        slot = slots[st.selectbox("Fact", settable, format_func=lambda s: slots[s].label, key=f"demo-slot-{scenario.id}")]
        options = render.choices(slot)
        value = st.selectbox(
            "Value", options, index=options.index(scenario.facts.get(slot.id, UNKNOWN)),
            format_func=lambda v: render.value_label(slot, v), key=f"demo-value-{scenario.id}-{slot.id}",
        )
        expected = None
    else:
        flip = scenario.flips[choice]
        slot, value, expected = slots[flip.slot], flip.value, flip.expected_verdict

    try:
        original = assistant.ask(scenario.narrative, facts=scenario.facts)
        flipped = assistant.ask(scenario.narrative, facts=scenario.facts_with(slot.id, value))
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
        expecting = f" · Expected: {render.VERDICT_TITLES[expected]}" if expected else ""
        st.caption(render.escape_markdown(render.what_if(slot, value)) + expecting)
        show_panel(flipped, render.changed_conditions(original, flipped))
    with st.expander("Full analysis with sources (as given)"):
        show_answer(assistant, original)


# ---- page ---------------------------------------------------------------------------------------


def sidebar(assistant: Assistant) -> None:
    exchanges: list[Exchange] = st.session_state.exchanges
    manifest = assistant.retriever.index.manifest
    with st.sidebar:
        st.title("redlines")
        st.caption("Article 5(1)(e) AI Act: untargeted scraping of facial images to build facial recognition databases")
        st.warning(render.escape_markdown(assistant.rules.notice), icon=":material/gavel:")
        st.caption(f"Corpus version `{manifest.corpus_version}` · {manifest.passages} passages · index built {manifest.built_at}")
        st.markdown("#### Conversation")
        st.download_button(
            "Export as Markdown", conversation_markdown(exchanges, assistant.rules.slots), "redlines-conversation.md",
            "text/markdown", disabled=not exchanges, icon=":material/download:",
        )
        st.download_button(
            "Export as JSON", conversation_json(exchanges), "redlines-conversation.json",
            "application/json", disabled=not exchanges, icon=":material/data_object:",
        )
        st.button("New conversation", on_click=st.session_state.exchanges.clear, disabled=not exchanges)


def open_assistant() -> Assistant:
    """The warm Assistant, or an error on the page (and a stop) when it cannot be opened."""
    try:
        settings = Settings()
        with st.spinner("Opening the index and the fact reader. On first use they are built, which takes a few minutes…", show_time=True):
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
