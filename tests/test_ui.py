"""ui/app.py driven by Streamlit's AppTest over the real index, and ui/feedback.py."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module

from assistant.config import PROJECT_DIR, Settings
from assistant.rules import load_rules
from assistant.types import Answer

sys.path.insert(0, str(PROJECT_DIR / "ui"))  # the app imports its modules by name, as Streamlit runs it
import render  # noqa: E402
from feedback import read_feedback, record_feedback  # noqa: E402

pytestmark = pytest.mark.slow
APP = PROJECT_DIR / "ui" / "app.py"
SLOTS = {s.id: s for s in load_rules(Settings().rules_file).slots}
SCENARIO = "We sell an AI crawler that collects every face it finds on social media into a searchable face database. Is that allowed?"


class RecordingStorage(MemoryMediaFileStorage):
    """The in-memory media store AppTest gives each run, kept so a test can read a download."""

    latest: MemoryMediaFileStorage | None = None

    def __init__(self, media_endpoint: str) -> None:
        super().__init__(media_endpoint)
        RecordingStorage.latest = self


def start(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("REDLINES_DATA_DIR", str(data_dir))
    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", RecordingStorage)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run(timeout=900)  # the first run opens the Assistant (building the index and reader on first use)
    assert not at.exception
    return at


@pytest.fixture
def app(real_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    return start(real_settings.data_dir, monkeypatch)


def say(at: AppTest, text: str):
    """Send a chat message; return the assistant's reply block."""
    at.chat_input[0].set_value(text).run()
    assert not at.exception
    return at.chat_message[-1]


def download(button) -> str:
    name = button.proto.url.rsplit("/", 1)[1]
    return RecordingStorage.latest.get_file(name).content.decode("utf-8")


# ---- Ask ----------------------------------------------------------------------------------------


def slot_box(reply, slot: str):
    """The select box of one slot in "What I understood"."""
    return next(box for box in reply.selectbox if box.key.endswith(f"-slot-{slot}"))


def condition_row(reply, label: str) -> str:
    return next(m.value for m in reply.markdown if label in m.value and m.value.startswith(tuple(render.STATUS_BADGES.values())))


def test_chat_round_trip_shows_verdict_frame_panel_text_and_cited_sources(app):
    reply = say(app, SCENARIO)
    assert app.chat_message[0].markdown[0].value == render.escape_markdown(SCENARIO)
    assert reply.error[0].value.startswith("**Prohibited** — ")
    # What I understood: every slot with a select box, set to what was read, with the user's words.
    assert slot_box(reply, "source").value == "internet" and slot_box(reply, "targeting").value == "untargeted"
    assert slot_box(reply, "actor").options[-1] == "not stated"  # every slot can be set back to unknown
    assert any(c.value.startswith("from your words: “") and "social media" in c.value for c in reply.caption)
    rows = [m.value for m in reply.markdown if m.value.startswith(render.STATUS_BADGES["met"])]
    assert len(rows) == 4 and "Facial images from the internet or CCTV footage" in rows[3]
    # Each thing is said once: no verdict line, frame line or condition line in the text below the panel.
    text = "\n".join(m.value for m in reply.markdown)
    assert "Verdict\\: prohibited" not in text and "What I understood\\:" not in text and "\n- Placing on the market" not in text
    assert text.count("Populated through AI tools for untargeted scraping") == 1
    assert any("Infringing an Article 5 prohibition" in m.value for m in reply.markdown)  # other law stays
    titles = [e.label for e in reply.expander]
    assert "\\[1\\] AI Act Art. 5(1)(e)" in titles and any(t.endswith("Guidelines para. 228") for t in titles)
    source = reply.expander[0]
    assert ":orange-background[the placing on the market" in source.markdown[0].value
    assert "Authority: **law**" in source.caption[0].value
    footer = reply.caption[-1].value
    assert "not legal advice" in footer and "corpus version" in footer


def test_a_correction_asks_again_and_flips_the_verdict(app):
    say(app, SCENARIO)
    slot_box(app.chat_message[-1], "source").set_value("provided_by_subjects").run()
    assert not app.exception
    reply = app.chat_message[-1]
    assert len(app.chat_message) == 2  # the same turn, answered again in place
    assert reply.success[0].value.startswith("**Not prohibited**")
    assert "before, the verdict was: Prohibited" in reply.caption[0].value
    source = condition_row(reply, "Facial images from the internet or CCTV footage")
    assert source.startswith(render.STATUS_BADGES["not_met"]) and render.CHANGED_BADGE in source
    assert slot_box(reply, "source").value == "provided_by_subjects"
    assert "set by you" in [c.value for c in reply.caption]


