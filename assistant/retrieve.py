"""Hybrid retrieval: dense (Chroma) + sparse (BM25) fused by reciprocal rank fusion.

Passages the question pinpoints ("Article 5(1)(e)", "recital 43", "para 228", "Art. 9 GDPR"), and
those the rule file's topic index names for the question, are ranked first. A broad reference
("Article 5") and an instrument named in the question ("under the GDPR") add rankings to the fusion.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.config import RetrievalSettings
from assistant.errors import RulesError
from assistant.rules import read_yaml
from assistant.index import Index
from assistant.labels import instruments_named, normalise_label, references_in
from assistant.semantic import Encoder, VectorBank
from assistant.types import AUTHORITY_RANK, Passage, ScoredPassage

class QuestionIndex:
    """The questions key passages answer (assistant/rules/passage_questions.yaml, plus `extra`
    (question, label) pairs such as the answer notes' questions and the labels they quote),
    embedded once: informal wording meets the formal text through them. Ranks passages by their
    nearest question. Its encoder need not be the passages': the pipeline gives it the answer
    notes' tuned model, which places informal questions near the questions they mean."""

    def __init__(
        self, path: Path, passages: Mapping[str, Passage], encoder: Encoder, cache_dir: Path | None = None,
        extra: Sequence[tuple[str, str]] = (),
    ) -> None:
        try:
            data = read_yaml(path, cache_dir)
            by_label: dict[str, list[str]] = data["passages"]
        except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
            raise RulesError(f"{path.name}: {exc}", "a `passages:` map of label -> questions") from exc
        ids: dict[str, list[str]] = {}
        for p in passages.values():
            ids.setdefault(p.label, []).append(p.id)
        # a corpus without some labels (a test corpus, a smaller build) simply has fewer questions;
        # tests/test_retrieve.py checks that every label exists in the shipped corpus
        pairs = [(q, label) for label, qs in by_label.items() if label in ids for q in qs] + [p for p in extra if p[1] in ids]
        texts, labels = [q for q, _ in pairs], [label for _, label in pairs]
        self.bank = VectorBank("passage-questions", texts, labels, encoder, cache_dir)
        self.encoder, self.ids = encoder, ids

    def rank(self, query: str, k: int) -> list[str]:
        """Passage ids whose questions are nearest to the query, best first."""
        if not self.bank.texts:
            return []
        sims = self.bank.similarities(self.encoder.encode([query]))
        scores = self.bank.nearest(sims)[0]
        order = np.argsort(-scores)[:k]
        return [pid for i in order for pid in self.ids[self.bank.label_set[i]]]


_DEFINITION = re.compile(r"^[‘']([^’']{2,60})[’'](?: of the data subject)? (?:means|relates to|typically refers to|refers to)\b")
_PINPOINT = 3  # a reference matching at most this many passages is a pinpoint, ranked first


class HybridRetriever(BaseRetriever):
    """A langchain retriever over an opened Index; `search` gives scored passages."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: Index
    settings: RetrievalSettings = RetrievalSettings()
    questions: QuestionIndex | None = None  # questions key passages answer, ranked beside the passages
    encoder: Encoder | None = None  # the passages' model, shared with the pipeline (its memory saves a second run)
    instruments: tuple[str, ...] = ()  # e.g. ("GDPR",): keep only these citation prefixes
    authorities: tuple[str, ...] = ()  # e.g. ("law",)

    def _allowed(self, passage: Passage) -> bool:
        return (not self.instruments or passage.instrument in self.instruments) and (
            not self.authorities or passage.authority in self.authorities
        )

    def references(self, query: str) -> tuple[list[Passage], list[Passage]]:
        """(pinpoint hits, broad hits) for the references the query names, in the order named."""
        pinpoint: list[Passage] = []
        broad: list[Passage] = []
        for ref in references_in(query):
            hits = [p for label in self.index.labels_under.get(normalise_label(ref), [])
                    for p in self.index.by_label[label] if self._allowed(p)]
            exact = [p for p in hits if p.label == ref]
            if len(hits) <= _PINPOINT or exact:
                pinpoint += [p for p in (exact or hits)[:_PINPOINT] if p not in pinpoint]
            broad += [p for p in hits[:10] if p not in pinpoint + broad]
        return pinpoint, broad

    def defined_terms(self, query: str) -> list[Passage]:
        """Definitions ('‘biometric data’ means ...') of terms the query names: named instrument
        first, then primary law, longest term first."""
        q = " " + " ".join(re.sub(r"[^\w\s-]", " ", query.lower()).split()) + " "
        named = instruments_named(query)
        hits = [(term, p) for term, p in self._definitions if f" {term.lower()} " in q and self._allowed(p)]
        hits.sort(key=lambda h: (h[1].instrument not in named, -len(h[0]), AUTHORITY_RANK[h[1].authority], h[1].order))
        return [p for _, p in hits]

    @cached_property
    def _definitions(self) -> list[tuple[str, Passage]]:
        """(defined term, passage) for every passage that opens with a definition; read once."""
        return [(m.group(1), p) for p in self.index.passages.values() if (m := _DEFINITION.match(p.text))]

    def lookup(self, labels: Sequence[str]) -> list[Passage]:
        """Passages by exact label, in the order the labels are given."""
        return [p for label in labels for p in self.index.by_label.get(label, []) if self._allowed(p)]

    def family(self, passage: Passage) -> list[Passage]:
        """The passage's parent (a lead-in such as 'Processing shall be lawful only if...:') and
        its direct children (the points under a lead-in)."""
        parent = self.index.passages.get(passage.id.rsplit("/", 1)[0]) if "/" in passage.id else None
        return ([parent] if parent else []) + self.index.children.get(passage.id, [])

    def _topic_passages(self, labels: Sequence[str], fused: dict[str, float], per_label: int = 2) -> list[Passage]:
        """Passages for topic labels; where a label covers several passages (a blog section), the
        ones the search ranked best."""
        out: list[Passage] = []
        for label in labels:
            group = sorted(self.lookup([label]), key=lambda p: (-fused.get(p.id, 0.0), p.order))
            out += [p for p in group[:per_label] if p not in out]
        return out

    def _vector(self, query: str) -> list[float]:
        """The query's vector for the passages. The pipeline's shared encoder has usually embedded
        this very question already (the router): then the model does not run again."""
        if self.encoder is not None:
            return self.encoder.encode([query])[0].tolist()
        return self.index.store.embeddings.embed_query(query)  # type: ignore[union-attr]

    def _dense(self, vector: list[float], k: int, where: dict[str, str] | None = None) -> list[tuple[str, float]]:
        # langchain-chroma returns the raw cosine *distance* from this method despite its name.
        hits = self.index.store.similarity_search_by_vector_with_relevance_scores(vector, k=k, filter=where)
        return [(d.id, 1.0 - dist) for d, dist in hits
                if d.id in self.index.passages and self._allowed(self.index.passages[d.id])]

    def search(
        self, query: str, k: int | None = None, *, definitions: bool = False, labels: Sequence[str] = ()
    ) -> list[ScoredPassage]:
        """Top-k passages: pinpointed references, then `labels` (topic index), then (for definition
        questions) definitions of the terms named, then the fused ranking."""
        k = k or self.settings.k
        passages = self.index.passages
        vector = self._vector(query)
        dense = self._dense(vector, self.settings.dense_k)
        rankings = [[i for i, _ in dense]]
        rankings.append([i for i, _ in self.index.sparse.search(query, self.settings.sparse_k) if self._allowed(passages[i])])
        if self.questions is not None:
            asked = [i for i in self.questions.rank(query, self.settings.dense_k) if self._allowed(passages[i])]
            rankings += [asked] * self.settings.question_weight
        doc_ids = self.index.doc_ids
        for instrument in instruments_named(query):
            if instrument != "AI Act" and instrument in doc_ids:  # the home instrument is everywhere
                extra = self._dense(vector, 5, {"doc_id": doc_ids[instrument]})
                dense += extra
                rankings.append([i for i, _ in extra])
        pinpoint, broad = self.references(query)
        rankings.append([p.id for p in broad])
        fused: dict[str, float] = {}
        for ranking in rankings:
            for rank, pid in enumerate(ranking):
                fused[pid] = fused.get(pid, 0.0) + 1.0 / (self.settings.rrf_k + rank + 1)
        similarity = dict(dense)
        first = pinpoint + [p for p in self._topic_passages(labels, fused) if p not in pinpoint]
        if definitions:
            first += [p for p in self.defined_terms(query)[:2] if p not in first]
        out = [
            ScoredPassage(passage=p, score=2.0 - i / 1000, dense=similarity.get(p.id, 0.0), direct=True)
            for i, p in enumerate(first[:k])
        ]
        taken = {sp.passage.id for sp in out}
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
