"""Hybrid retrieval over the real index (real model): recall@5 and MRR on the labelled queries."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from langchain_core.documents import Document as LCDocument

from assistant.config import PROJECT_DIR
from assistant.index import open_index
from assistant.labels import label_matches
from assistant.retrieve import HybridRetriever

QUERIES = yaml.safe_load((PROJECT_DIR / "tests" / "data" / "retrieval_queries.yaml").read_text(encoding="utf-8"))
MIN_RECALL_AT_5, MIN_MRR = 0.95, 0.8

pytestmark = pytest.mark.slow  # every test here loads the real model


@pytest.fixture(scope="module")
def index(real_settings):
    return open_index(real_settings)


@pytest.fixture(scope="module")
def retriever(index, real_settings):
    return HybridRetriever(index=index, settings=real_settings.retrieval)


def _first_match(expect: list[str], labels: list[str]) -> int | None:
    """1-based rank of the first label matching any expected label, or None."""
    return next((rank for rank, got in enumerate(labels, start=1) if any(label_matches(e, got) for e in expect)), None)


def test_the_query_file_is_well_formed():
    assert QUERIES["version"] == 1
    assert len(QUERIES["queries"]) == 80
    assert all(q["query"].strip() and q["expect"] for q in QUERIES["queries"])


def test_recall_at_5_and_mrr(retriever):
    hits_at_5, reciprocal, failures = 0, 0.0, []
    for case in QUERIES["queries"]:
        labels = [sp.passage.label for sp in retriever.search(case["query"], k=10)]
        rank = _first_match(case["expect"], labels)
        hits_at_5 += rank is not None and rank <= 5
        reciprocal += 1.0 / rank if rank else 0.0
        if rank is None or rank > 5:
            failures.append(f"- {case['query']!r}\n    expect {case['expect']}, rank {rank}\n    top-5 {labels[:5]}")
    n = len(QUERIES["queries"])
    recall, mrr = hits_at_5 / n, reciprocal / n
    print(f"\nretrieval: recall@5 = {recall:.3f} ({hits_at_5}/{n}), MRR@10 = {mrr:.3f}")
    print("queries missing from the top 5:\n" + ("\n".join(failures) or "  none"))
    assert recall >= MIN_RECALL_AT_5 and mrr >= MIN_MRR, "\n".join(failures)


def test_robots_txt_finds_guidelines_para_228_in_the_top_3(retriever):
    labels = [sp.passage.label for sp in retriever.search("Is respecting robots.txt enough to make scraping targeted?", k=5)]
    assert "Guidelines para. 228" in labels[:3], labels


@pytest.mark.parametrize(
    "query, first",
    [
        ("What does Article 5(1)(e) say about CCTV?", "AI Act Art. 5(1)(e)"),
        ("Explain recital 43", "AI Act Recital 43"),
        ("para 228 and robots.txt", "Guidelines para. 228"),
        ("Does Art. 9(1) GDPR cover facial images?", "GDPR Art. 9(1)"),
        ("article 10 of the LED", "LED Art. 10"),
    ],
)
def test_explicit_references_come_first(retriever, query, first):
    hits = retriever.search(query, k=5)
    assert hits[0].passage.label == first, [h.passage.label for h in hits]
    assert hits[0].direct
    flags = [h.direct for h in hits]
    assert flags == sorted(flags, reverse=True)  # named passages first, then the fused ranking


def test_two_references_come_first_in_the_order_named(retriever):
    hits = retriever.search("Compare Art. 9(1) GDPR with Article 5(1)(e)", k=5)
    assert [h.passage.label for h in hits[:2]] == ["GDPR Art. 9(1)", "AI Act Art. 5(1)(e)"]
    assert hits[0].direct and hits[1].direct


def test_instrument_filter_returns_only_that_instrument(index, real_settings):
    gdpr_only = HybridRetriever(index=index, settings=real_settings.retrieval, instruments=("GDPR",))
    for query in ("biometric data of a natural person", "Article 5(1)(e)", "fines for infringements"):
        hits = gdpr_only.search(query, k=8)
        assert hits, query
        assert {h.passage.instrument for h in hits} == {"GDPR"}, (query, [h.passage.label for h in hits])


def test_authority_filter(index, real_settings):
    law_only = HybridRetriever(index=index, settings=real_settings.retrieval, authorities=("law",))
    hits = law_only.search("Is respecting robots.txt enough to make scraping targeted?", k=8)
    assert hits and {h.passage.authority for h in hits} == {"law"}


def test_the_retriever_works_through_the_langchain_interface(retriever):
    docs = retriever.invoke("Article 5(1)(e)")
    assert docs and all(isinstance(d, LCDocument) for d in docs)
    assert len(docs) == retriever.settings.k
    assert docs[0].metadata["label"] == "AI Act Art. 5(1)(e)" and docs[0].metadata["direct"]
    assert docs[0].id == "ai-act/art-5/1/e"
    assert docs[0].page_content == retriever.index.passages["ai-act/art-5/1/e"].text
    assert all({"label", "score", "authority", "url", "direct"} <= d.metadata.keys() for d in docs)
    assert len(retriever.invoke("Article 5(1)(e)", k=3)) == 3


def test_scores_are_descending_and_similarities_are_cosines(retriever):
    hits = retriever.search("untargeted scraping of facial images from the internet", k=10)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(-1.0 <= h.dense <= 1.0 for h in hits)
    assert max(h.dense for h in hits) > 0.4


def test_passage_questions_lift_the_pipelines_retrieval(assistant):
    """The pipeline's retriever ranks passages by the questions they answer as well (issue 10)."""
    hits, reciprocal = 0, 0.0
    for case in QUERIES["queries"]:
        labels = [sp.passage.label for sp in assistant.retriever.search(case["query"], k=10)]
        rank = _first_match(case["expect"], labels)
        hits += rank is not None and rank <= 5
        reciprocal += 1.0 / rank if rank else 0.0
    n = len(QUERIES["queries"])
    assert hits / n >= 0.975 and reciprocal / n >= 0.85, (hits / n, reciprocal / n)


