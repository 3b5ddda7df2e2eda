"""Ingest and open the index: incremental, atomic, and honest about missing or stale indexes.

Index mechanics use langchain-core's DeterministicFakeEmbedding and an embedded Chroma in tmp_path.
"""

from __future__ import annotations

import shutil
import time

import pytest
from langchain_chroma import Chroma

from assistant.backends import ChromaBackend
from assistant.chunking import chunk_corpus
from assistant.config import Settings
from assistant.corpus import load_documents
from assistant.errors import IndexMissingError, IndexStaleError
from assistant.index import ingest, open_index, read_manifest
from assistant.sparse import SparseIndex, tokens
from assistant.labels import label_matches, normalise_label
from assistant.retrieve import HybridRetriever

PARA_228 = "guidelines/para-228"
NEW_228 = "(228) Quokkas zyxwvut marmalade: a sentence written by the tests."


def _edit_para_228(settings: Settings) -> str:
    """Replace the text of Guidelines para. 228 in the corpus copy; returns the original file text."""
    path = settings.corpus_dir / "commission_guidelines.md"
    original = path.read_text(encoding="utf-8")
    lines = original.splitlines(keepends=True)
    (i,) = [n for n, line in enumerate(lines) if line.startswith("(228) ")]
    lines[i] = NEW_228 + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    return original


def _builds(settings: Settings) -> set[str]:
    return {p.name for p in (settings.data_dir / "builds").iterdir()}


def _collections(settings: Settings) -> set[str]:
    return {n for n in ChromaBackend(settings).names() if n.startswith(f"{settings.collection_prefix}-")}


def _assert_only_current_build(settings: Settings) -> None:
    manifest = read_manifest(settings)
    assert _builds(settings) == {manifest.build_id}
    assert _collections(settings) == {manifest.collection}


@pytest.fixture
def built(tmp_settings, fake_embeddings):
    """tmp_settings with a first index already built."""
    ingest(tmp_settings, embeddings=fake_embeddings)
    return tmp_settings


def test_first_ingest_adds_every_passage(tmp_settings, fake_embeddings):
    passages = chunk_corpus(load_documents(tmp_settings.corpus_dir))
    report = ingest(tmp_settings, embeddings=fake_embeddings)
    assert report.rebuilt and report.reason == "no index yet"
    assert report.passages == report.added == len(passages)
    assert report.embedded == len({p.embedding_text() for p in passages})
    assert (report.changed, report.removed) == (0, 0)
    index = open_index(tmp_settings, embeddings=fake_embeddings)
    assert set(index.passages) == {p.id for p in passages}
    assert len(index.store.get()["ids"]) == len(passages)
    assert index.manifest.passages == len(passages)
    _assert_only_current_build(tmp_settings)


def test_a_second_ingest_with_nothing_changed_embeds_nothing(built, fake_embeddings):
    before = read_manifest(built)
    report = ingest(built, embeddings=fake_embeddings)
    assert (report.rebuilt, report.embedded, report.added, report.changed, report.removed) == (False, 0, 0, 0, 0)
    assert "up to date" in report.reason
    assert read_manifest(built) == before


def test_changing_one_passage_re_embeds_only_that_passage(built, fake_embeddings):
    _edit_para_228(built)
    report = ingest(built, embeddings=fake_embeddings)
    assert report.rebuilt and report.reason == "corpus changed"
    assert (report.embedded, report.changed, report.added, report.removed) == (1, 1, 0, 0)

    index = open_index(built, embeddings=fake_embeddings)
    assert index.passages[PARA_228].text == NEW_228[len("(228) "):]
    assert index.sparse.search("quokkas zyxwvut marmalade", k=3)[0][0] == PARA_228
    dense = index.store.similarity_search(index.passages[PARA_228].embedding_text(), k=1)
    assert dense[0].id == PARA_228 and "zyxwvut" in dense[0].page_content
    _assert_only_current_build(built)


