"""Retrieval quality on a labelled query set: recall@5 and MRR@10, for any searcher.

A hit is a retrieved passage whose label matches an expected label, or (for searchers whose chunks
carry no pinpoint labels, such as the plain LangChain baseline) whose text contains the expected
passage's opening words, so both systems are judged on the same footing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from assistant.errors import InputError
from assistant.labels import label_matches
from assistant.types import Passage, ScoredPassage

RECALL_K, MRR_K = 5, 10


class RetrievalScore(BaseModel):
    queries: int
    recall_at_5: float = Field(description="Share of queries with an expected passage in the top 5")
    mrr: float = Field(description="Mean reciprocal rank of the first expected passage in the top 10")


def load_queries(path: Path) -> list[dict]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        queries = data["queries"]
        assert all(q["query"].strip() and q["expect"] for q in queries)
    except (OSError, yaml.YAMLError, KeyError, TypeError, AssertionError) as exc:
        raise InputError(f"cannot read retrieval set {path}: {exc}", "a `queries:` list of {query, expect}") from exc
    return queries


def _opening(text: str) -> str:
    return " ".join(text.split())[:120]


def first_hit(expect: Sequence[str], hits: Sequence[ScoredPassage], corpus: Mapping[str, Passage]) -> int | None:
    """1-based rank of the first hit that answers, or None."""
    openings = [_opening(p.text) for p in corpus.values() if any(label_matches(e, p.label) for e in expect)]
    for rank, sp in enumerate(hits[:MRR_K], start=1):
        text = " ".join(sp.passage.text.split())
        if any(label_matches(e, sp.passage.label) for e in expect) or any(o in text for o in openings):
            return rank
    return None


def score_retrieval(search, queries: Sequence[dict], corpus: Mapping[str, Passage]) -> RetrievalScore:
    """`search(query, k)` -> scored passages; `corpus` maps ids to the pinpoint passages."""
    ranks = [first_hit(q["expect"], search(q["query"], MRR_K), corpus) for q in queries]
    n = len(queries) or 1
    return RetrievalScore(
        queries=len(queries),
        recall_at_5=sum(1 for r in ranks if r and r <= RECALL_K) / n,
        mrr=sum(1 / r for r in ranks if r) / n,
    )
