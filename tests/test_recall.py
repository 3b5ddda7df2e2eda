"""Retrieval recall on labelled queries, judged alike for pinpoint passages and plain chunks."""

from __future__ import annotations

from assistant.recall import first_hit, score_retrieval
from assistant.types import Passage, ScoredPassage


def _p(pid: str, label: str, text: str) -> Passage:
    return Passage(id=pid, label=label, text=text, doc_id="d", instrument="AI Act", authority="law", order=0)


CORPUS = {p.id: p for p in [_p("a", "AI Act Art. 99(3)", "Non-compliance with the prohibition shall be fined."),
                            _p("b", "GDPR Art. 9(1)", "Processing of biometric data shall be prohibited.")]}


def test_a_hit_by_label_or_by_the_expected_text_inside_a_chunk():
    chunk = _p("c1", "chunk 1", "intro text. Non-compliance with the prohibition shall be fined. more text")
    assert first_hit(["AI Act Art. 99"], [ScoredPassage(passage=CORPUS["b"], score=1), ScoredPassage(passage=chunk, score=0.5)], CORPUS) == 2
    assert first_hit(["GDPR Art. 9"], [ScoredPassage(passage=CORPUS["a"], score=1)], CORPUS) is None


def test_recall_and_mrr():
    queries = [{"query": "fine", "expect": ["AI Act Art. 99(3)"]}, {"query": "biometric", "expect": ["GDPR Art. 9(1)"]}]
    ranked = {"fine": [CORPUS["a"]], "biometric": [CORPUS["a"], CORPUS["b"]]}
    score = score_retrieval(lambda q, k: [ScoredPassage(passage=p, score=1) for p in ranked[q]], queries, CORPUS)
    assert (score.recall_at_5, score.mrr) == (1.0, 0.75)