def test_every_passage_question_label_exists_in_the_corpus(index):
    import yaml

    from assistant.config import Settings

    labels = set(yaml.safe_load(Settings().passage_questions_file.read_text(encoding="utf-8"))["passages"])
    assert labels <= {p.label for p in index.passages.values()}


def test_question_ranking_is_the_nearest_question_per_label(assistant):
    """rank() groups the bank by label once; it orders labels as the bank's k=1 scores do."""
    questions = assistant.retriever.questions
    for case in QUERIES["queries"][:20]:
        vector = questions.encoder.encode([case["query"]])[0]
        scores = questions.bank.scores(questions.bank.similarities(vector[None, :]), questions.bank.label_set, k=1)[0]
        want = [pid for i in np.argsort(-scores)[:24] for pid in questions.ids[questions.bank.label_set[i]]]
        assert questions.rank(case["query"], 24) == want


def test_the_pipelines_search_reuses_the_question_vector_and_ranks_the_same(assistant, monkeypatch):
    """The router and the note matcher have embedded the question already: search takes its vectors
    from the shared encoder and the notes' (no second model run), and ranks exactly as with a fresh
    embed_query."""
    retriever, query = assistant.retriever, QUERIES["queries"][0]["query"]
    assistant.encoder.encode([query])
    assistant.notes_encoder.encode([query])
    assert retriever.questions.encoder is assistant.notes_encoder and retriever.encoder is assistant.encoder
    calls: list[str] = []
    embeddings = retriever.index.store.embeddings
    monkeypatch.setattr(type(embeddings), "embed_documents", lambda self, texts: calls.append(texts) or [])
    reused = [(sp.passage.id, sp.score) for sp in retriever.search(query, k=10)]
    assert calls == []
    monkeypatch.undo()
    monkeypatch.setattr(HybridRetriever, "_vector", lambda self, q: self.index.store.embeddings.embed_query(q))
    fresh = [(sp.passage.id, sp.score) for sp in retriever.search(query, k=10)]
    assert reused == fresh
