"""Tests for assistant/naive.py: the plain LangChain RAG baseline."""

from __future__ import annotations

import pytest

from assistant.backends import ChromaBackend
from assistant.config import Settings
from assistant.corpus import load_documents
from assistant.evaluation import quote_verified
from assistant.naive import COLLECTION, TOP_K, NaiveRAG, chunk_naively
from assistant.types import Answer


def test_chunks_are_labelled_by_file_and_nearest_heading(tmp_settings: Settings) -> None:
    chunks = chunk_naively(load_documents(tmp_settings.corpus_dir))
    assert all(len(c.text) <= 1000 for c in chunks)
    assert not any(c.text.startswith("---") or "source_url:" in c.text for c in chunks)  # front matter stripped
    art5 = next(c for c in chunks if "untargeted scraping of facial images from the internet" in c.text
                and c.doc_id == "ai-act")
    assert art5.label == "ai_act.md § Article 5 — Prohibited AI practices"
    assert len({c.id for c in chunks}) == len(chunks)


@pytest.mark.slow
def test_naive_baseline_builds_and_answers(real_settings: Settings) -> None:
    rag = NaiveRAG(real_settings)
    answer = rag.ask("What does Article 5(1)(e) of the AI Act prohibit?")
    assert isinstance(answer, Answer)
    assert answer.verdict is None and answer.conditions == [] and not answer.abstained
    assert answer.kind == "fact" and answer.corpus_version == rag.corpus_version
    assert answer.citations and len({c.passage_id for c in answer.citations}) <= TOP_K  # cites chunks only
    assert all(quote_verified(c.quote, rag.passages[c.passage_id]) for c in answer.citations)
    assert all(c.label.split(" § ")[0].endswith(".md") for c in answer.citations)
    assert f"[{answer.citations[0].n}]" in answer.answer
    # Reopening finds the complete collection instead of rebuilding it; it lives beside the index.
    again = NaiveRAG(real_settings)
    naive = [n for n in ChromaBackend(real_settings).names() if n.startswith(COLLECTION)]
    assert naive == [f"{COLLECTION}-{rag.corpus_version}"]
    assert again.ask(answer.question).citations == answer.citations
