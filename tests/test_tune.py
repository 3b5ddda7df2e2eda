"""The tuned models (the fact reader's, the answer notes'): keyed by what each learns from, built by
ingest, used by the reader and the note matcher."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.backends.export import EXPORT_META
from assistant.backends.tune import tuned_dir, tuned_key
from assistant.config import Settings
from assistant.errors import IndexStaleError
from assistant.notes import load_notes
from assistant.pipeline import Assistant
from assistant.semantic import VectorBank


def test_the_tuned_model_is_keyed_by_the_bank_and_the_recipe(tmp_path):
    base = Settings()
    bank = tmp_path / "examples.yaml"
    bank.write_bytes(base.examples_file.read_bytes())
    same = Settings(examples_file=bank)
    assert tuned_key(same) == tuned_key(base)  # the content, not the path
    bank.write_text(bank.read_text(encoding="utf-8").replace("none:\n", "none:\n  - \"one statement more\"\n", 1), encoding="utf-8")
    assert tuned_key(Settings(examples_file=bank)) != tuned_key(base)  # any bank edit retunes
    assert tuned_key(Settings(reader={"tune_frozen_layers": 1})) != tuned_key(base)
    assert tuned_dir(base).parent == base.cache_dir / "reader-model"  # shared by data dirs
    notes = tmp_path / "notes.yaml"
    text = base.notes_file.read_text(encoding="utf-8")
    notes.write_text(text.replace("    unlike:\n", "    unlike:\n      - \"one near miss more?\"\n", 1), encoding="utf-8")
    assert tuned_key(Settings(notes_file=notes), model="notes") == tuned_key(base, model="notes")  # it learns no near miss
    notes.write_text(text.replace("    questions:\n", "    questions:\n      - \"one question more?\"\n", 1), encoding="utf-8")
    edited = Settings(notes_file=notes)
    assert tuned_key(edited, model="notes") != tuned_key(base, model="notes")  # a new question retunes the notes' model...
    assert tuned_key(edited) == tuned_key(base)  # ...and not the reader's
    assert tuned_key(Settings(notes={"tune_epochs": 1}), model="notes") != tuned_key(base, model="notes")
    assert tuned_dir(base, model="notes").parent == base.cache_dir / "notes-model"
    # the pipeline hands in the notes it has loaded: the same key as read from the file
    assert tuned_key(base, model="notes", notes=load_notes(base.notes_file)) == tuned_key(base, model="notes")


@pytest.mark.slow
def test_ingest_builds_the_tuned_model_and_the_reader_reads_with_it(real_settings, assistant):
    assert (tuned_dir(real_settings) / EXPORT_META).exists()
    tuned, shared = assistant.reader_encoder, assistant.encoder
    assert tuned is not shared and assistant.reader.encoder is tuned
    text = ["Our crawler looks for photos of one particular fugitive, nobody else."]
    # tuning moved the model: the same words land elsewhere (the router and retrieval keep the shared one)
    assert float(np.dot(tuned.encode(text)[0], shared.encode(text)[0])) < 0.95


@pytest.mark.slow
def test_the_notes_model_brings_informal_questions_nearer_their_note(real_settings, assistant):
    assert (tuned_dir(real_settings, model="notes") / EXPORT_META).exists()
    tuned, shared = assistant.notes_encoder, assistant.encoder
    assert tuned is not shared and tuned is not assistant.reader_encoder and assistant.notebook.encoder is tuned
    book = assistant.notebook.bank
    plain = VectorBank("notes", book.texts, book.labels, shared, real_settings.cache_dir)

    def nearest(bank: VectorBank, encoder, asked: str) -> tuple[str, float]:
        """The note nearest the question, and its lead over the next one."""
        scores = bank.nearest(bank.similarities(encoder.encode([asked])))[0]
        first, second = np.argsort(-scores)[:2]
        return bank.label_set[first], float(scores[first] - scores[second])

    for asked, note in [("from what date is the face scraping ban actually in force?", "date-ban-applies"),
                        ("how much can they fine a small startup for scraping faces", "fine-sme")]:
        found, lead = nearest(book, tuned, asked)
        # the tuned model finds the note, and clearly ahead of the next: the shared one barely tells them apart
        assert found == note and lead > nearest(plain, shared, asked)[1] + 0.05


@pytest.mark.slow
def test_the_reader_says_how_to_build_a_missing_tuned_model(real_settings, tmp_path):
    settings = real_settings.model_copy(update={"cache_dir": tmp_path / "empty-cache"})
    with pytest.raises(IndexStaleError, match="model tuned on the example bank") as info:
        _ = Assistant(settings).reader_encoder
    assert "redlines ingest" in info.value.hint
    with pytest.raises(IndexStaleError, match="answer notes") as info:
        _ = Assistant(settings).notes_encoder
    assert "redlines ingest" in info.value.hint
    off = settings.model_copy(update={"reader": settings.reader.model_copy(update={"tuned": False}),
                                      "notes": settings.notes.model_copy(update={"tuned": False})})
    plain = Assistant(off)
    # tuning off: the shared model, nothing to build
    assert plain.reader_encoder is plain.encoder and plain.notes_encoder is plain.encoder


def test_a_new_tuning_removes_the_models_of_earlier_banks(tmp_path, monkeypatch):
    import assistant.backends.tune as tune

    settings = Settings(cache_dir=tmp_path)
    target = tuned_dir(settings)
    stale, other = target.parent / ("0" * len(target.name)), target.parent / "notes.txt"
    stale.mkdir(parents=True)
    other.write_text("kept")
    # no training step and no export: this checks only what is left behind
    monkeypatch.setattr(tune, "export_model", lambda path, folder, meta: folder.mkdir(parents=True))
    monkeypatch.setattr(tune, "_READER_EPOCHS", 0)
    assert tune.tune_model(settings) == target
    assert target.exists() and not stale.exists() and other.exists()
