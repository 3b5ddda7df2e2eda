"""Meaning by example: the encoder's memory, the bank's disk cache, the softmax head."""

from __future__ import annotations

import numpy as np
import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from assistant.semantic import Encoder, LinearHead, VectorBank


class CountingEmbedding(DeterministicFakeEmbedding):
    """langchain-core's fake, counting the texts it is asked to embed."""

    calls: int = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls += len(texts)
        return super().embed_documents(texts)


def test_the_encoder_embeds_each_text_once_and_normalises():
    fake = CountingEmbedding(size=16)
    encoder = Encoder(fake)
    first = encoder.encode(["a", "b", "a"])
    again = encoder.encode(["b", "c"])
    assert fake.calls == 3 and first.shape == (3, 16) and again.shape == (2, 16)
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0)


def test_a_full_memory_is_cleared_without_losing_the_texts_asked_for():
    fake = CountingEmbedding(size=16)
    encoder = Encoder(fake, memory=3)
    encoder.encode(["a", "b"])
    both = encoder.encode(["a", "c", "d"])  # "a" was remembered; the memory overflows on c and d
    assert both.shape == (3, 16) and np.allclose(both[0], encoder.encode(["a"])[0])


def test_the_bank_is_cached_on_disk_by_content(tmp_path):
    fake = CountingEmbedding(size=16)
    bank = VectorBank("t", ["x", "y"], ["X", "Y"], Encoder(fake), tmp_path)
    _ = bank.matrix
    same = VectorBank("t", ["x", "y"], ["X", "Y"], Encoder(fake), tmp_path)
    assert np.allclose(same.matrix, bank.matrix) and fake.calls == 2  # read back, not re-embedded
    changed = VectorBank("t", ["x", "z"], ["X", "Y"], Encoder(fake), tmp_path)
    _ = changed.matrix
    assert fake.calls == 4


def test_bank_scores_rank_the_label_of_the_nearest_texts():
    encoder = Encoder(DeterministicFakeEmbedding(size=32))
    bank = VectorBank("t", ["apple", "pear", "car", "bus"], ["fruit", "fruit", "vehicle", "vehicle"], encoder)
    scores = bank.scores(bank.similarities(encoder.encode(["car"])), ["fruit", "vehicle"], k=1)
    assert scores[0].argmax() == 1


def test_nearest_is_the_top_one_score_of_every_label_at_once():
    encoder = Encoder(DeterministicFakeEmbedding(size=32))
    bank = VectorBank("t", ["apple", "car", "pear", "bus", "kiwi"], ["fruit", "vehicle", "fruit", "vehicle", "fruit"], encoder)
    sims = bank.similarities(encoder.encode(["car", "kiwi", "train"]))
    assert np.allclose(bank.nearest(sims), bank.scores(sims, bank.label_set, k=1))


def test_the_head_learns_its_labels_and_calls_the_rest_absent(tmp_path):
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 24))
    x = np.vstack([c + 0.05 * rng.normal(size=(20, 24)) for c in centres])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    rows = [frozenset(["a"])] * 20 + [frozenset(["b"])] * 20 + [frozenset()] * 20
    head = LinearHead(lambda: (x, rows), ["a", "b"], cache_dir=tmp_path)
    predicted = head.probabilities(x).argmax(axis=1)
    assert (predicted == np.repeat([0, 1, 2], 20)).mean() > 0.95  # class 2 is `absent`
    again = LinearHead(lambda: (x, rows), ["a", "b"], cache_dir=tmp_path)
    again._train = None  # a cached head is read back, not trained again
    assert np.allclose(again.probabilities(x), head.probabilities(x))


def test_a_keyed_head_is_read_back_without_building_its_training_data(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 8))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    rows = [frozenset(["a"])] * 20 + [frozenset()] * 20
    first = LinearHead(lambda: (x, rows), ["a"], cache_dir=tmp_path, key="bank-v1")
    expected = first.probabilities(x)

    def never() -> tuple:
        raise AssertionError("the training data was built although the head is cached")

    assert np.allclose(LinearHead(never, ["a"], cache_dir=tmp_path, key="bank-v1").probabilities(x), expected)
    with pytest.raises(AssertionError, match="training data"):  # another key is another head
        LinearHead(never, ["a"], cache_dir=tmp_path, key="bank-v2").probabilities(x)