def test_corrections_add_up_and_carry_into_follow_ups(app):
    say(app, SCENARIO)
    slot_box(app.chat_message[-1], "targeting").set_value("specific_individuals").run()
    assert app.chat_message[-1].success[0].value.startswith("**Not prohibited**")
    slot_box(app.chat_message[-1], "source").set_value("cctv").run()  # the first correction is kept
    reply = app.chat_message[-1]
    assert reply.success[0].value.startswith("**Not prohibited**")
    assert (slot_box(reply, "targeting").value, slot_box(reply, "source").value) == ("specific_individuals", "cctv")
    reply = say(app, "What if the collection is done by hand, without any AI?")
    assert slot_box(reply, "source").value == "cctv"  # carried over: the follow-up says nothing about the source


def test_a_follow_up_refines_the_scenario(app):
    say(app, SCENARIO)
    reply = say(app, "What if it only targeted one suspect?")
    assert reply.success[0].value.startswith("**Not prohibited**")
    untargeted = condition_row(reply, "Populated through AI tools")
    assert untargeted.startswith(render.STATUS_BADGES["not_met"])


def test_an_abstention_is_shown_as_such(app):
    reply = say(app, "What is the weather in Paris tomorrow?")
    assert "can't answer that from my sources" in reply.info[0].value
    assert not reply.expander and not reply.error and not reply.selectbox
    assert "corpus version" in reply.caption[-1].value


def test_an_error_shows_its_hint_and_keeps_the_conversation(app):
    say(app, SCENARIO)
    reply = say(app, "x" * 2001)
    assert "the question is 2001 characters long" in reply.error[0].value
    assert "shorten it to 2000 characters" in reply.error[0].value
    assert [m.markdown[0].value for m in app.chat_message[::2]] == [render.escape_markdown(SCENARIO), "x" * 2001]
    assert app.chat_message[1].error[0].value.startswith("**Prohibited**")
    assert say(app, "What if it only targeted one suspect?").success  # the failed turn is not history


def test_clarifying_questions_are_one_click_choices(app):
    reply = say(app, "we use ai on images, is that ok?")
    assert reply.warning[0].value.startswith("**Insufficient facts**")
    assert any(m.value.startswith("Where do the facial images come from") for m in reply.markdown)
    choices = [b for b in reply.button if "-clarify-source-" in b.key]
    assert [b.key.rsplit("-clarify-source-", 1)[1] for b in choices] == SLOTS["source"].ids()
    assert [b.label for b in choices] == [render.escape_markdown(v.label) for v in SLOTS["source"].values]
    next(b for b in choices if b.key.endswith("-provided_by_subjects")).click().run()
    assert not app.exception
    reply = app.chat_message[-1]
    assert len(app.chat_message) == 2 and app.chat_input[0].proto.value == ""  # nothing to type: answered
    assert reply.success[0].value.startswith("**Not prohibited**")
    assert slot_box(reply, "source").value == "provided_by_subjects"
    assert not [b for b in reply.button if "-clarify-source-" in b.key]  # that question is answered


def test_export_buttons_download_the_conversation_with_its_citations(app):
    assert all(b.proto.disabled for b in app.sidebar.get("download_button"))
    say(app, SCENARIO)
    markdown_button, json_button = app.sidebar.get("download_button")
    assert not markdown_button.proto.disabled
    exported = download(markdown_button)
    assert "**AI Act Art. 5(1)(e)**" in exported and "**Verdict: Prohibited**" in exported
    assert "**What I understood**" in exported
    data = json.loads(download(json_button))
    answer = Answer.model_validate(data["exchanges"][0]["answer"])
    assert answer.verdict == "prohibited" and "AI Act Art. 5(1)(e)" in {c.label for c in answer.citations}


def test_feedback_is_stored_with_the_answer_and_the_facts_set(app, real_settings):
    say(app, SCENARIO)
    slot_box(app.chat_message[-1], "source").set_value("provided_by_subjects").run()
    app.chat_message[-1].get("feedback")[0].set_value(0).run()  # thumbs down
    app.chat_message[-1].text_input[0].input("Cite the LED too").run()
    next(b for b in app.chat_message[-1].button if b.label == "Send feedback").click().run()
    assert not app.exception
    entry = read_feedback(real_settings.data_dir)[-1]
    assert (entry.question, entry.rating, entry.comment, entry.verdict) == (SCENARIO, "down", "Cite the LED too", "not_prohibited")
    assert entry.facts == {"source": "provided_by_subjects"} and entry.history == []
    assert entry.answer.startswith("Yes, as far as Article 5(1)(e) AI Act goes") and entry.corpus_version
    assert "feedback is saved" in app.chat_message[-1].caption[-1].value


