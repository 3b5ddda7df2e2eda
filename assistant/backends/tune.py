"""The assistant's own copies of the model, fine-tuned when `redlines ingest` runs (needs torch).

The frozen model places "our crawler keeps every face" and "our crawler looks for one fugitive"
close together: both are about crawlers and faces. It likewise places "is the ban in force yet?"
far from "since when does the ban apply?" though one answer serves both. So two copies are tuned,
each with classification heads trained beside the encoder and then dropped:
- the fact reader's, on the example bank's statements (and the same mixtures of two statements
  its heads learn from), one head per slot: it learns which words decide a slot and which do not;
- the answer notes', on the notes' example questions, one head over the notes: it learns which
  questions one answer serves, so informal wording meets a note's questions.
Both are exported to ONNX like the shared model, so the query path still runs without torch.

Each lives in the cache dir, keyed by what it learns from, the recipe and the base model, so data
dirs share it and any edit of the bank or the notes retunes it at the next `redlines ingest`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.backends.export import EXPORT_FORMAT, EXPORT_META, export_model, model_fingerprint, offline_model_path
from assistant.banks import load_examples
from assistant.config import Settings
from assistant.notes import Note, load_notes
from assistant.rules import RuleBook, load_rules

TUNE_FORMAT = "1"  # bump when the training recipe changes: older tuned models are retrained
_READER_EPOCHS, _BATCH, _LR, _HEAD_LR, _SCALE, _SEED, _MIXTURE_SEED = 1, 32, 3e-5, 2e-3, 20.0, 0, 5
MODELS = ("reader", "notes")  # the tuned copies, each in its own cache folder (the notes' epochs are a setting)


def tuned_key(settings: Settings, rules: RuleBook | None = None, model: str = "reader",
              notes: Sequence[Note] | None = None) -> str:
    """What a tuned model depends on: the recipe, the base model and what it learns from (the
    reader's: the bank and the slots of `rules`; the notes': their questions; each read from its
    file when not given)."""
    parts = [TUNE_FORMAT, EXPORT_FORMAT, settings.embedding_model, model_fingerprint(settings)]
    if model == "reader":
        rules = rules or load_rules(settings.rules_file)
        slots = [(s.id, s.ids()) for s in rules.slots]
        parts += [json.dumps(slots), str(settings.reader.absent_weight), str(settings.reader.mixtures),
                  str(settings.reader.tune_frozen_layers)]
        learnt = settings.examples_file.read_bytes()
    else:
        # only the questions, each with its note: an edited answer or near miss needs no new tuning
        parts += [model, str(settings.notes.tune_epochs), str(settings.notes.tune_frozen_layers)]
        notes = notes if notes is not None else load_notes(settings.notes_file, settings.cache_dir)
        learnt = json.dumps([(n.id, n.questions) for n in notes]).encode()
    digest = hashlib.sha256("\x1f".join(parts).encode())
    digest.update(learnt)
    return digest.hexdigest()[:16]


def tuned_dir(settings: Settings, rules: RuleBook | None = None, model: str = "reader",
              notes: Sequence[Note] | None = None) -> Path:
    return settings.cache_dir / f"{model}-model" / tuned_key(settings, rules, model, notes)


@dataclass(frozen=True)
class _Head:
    """One classification head: a target class per training text, and optional class weights."""

    classes: int
    targets: Sequence[int]
    weights: Sequence[float] | None = None


def _reader_data(settings: Settings, rules: RuleBook) -> tuple[list[str], list[_Head]]:
    from assistant.read import mixtures

    bank = load_examples(settings.examples_file, rules)
    labels = [f"{slot}={value}" for slot, value, _ in bank.rows] + [""] * len(bank.none)
    texts = bank.texts()
    rows = [frozenset([label]) if label else frozenset() for label in labels]
    mixed, mixed_rows = mixtures(texts, labels, settings.reader.mixtures, seed=_MIXTURE_SEED)
    texts, rows = texts + mixed, rows + mixed_rows
    said = [dict(label.split("=", 1) for label in row) for row in rows]
    # per slot: the value's index, or the last class ("says nothing on this slot")
    return texts, [
        _Head(len(values) + 1, [values.index(s[slot.id]) if slot.id in s else len(values) for s in said],
              [1.0] * len(values) + [settings.reader.absent_weight])
        for slot in rules.slots for values in [slot.ids()]
    ]


def _notes_data(settings: Settings) -> tuple[list[str], list[_Head]]:
    notes = load_notes(settings.notes_file)
    asked = [(q, i) for i, note in enumerate(notes) for q in note.questions]
    return [q for q, _ in asked], [_Head(len(notes), [i for _, i in asked])]


def tune_model(settings: Settings, model: str = "reader") -> Path:
    """Fine-tune a copy of the model (see MODELS) and export it to ONNX; returns the export's folder.

    Deterministic for one machine: seeded, each epoch in a seeded order. Written to a temporary
    folder and renamed into place, so a half-built model is never used."""
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    rules: RuleBook | None = None  # the reader's data and key need the rule file's slots; the notes' do not
    if model == "reader":
        rules = load_rules(settings.rules_file)
        (texts, heads), epochs, frozen = _reader_data(settings, rules), _READER_EPOCHS, settings.reader.tune_frozen_layers
    else:
        (texts, heads), epochs, frozen = _notes_data(settings), settings.notes.tune_epochs, settings.notes.tune_frozen_layers
    torch.manual_seed(_SEED)
    rng = np.random.default_rng(_SEED)
    order = rng.permutation(len(texts))
    y = torch.tensor([h.targets for h in heads]).T  # (texts x heads)
    encoder = SentenceTransformer(offline_model_path(settings), device="cpu")
    bert = encoder[0].auto_model
    for part in [bert.embeddings, *bert.encoder.layer[:frozen]]:
        part.requires_grad_(False)
    layers = torch.nn.ModuleList([torch.nn.Linear(encoder.get_embedding_dimension(), h.classes) for h in heads])
    weights = [torch.tensor(h.weights) if h.weights else None for h in heads]
    optimiser = torch.optim.AdamW([
        {"params": [p for p in encoder.parameters() if p.requires_grad], "lr": _LR},
        {"params": layers.parameters(), "lr": _HEAD_LR},
    ], weight_decay=0.01)
    encoder.train()
    for epoch in range(epochs):
        order = order if epoch == 0 else rng.permutation(len(texts))
        for start in range(0, len(texts), _BATCH):
            batch = order[start : start + _BATCH]
            vectors = encoder(encoder.preprocess([texts[i] for i in batch]))["sentence_embedding"]
            # the vectors are unit length: scaled, their dot products with the heads can be sure
            loss = sum(torch.nn.functional.cross_entropy(layer(vectors) * _SCALE, y[batch, k], weight=weights[k])
                       for k, layer in enumerate(layers))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    encoder.eval()
    target = tuned_dir(settings, rules, model)
    target.parent.mkdir(parents=True, exist_ok=True)
    checkpoint = target.with_name(f"{target.name}.model-{uuid.uuid4().hex[:6]}")
    try:
        encoder.save(str(checkpoint))
        export_model(str(checkpoint), target, {"tuned": target.name, "model": model, "examples": len(texts)})
    finally:
        shutil.rmtree(checkpoint, ignore_errors=True)
    # a model tuned on an earlier bank is never read again: 90 MB each, they would pile up
    for stale in target.parent.iterdir():
        if stale != target and stale.is_dir() and len(stale.name) == len(target.name):
            shutil.rmtree(stale, ignore_errors=True)
    return target


def ensure_tuned(settings: Settings) -> list[str]:
    """Tune each copy whose inputs changed (and that is switched on); returns what was done."""
    wanted = {"reader": settings.reader.tuned, "notes": settings.notes.tuned}
    done = []
    for model in MODELS:
        if wanted[model] and not (tuned_dir(settings, model=model) / EXPORT_META).exists():
            start = time.perf_counter()
            tune_model(settings, model)
            done.append(f"{model} model tuned in {time.perf_counter() - start:.0f} s")
    return done
