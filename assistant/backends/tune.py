"""The fact reader's own copy of the model, fine-tuned on the example bank (ingest only; needs torch).

The frozen model places "our crawler keeps every face" and "our crawler looks for one fugitive"
close together: both are about crawlers and faces. Fine-tuned on the bank's statements (and the
same mixtures of two statements the reader's heads learn from), with one classification head per
slot trained beside it, the model learns which words decide a slot and which do not; the heads are
dropped and the reader trains its own on the tuned vectors, exactly as on the frozen ones. The
tuned model is exported to ONNX like the shared one, so the query path still runs without torch.

It lives in the cache dir, keyed by the bank, the rule file's slots and the base model, so data
dirs share it and any edit of the bank retunes it at the next `redlines ingest`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
import uuid
from pathlib import Path

from assistant.backends.export import EXPORT_FORMAT, EXPORT_META, export_model, model_fingerprint, offline_model_path
from assistant.banks import load_examples
from assistant.config import Settings
from assistant.rules import RuleBook, load_rules

TUNE_FORMAT = "1"  # bump when the training recipe changes: older tuned models are retrained
_EPOCHS, _BATCH, _LR, _HEAD_LR, _SCALE, _SEED, _MIXTURE_SEED = 1, 32, 3e-5, 2e-3, 20.0, 0, 5


def tuned_key(settings: Settings, rules: RuleBook | None = None) -> str:
    """What the tuned model depends on: the recipe, the base model, the bank, the slots (of `rules`,
    read from the rule file when not given)."""
    rules = rules or load_rules(settings.rules_file)
    slots = [(s.id, s.ids()) for s in rules.slots]
    parts = [TUNE_FORMAT, EXPORT_FORMAT, settings.embedding_model, model_fingerprint(settings), json.dumps(slots),
             str(settings.reader.absent_weight), str(settings.reader.mixtures), str(settings.reader.tune_frozen_layers)]
    digest = hashlib.sha256("\x1f".join(parts).encode())
    digest.update(settings.examples_file.read_bytes())
    return digest.hexdigest()[:16]


def tuned_dir(settings: Settings, rules: RuleBook | None = None) -> Path:
    return settings.cache_dir / "reader-model" / tuned_key(settings, rules)


def tune_reader_model(settings: Settings) -> Path:
    """Fine-tune the model on the example bank and export it to ONNX; returns the export's folder.

    Deterministic for one machine: seeded, one epoch in a seeded order. Written to a temporary
    folder and renamed into place, so a half-built model is never used."""
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    from assistant.read import mixtures

    rules = load_rules(settings.rules_file)
    bank = load_examples(settings.examples_file, rules)
    labels = [f"{slot}={value}" for slot, value, _ in bank.rows] + [""] * len(bank.none)
    texts = bank.texts()
    rows = [frozenset([label]) if label else frozenset() for label in labels]
    mixed, mixed_rows = mixtures(texts, labels, settings.reader.mixtures, seed=_MIXTURE_SEED)
    texts, rows = texts + mixed, rows + mixed_rows
    slots = [(s.id, s.ids()) for s in rules.slots]

    def targets(row: frozenset[str]) -> list[int]:
        # per slot: the value's index, or the last class ("says nothing on this slot")
        said = dict(label.split("=", 1) for label in row)
        return [values.index(said[slot]) if slot in said else len(values) for slot, values in slots]

    torch.manual_seed(_SEED)
    order = np.random.default_rng(_SEED).permutation(len(texts))
    y = torch.tensor([targets(r) for r in rows])
    model = SentenceTransformer(offline_model_path(settings), device="cpu")
    bert = model[0].auto_model
    frozen = [bert.embeddings, *bert.encoder.layer[: settings.reader.tune_frozen_layers]]
    for part in frozen:
        part.requires_grad_(False)
    heads = torch.nn.ModuleList([torch.nn.Linear(model.get_embedding_dimension(), len(v) + 1) for _, v in slots])
    weights = [torch.tensor([1.0] * len(v) + [settings.reader.absent_weight]) for _, v in slots]
    optimiser = torch.optim.AdamW([
        {"params": [p for p in model.parameters() if p.requires_grad], "lr": _LR},
        {"params": heads.parameters(), "lr": _HEAD_LR},
    ], weight_decay=0.01)
    model.train()
    for _ in range(_EPOCHS):
        for start in range(0, len(texts), _BATCH):
            batch = order[start : start + _BATCH]
            vectors = model(model.preprocess([texts[i] for i in batch]))["sentence_embedding"]
            # the vectors are unit length: scaled, their dot products with the heads can be sure
            loss = sum(torch.nn.functional.cross_entropy(head(vectors) * _SCALE, y[batch, k], weight=weights[k])
                       for k, head in enumerate(heads))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    model.eval()
    target = tuned_dir(settings, rules)
    target.parent.mkdir(parents=True, exist_ok=True)
    checkpoint = target.with_name(f"{target.name}.model-{uuid.uuid4().hex[:6]}")
    try:
        model.save(str(checkpoint))
        export_model(str(checkpoint), target, {"tuned": target.name, "examples": len(texts)})
    finally:
        shutil.rmtree(checkpoint, ignore_errors=True)
    # a model tuned on an earlier bank is never read again: 90 MB each, they would pile up
    for stale in target.parent.iterdir():
        if stale != target and stale.is_dir() and len(stale.name) == len(target.name):
            shutil.rmtree(stale, ignore_errors=True)
    return target


def ensure_tuned_reader(settings: Settings) -> str:
    """Tune the reader's model when the bank, slots or base model changed; returns what was done ('' if nothing)."""
    if not settings.reader.tuned or (tuned_dir(settings) / EXPORT_META).exists():
        return ""
    start = time.perf_counter()
    tune_reader_model(settings)
    return f"reader model tuned on the example bank in {time.perf_counter() - start:.0f} s"
