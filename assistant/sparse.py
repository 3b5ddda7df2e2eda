"""The sparse half of the index: word tokens with a light stem, and BM25 over the passages, saved
beside each build."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from assistant.backends import BM25
from assistant.types import Passage


_WORD = re.compile(r"[0-9a-zà-ÿ]+")


@lru_cache(maxsize=1 << 16)
def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def tokens(text: str) -> list[str]:
    """Lower-case word tokens with a light suffix strip, so 'scraping'/'scraped' meet 'scrape'.
    Stems are memoised: the composer tokenises every candidate sentence of every answer."""
    return [_stem(word) for word in _WORD.findall(text.lower())]


class SparseIndex:
    """BM25 over passage texts, persisted beside the vector index."""

    def __init__(self, model: BM25, ids: list[str]) -> None:
        self.model, self.ids = model, ids

    @classmethod
    def build(cls, passages: list[Passage]) -> SparseIndex:
        return cls(BM25.build([tokens(f"{p.label} {p.text}") or ["_"] for p in passages]), [p.id for p in passages])

    def save(self, folder: Path) -> None:
        self.model.save(folder / "bm25")
        (folder / "bm25_ids.json").write_text(json.dumps(self.ids))

    @classmethod
    def load(cls, folder: Path) -> SparseIndex:
        return cls(BM25.load(folder / "bm25"), json.loads((folder / "bm25_ids.json").read_text()))

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        return [(self.ids[row], score) for row, score in self.model.top(tokens(query), k)]