def test_the_notice_and_corpus_version_are_always_in_the_sidebar(app, real_settings):
    assert "not legal advice" in app.sidebar.warning[0].value
    assert "Corpus version" in app.sidebar.caption[-1].value


# ---- Sources ------------------------------------------------------------------------------------


def test_sources_open_on_article_5_and_browse_by_instrument_and_article(app):
    sources = app.tabs[1]
    assert any(m.value.startswith("**AI Act Art. 5(1)(e)**") for m in sources.markdown)
    sources.selectbox(key="browse-instrument").set_value("Guidelines").run()
    app.tabs[1].selectbox(key="browse-Guidelines").set_value("para. 228").run()
    texts = [m.value for m in app.tabs[1].markdown]
    assert any(t.startswith("**Guidelines para. 228**") and "vacuum cleaner" in t for t in texts)


def test_source_search_uses_the_retriever(app):
    app.tabs[1].text_input(key="source-query").input("robots.txt opt-out").run()
    assert any(m.value.startswith("**Guidelines para. 228**") for m in app.tabs[1].markdown)


# ---- Demo ---------------------------------------------------------------------------------------


def panels(at: AppTest):
    """The two side-by-side panels (the frame in the full analysis below has columns too)."""
    left, right = at.tabs[2].columns[:2]
    return left, right


def test_demo_flips_one_slot_and_shows_both_panels_side_by_side(app):
    app.tabs[2].selectbox(key="demo-scenario").set_value("clearview-style-platform").run()
    flips = app.tabs[2].radio(key="demo-flip-clearview-style-platform")
    assert flips.options[0] == render.escape_markdown("What if — Where the images come from: images the people themselves hand in")
    left, right = panels(app)
    assert left.error[0].value.startswith("**Prohibited**")
    assert right.success[0].value.startswith("**Not prohibited**")  # first flip: customers' selfies
    changed = [m.value for m in right.markdown if render.CHANGED_BADGE in m.value]
    assert len(changed) == 1 and "Facial images from the internet or CCTV footage" in changed[0]
    assert not any(render.CHANGED_BADGE in m.value for m in left.markdown)


def test_demo_lets_a_trainer_set_one_fact(app):
    app.tabs[2].selectbox(key="demo-scenario").set_value("step-by-step").run()
    app.tabs[2].radio(key="demo-flip-step-by-step").set_value(-1).run()
    app.tabs[2].selectbox(key="demo-slot-step-by-step").set_value("source").run()
    value = app.tabs[2].selectbox(key="demo-value-step-by-step-source")
    assert value.value == "internet"  # starts from the scenario's own fact
    value.set_value("offline").run()
    left, right = panels(app)
    assert left.error[0].value.startswith("**Prohibited**")
    assert right.success[0].value.startswith("**Not prohibited**")


# ---- first use and the feedback store -----------------------------------------------------------


def test_the_index_is_built_on_first_use(real_settings, tmp_path, monkeypatch):
    for cache in real_settings.data_dir.glob("embeddings-*.npz"):
        shutil.copy(cache, tmp_path)  # cached vectors: the build runs for real but embeds nothing
    assert not (tmp_path / "manifest.json").exists()
    at = start(tmp_path, monkeypatch)
    assert (tmp_path / "manifest.json").exists()
    assert at.chat_input and "Corpus version" in at.sidebar.caption[-1].value


def test_feedback_lines_append(tmp_path):
    answer = Answer(question="q", kind="fact", answer="a [1]", notice="n", corpus_version="v1")
    record_feedback(tmp_path, answer, "up")
    record_feedback(tmp_path, answer, "down", "  wrong article  ", ["earlier"], {"source": "cctv"})
    lines = (tmp_path / "feedback.jsonl").read_text().splitlines()
    assert [json.loads(line)["rating"] for line in lines] == ["up", "down"]
    second = read_feedback(tmp_path)[1]
    assert (second.comment, second.history, second.facts) == ("wrong article", ["earlier"], {"source": "cctv"})
    assert read_feedback(tmp_path / "nothing-yet") == []


def test_new_conversation_starts_afresh(app):
    say(app, SCENARIO)
    next(b for b in app.sidebar.button if b.label == "New conversation").click().run()
    assert not app.chat_message and all(b.proto.disabled for b in app.sidebar.get("download_button"))
    reply = say(app, "we use ai on images, is that ok?")  # the earlier scenario no longer counts
    assert reply.warning[0].value.startswith("**Insufficient facts**")
