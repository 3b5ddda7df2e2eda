"""The corpus files: they load, their front matter is complete, and legal wording is verbatim."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.chunking import chunk_document, normalise_text
from assistant.config import PROJECT_DIR
from assistant.corpus import corpus_version, load_document, load_documents
from assistant.errors import CorpusError

CORPUS = PROJECT_DIR / "corpus"
SOURCES = PROJECT_DIR.parent / "shared" / "sources"
FILES = sorted(p for p in CORPUS.glob("*.md") if p.name != "README.md")
FIELDS = ("id", "title", "short", "authority", "source_url", "version_date", "notes")
# Decisions are summaries in the project's own words; everything else must be copied word for word.
VERBATIM = {"law", "guidance", "commentary"}

GOOD_HEADER = """---
id: {id}
title: A test text
short: Test
authority: law
source_url: https://example.org
version_date: 2026-01-01
notes: A file written by the tests.
---
"""


@pytest.fixture(scope="module")
def documents():
    return load_documents(CORPUS)


def test_the_corpus_has_files():
    assert len(FILES) >= 6


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_file_loads_with_complete_front_matter(path: Path):
    doc = load_document(path)
    header = path.read_text(encoding="utf-8").split("\n---\n", 1)[0]
    for name in FIELDS:
        assert f"\n{name}:" in header, f"{path.name}: front matter has no {name!r}"
    for name in ("id", "title", "short", "version_date", "notes"):
        assert getattr(doc, name).strip(), f"{path.name}: {name} is empty"
    assert doc.authority in {"law", "guidance", "decision", "commentary"}
    assert doc.body.strip()


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_header_lines_copied_from_the_references(path: Path):
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        assert not line.lstrip().startswith(("found_at:", "fidelity:")), f"{path.name}:{lineno}: {line[:60]}"


def test_documents_come_highest_authority_first(documents):
    ranks = {"law": 0, "guidance": 1, "decision": 2, "commentary": 3}
    order = [ranks[d.authority] for d in documents]
    assert order == sorted(order)
    assert len({d.id for d in documents}) == len(documents)


def test_corpus_version_changes_with_any_text(documents):
    edited = [documents[0].model_copy(update={"sha256": "0" * 64}), *documents[1:]]
    assert corpus_version(documents) == corpus_version(list(reversed(documents)))
    assert corpus_version(edited) != corpus_version(documents)


def test_verbatim_law_guidance_and_commentary_appear_in_the_sources(documents):
    if not SOURCES.is_dir():
        pytest.skip(f"reference texts not found at {SOURCES}")
    sources = normalise_text("\n".join(p.read_text(encoding="utf-8") for p in sorted(SOURCES.glob("*.md"))))
    checked, missing = 0, []
    for doc in documents:
        if doc.authority not in VERBATIM:
            continue
        for passage in chunk_document(doc):
            checked += 1
            if normalise_text(passage.text) not in sources:
                missing.append(f"{passage.label}: {passage.text[:100]}")
    assert checked > 200
    assert not missing, "not verbatim in ../shared/sources:\n" + "\n".join(missing)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("id: x\ntitle: T\n", id="no-front-matter"),
        pytest.param("---\nid: x\ntitle: T\n# Article 1\n1. Text.\n", id="unclosed"),
        pytest.param(GOOD_HEADER.format(id="x").replace("short: Test\n", ""), id="missing-short"),
        pytest.param(GOOD_HEADER.format(id="x").replace("authority: law", "authority: opinion"), id="bad-authority"),
        pytest.param(GOOD_HEADER.format(id="x").replace("notes:", "found_at: somewhere\nnotes:"), id="extra-key"),
        pytest.param("---\nid: [x\n---\n# Article 1\n1. Text.\n", id="invalid-yaml"),
        pytest.param("---\n- id\n- title\n---\n# Article 1\n1. Text.\n", id="yaml-list-not-mapping"),
    ],
)
def test_bad_front_matter_is_a_corpus_error_naming_the_file(tmp_path: Path, text: str):
    path = tmp_path / "broken_file.md"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CorpusError) as err:
        load_document(path)
    assert "broken_file.md" in str(err.value)
    assert err.value.hint


def test_duplicate_document_ids_are_a_corpus_error(tmp_path: Path):
    for name in ("a.md", "b.md"):
        (tmp_path / name).write_text(GOOD_HEADER.format(id="same") + "# Article 1\n1. Text.\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="duplicate document ids"):
        load_documents(tmp_path)


def test_an_empty_corpus_folder_is_a_corpus_error(tmp_path: Path):
    (tmp_path / "README.md").write_text("# not a document\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="no corpus files"):
        load_documents(tmp_path)
