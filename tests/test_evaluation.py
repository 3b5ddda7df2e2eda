"""Tests for assistant/evaluation/ and assistant/report.py, with a scripted answerer (no mocks)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from assistant.config import Settings
from assistant.errors import InputError
from assistant.evaluation import (
    Case, CaseResult, Run, check_case, compare, compute_metrics, first_sentence, load_run, load_suite, main, run_suite,
)
from assistant.report import render_html, write_report
from assistant.types import Answer, Citation, ConditionFinding, Passage, ScoredPassage

EXTERNAL = Path(__file__).parent / "data" / "suite_external.yaml"

ART_5E = "the creation or expansion of facial recognition databases through the untargeted scraping of facial images"
PASSAGES = {
    "ai-act/art-5/1/e": Passage(id="ai-act/art-5/1/e", label="AI Act Art. 5(1)(e)", text=ART_5E, doc_id="ai-act",
                                instrument="AI Act", authority="law", order=0),
    "guidelines/230": Passage(id="guidelines/230", label="Guidelines para. 230", text="Targeted scraping is outside.",
                              doc_id="guidelines", instrument="Guidelines", authority="guidance", order=1),
    "gdpr/art-4/14": Passage(id="gdpr/art-4/14", label="GDPR Art. 4(14)", text="‘biometric data’ means facial images",
                             doc_id="gdpr", instrument="GDPR", authority="law", order=2),
}


def make_answer(
    question: str = "q", text: str = "", verdict: str | None = None, conditions: Mapping[str, str] | None = None,
    cites: Sequence[tuple[str, str, str]] = (), abstained: bool = False,
) -> Answer:
    """An Answer; `cites` holds (label, passage_id, quote)."""
    return Answer(
        question=question, kind="scenario" if verdict else "fact", answer=text, verdict=verdict,
        conditions=[ConditionFinding(id=c, label=c, status=s, rationale="r") for c, s in (conditions or {}).items()],
        citations=[Citation(n=i, label=lab, passage_id=pid, quote=q) for i, (lab, pid, q) in enumerate(cites, 1)],
        abstained=abstained, notice="not legal advice", corpus_version="test-corpus",
    )


@dataclass
class ScriptedIndex:
    passages: dict[str, Passage]


class ScriptedRetriever:
    """Returns scripted label rankings as scored passages."""

    def __init__(self, rankings: Mapping[str, list[str]]) -> None:
        self.rankings = rankings
        self.index = ScriptedIndex(PASSAGES)

    def search(self, query: str, k: int | None = None) -> list[ScoredPassage]:
        labels = self.rankings.get(query, [])[:k]
        return [ScoredPassage(passage=Passage(id=f"r{i}", label=lab, text="t", doc_id="d", instrument="X",
                                              authority="law", order=i), score=1.0) for i, lab in enumerate(labels)]


@dataclass
class ScriptedAssistant:
    """A real answerer with scripted replies: question -> Answer, or an exception to raise."""

    replies: dict[str, Answer | Exception]
    rankings: dict[str, list[str]] = field(default_factory=dict)
    calls: list[tuple[str, object, object]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.retriever = ScriptedRetriever(self.rankings)

    def ask(self, question: str, *, history=None, facts=None) -> Answer:
        self.calls.append((question, history, facts))
        reply = self.replies[question]
        if isinstance(reply, Exception):
            raise reply
        return reply


def write_suite(path: Path, cases: list[dict], version: object = 1) -> Path:
    path.write_text(yaml.safe_dump({"version": version, "cases": cases}, allow_unicode=True), encoding="utf-8")
    return path


def case(expect: dict, **extra) -> Case:
    return Case.model_validate({"id": "c", "kind": "scenario", "question": "q", "expect": expect, **extra})


# ---- each expect key, passing and failing with its reason -----------------------------------------

CITED = [("AI Act Art. 5(1)(e)", "ai-act/art-5/1/e", ART_5E), ("AI Act Art. 99(3)", "x", "fines")]


@pytest.mark.parametrize("expect, answer, reason", [
    ({"verdict": "prohibited"}, make_answer(verdict="prohibited"), None),
    ({"verdict": "prohibited"}, make_answer(verdict="not_prohibited"), "verdict: expected prohibited, got not_prohibited"),
    ({"verdict": ["not_prohibited", "insufficient_facts"]}, make_answer(verdict="insufficient_facts"), None),
    ({"verdict": ["not_prohibited", "insufficient_facts"]}, make_answer(),
     "verdict: expected not_prohibited or insufficient_facts, got None"),
    ({"verdict_not": "prohibited"}, make_answer(verdict="not_prohibited"), None),
    ({"verdict_not": ["prohibited", "insufficient_facts"]}, make_answer(verdict="prohibited"),
     "verdict_not: got prohibited, which is excluded"),
    ({"conditions": {"source": "met"}}, make_answer(conditions={"source": "met", "purpose": "unclear"}), None),
    ({"conditions": {"source": "met", "conduct": "met"}}, make_answer(conditions={"source": "met"}),
     "conditions: conduct expected met, got None"),
    ({"cites": ["AI Act Art. 5"]}, make_answer(cites=CITED), None),
    ({"cites": ["AI Act Art. 9"]}, make_answer(cites=CITED[1:] + [("AI Act Art. 99", "x", "q")]),
     "cites: no citation matches 'AI Act Art. 9'"),
    ({"cites_any": ["GDPR Art. 9", "AI Act Art. 99"]}, make_answer(cites=CITED), None),
    ({"cites_any": ["GDPR Art. 9", "AI Act Art. 9"]}, make_answer(cites=CITED),
     "cites_any: none of ['GDPR Art. 9', 'AI Act Art. 9'] cited"),
    ({"mentions": ["untargeted scraping"]}, make_answer(text="The  UNTARGETED\nScraping of faces"), None),
    ({"mentions": ["scraping", "CCTV"]}, make_answer(text="scraping"), "mentions: 'CCTV' not in the answer"),
    ({"mentions_any": ["CCTV", "internet"]}, make_answer(text="from the Internet"), None),
    ({"mentions_any": [["cctv", "internet"], ["fine"]]}, make_answer(text="internet"),
     "mentions_any: none of ['fine'] in the answer"),
    ({"absent": ["completely legal"]}, make_answer(text="This is prohibited."), None),
    ({"absent": ["completely legal"]}, make_answer(text="It is Completely  legal."),
     "absent: 'completely legal' appears in the answer"),
    ({"abstain": True}, make_answer(abstained=True), None),
    ({"abstain": True}, make_answer(), "abstain: expected True, got False"),
])
def test_each_expect_key(expect: dict, answer: Answer, reason: str | None) -> None:
    reasons = check_case(case(expect), answer)
    if reason is None:
        assert reasons == []
    else:
        assert len(reasons) == 1 and reasons[0].startswith(reason), reasons


def test_all_failed_expectations_are_reported() -> None:
    reasons = check_case(case({"verdict": "prohibited", "cites": ["AI Act Art. 5(1)(e)"], "abstain": False}),
                         make_answer(abstained=True))
    assert [r.split(":")[0] for r in reasons] == ["verdict", "cites", "abstain"]


def test_empty_expect_passes() -> None:
    assert check_case(case({}), make_answer()) == []


# ---- bad suites ----------------------------------------------------------------------------------

GOOD = {"id": "ok-1", "kind": "fact", "question": "q?", "expect": {"mentions": ["x"]}}


@pytest.mark.parametrize("cases, version, message", [
    ([GOOD], 2, "unsupported suite version 2"),
    ([GOOD, {**GOOD, "id": "typo-case", "expect": {"mention": ["x"]}}], 1, "case 'typo-case': unknown key 'expect.mention'"),
    ([{**GOOD, "id": "bad-verdict", "expect": {"verdict": "banned"}}], 1, "case 'bad-verdict': expect.verdict.0"),
    ([{**GOOD, "id": "bad-kind", "kind": "opinion"}], 1, "case 'bad-kind': kind"),
    ([{**GOOD, "id": "no-question", "question": None}], 1, "case 'no-question': question"),
    ([{**GOOD, "id": "stray", "notes": "x"}], 1, "case 'stray': unknown key 'notes'"),
    ([GOOD, GOOD], 1, "case 'ok-1' appears twice"),
])
def test_bad_suites_name_the_case(tmp_path: Path, cases: list, version: object, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(".", r"\.")):
        load_suite(write_suite(tmp_path / "suite.yaml", cases, version))


def test_suite_without_cases_list_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("version: 1\ncases: {}\n")
    with pytest.raises(InputError, match="cases"):
        load_suite(path)


def test_golden_suite_loads() -> None:
    suite = load_suite(Path(__file__).parent.parent / "eval" / "golden.yaml")
    assert len(suite.cases) == 232


# ---- running: history, facts, errors -------------------------------------------------------------


def test_history_and_facts_are_passed_and_errors_become_failed_rows(tmp_path: Path) -> None:
    suite = load_suite(write_suite(tmp_path / "s.yaml", [
        {"id": "boom", "kind": "fact", "question": "crash?", "expect": {}},
        {"id": "turns", "kind": "scenario", "question": "and now?", "history": ["first"],
         "facts": {"source": "cctv"}, "expect": {}},
    ]))
    bot = ScriptedAssistant({"crash?": RuntimeError("index exploded"), "and now?": make_answer()})
    run = run_suite(bot.ask, suite)
    assert bot.calls == [("crash?", None, None), ("and now?", ["first"], {"source": "cctv"})]
    boom, turns = run.rows
    assert not boom.passed and boom.reasons == ["error: RuntimeError: index exploded"]
    assert boom.error == "RuntimeError: index exploded"
    assert turns.passed and run.corpus_version == "test-corpus"


# ---- metrics on a small scripted run (exact numbers) ----------------------------------------------

METRIC_CASES = [
    {"id": "c1", "kind": "scenario", "question": "q1",
     "expect": {"verdict": "prohibited", "conditions": {"conduct": "met", "source": "met"}, "cites": ["AI Act Art. 5(1)(e)"]}},
    {"id": "c2", "kind": "scenario", "question": "q2",
     "expect": {"verdict": "not_prohibited", "cites_any": ["Guidelines para. 229", "AI Act Art. 5(1)(e)"]}},
    {"id": "c3", "kind": "definition", "question": "q3",
     "expect": {"mentions": ["biometric data"], "mentions_any": [["physical"], ["facial images", "dactyloscopic"]],
                "cites": ["GDPR Art. 4(14)"]}},
    {"id": "c4", "kind": "out_of_scope", "question": "q4", "expect": {"abstain": True}},
    {"id": "c5", "kind": "fact", "question": "q5", "expect": {"abstain": False}},
    {"id": "c6", "kind": "fact", "question": "q6", "expect": {"mentions": ["x"]}},
]
METRIC_REPLIES: dict[str, Answer | Exception] = {
    "q1": make_answer(verdict="prohibited", conditions={"conduct": "met", "source": "unclear"},
                      cites=[("AI Act Art. 5(1)(e)", "ai-act/art-5/1/e", "untargeted  scraping of\nfacial images")]),
    "q2": make_answer(cites=[("Guidelines para. 230", "guidelines/230", "Targeted scraping is inside."),
                             ("Guidelines para. 230", "no-such-passage", "Targeted")]),
    "q3": make_answer(text="Biometric   DATA means ... such as facial images", cites=[("GDPR Art. 4(14)", "gdpr/art-4/14", "facial images")]),
    "q4": make_answer(abstained=True),
    "q5": make_answer(abstained=True),
    "q6": ValueError("no"),
}
METRIC_RANKINGS = {
    "q1": ["AI Act Art. 5(1)(e)"],
    "q2": ["AI Act Art. 5(1)(a)"],
    "q3": ["a", "b", "c", "d", "e", "GDPR Art. 4(14)"],  # sixth: outside the top 5
}


def scripted_run(tmp_path: Path) -> Run:
    bot = ScriptedAssistant(METRIC_REPLIES, METRIC_RANKINGS)
    suite = load_suite(write_suite(tmp_path / "metrics.yaml", METRIC_CASES))
    return run_suite(bot.ask, suite, bot.retriever, passages=PASSAGES)


def test_metrics_on_a_scripted_run(tmp_path: Path) -> None:
    m = scripted_run(tmp_path).metrics
    ratio = lambda r: (r.hits, r.total)  # noqa: E731
    assert ratio(m.pass_rate) == (1, 6)
    assert {k: ratio(r) for k, r in m.per_kind.items()} == {
        "definition": (0, 1), "fact": (0, 2), "out_of_scope": (1, 1), "scenario": (0, 2)}
    assert ratio(m.verdict_accuracy) == (1, 2)
    assert m.verdict_confusion == {"prohibited": {"prohibited": 1}, "not_prohibited": {"null": 1}}
    assert {k: ratio(r) for k, r in m.condition_accuracy.items()} == {"conduct": (1, 1), "source": (0, 1)}
    assert ratio(m.citation_recall) == (2, 3)
    assert ratio(m.mention_coverage) == (2, 4)
    assert ratio(m.abstention_precision) == (1, 2)
    assert ratio(m.abstention_recall) == (1, 1)
    assert ratio(m.retrieval_recall_at_5) == (1, 3)
    assert ratio(m.quote_verification) == (2, 4)
    assert m.pass_rate.rate == pytest.approx(1 / 6)
    assert 0 <= m.latency_p50_ms <= m.latency_p95_ms


def test_failed_rows_keep_their_reasons(tmp_path: Path) -> None:
    rows = {r.id: r for r in scripted_run(tmp_path).rows}
    assert rows["c1"].reasons == ["conditions: source expected met, got unclear"]
    assert rows["c3"].reasons == ["mentions_any: none of ['physical'] in the answer"]
    assert rows["c6"].reasons == ["error: ValueError: no"]
    assert rows["c1"].quotes_verified == [True] and rows["c2"].quotes_verified == [False, False]
    assert rows["c3"].retrieved == ["a", "b", "c", "d", "e"]


# ---- comparing with a baseline -------------------------------------------------------------------


def outcome_run(outcomes: dict[str, bool]) -> Run:
    cases = [Case(id=i, kind="fact", question=i) for i in outcomes]
    rows = [CaseResult(id=i, kind="fact", question=i, passed=ok) for i, ok in outcomes.items()]
    return Run(name="redlines", suite="s.yaml", timestamp="t", corpus_version="v", rows=rows,
               metrics=compute_metrics(cases, rows))


def test_compare_lists_newly_passing_and_failing() -> None:
    before = outcome_run({"a": True, "b": False, "c": True, "gone": False})
    after = outcome_run({"a": True, "b": True, "c": False, "new": True})
    diff = compare(after, before)
    assert diff.newly_passing == ["b"] and diff.newly_failing == ["c"]
    assert diff.added == ["new"] and diff.removed == ["gone"]
    assert diff.deltas["pass_rate"].before == 0.5
    assert diff.deltas["pass_rate"].change == pytest.approx(0.75 - 0.5)


# ---- reports -------------------------------------------------------------------------------------


def test_report_files_and_html_escaping(tmp_path: Path) -> None:
    question = "Is <script>alert('x')</script> & scraping banned?"
    suite = load_suite(write_suite(tmp_path / "s.yaml", [
        {"id": "xss", "kind": "fact", "question": question, "expect": {"mentions": ["<b>never</b>"]}},
        {"id": "ok", "kind": "scenario", "question": "fine", "expect": {"verdict": "prohibited"}},
    ]))
    bot = ScriptedAssistant({question: make_answer(text="<script>bad()</script>"), "fine": make_answer(verdict="prohibited")})
    run = run_suite(bot.ask, suite, passages=PASSAGES)
    naive = run_suite(bot.ask, suite, passages=PASSAGES, name="naive")
    write_report(tmp_path / "rep", run, naive, compare(run, naive))
    assert {p.name for p in (tmp_path / "rep").iterdir()} == {"run.json", "naive_run.json", "report.md", "report.html"}
    html = (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html and "&lt;script&gt;alert(" in html and "&lt;b&gt;never" in html
    assert html.count("<svg") == 4  # per-kind bars, paired metrics, confusion matrix, latency histogram
    assert "http" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing fetched
    assert load_run(tmp_path / "rep" / "run.json").rows[0].question == question
    md = (tmp_path / "rep" / "report.md").read_text(encoding="utf-8")
    assert "## Failures (1)" in md and "| xss |" in md and "| metric | redlines | naive |" in md


def test_html_without_naive_has_three_charts(tmp_path: Path) -> None:
    assert render_html(scripted_run(tmp_path)).count("<svg") == 3


# ---- the command ---------------------------------------------------------------------------------


def eval_args(suite: Path, **overrides) -> argparse.Namespace:
    base = dict(suite=str(suite), json=True, report=None, baseline=None, min_pass=None, with_naive=False, quiet=True)
    return argparse.Namespace(**{**base, **overrides})


def test_main_exit_code_follows_min_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    suite = write_suite(tmp_path / "s.yaml", [
        {"id": "pass", "kind": "scenario", "question": "a", "expect": {"verdict": "prohibited"}},
        {"id": "fail", "kind": "scenario", "question": "b", "expect": {"verdict": "prohibited"}},
    ])
    bot = ScriptedAssistant({"a": make_answer(verdict="prohibited"), "b": make_answer()})
    assert main(eval_args(suite, min_pass=0.6), Settings(), assistant=bot) == 1
    out = json.loads(capsys.readouterr().out)
    assert (out["cases"], out["passed"], out["pass_rate"]) == (2, 1, 0.5)
    assert out["failures"] == [{"id": "fail", "question": "b", "reasons": ["verdict: expected prohibited, got None"]}]
    assert out["metrics"]["verdict_accuracy"]["rate"] == 0.5
    assert main(eval_args(suite, min_pass=0.5), Settings(), assistant=bot) == 0
    assert main(eval_args(suite), Settings(), assistant=bot) == 0


def test_main_compares_with_a_baseline_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    suite = write_suite(tmp_path / "s.yaml", [{"id": "a", "kind": "fact", "question": "a", "expect": {"mentions": ["yes"]}}])
    write_report(tmp_path / "old", outcome_run({"a": False}))
    bot = ScriptedAssistant({"a": make_answer(text="yes")})
    assert main(eval_args(suite, baseline=str(tmp_path / "old" / "run.json")), Settings(), assistant=bot) == 0
    assert json.loads(capsys.readouterr().out)["comparison"]["newly_passing"] == ["a"]
    assert main(eval_args(suite, json=False), Settings(), assistant=bot) == 0
    assert "| pass_rate | 100.0% (1/1) |" in capsys.readouterr().out


# ---- a suite written by someone else, through the real assistant ------------------------------------


@pytest.mark.slow
def test_external_suite_runs_unchanged_through_the_real_assistant(assistant) -> None:
    suite = load_suite(EXTERNAL)
    run = run_suite(assistant.ask, suite, assistant.retriever, passages=assistant.retriever.index.passages)
    assert [r.id for r in run.rows] == [c.id for c in suite.cases] and len(run.rows) == 6
    for row in run.rows:
        assert row.error is None, row.reasons
        assert row.passed == (row.reasons == [])
        assert row.retrieved is not None and row.latency_ms > 0
    assert run.corpus_version == assistant.corpus_version
    assert run.metrics.quote_verification.total > 0


def test_the_first_sentence_does_not_end_at_a_legal_abbreviation() -> None:
    assert first_sentence("AI Act Art. 99(4): “fines of up to EUR 15 000 000” [1]. Next one.") == "AI Act Art. 99(4): “fines of up to EUR 15 000 000” [1]."
    assert first_sentence("Guidelines para. 228 and Arts. 5, 6 e.g. apply. Then more.") == "Guidelines para. 228 and Arts. 5, 6 e.g. apply."
    assert first_sentence("No, it does not [1]. The ban binds deployers too.") == "No, it does not [1]."
    assert first_sentence("One line\nanother") == "One line"


def test_a_yes_no_question_answered_with_the_opposite_word_is_counted() -> None:
    from assistant.evaluation.metrics import opposite_answer
    from assistant.evaluation.suite import Expect

    case = Case(id="q", kind="fact", question="Does the ban bind deployers?", expect={"lead": ["yes"]})
    row = lambda text: CaseResult(id="q", kind="fact", question=case.question, passed=False, answer=text)  # noqa: E731
    assert opposite_answer(case, row("No, only providers [1].")) == (1, 1)
    assert opposite_answer(case, row("Yes, deployers too [1].")) == (0, 1)
    assert opposite_answer(case, row("Both providers and deployers [1].")) == (0, 1)
    assert opposite_answer(case.model_copy(update={"expect": Expect(lead=["35 million"])}), row("No.")) is None


def test_a_lead_is_found_only_as_a_whole_word_or_phrase() -> None:
    from assistant.evaluation.grading import leads_with

    assert leads_with(["no"], "No, it is prohibited [1].")
    assert not leads_with(["no"], "Verdict: not prohibited, because one condition is not met [1].")
    assert not leads_with(["7 %"], "Up to 17 % of turnover [1].")
    assert leads_with(["35 million"], "Up to EUR 35 million or 7 % [1]. No more.")
    assert not leads_with(["yes"], "It depends [1]. Yes, if the images come from the web.")
    assert leads_with(["Member State"], "The Member States lay down the rules [1].")