def test_removing_a_document_removes_its_passages(built, fake_embeddings):
    led = [p for p in chunk_corpus(load_documents(built.corpus_dir)) if p.doc_id == "led"]
    (built.corpus_dir / "led.md").unlink()
    report = ingest(built, embeddings=fake_embeddings)
    assert report.rebuilt and (report.removed, report.added, report.embedded) == (len(led), 0, 0)
    index = open_index(built, embeddings=fake_embeddings)
    assert not [pid for pid in index.passages if pid.startswith("led/")]
    assert index.store.get(where={"doc_id": "led"})["ids"] == []
    assert HybridRetriever(index=index).search("article 10 of the LED", k=5)[0].passage.doc_id != "led"


def test_a_different_embedding_model_rebuilds(built, fake_embeddings):
    other = built.model_copy(update={"embedding_model": "some/other-model"})
    report = ingest(other, embeddings=fake_embeddings)
    assert report.rebuilt and "embedding model changed" in report.reason
    assert report.embedded == report.passages  # the cache is per model: nothing can be reused
    assert read_manifest(other).model == "some/other-model"
    with pytest.raises(IndexStaleError):
        open_index(built, embeddings=fake_embeddings)  # the old setting no longer matches the index


def test_a_bumped_chunker_version_rebuilds(built, fake_embeddings, monkeypatch):
    monkeypatch.setattr("assistant.index.CHUNKER_VERSION", "999-test")
    with pytest.raises(IndexStaleError, match="chunker"):
        open_index(built, embeddings=fake_embeddings)
    report = ingest(built, embeddings=fake_embeddings)
    assert report.rebuilt and "chunker changed" in report.reason
    assert report.embedded == 0  # same texts, same model: all from the cache
    assert read_manifest(built).chunker_version == "999-test"
    open_index(built, embeddings=fake_embeddings)
    _assert_only_current_build(built)


def _fail_add_texts_midway(monkeypatch):
    original = Chroma.add_texts

    def half_then_fail(self, texts, metadatas=None, ids=None, **kwargs):
        texts = list(texts)
        half = len(texts) // 2
        original(self, texts[:half], metadatas=metadatas[:half], ids=ids[:half], **kwargs)
        raise RuntimeError("killed midway through embedding")

    monkeypatch.setattr(Chroma, "add_texts", half_then_fail)


def test_an_interrupted_ingest_leaves_the_previous_index_usable(built, fake_embeddings, monkeypatch):
    before = read_manifest(built)
    original = _edit_para_228(built)
    with monkeypatch.context() as m:
        _fail_add_texts_midway(m)
        with pytest.raises(RuntimeError, match="midway"):
            ingest(built, embeddings=fake_embeddings)
    assert read_manifest(built) == before
    assert len(_builds(built)) == 2 and len(_collections(built)) == 2  # the old build and the orphan

    (built.corpus_dir / "commission_guidelines.md").write_text(original, encoding="utf-8")
    index = open_index(built, embeddings=fake_embeddings)
    assert index.manifest == before and len(index.passages) == before.passages
    assert len(index.store.get()["ids"]) == before.passages
    hits = HybridRetriever(index=index).search("Article 5(1)(e)", k=3)
    assert hits[0].passage.label == "AI Act Art. 5(1)(e)"
    assert "zyxwvut" not in index.passages[PARA_228].text


def test_the_next_ingest_cleans_up_an_orphan_build(built, fake_embeddings, monkeypatch):
    _edit_para_228(built)
    with monkeypatch.context() as m:
        m.setattr(SparseIndex, "build", classmethod(lambda cls, passages: (_ for _ in ()).throw(RuntimeError("boom"))))
        with pytest.raises(RuntimeError, match="boom"):
            ingest(built, embeddings=fake_embeddings)
    assert len(_builds(built)) == 2 and len(_collections(built)) == 2
    report = ingest(built, embeddings=fake_embeddings)
    assert report.rebuilt and report.changed == 1
    _assert_only_current_build(built)
    assert "zyxwvut" in open_index(built, embeddings=fake_embeddings).passages[PARA_228].text


