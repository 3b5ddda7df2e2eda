"""Chunking by legal structure: ids, labels, contents, de-duplication, notes, context, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.chunking import chunk_corpus, chunk_document, normalise_text
from assistant.config import PROJECT_DIR
from assistant.corpus import load_document, load_documents
from assistant.errors import CorpusError
from assistant.labels import label_matches
from assistant.types import Document

CORPUS = PROJECT_DIR / "corpus"

REQUIRED_LABELS = [
    "AI Act Art. 5(1)(e)",
    "AI Act Art. 3(34)",
    "AI Act Recital 43",
    "GDPR Art. 9(1)",
    "GDPR Recital 51",
    "LED Art. 10",
    "LED Art. 3(13)",
    "Guidelines para. 226",
    "Guidelines para. 224(iii)",
    "Enforcement: CNIL (FR) 2022",
    "Red Lines blog §5.1",
    "AI Act Art. 5(1)(ba)",
]
# Each entry must match (label_matches prefix rule) at least one passage label.
REQUIRED_CONTENTS = (
    [f"AI Act Art. 3({n})" for n in (1, 3, 4, 9, 10, 11, 12, 34, 35, 41, 42, 43, 44)]
    + [f"AI Act Art. {n}" for n in (2, 99, 112, 113)]
    + [f"AI Act Recital {n}" for n in (14, 15, 16, 17, 19, 43, 179)]
    + ["Guidelines para. 7"] + [f"Guidelines para. {n}" for n in range(222, 239)]
    + [f"GDPR Art. {ref}" for ref in ("4(1)", "4(2)", "4(11)", "4(14)", "5", "6", "9", "15", "17", "83")]
    + ["GDPR Recital 51"]
)
AUTHORITIES = ["Garante", "HDPA", "CNIL", "ICO", "AP"]
BLOG_REPEAT = "Article 5(1)(e) AI Act states that the following practice shall be prohibited"


@pytest.fixture(scope="module")
def documents():
    return load_documents(CORPUS)


@pytest.fixture(scope="module")
def passages(documents):
    return chunk_corpus(documents)


@pytest.fixture(scope="module")
def by_label(passages):
    out: dict[str, list] = {}
    for p in passages:
        out.setdefault(p.label, []).append(p)
    return out


def _doc(body: str, doc_id: str = "t", short: str = "T", path: str = "bad.md") -> Document:
    return Document(id=doc_id, title="Test", short=short, authority="law", version_date="2026-01-01",
                    body=body, path=path, sha256="0" * 64)


def test_every_document_chunks_into_non_empty_passages(documents):
    for doc in documents:
        passages = chunk_document(doc)
        assert passages, doc.path
        assert all(p.text.strip() and p.text == p.text.strip() for p in passages), doc.path
        assert all(p.id.startswith(f"{doc.id}/") and p.label.startswith(doc.short) for p in passages), doc.path


def test_passage_ids_are_unique_and_orders_follow_reading_order(passages):
    ids = [p.id for p in passages]
    assert len(ids) == len(set(ids))
    assert [p.order for p in passages] == list(range(len(passages)))


def test_ids_are_stable_across_runs(documents, passages):
    again = chunk_corpus(load_documents(CORPUS))
    assert [p.id for p in again] == [p.id for p in passages]
    assert [p.label for p in again] == [p.label for p in passages]
    assert [p.id for p in chunk_document(documents[0])] == [p.id for p in chunk_document(documents[0])]


@pytest.mark.parametrize("label", REQUIRED_LABELS)
def test_required_label_forms_exist(by_label, label):
    assert label in by_label, f"no passage labelled {label!r}"


def test_the_omnibus_point_ba_carries_its_application_date_as_a_note(by_label):
    (ba,) = by_label["AI Act Art. 5(1)(ba)"]
    assert "2 December 2026" in ba.note
    assert "2 December 2026" not in ba.text


@pytest.mark.parametrize("ref", REQUIRED_CONTENTS)
def test_required_contents_are_present(passages, ref):
    assert any(label_matches(ref, p.label) for p in passages), f"nothing under {ref!r}"


@pytest.mark.parametrize("authority", AUTHORITIES)
def test_the_five_enforcement_authorities_are_present(passages, authority):
    assert any(p.label.startswith(f"Enforcement: {authority} (") for p in passages)


def test_a_repeated_paragraph_inside_one_document_is_indexed_once(documents, passages):
    blog = next(d for d in documents if d.id == "blog")
    assert sum(p.text.startswith(BLOG_REPEAT) for p in chunk_document(blog)) == 2  # the file has it twice
    assert sum(p.doc_id == "blog" and p.text.startswith(BLOG_REPEAT) for p in passages) == 1


def test_the_same_words_in_two_instruments_are_both_kept(by_label):
    (led,) = by_label["LED Art. 3(13)"]
    (gdpr,) = by_label["GDPR Art. 4(14)"]
    assert normalise_text(led.text) == normalise_text(gdpr.text)
    assert led.id != gdpr.id


def test_notes_are_never_part_of_the_text(documents, passages):
    noted = [p for p in passages if p.note]
    assert len(noted) >= 5
    note_lines = [line[2:].strip() for d in documents for line in d.body.splitlines() if line.startswith("> ")]
    for p in passages:
        assert not p.text.startswith(">")
        assert not any(n in p.text for n in note_lines if len(n) > 20), p.label


def test_notes_attach_to_the_unit_above():
    body = "# Article 1 — Test\n1. First paragraph.\n> Editorial note.\n> Second line.\n2. Second paragraph.\n"
    first, second = chunk_document(_doc(body))
    assert (first.text, first.note) == ("First paragraph.", "Editorial note. Second line.")
    assert second.note == ""


def test_nested_points_get_their_parents_as_context(by_label):
    (point,) = by_label["AI Act Art. 5(1)(h)(i)"]
    assert "The following AI practices shall be prohibited:" in point.context
    assert "real-time’ remote biometric identification" in point.context  # the words of point (h)
    (para,) = by_label["Guidelines para. 224(iii)"]
    assert "Several cumulative conditions must be fulfilled" in para.context
    assert para.text.startswith("the means to populate the database")


def test_article_numbering_forms():
    body = (
        "# Article 7 — Test\n"
        "Lead-in of the article:\n"
        "1. Paragraph one:\n"
        "(a) point a;\n"
        "  (i) sub-point i;\n"
        "(ba) point ba.\n"
        "Closing subparagraph of paragraph 1.\n"
        "1a. Inserted paragraph.\n"
        "(14a) a numbered definition.\n"
    )
    labels = [p.label for p in chunk_document(_doc(body))]
    assert labels == ["T Art. 7", "T Art. 7(1)", "T Art. 7(1)(a)", "T Art. 7(1)(a)(i)", "T Art. 7(1)(ba)",
                      "T Art. 7(1)", "T Art. 7(1a)", "T Art. 7(1a)(14a)"]


def test_section_and_free_text_labels():
    body = (
        "# Section 6.2 — Concepts\n(224) Conditions:\n  (i) first;\nUnnumbered guideline text.\n"
        "# Recitals\n(43) A recital.\n"
        "# §5.1 — Interplay\n- A bullet.\nA paragraph.\n"
    )
    passages = chunk_document(_doc(body, short="G"))
    assert [p.label for p in passages] == ["G para. 224", "G para. 224(i)", "G section 6.2", "G Recital 43",
                                           "G §5.1", "G §5.1"]
    assert passages[-2].text == "A bullet."
    assert [p.id for p in passages][-2:] == ["t/s5-1/1", "t/s5-1/2"]


@pytest.mark.parametrize(
    "body, line, message",
    [
        pytest.param("# Article 1 — Test\n1. Text.\n  not a numbered point\n", 3, "indented line",
                     id="indented-line-without-number"),
        pytest.param("# Recitals\n(1) First recital.\nA recital without its number.\n", 3, "recital",
                     id="recital-without-number"),
        pytest.param("Some text.\n# Article 1 — Test\n1. Text.\n", 1, "before the first", id="text-before-heading"),
        pytest.param("## Subheading\n# Article 1\n1. Text.\n", 1, "before the first", id="subheading-before-heading"),
        pytest.param("> A note.\n# Article 1\n1. Text.\n", 1, "note", id="note-before-any-unit"),
        pytest.param("# Article 1\n1. Text.\n    (i) two levels deep\n", 3, "deeper", id="point-too-deep"),
    ],
)
def test_malformed_input_raises_corpus_error_with_file_and_line(body, line, message):
    with pytest.raises(CorpusError) as err:
        chunk_document(_doc(body))
    assert f"bad.md:{line}:" in str(err.value)
    assert message in str(err.value)


def test_error_line_numbers_count_the_front_matter(tmp_path: Path):
    # The user opens the file at the reported line: it must be the file's line, not the body's.
    text = (
        "---\nid: t\ntitle: Test\nshort: T\nauthority: law\nsource_url: ''\nversion_date: 2026-01-01\nnotes: x\n---\n"
        "# Article 1 — Test\n"
        "1. Text.\n"
        "  not a numbered point\n"
    )
    path = tmp_path / "broken.md"
    path.write_text(text, encoding="utf-8")
    bad_line = text.splitlines().index("  not a numbered point") + 1  # 12
    with pytest.raises(CorpusError) as err:
        chunk_document(load_document(path))
    assert f"broken.md:{bad_line}:" in str(err.value)


def test_duplicate_passage_ids_across_the_corpus_are_a_corpus_error():
    body = "# Article 1\n1. Text one.\n# Article 1\n1. Text two.\n"
    with pytest.raises(CorpusError, match="duplicate passage id"):
        chunk_corpus([_doc(body)])
