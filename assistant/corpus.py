"""Load corpus files: YAML front matter plus a Markdown body -> Document."""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml
from pydantic import ValidationError

from assistant.errors import CorpusError
from assistant.types import AUTHORITY_RANK, Document


def load_document(path: Path) -> Document:
    """Parse one corpus file; errors name the file and what is wrong."""
    raw = path.read_text(encoding="utf-8")
    if not raw.startswith("---\n"):
        raise CorpusError(f"{path.name}: no front matter", "start the file with a '---' YAML block")
    try:
        header, body = raw[4:].split("\n---\n", 1)
        meta = yaml.safe_load(header) or {}
        if not isinstance(meta, dict):
            raise ValueError("front matter must be a block of key: value lines")
        return Document(
            **{str(k): "" if v is None else str(v) for k, v in meta.items()},
            body=body,
            path=path.name,
            sha256=hashlib.sha256(raw.encode("utf-8")).hexdigest(),
            front_matter_lines=header.count("\n") + 3,  # '---', the header lines, '---'
        )
    except ValueError as exc:  # split failure, YAML error or pydantic ValidationError
        detail = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        raise CorpusError(f"{path.name}: bad front matter: {detail}", "see corpus/README.md") from exc
    except yaml.YAMLError as exc:
        raise CorpusError(f"{path.name}: front matter is not valid YAML: {exc}", "see corpus/README.md") from exc


def load_documents(corpus_dir: Path) -> list[Document]:
    """All corpus documents, highest authority first (so de-duplication keeps the primary text)."""
    paths = sorted(p for p in corpus_dir.glob("*.md") if p.name != "README.md")
    if not paths:
        raise CorpusError(f"no corpus files in {corpus_dir}", "set REDLINES_CORPUS_DIR to the corpus folder")
    docs = [load_document(p) for p in paths]
    ids = [d.id for d in docs]
    if len(set(ids)) != len(ids):
        raise CorpusError(f"duplicate document ids in {corpus_dir}: {ids}", "give every file its own id")
    return sorted(docs, key=lambda d: (AUTHORITY_RANK[d.authority], d.path))


def corpus_version(docs: list[Document]) -> str:
    """A short hash of every document's content: changes whenever any text changes."""
    digest = hashlib.sha256("".join(f"{d.id}:{d.sha256}" for d in sorted(docs, key=lambda d: d.id)).encode())
    return digest.hexdigest()[:12]
