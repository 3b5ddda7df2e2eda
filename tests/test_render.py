"""ui/render.py: escaping, highlighting, the verdict, the fact frame, the condition panel, each
shown once, and source cards."""

from __future__ import annotations

import html
import re
import sys

import pytest
from markdown_it import MarkdownIt  # CommonMark reference parser (installed with chromadb's rich)

from assistant.config import PROJECT_DIR, Settings
from assistant.rules import load_rules
from assistant.types import Answer, Citation, ConditionFinding, FrameFact, Passage

sys.path.insert(0, str(PROJECT_DIR / "ui"))  # the app imports its modules by name, as Streamlit runs it
import render  # noqa: E402

HOSTILE = "Is *this* _ok_? [click](http://evil.example) <script>alert(1)</script> costs $5 and $x^2$ `rm -rf` :red[red] ~~no~~ | a | b | &amp; \\ end"
MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])
SLOTS = load_rules(Settings().rules_file).slots  # the real slots: labels, values, questions
QUESTIONS = [
    "How are the images collected: automatically and indiscriminately (untargeted), or only of specific individuals?",
    "Is an AI system involved?",
]


def rendered_text(markdown: str) -> str:
    """What a reader sees: the HTML CommonMark makes, tags dropped and entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", MARKDOWN.render(markdown))).strip()


def passage(pid: str = "guidelines/para-228", label: str = "Guidelines para. 228", **extra) -> Passage:
    fields = {
        "id": pid, "label": label, "doc_id": pid.split("/")[0], "instrument": label.split(" para")[0],
        "authority": "guidance", "order": 1, "url": "https://example.eu/guidelines",
        "text": "‘Untargeted’ relates to a technique that operates like a ‘vacuum cleaner’. The respect of opt-out of internet protocols such as robot.txt does not affect the untargeted nature of the scraping.",
    }
    return Passage(**{**fields, **extra})


def finding(cid: str, status: str, citations: list[int]) -> ConditionFinding:
    words = " From your words: “We crawl *everything*”." if cid == "source" else ""
    return ConditionFinding(id=cid, label=f"Condition {cid}", status=status, rationale=f"Because of {cid}.{words}", citations=citations)


def scenario_answer(verdict: str = "prohibited", statuses: tuple[str, ...] = ("met",) * 4) -> Answer:
    """A scenario answer shaped as compose.py writes it: the verdict, the frame, one line per
    condition, a remark, other law, and the clarifying questions."""
    ids = ("conduct", "purpose", "untargeted_scraping", "source")
    lines = [
        f"Verdict: {verdict.replace('_', ' ')}, because of the facts [1][2].",
        "What I understood: where the images come from: the internet (“We crawl *everything*”). Not stated: who acts.",
        *(f"- Condition {c} — {s.replace('_', ' ')}: Because of {c} [2]." for c, s in zip(ids, statuses)),
        "Respecting robots.txt does not make scraping targeted [1].",
        "Other law [1].",
        "To decide, I need to know: " + " ".join(QUESTIONS),
    ]
    return Answer(
        question="We crawl *everything*", kind="scenario", verdict=verdict, answer="\n".join(lines),
        conditions=[finding(c, s, [2]) for c, s in zip(ids, statuses)],
        facts=[
            FrameFact(slot="source", value="internet", label="the internet (websites, social media)", evidence="We crawl *everything*", confidence=0.9),
            FrameFact(slot="database", value="creates", label="creates a facial recognition database", confidence=1.0, origin="given"),
            FrameFact(slot="notes", value="robots_txt", label="robots.txt or opt-outs are respected", evidence="robots.txt", confidence=1.0),
            FrameFact(slot="notes", value="public_posting", label="the photos were published by the people themselves", evidence="posted", confidence=0.8),
        ],
        missing=["targeting", "system"], clarifying_questions=QUESTIONS,
        citations=[
            Citation(n=1, label="Guidelines para. 228", passage_id="guidelines/para-228",
                     quote="does not affect the untargeted nature", url="https://example.eu/guidelines"),
            Citation(n=2, label="Guidelines para. 228", passage_id="guidelines/para-228",
                     quote="operates  like a\n‘vacuum cleaner’", url="https://example.eu/guidelines"),
        ],
        notice="Legal information, not legal advice.", corpus_version="abc123",
    )


# ---- escaping -----------------------------------------------------------------------------------


def test_escaped_text_renders_as_exactly_the_text_written():
    out = render.escape_markdown(HOSTILE)
    produced = MARKDOWN.render(out)
    for tag in ("<em", "<strong", "<a ", "<code", "<script", "<s>", "<del", "<table"):
        assert tag not in produced
    assert rendered_text(out) == HOSTILE


@pytest.mark.parametrize("char", ["*", "_", "[", "]", "<", ">", "$", "`", ":", "~", "|", "\\"])
def test_every_markdown_and_streamlit_special_character_is_escaped(char):
    # '$' would start LaTeX and ':' a Streamlit :directive[] or :emoji: in st.markdown.
    assert render.escape_markdown(f"a{char}b") == f"a\\{char}b"


@pytest.mark.parametrize("line", ["# not a heading", "- not a list", "+ not a list", "1. not a list", "2) no", "> no quote", "=== no"])
def test_line_starts_do_not_become_blocks(line):
    out = render.escape_markdown(f"first\n{line}")
    assert "<h1" not in MARKDOWN.render(out) and "<li" not in MARKDOWN.render(out)
    assert "<blockquote" not in MARKDOWN.render(out) and "<h2" not in MARKDOWN.render(out)
    assert rendered_text(out) == f"first\n{line}"


def test_plain_words_are_left_alone():
    assert render.escape_markdown("Article 5(1)(e) AI Act, para. 228.") == "Article 5(1)(e) AI Act, para. 228."


# ---- highlighting -------------------------------------------------------------------------------


def test_highlight_wraps_the_quote_in_an_orange_background():
    text = "Before *the* quote [x] and after."
    out = render.highlight(text, "*the* quote [x]")
    assert out == "Before :orange-background[\\*the\\* quote \\[x\\]] and after."


def test_highlight_finds_a_quote_whose_whitespace_differs():
    out = render.highlight(passage().text, "operates  like a\n‘vacuum cleaner’")
    assert ":orange-background[operates like a ‘vacuum cleaner’]" in out


def test_highlight_of_a_missing_quote_is_the_escaped_text():
    assert render.highlight("a *b*", "zzz") == render.escape_markdown("a *b*")
    assert render.highlight("a *b*", "") == render.escape_markdown("a *b*")


def test_user_text_cannot_close_the_highlight_early():
    out = render.highlight("x ]<script>alert(1)</script>[ y", "]<script>alert(1)</script>[")
    inside = out.split(":orange-background[", 1)[1]
    assert re.findall(r"(?<!\\)\]", inside) == ["]"]  # only the directive's own bracket is unescaped


# ---- answer, verdict, panel ---------------------------------------------------------------------


def test_answer_markdown_keeps_lines_and_bolds_marker_runs():
    out = render.answer_markdown(scenario_answer())
    assert out.splitlines()[0] == "Verdict\\: prohibited, because of the facts **\\[1\\]\\[2\\]**."
    assert "- Condition conduct — met\\: Because of conduct **\\[2\\]**." in out
    assert "\n\nOther law **\\[1\\]**." in out
    assert "<li>" in MARKDOWN.render(out)


def test_beside_the_panel_the_text_keeps_only_what_the_panel_does_not_say():
    answer = scenario_answer("not_prohibited", ("met", "not_met", "unclear", "met"))
    out = render.answer_markdown(answer, omit=render.shown_apart(answer, questions=True))
    assert out == "Respecting robots.txt does not make scraping targeted **\\[1\\]**.\n\nOther law **\\[1\\]**."
    # Without one-click choices (an export, the demo) the clarifying questions stay in the text.
    kept = render.answer_markdown(answer, omit=render.shown_apart(answer, questions=False))
    assert kept.endswith(render.escape_markdown(" ".join(QUESTIONS)))
    assert "Verdict" not in kept and "What I understood" not in kept and "Condition" not in kept


def test_a_non_scenario_answer_is_shown_whole():
    answer = Answer(question="q", kind="fact", answer="What I understood: nothing.\n- a point [1].", notice="n", corpus_version="v")
    assert render.shown_apart(answer, questions=True) == set()
    assert render.answer_markdown(answer, omit=render.shown_apart(answer, questions=True)).startswith("What I understood")


@pytest.mark.parametrize(("verdict", "level", "title"), [
    ("prohibited", "error", "Prohibited"),
    ("not_prohibited", "success", "Not prohibited"),
    ("insufficient_facts", "warning", "Insufficient facts"),
])
def test_verdict_box_picks_the_alert_for_the_verdict(verdict, level, title):
    box = render.verdict_box(scenario_answer(verdict))
    assert box.level == level
    assert box.markdown.startswith(f"**{title}** — because of the facts \\[1\\]\\[2\\]")


def test_non_scenario_answers_have_no_verdict_box():
    answer = Answer(question="q", kind="definition", answer="Text [1].", notice="n", corpus_version="v")
    assert render.verdict_box(answer) is None
    assert render.condition_rows(answer) == []


def test_condition_rows_show_status_label_rationale_and_citations():
    answer = scenario_answer("not_prohibited", ("met", "not_met", "unclear", "met"))
    rows = render.condition_rows(answer, changed={"purpose"})
    assert len(rows) == 4
    assert rows[0].startswith(render.STATUS_BADGES["met"] + " **Condition conduct**")
    assert rows[1].startswith(render.STATUS_BADGES["not_met"]) and render.CHANGED_BADGE in rows[1]
    assert rows[2].startswith(render.STATUS_BADGES["unclear"]) and render.CHANGED_BADGE not in rows[2]
    assert rows[0].endswith("Because of conduct. \\[2\\]")
    assert rows[3].endswith("Because of source. \\[2\\]")  # the user's words are in the frame, not here again


def test_a_rationale_quoting_what_the_user_set_is_cut_before_it():
    given = finding("source", "not_met", [])
    given = given.model_copy(update={"rationale": "Not from the internet. As you set it: images the people themselves hand in."})
    assert render.finding_markdown(given) == "Not from the internet."


def test_changed_conditions_are_those_whose_status_differs():
    before = scenario_answer()
    after = scenario_answer("not_prohibited", ("met", "met", "not_met", "met"))
    assert render.changed_conditions(before, after) == {"untargeted_scraping"}
    assert render.changed_conditions(before, before) == set()


def test_footer_carries_the_notice_and_corpus_version():
    assert render.footer(scenario_answer()) == "Legal information, not legal advice. · corpus version `abc123`"


# ---- what I understood ---------------------------------------------------------------------------


def test_the_frame_shows_every_slot_with_its_value_and_the_words_it_came_from():
    rows = {row.slot.id: row for row in render.frame_rows(scenario_answer(), SLOTS)}
    assert list(rows) == [s.id for s in SLOTS]  # rule-file order
    source = rows["source"]
    assert (source.value, source.text) == ("internet", "the internet (websites, social media)")
    assert source.source == "from your words: “We crawl \\*everything\\*”"  # the user's words, escaped
    assert rows["database"].source == "set by you"
    assert (rows["actor"].value, rows["actor"].text, rows["actor"].source) == ("unknown", "_not stated_", "not stated")
    assert rows["source"].markdown() == "**Where the images come from:** the internet (websites, social media) · from your words: “We crawl \\*everything\\*”"


def test_remarks_are_shown_together_and_not_offered_as_one_choice():
    notes = render.frame_rows(scenario_answer(), SLOTS)[-1]
    assert notes.text == "robots.txt or opt-outs are respected; the photos were published by the people themselves"
    assert notes.source == "from your words: “robots.txt”; from your words: “posted”"
    assert not notes.settable and all(row.settable for row in render.frame_rows(scenario_answer(), SLOTS)[:-1])


def test_remarks_nobody_raised_are_not_listed_as_missing():
    answer = scenario_answer().model_copy(update={"facts": []})
    assert "notes" not in {row.slot.id for row in render.frame_rows(answer, SLOTS)}


def test_a_slot_offers_its_values_then_unknown_with_their_labels():
    source = next(s for s in SLOTS if s.id == "source")
    cctv = source.value("cctv").label
    assert render.choices(source) == [*source.ids(), "unknown"] and "cctv" in source.ids()
    assert render.value_label(source, "cctv") == cctv
    assert render.value_label(source, "unknown") == "not stated"
    assert render.what_if(source, "cctv") == f"{source.label}: {cctv}"


def test_missing_slots_come_in_the_answers_order_with_their_questions():
    missing = render.missing_slots(scenario_answer(), SLOTS)
    assert [s.id for s in missing] == ["targeting", "system"]
    assert missing[1].question.startswith("Is an AI system involved")


# ---- sources ------------------------------------------------------------------------------------


def test_source_cards_highlight_each_quote_in_its_passage():
    p = passage(note="Editorial *note*")
    cards = render.source_cards(scenario_answer(), {p.id: p})
    assert [c.n for c in cards] == [1, 2]
    assert cards[0].title == "\\[1\\] Guidelines para. 228"
    assert ":orange-background[does not affect the untargeted nature]" in cards[0].body
    assert cards[0].meta == "Authority: **guidance** · Note: Editorial \\*note\\* · [Open the source](https://example.eu/guidelines)"


def test_a_citation_whose_passage_is_gone_still_shows_its_quote():
    cards = render.source_cards(scenario_answer(), {})
    assert cards[0].body == ":orange-background[does not affect the untargeted nature]"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "https://x.eu/a) [b](c", "", "ftp://x.eu"])
def test_only_plain_http_links_are_made(url):
    assert render.source_link(url) == ""


@pytest.mark.parametrize(("label", "instrument", "group"), [
    ("AI Act Art. 5(1)(e)", "AI Act", "Art. 5"),
    ("AI Act Recital 43", "AI Act", "Recital 43"),
    ("GDPR Art. 9(2)(a)", "GDPR", "Art. 9"),
    ("Guidelines para. 224(iii)", "Guidelines", "para. 224"),
    ("Guidelines section 6.2.3", "Guidelines", "section 6"),
    ("Red Lines blog §5.2", "Red Lines blog", "§5"),
    ("Enforcement: CNIL (FR) 2022", "Enforcement:", "CNIL (FR) 2022"),
])
def test_passages_are_browsed_by_instrument_and_article(label, instrument, group):
    p = passage(pid="x/1", label=label, instrument=instrument)
    assert render.article_of(p) == group
    assert render.browse_index([p]) == {render.instrument_name(instrument): {group: [p]}}


def test_browse_index_keeps_corpus_order():
    later = passage(pid="g/2", label="Guidelines para. 229", order=2)
    first = passage(pid="g/1", label="Guidelines para. 228", order=1)
    assert list(render.browse_index([later, first])["Guidelines"]) == ["para. 228", "para. 229"]


def test_where_an_answer_note_leads_the_verdict_box_still_shows_the_verdict_line():
    answer = scenario_answer("insufficient_facts", ("met", "unclear", "met", "met"))
    lead = "No, respecting robots.txt does not make scraping targeted [1]."
    answer = answer.model_copy(update={"answer": f"{lead}\n{answer.answer}"})
    assert render.verdict_reason(answer).startswith("because of the facts")
    shown = render.answer_markdown(answer, omit=render.shown_apart(answer, questions=True))
    assert shown.startswith("No, respecting robots.txt") and "Verdict" not in shown
