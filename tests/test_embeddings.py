"""The embedding helper: the shipped MiniLM weights, batching and mean pooling."""

from __future__ import annotations

import time

import numpy as np
import pytest

from crowdsourcing import embeddings
from crowdsourcing.embeddings import DEFAULT_MODEL, embed_texts, load_encoder


@pytest.fixture(scope="module")
def encoder():
    return load_encoder(DEFAULT_MODEL)


def test_minilm_weights_are_verified():
    assert (embeddings.minilm_dir() / "model.safetensors").is_file()


def test_corrupt_weights_are_refused(monkeypatch):
    monkeypatch.setattr(embeddings, "MINILM_SHA256", "0" * 64)
    with pytest.raises(RuntimeError, match="does not match SHA-256"):
        embeddings.minilm_dir()


def test_other_model_names_pass_through():
    assert embeddings.resolve_model("bert-base-uncased") == "bert-base-uncased"


def test_rows_follow_input_order_whatever_the_batching(encoder):
    texts = [
        "sunny and warm, lovely",
        "rain again.",
        "I hate this cold wet weather so much!!",
        "ok",
    ]
    one_batch = embed_texts(texts, *encoder, batch_size=8)
    one_by_one = embed_texts(texts, *encoder, batch_size=1)
    assert one_batch.shape == (4, 384) and one_batch.dtype == np.float32
    np.testing.assert_allclose(one_batch, one_by_one, atol=1e-5)
    reversed_rows = embed_texts(texts[::-1], *encoder, batch_size=3)[::-1]
    np.testing.assert_allclose(one_batch, reversed_rows, atol=1e-5)


def test_similar_texts_are_closer(encoder):
    a, b, c = embed_texts(
        ["What a sunny day", "Such a sunny day", "My tax return is due"], *encoder
    )
    cos = lambda u, v: u @ v / np.linalg.norm(u) / np.linalg.norm(v)  # noqa: E731
    assert cos(a, b) > cos(a, c)


@pytest.mark.parametrize("offline", [True, False])
def test_a_hub_model_out_of_reach_fails_at_once_in_one_sentence(monkeypatch, offline):
    """No waiting on retries, and no traceback from deep inside transformers."""
    name = "no-such-org/no-such-bert"  # surely in no local cache
    if offline:
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        why = "HF_HUB_OFFLINE is set"
    else:
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        monkeypatch.setattr(embeddings, "_hub_reachable", lambda: False)
        why = "huggingface.co cannot be reached"
    start = time.monotonic()
    with pytest.raises(RuntimeError) as raised:
        load_encoder(name)
    assert time.monotonic() - start < 10
    assert str(raised.value).startswith(
        f"The embedding model '{name}' is not in the local Hugging Face cache and {why}:"
    )
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_batches_group_texts_of_similar_token_count(encoder):
    """Batched by tokens, not characters: a short text can be many tokens, a long one few."""
    tokenizer, model = encoder
    # characters 10, 11, 15, 24; tokens 9, 4, 6, 7
    texts = ["grrrrr!!!!", "snowy today", "the the the the", "rain rain rain rain rain"]
    shapes = []

    def recorded(**batch):
        shapes.append(batch["input_ids"].shape)
        return model(**batch)

    recorded.config = model.config
    vectors = embed_texts(texts, tokenizer, recorded, batch_size=2)
    lengths = sorted(len(ids) for ids in tokenizer(texts)["input_ids"])
    assert sum(rows * width for rows, width in shapes) == 2 * lengths[1] + 2 * lengths[3]
    one_by_one = embed_texts(texts, tokenizer, model, batch_size=1)
    np.testing.assert_allclose(vectors, one_by_one, atol=1e-5)


def test_batches_are_cut_where_length_jumps_and_full_where_it_does_not():
    assert embeddings.batches(np.full(70, 5), 32)[-2:] == [slice(6, 38), slice(38, 70)]
    lengths = np.array([5] * 40 + [60] * 10)  # 40 short texts, 10 long
    cut = embeddings.batches(lengths, 32, overhead=50)
    assert cut == [slice(0, 8), slice(8, 40), slice(40, 50)]  # none mixes short and long
    assert embeddings.batches(np.zeros(0, int), 32) == []
    # Without a per-batch cost, each length is a batch of its own.
    assert embeddings.batches(np.array([3, 3, 4, 9]), 4, overhead=0) == [
        slice(0, 2),
        slice(2, 3),
        slice(3, 4),
    ]
