"""The end model at scale: sentence embeddings per partition on the Dask workers, and a linear
classifier trained on the probabilistic labels one partition at a time.

No process holds all rows: each partition's embeddings stay on the worker that computed them,
and `train_on_partitions` passes the (small) classifier from partition to partition, where
`SGDClassifier.partial_fit` sees every tweet twice, once per class, weighted by its probability.
"""

from __future__ import annotations

import copy
import functools
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from dask import dataframe as dd
from dask.delayed import Delayed, delayed
from dask.distributed import Client, Future
from sklearn.linear_model import SGDClassifier

from crowdsourcing.embeddings import DEFAULT_MODEL, embed_texts, load_encoder

__all__ = [
    "Partition",
    "accuracy_on_partitions",
    "cached_encoder",
    "embed_partition",
    "embed_partitions",
    "held_out",
    "load_encoder_on_workers",
    "new_classifier",
    "soft_label_rows",
    "train_on_partitions",
    "train_step",
    "write_tweets",
]

CLASSES = np.array([0, 1])


class Partition(NamedTuple):
    """One partition's embeddings, label-model probabilities of class 1, which rows are held out
    for testing (never trained on), and the true class where known (else None)."""

    X: np.ndarray
    p_1: np.ndarray
    test: np.ndarray
    truth: np.ndarray | None


def held_out(tweet_ids: np.ndarray, share: int = 5) -> np.ndarray:
    """One tweet in `share`, chosen by id, is held out for testing: the same ones on any cluster."""
    return np.asarray(tweet_ids) % share == 0


@functools.cache
def cached_encoder(name: str = DEFAULT_MODEL):
    """`load_encoder(name)`, loaded once per process (so once per Dask worker)."""
    return load_encoder(name)


def load_encoder_on_workers(client: Client) -> None:
    """Load the encoder on every worker now, so that the first partitions do not wait for it."""
    client.run(_load_encoder)


def _load_encoder() -> None:
    cached_encoder()


def write_tweets(tweets: pd.DataFrame, folder: str | os.PathLike, tweets_per_file: int) -> None:
    """Store ``tweet_id, tweet_text`` (and ``sentiment`` if present) as Parquet, in id order."""
    columns = [c for c in ("tweet_text", "sentiment") if c in tweets]
    table = tweets[columns].sort_index().rename_axis("tweet_id").reset_index()
    Path(folder).mkdir(parents=True, exist_ok=True)
    for part, start in enumerate(range(0, len(table), tweets_per_file)):
        rows = table.iloc[start : start + tweets_per_file]
        rows.to_parquet(Path(folder) / f"part-{part:05d}.parquet", index=False)


def embed_partition(rows: pd.DataFrame, threads: int = 1) -> Partition:
    """Embed the partition's texts (a missing text as the empty string) with the cached encoder."""
    texts = rows["tweet_text"].fillna("").astype(str).tolist()
    X = embed_texts(texts, *cached_encoder(), threads=threads)
    truth = rows["sentiment"].to_numpy() if "sentiment" in rows else None
    return Partition(X, rows["p_1"].to_numpy(dtype=np.float64), held_out(rows.index), truth)


def embed_partitions(
    tweets_path: str | os.PathLike, labels_path: str | os.PathLike, client: Client
) -> list[Future]:
    """Join the tweets with their labels by ``tweet_id`` and embed each partition on the cluster.

    Returns one future per partition; the embeddings stay in the workers' memory.
    """
    with warnings.catch_warnings():
        # dask 2026.8 builds the index with a pandas keyword that pandas 3 deprecates; harmless.
        warnings.filterwarnings("ignore", "The inplace keyword", DeprecationWarning)
        tweets = dd.read_parquet(str(tweets_path), index="tweet_id", calculate_divisions=True)
        labels = dd.read_parquet(str(labels_path), index="tweet_id", calculate_divisions=True)
    rows = tweets.join(labels[["p_1"]], how="inner")
    return client.compute([_embed(part) for part in rows.to_delayed()])


def _embed(part: Delayed) -> Delayed:
    """A delayed `embed_partition` of a delayed partition."""
    return delayed(embed_partition)(part)


def soft_label_rows(X: np.ndarray, p_1: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row twice, labelled 0 and 1, weighted by the probability of that label."""
    n = len(X)
    y = np.repeat(CLASSES, n)
    return np.vstack([X, X]), y, np.concatenate([1 - p_1, p_1])


def new_classifier(seed: int = 0, alpha: float = 1e-3) -> SGDClassifier:
    """Logistic regression trained by SGD (log loss), to be fed with `partial_fit`."""
    return SGDClassifier(loss="log_loss", alpha=alpha, random_state=seed)


def train_step(model: SGDClassifier, part: Partition) -> SGDClassifier:
    """A copy of `model` after one pass of `partial_fit` over the partition's soft-labelled rows."""
    train = ~part.test
    if not train.any():  # a partition of the join can be empty
        return model
    model = copy.deepcopy(model)  # never change a value that Dask may hold for other tasks
    X, y, weight = soft_label_rows(part.X[train], part.p_1[train])
    return model.partial_fit(X, y, classes=CLASSES, sample_weight=weight)


def train_on_partitions(
    parts: Sequence[Future], client: Client, epochs: int = 5, seed: int = 0
) -> SGDClassifier:
    """Train `new_classifier` on every partition, `epochs` times in a seeded random order.

    Each step runs on a worker holding the partition; only the classifier moves between them.
    """
    rng = np.random.default_rng(seed)
    model = client.scatter(new_classifier(seed))
    for _ in range(epochs):
        for i in rng.permutation(len(parts)):
            model = client.submit(train_step, model, parts[i], pure=False)
    return model.result()


def _correct(model: SGDClassifier | None, part: Partition) -> tuple[int, int]:
    """Held-out tweets whose predicted class equals the truth, and how many were held out.

    Without a model, the label model's class (probability of class 1 above one half) is scored.
    """
    X, truth = part.X[part.test], part.truth[part.test]
    if not len(truth):
        return 0, 0
    predicted = model.predict(X) if model is not None else part.p_1[part.test] > 0.5
    return int((predicted == truth).sum()), len(truth)


def accuracy_on_partitions(
    model: SGDClassifier | None, parts: Sequence[Future], client: Client
) -> float:
    """Accuracy on the held-out tweets of all partitions, counted on the workers.

    With `model` None, that of the label model's labels on the same tweets.
    """
    shared = client.scatter(model, broadcast=True) if model is not None else None
    counts = client.gather(client.map(_correct, [shared] * len(parts), parts, pure=False))
    correct, total = (sum(c) for c in zip(*counts, strict=True))
    return correct / total
