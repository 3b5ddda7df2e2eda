"""Hybrid retrieval: dense (Chroma) + sparse (BM25) fused by reciprocal rank fusion.

Passages the question names explicitly ("Article 5(1)(e)", "recital 43", "para 228",
"Art. 9 GDPR") are ranked first.
"""

from __future__ import annotations

import re
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.config import RetrievalSettings
from assistant.index import Index
from assistant.labels import label_matches, references_in
from assistant.types import AUTHORITY_RANK, Passage, ScoredPassage

_DEFINITION = re.compile(r"^[‘']([^’']{2,60})[’'](?: of the data subject)? means\b")


class HybridRetriever(BaseRetriever):
    """A langchain retriever over an opened Index; `search` gives scored passages."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: Index
    settings: RetrievalSettings = RetrievalSettings()
    instruments: tuple[str, ...] = ()  # e.g. ("GDPR",): keep only these citation prefixes
    authorities: tuple[str, ...] = ()  # e.g. ("law",)

    def _allowed(self, passage: Passage) -> bool:
        return (not self.instruments or passage.instrument in self.instruments) and (
            not self.authorities or passage.authority in self.authorities
        )

    def direct_hits(self, query: str) -> list[Passage]:
        """Passages whose label the query names, in the order the query names them."""
        hits: list[Passage] = []
        for ref in references_in(query):
            hits += [p for p in self.index.passages.values() if label_matches(ref, p.label) and p not in hits]
        return [p for p in hits if self._allowed(p)]

    def defined_terms(self, query: str) -> list[Passage]:
        """Definitions ('‘biometric data’ means ...') of terms the query names, law first."""
        q = " " + " ".join(re.sub(r"[^\w\s-]", " ", query.lower()).split()) + " "
        hits = [
            p for p in self.index.passages.values()
            if (m := _DEFINITION.match(p.text)) and f" {m.group(1).lower()} " in q
        ]
        return sorted(hits, key=lambda p: (-len(_DEFINITION.match(p.text).group(1)), AUTHORITY_RANK[p.authority], p.order))  # type: ignore[union-attr]

    def lookup(self, labels: list[str]) -> list[Passage]:
        """Passages by exact label (the rule file cites the passages it relies on this way)."""
        wanted = set(labels)
        return [p for p in self.index.passages.values() if p.label in wanted]

    def search(self, query: str, k: int | None = None, definitions: bool = False) -> list[ScoredPassage]:
        """Top-k passages: named references first, then (for definition questions) the
        definitions of the terms named, then the fused dense + BM25 ranking."""
        k = k or self.settings.k
        passages = self.index.passages
        dense = self.index.store.similarity_search_with_relevance_scores(query, k=self.settings.dense_k)
        dense_ids = [(d.id, s) for d, s in dense if d.id in passages and self._allowed(passages[d.id])]
        sparse_ids = [i for i, _ in self.index.sparse.search(query, self.settings.sparse_k) if self._allowed(passages[i])]
        fused: dict[str, float] = {}
        for ranking in ([i for i, _ in dense_ids], sparse_ids):
            for rank, pid in enumerate(ranking):
                fused[pid] = fused.get(pid, 0.0) + 1.0 / (self.settings.rrf_k + rank + 1)
        similarity = dict(dense_ids)
        direct = self.direct_hits(query)[:k]
        if definitions:
            direct += [p for p in self.defined_terms(query)[:2] if p not in direct and self._allowed(p)]
        out = [
            ScoredPassage(passage=p, score=2.0 - i / 1000, dense=similarity.get(p.id, 0.0), direct=True)
            for i, p in enumerate(direct)
        ]
        taken = {p.id for p in direct}
        for pid, score in sorted(fused.items(), key=lambda kv: -kv[1]):
            if len(out) >= k:
                break
            if pid not in taken:
                out.append(ScoredPassage(passage=passages[pid], score=score, dense=similarity.get(pid, 0.0)))
        return out

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[LCDocument]:
        return [
            LCDocument(
                id=sp.passage.id,
                page_content=sp.passage.text,
                metadata={"label": sp.passage.label, "score": sp.score, "authority": sp.passage.authority,
                          "url": sp.passage.url, "direct": sp.direct},
            )
            for sp in self.search(query, kwargs.get("k"))
        ]
