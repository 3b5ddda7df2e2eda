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
from assistant.types import Answer

sys.path.insert(0, str(PROJECT_DIR / "ui"))  # the app imports its modules by name, as Streamlit runs it
import render  # noqa: E402
from feedback import read_feedback, record_feedback  # noqa: E402

pytestmark = pytest.mark.slow
APP = PROJECT_DIR / "ui" / "app.py"
SCENARIO = "We crawl social media for faces to build a searchable face database; is that allowed?"


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
    at.run()
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


def test_chat_round_trip_shows_verdict_panel_text_and_cited_sources(app):
    reply = say(app, SCENARIO)
    assert app.chat_message[0].markdown[0].value == render.escape_markdown(SCENARIO)
    assert reply.error[0].value.startswith("**Prohibited** — ")
    rows = [m.value for m in reply.markdown if m.value.startswith(render.STATUS_BADGES["met"])]
    assert len(rows) == 4 and "Facial images from the internet or CCTV footage" in rows[3]
    assert any("Verdict\\: prohibited" in m.value for m in reply.markdown)
    titles = [e.label for e in reply.expander]
    assert "\\[1\\] AI Act Art. 5(1)(e)" in titles and "\\[5\\] Guidelines para. 228" in titles
    source = reply.expander[0]
    assert ":orange-background[the placing on the market" in source.markdown[0].value
    assert "Authority: **law**" in source.caption[0].value
    footer = reply.caption[-1].value
    assert "not legal advice" in footer and "corpus version" in footer


def test_a_follow_up_refines_the_scenario(app):
    say(app, SCENARIO)
    reply = say(app, "What if it only targeted one suspect?")
    assert reply.success[0].value.startswith("**Not prohibited**")
    untargeted = next(m.value for m in reply.markdown if "Populated through AI tools" in m.value)
    assert untargeted.startswith(render.STATUS_BADGES["not_met"])


def test_an_abstention_is_shown_as_such(app):
    reply = say(app, "What is the weather in Paris tomorrow?")
    assert "can't answer that from my sources" in reply.info[0].value
    assert not reply.expander and not reply.error
    assert "corpus version" in reply.caption[-1].value


def test_an_error_shows_its_hint_and_keeps_the_conversation(app):
    say(app, SCENARIO)
    reply = say(app, "x" * 2001)
    assert "the question is 2001 characters long" in reply.error[0].value
    assert "shorten it to 2000 characters" in reply.error[0].value
    assert [m.markdown[0].value for m in app.chat_message[::2]] == [render.escape_markdown(SCENARIO), "x" * 2001]
    assert app.chat_message[1].error[0].value.startswith("**Prohibited**")
    assert say(app, "What if it only targeted one suspect?").success  # the failed turn is not history


def test_insufficient_facts_offer_clarifying_questions_that_prefill_a_follow_up(app):
    reply = say(app, "we use ai on images, is that ok?")
    assert reply.warning[0].value.startswith("**Insufficient facts**")
    questions = [b for b in reply.button if b.label.startswith("Where do the facial images come from")]
    assert len(questions) == 1
    questions[0].click().run()
    assert app.chat_input[0].proto.value == "Suppose "  # put in the box for the user to finish
    assert "Where do the facial images come from" in app.main.info[-1].value
    reply = say(app, "Suppose the crawler puts every face from social media into a searchable face database.")
    assert reply.error[0].value.startswith("**Prohibited**")


def test_export_buttons_download_the_conversation_with_its_citations(app):
    assert all(b.proto.disabled for b in app.sidebar.get("download_button"))
    say(app, SCENARIO)
    markdown_button, json_button = app.sidebar.get("download_button")
    assert not markdown_button.proto.disabled
    exported = download(markdown_button)
    assert "**AI Act Art. 5(1)(e)**" in exported and "**Verdict: Prohibited**" in exported
    data = json.loads(download(json_button))
    answer = Answer.model_validate(data["exchanges"][0]["answer"])
    assert answer.verdict == "prohibited" and "AI Act Art. 5(1)(e)" in {c.label for c in answer.citations}


def test_feedback_is_stored_with_the_answer(app, real_settings):
    reply = say(app, SCENARIO)
    reply.get("feedback")[0].set_value(0).run()  # thumbs down
    app.chat_message[-1].text_input[0].input("Cite the LED too").run()
    next(b for b in app.chat_message[-1].button if b.label == "Send feedback").click().run()
    assert not app.exception
    entry = read_feedback(real_settings.data_dir)[-1]
    assert (entry.question, entry.rating, entry.comment, entry.verdict) == (SCENARIO, "down", "Cite the LED too", "prohibited")
    assert entry.answer.startswith("Verdict: prohibited") and entry.corpus_version
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
    left, right = at.tabs[2].columns
    return left, right


def test_demo_flips_one_condition_and_shows_both_panels_side_by_side(app):
    app.tabs[2].selectbox(key="demo-scenario").set_value("clearview-style-platform").run()
    left, right = panels(app)
    assert left.error[0].value.startswith("**Prohibited**")
    assert right.success[0].value.startswith("**Not prohibited**")  # first flip: customers' selfies
    changed = [m.value for m in right.markdown if render.CHANGED_BADGE in m.value]
    assert len(changed) == 1 and "Facial images from the internet or CCTV footage" in changed[0]
    assert not any(render.CHANGED_BADGE in m.value for m in left.markdown)


def test_demo_lets_a_trainer_edit_one_condition(app):
    app.tabs[2].selectbox(key="demo-scenario").set_value("step-by-step").run()
    app.tabs[2].radio(key="demo-flip-step-by-step").set_value(-1).run()
    app.tabs[2].selectbox(key="demo-cond-step-by-step").set_value("source").run()
    app.tabs[2].text_area(key="demo-text-step-by-step-source").input("Photos from a printed paper archive.").run()
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
    record_feedback(tmp_path, answer, "down", "  wrong article  ")
    lines = (tmp_path / "feedback.jsonl").read_text().splitlines()
    assert [json.loads(line)["rating"] for line in lines] == ["up", "down"]
    assert read_feedback(tmp_path)[1].comment == "wrong article"
    assert read_feedback(tmp_path / "nothing-yet") == []


def test_new_conversation_starts_afresh(app):
    say(app, SCENARIO)
    next(b for b in app.sidebar.button if b.label == "New conversation").click().run()
    assert not app.chat_message and all(b.proto.disabled for b in app.sidebar.get("download_button"))
    reply = say(app, "we use ai on images, is that ok?")  # the earlier scenario no longer counts
    assert reply.warning[0].value.startswith("**Insufficient facts**")
