"""Tests for assistant/vectors.py: exact in-process search, ranked as Chroma ranks the same vectors."""

from __future__ import annotations

import pytest

from assistant.backends import ChromaBackend
from assistant.vectors import ExactVectorStore

TEXTS = [f"passage {i} about {topic}" for i, topic in enumerate(
    ["scraping", "faces", "CCTV", "databases", "consent", "fines", "police", "research", "robots.txt", "GDPR"] * 3)]
DOCS = [{"doc_id": ("gdpr" if i % 3 == 0 else "ai-act"), "label": f"L{i}"} for i in range(len(TEXTS))]
IDS = [f"p{i}" for i in range(len(TEXTS))]


@pytest.fixture
def store(fake_embeddings) -> ExactVectorStore:
    return ExactVectorStore.from_texts(TEXTS, fake_embeddings, DOCS, ids=IDS)


def test_a_text_finds_itself_first_at_distance_zero(store):
    for i in (0, 7, 29):
        doc, distance = store.similarity_search_by_vector_with_relevance_scores(store.embeddings.embed_query(TEXTS[i]), k=3)[0]
        assert (doc.id, doc.page_content, doc.metadata) == (IDS[i], TEXTS[i], DOCS[i])
        assert distance == pytest.approx(0.0, abs=1e-5)
    assert [d.id for d in store.similarity_search(TEXTS[4], k=2)][0] == "p4"


def test_a_filter_keeps_only_matching_rows_and_k_is_capped(store):
    vector = store.embeddings.embed_query("faces")
    hits = store.similarity_search_by_vector_with_relevance_scores(vector, k=50, filter={"doc_id": "gdpr"})
    assert len(hits) == 10 and all(d.metadata["doc_id"] == "gdpr" for d, _ in hits)
    assert [s for _, s in hits] == sorted(s for _, s in hits)
    assert store.similarity_search_by_vector_with_relevance_scores(vector, k=5, filter={"doc_id": "none"}) == []
    assert len(store.similarity_search_by_vector(vector, k=100)) == len(TEXTS)


def test_a_filter_on_contiguous_rows_ranks_as_a_mask_does(fake_embeddings):
    blocks = [{"doc_id": f"doc-{i // 10}"} for i in range(len(TEXTS))]  # ingest order: one document's rows together
    store = ExactVectorStore.from_texts(TEXTS, fake_embeddings, blocks, ids=IDS)
    vector = fake_embeddings.embed_query("consent")
    for doc in ("doc-0", "doc-1", "doc-2"):
        hits = store.similarity_search_by_vector_with_relevance_scores(vector, k=4, filter={"doc_id": doc})
        everything = store.similarity_search_by_vector_with_relevance_scores(vector, k=len(TEXTS))
        expected = [(d.id, s) for d, s in everything if d.metadata["doc_id"] == doc][:4]
        assert [d.id for d, _ in hits] == [i for i, _ in expected]
        assert [s for _, s in hits] == pytest.approx([s for _, s in expected], abs=1e-6)


def test_rankings_and_distances_match_chroma(store, tmp_settings, fake_embeddings):
    chroma = ChromaBackend(tmp_settings).store("exact-vs-chroma", fake_embeddings)
    chroma.add_texts(TEXTS, metadatas=DOCS, ids=IDS)
    for query in ("scraping faces", "police CCTV", "fines under the GDPR"):
        vector = fake_embeddings.embed_query(query)
        for where in (None, {"doc_id": "ai-act"}):
            ours = store.similarity_search_by_vector_with_relevance_scores(vector, k=5, filter=where)
            theirs = chroma.similarity_search_by_vector_with_relevance_scores(vector, k=5, filter=where)
            assert [d.id for d, _ in ours] == [d.id for d, _ in theirs]
            assert [s for _, s in ours] == pytest.approx([s for _, s in theirs], abs=1e-4)


def test_other_store_methods_go_to_the_fallback_opened_once(fake_embeddings):
    opened = []

    class Fallback:
        def get(self, **kwargs):
            return {"ids": IDS}

    def fallback():
        opened.append(1)
        return Fallback()

    store = ExactVectorStore.from_texts(TEXTS, fake_embeddings, DOCS, ids=IDS)
    with pytest.raises(AttributeError):
        store.get()  # no fallback given
    store = ExactVectorStore(store.vectors, IDS, TEXTS, DOCS, fake_embeddings, fallback=fallback)
    assert opened == []  # opening the store does not open the collection
    assert store.get()["ids"] == IDS and store.get()["ids"] == IDS
    assert opened == [1]


def test_mismatched_rows_are_refused(fake_embeddings):
    with pytest.raises(ValueError, match="2 vectors for 3 ids"):
        ExactVectorStore([[1.0, 0.0], [0.0, 1.0]], ["a", "b", "c"], ["x", "y", "z"], [{}, {}, {}], fake_embeddings)


def test_an_unfiltered_search_over_a_large_index_goes_to_the_collection(fake_embeddings, monkeypatch):
    asked = []

    class Collection:
        def similarity_search_by_vector_with_relevance_scores(self, vector, k):
            asked.append(k)
            return []

    monkeypatch.setattr("assistant.vectors.EXACT_LIMIT", 10)  # TEXTS has 30 rows
    exact = ExactVectorStore.from_texts(TEXTS, fake_embeddings, DOCS, ids=IDS)
    store = ExactVectorStore(exact.vectors, IDS, TEXTS, DOCS, fake_embeddings, fallback=Collection)
    vector = fake_embeddings.embed_query("faces")
    assert store.similarity_search_by_vector_with_relevance_scores(vector, k=7) == [] and asked == [7]
    filtered = store.similarity_search_by_vector_with_relevance_scores(vector, k=3, filter={"doc_id": "gdpr"})
    assert len(filtered) == 3 and asked == [7]  # a filtered search stays in this process
    assert len(exact.similarity_search_by_vector_with_relevance_scores(vector, k=7)) == 7  # no collection: exact


def test_the_collections_ids_only_search_gives_what_its_full_search_gives(tmp_settings, fake_embeddings, monkeypatch):
    """Above EXACT_LIMIT Chroma is asked for ids and distances only; the documents are made here."""
    chroma = ChromaBackend(tmp_settings).store("ids-only", fake_embeddings)
    chroma.add_texts(TEXTS, metadatas=DOCS, ids=IDS)
    monkeypatch.setattr("assistant.vectors.EXACT_LIMIT", 10)
    exact = ExactVectorStore.from_texts(TEXTS, fake_embeddings, DOCS, ids=IDS)
    store = ExactVectorStore(exact.vectors, IDS, TEXTS, DOCS, fake_embeddings, fallback=lambda: chroma)
    for query in ("scraping faces", "police CCTV"):
        vector = fake_embeddings.embed_query(query)
        ours = store.similarity_search_by_vector_with_relevance_scores(vector, k=6)
        theirs = chroma.similarity_search_by_vector_with_relevance_scores(vector, k=6)
        assert [(d.id, d.page_content, d.metadata, s) for d, s in ours] == [(d.id, d.page_content, d.metadata, s) for d, s in theirs]
