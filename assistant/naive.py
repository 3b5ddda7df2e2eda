"""The side-by-side baseline: the plain LangChain RAG a user would build in an afternoon.

Fixed-size chunks of the raw Markdown bodies, the same embedding model, a Chroma collection,
top-4 similarity search, and the same extractive sentence picking as ours, but no guards: no
pinpoint passages, no question classification, no four-condition verdict and no abstention.
It answers through the same `ask` interface, so the same evaluator grades it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from langchain_core.embeddings import Embeddings
from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.backends import ChromaBackend, make_embeddings
from assistant.compose import CitationBook, compose_extractive
from assistant.config import Settings
from assistant.corpus import corpus_version, load_documents
from assistant.types import Answer, Document, Passage, ScoredPassage

COLLECTION = "naive-baseline"
TOP_K = 4
NOTICE = "Naive baseline (plain RAG, no guards) for comparison only; not legal advice."
_HEADING = re.compile(r"^#+\s+(.+?)\s*$", re.MULTILINE)


def chunk_naively(docs: Sequence[Document], chunk_size: int = 1000, overlap: int = 150) -> list[Passage]:
    """Character chunks of each body, labelled '<file> § <nearest heading above the chunk>'."""
    splitter = RecursiveCharacterTextSplitter(chunk_size=chunk_size, chunk_overlap=overlap, add_start_index=True)
    chunks: list[Passage] = []
    for doc in docs:
        headings = [(m.start(), m.group(1)) for m in _HEADING.finditer(doc.body)]
        for piece in splitter.create_documents([doc.body]):
            start = piece.metadata["start_index"]
            heading = next((h for pos, h in reversed(headings) if pos <= start), "")
            chunks.append(Passage(
                id=f"naive/{doc.id}/{len(chunks)}", label=f"{doc.path} § {heading}" if heading else doc.path,
                text=piece.page_content, doc_id=doc.id, instrument=doc.short, authority=doc.authority,
                url=doc.source_url, order=len(chunks),
            ))
    return chunks


class NaiveRAG:
    """Builds (or reopens) its own Chroma collection in the data dir and answers extractively."""

    def __init__(self, settings: Settings, embeddings: Embeddings | None = None) -> None:
        docs = load_documents(settings.corpus_dir)
        self.corpus_version = corpus_version(docs)
        self.passages: Mapping[str, Passage] = {p.id: p for p in chunk_naively(docs)}
        backend, embeddings = ChromaBackend(settings), embeddings or make_embeddings(settings)
        # The corpus version in the name keeps a stale collection from answering for an edited corpus.
        name = f"{COLLECTION}-{self.corpus_version}"
        self.store = backend.store(name, embeddings)
        if len(self.store.get_by_ids(list(self.passages))) != len(self.passages):  # missing or partial
            for old in backend.names():
                if old.startswith(COLLECTION):
                    backend.drop(old)
            self.store = backend.store(name, embeddings)
            self.store.add_texts(
                [p.text for p in self.passages.values()],
                metadatas=[{"label": p.label} for p in self.passages.values()], ids=list(self.passages),
            )

    def search(self, query: str, k: int | None = None) -> list[ScoredPassage]:
        hits = self.store.similarity_search_with_relevance_scores(query, k=k or TOP_K)
        return [ScoredPassage(passage=self.passages[d.id], score=s, dense=s) for d, s in hits if d.id in self.passages]

    def ask(self, question: str, *, history: object = None, facts: object = None) -> Answer:
        """Quotes of the best sentences of the top-4 chunks; history and facts are ignored."""
        hits = self.search(question, TOP_K)
        book = CitationBook({sp.passage.id: sp.passage for sp in hits})
        text = compose_extractive(question, "fact", hits, book)
        return Answer(
            question=question, kind="fact", answer=text, citations=book.citations,
            notice=NOTICE, corpus_version=self.corpus_version,
        )
