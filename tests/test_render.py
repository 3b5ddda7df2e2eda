"""ui/render.py: escaping, highlighting, the condition panel, source cards, exports, scenarios."""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

import pytest
from markdown_it import MarkdownIt  # CommonMark reference parser (installed with chromadb's rich)
from pydantic import ValidationError

from assistant.config import PROJECT_DIR
from assistant.errors import InputError
from assistant.types import Answer, Citation, ConditionFinding, Passage

sys.path.insert(0, str(PROJECT_DIR / "ui"))  # the app imports its modules by name, as Streamlit runs it
import render  # noqa: E402

HOSTILE = "Is *this* _ok_? [click](http://evil.example) <script>alert(1)</script> costs $5 and $x^2$ `rm -rf` :red[red] ~~no~~ | a | b | &amp; \\ end"
MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])


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
    return ConditionFinding(id=cid, label=f"Condition {cid}", status=status, rationale=f"Because of {cid}.", citations=citations)


def scenario_answer(verdict: str = "prohibited", statuses: tuple[str, ...] = ("met",) * 4) -> Answer:
    ids = ("conduct", "purpose", "untargeted_scraping", "source")
    return Answer(
        question="We crawl *everything*", kind="scenario", verdict=verdict,
        answer=f"Verdict: {verdict.replace('_', ' ')}, because of the facts [1][2].\n- Condition conduct — met: yes [2].\nOther law [1].",
        conditions=[finding(c, s, [2]) for c, s in zip(ids, statuses)],
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
    assert "- Condition conduct — met\\: yes **\\[2\\]**." in out
    assert "\n\nOther law **\\[1\\]**." in out
    assert "<li>" in MARKDOWN.render(out)


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


def test_changed_conditions_are_those_whose_status_differs():
    before = scenario_answer()
    after = scenario_answer("not_prohibited", ("met", "met", "not_met", "met"))
    assert render.changed_conditions(before, after) == {"untargeted_scraping"}
    assert render.changed_conditions(before, before) == set()


def test_footer_carries_the_notice_and_corpus_version():
    assert render.footer(scenario_answer()) == "Legal information, not legal advice. · corpus version `abc123`"


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


# ---- exports ------------------------------------------------------------------------------------


def exchanges() -> list[render.Exchange]:
    return [
        render.Exchange("We crawl *everything*", scenario_answer()),
        render.Exchange.failed("x" * 10, InputError("the question is too long", "shorten it")),
    ]


def test_markdown_export_has_questions_verdicts_conditions_and_sources():
    out = render.conversation_markdown(exchanges())
    assert "## 1. We crawl \\*everything\\*" in out
    assert "**Verdict: Prohibited**" in out
    assert "- met: Condition conduct \\[2\\]" in out
    assert "\\[1\\] **Guidelines para. 228**: “does not affect the untargeted nature” <https://example.eu/guidelines>" in out
    assert "**What to do:** shorten it" in out
    assert "corpus version `abc123`" in out


def test_json_export_holds_the_full_answers():
    data = json.loads(render.conversation_json(exchanges()))
    first, second = data["exchanges"]
    assert Answer.model_validate(first["answer"]) == scenario_answer()
    assert first["answer"]["citations"][0]["label"] == "Guidelines para. 228"
    assert second == {"question": "x" * 10, "answer": None, "error": "the question is too long", "hint": "shorten it"}


# ---- scenario library ---------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenarios.yaml"
    path.write_text(text, encoding="utf-8")
    return path


SCENARIO = """
  - id: one
    title: t
    narrative: n
    facts: {conduct: a, purpose: b, untargeted_scraping: c, source: d}
    expected_verdict: prohibited
    flips: [{condition: source, statement: e, expected_verdict: not_prohibited}]
"""


def test_a_scenario_replaces_one_fact_for_a_flip(tmp_path):
    library = render.load_scenarios(write(tmp_path, "version: 1\nscenarios:" + SCENARIO))
    scenario = library.get("one")
    flip = scenario.flips[0]
    assert scenario.facts_with(flip.condition, flip.statement)["source"] == "e"
    assert scenario.facts["source"] == "d"
    assert render.flip_label(flip, {"source": "Source"}) == "What if — Source: “e”"


@pytest.mark.parametrize(("text", "error"), [
    ("version: 2\nscenarios: []", "unsupported scenario file version"),
    ("version: 1\nscenarios:" + SCENARIO + SCENARIO, "appear twice: one"),
    ("version: 1\nscenarios:" + SCENARIO.replace("condition: source", "condition: colour"), "colour"),
    ("version: 1\nscenarios:" + SCENARIO.replace("expected_verdict: prohibited", "expected_verdict: maybe"), "expected_verdict"),
])
def test_a_bad_scenario_file_is_refused_naming_the_problem(tmp_path, text, error):
    with pytest.raises(ValidationError, match=error):
        render.load_scenarios(write(tmp_path, text))
