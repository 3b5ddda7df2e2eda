"""The Streamlit pieces the tabs of app.py share: an Answer, a passage, an error.

A scenario answer is shown in parts, each once (render.py names the lines of the answer text that
other parts show): the verdict, "What I understood" with a select box per slot, the clarifying
questions as one-click choices, the condition panel, the rest of the text and the sources. A select
box or a choice asks the same question again with that fact set, and the turn takes the new answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import streamlit as st

import render
from assistant.errors import RedlinesError
from assistant.pipeline import Assistant
from assistant.types import Answer, Passage
from conversation import Exchange


def show_verdict(answer: Answer) -> None:
    if box := render.verdict_box(answer):
        getattr(st, box.level)(box.markdown)


def show_conditions(answer: Answer, changed: Iterable[str] = ()) -> None:
    for row in render.condition_rows(answer, changed):
        with st.container(border=True):
            st.markdown(row)


def show_panel(answer: Answer, changed: Iterable[str] = ()) -> None:
    """Verdict on top, then the four conditions with status, rationale and citation numbers."""
    show_verdict(answer)
    show_conditions(answer, changed)


def show_sources(answer: Answer, passages: Mapping[str, Passage]) -> None:
    for card in render.source_cards(answer, passages):
        with st.expander(card.title):
            st.markdown(card.body)
            st.caption(card.meta)


def show_frame(assistant: Assistant, answer: Answer, ex: Exchange | None) -> None:
    """What I understood: a select box per slot (when the answer belongs to a chat turn), with
    the user's words each value was read from."""
    with st.container(border=True):
        st.markdown("**What I understood**")
        cells = st.columns(2)  # two, so that a value's label has room in its select box
        for i, row in enumerate(render.frame_rows(answer, assistant.rules.slots)):
            with cells[i % 2]:
                if ex is not None and row.settable:
                    options = render.choices(row.slot)
                    key = f"{ex.key}-slot-{row.slot.id}"
                    st.selectbox(
                        render.escape_markdown(row.slot.label), options, index=options.index(row.value), key=key,
                        format_func=lambda v, slot=row.slot: render.value_label(slot, v),
                        on_change=pick, args=(assistant, ex, row.slot.id, key),
                    )
                else:
                    st.markdown(f"**{render.escape_markdown(row.slot.label)}**  \n{row.text}")
                st.caption(row.source)


def show_clarifying(assistant: Assistant, answer: Answer, ex: Exchange) -> None:
    """Each fact that would settle an unclear condition, as a question with one button per value."""
    missing = render.missing_slots(answer, assistant.rules.slots)
    if not missing:
        return
    st.markdown("**To decide, I need to know** (one click answers):")
    for slot in missing:
        st.markdown(render.escape_markdown(slot.question))
        with st.container(horizontal=True):
            for value in slot.values:
                st.button(
                    render.escape_markdown(value.label), key=f"{ex.key}-clarify-{slot.id}-{value.id}",
                    on_click=correct, args=(assistant, ex, slot.id, value.id),
                )


def show_answer(assistant: Assistant, answer: Answer, ex: Exchange | None = None) -> None:
    """An abstention as such; otherwise the verdict, the frame, the clarifying questions (for a
    chat turn, which can be corrected), the condition panel, the rest of the text and its sources,
    each shown once. The notice and corpus version always close it."""
    if answer.abstained:
        st.info(render.escape_markdown(answer.answer), icon=":material/block:")
    else:
        show_verdict(answer)
        if answer.verdict is not None:
            show_frame(assistant, answer, ex)
            if ex is not None:
                show_clarifying(assistant, answer, ex)
            before = ex.previous if ex is not None else None
            show_conditions(answer, render.changed_conditions(before, answer) if before else ())
        if text := render.answer_markdown(answer, omit=render.shown_apart(answer, questions=ex is not None)):
            st.markdown(text)
        show_sources(answer, assistant.retriever.index.passages)
    st.caption(render.footer(answer))


def show_passage(passage: Passage) -> None:
    st.markdown(f"**{render.escape_markdown(passage.label)}**  \n{render.escape_markdown(passage.text)}")
    st.caption(render.passage_meta(passage))


def show_error(exc: RedlinesError) -> None:
    st.error(render.error_markdown(render.message_of(exc), exc.hint))


# ---- corrections ------------------------------------------------------------------------------


def correct(assistant: Assistant, ex: Exchange, slot: str, value: str) -> None:
    """Ask the turn's question again with one slot set, earlier corrections kept."""
    facts = {**ex.facts, slot: value}
    try:
        ex.revise(assistant.ask(ex.question, history=ex.history, facts=facts), facts)
    except RedlinesError as exc:
        ex.fail(exc)


def pick(assistant: Assistant, ex: Exchange, slot: str, key: str) -> None:
    correct(assistant, ex, slot, st.session_state[key])