def test_a_no_change_ingest_after_an_interruption_also_cleans_up(built, fake_embeddings, monkeypatch):
    # The user's edit fails to ingest, they revert it and run ingest again: the orphan must not linger.
    original = _edit_para_228(built)
    with monkeypatch.context() as m:
        _fail_add_texts_midway(m)
        with pytest.raises(RuntimeError):
            ingest(built, embeddings=fake_embeddings)
    (built.corpus_dir / "commission_guidelines.md").write_text(original, encoding="utf-8")
    report = ingest(built, embeddings=fake_embeddings)
    assert not report.rebuilt
    _assert_only_current_build(built)


def test_an_incomplete_build_is_missing_and_the_next_ingest_rebuilds(built, fake_embeddings):
    shutil.rmtree(built.data_dir / "builds" / read_manifest(built).build_id)
    with pytest.raises(IndexMissingError) as err:
        open_index(built, embeddings=fake_embeddings)
    assert "redlines ingest" in err.value.hint
    report = ingest(built, embeddings=fake_embeddings)
    assert report.rebuilt and "incomplete" in report.reason and report.embedded == 0
    open_index(built, embeddings=fake_embeddings)


def test_open_index_on_an_empty_dir_says_to_ingest(tmp_settings, fake_embeddings):
    with pytest.raises(IndexMissingError) as err:
        open_index(tmp_settings, embeddings=fake_embeddings)
    assert "redlines ingest" in err.value.hint
    assert "redlines ingest" in str(err.value)


def test_open_index_after_a_corpus_edit_is_stale(built, fake_embeddings):
    _edit_para_228(built)
    with pytest.raises(IndexStaleError) as err:
        open_index(built, embeddings=fake_embeddings)
    assert "corpus changed" in str(err.value)
    assert "redlines ingest" in err.value.hint


def test_labels_under_a_reference_are_those_label_matches_finds(built, fake_embeddings):
    index = open_index(built, embeddings=fake_embeddings)
    labels = list(index.by_label)
    references = {label[:i] for label in labels for i in range(1, len(label) + 1)} | {"AI Act Art. 9", "GDPR  art 9"}
    for ref in references:
        want = [label for label in labels if label_matches(ref, label)]
        assert index.labels_under.get(normalise_label(ref), []) == want, ref


@pytest.mark.slow
def test_a_no_change_re_ingest_with_the_real_model_is_fast(real_settings):
    start = time.perf_counter()
    report = ingest(real_settings)
    elapsed = time.perf_counter() - start
    print(f"\nno-change re-ingest: {elapsed:.2f} s (report says {report.seconds:.2f} s; target < 3 s)")
    assert not report.rebuilt and report.embedded == 0
    assert elapsed < 10.0


def test_an_opened_index_runs_blas_on_one_thread(built, fake_embeddings):
    from threadpoolctl import threadpool_info

    open_index(built, embeddings=fake_embeddings)
    assert {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"} == {1}


def test_the_saved_bm25_is_searched_as_bm25s_searches_it(built):
    """The query path reads bm25s's saved arrays itself (no bm25s, no scipy): same rows, same scores."""
    import bm25s

    from assistant.backends import BM25

    folder = built.data_dir / "builds" / read_manifest(built).build_id / "bm25"
    ours, theirs = BM25.load(folder), bm25s.BM25.load(str(folder))
    queries = ["untargeted scraping of facial images", "Article 5(1)(e) AI Act", "robots.txt", "the the", "zyxwvut", ""]
    for words in (tokens(q) for q in queries):
        for k in (3, 24, 10_000):
            want = []
            if words:
                docs, scores = theirs.retrieve([words], k=min(k, ours.num_docs), show_progress=False)
                want = [(int(d), float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]
            assert ours.top(words, k) == want, (words, k)
