"""The sparse half of the index: tokens and BM25 (the saved index is checked against bm25s in
tests/test_index.py, on a real build)."""

from __future__ import annotations

from assistant.sparse import SparseIndex, tokens
from assistant.types import Passage


def test_tokens_strip_common_suffixes():
    assert tokens("Scraping, scraped; SCRAPES") == ["scrap", "scrap", "scrap"]
    assert tokens("the CCTV footage (2024)") == ["the", "cctv", "footage", "2024"]


def test_bm25_ranks_the_passage_that_shares_the_words(tmp_path):
    passages = [
        Passage(id=f"p{i}", label=f"L{i}", text=t, doc_id="d", instrument="AI Act", authority="law", order=i)
        for i, t in enumerate(["untargeted scraping of facial images", "fines for infringements", "CCTV footage"])
    ]
    index = SparseIndex.build(passages)
    index.save(tmp_path)
    loaded = SparseIndex.load(tmp_path)
    assert loaded.search("who scraped facial images?", 1)[0][0] == "p0"
    assert loaded.search("fine", 3)[0][0] == "p1"
