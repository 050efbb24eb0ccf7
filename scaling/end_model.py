"""The end model at scale: sentence embeddings per partition on the Dask workers, and a linear
classifier trained on the probabilistic labels one partition at a time.

No process holds all rows: each partition's embeddings stay on the worker that computed them,
and `train_on_partitions` passes the (small) classifier from partition to partition, where
`SGDClassifier.partial_fit` sees every tweet twice, once per class, weighted by its probability.
"""

from __future__ import annotations

import copy
import ctypes
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
from crowdsourcing.votes import CLASSES
from scaling.cluster import gather

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

#: The classifier's classes: the label of each of the crowd's `CLASSES`, ascending.
LABELS = np.array(sorted(label for label, _ in CLASSES))
#: One tweet in this many, chosen by id, is held out for testing.
HELD_OUT_ONE_IN = 5
#: Seconds the end model waits for a silent worker or scheduler, as `fit_and_label` by default.
WORKER_TIMEOUT = 60.0
#: glibc's `mallopt` parameters, and the values of its own dynamic defaults' upper end.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD, TRIM_THRESHOLD = 32 * 2**20, 64 * 2**20
#: Tweet ids named in an error about repeated ids.
SHOWN_IDS = 10


class Partition(NamedTuple):
    """One partition's embeddings, label-model probabilities of class 1, which rows are held out
    for testing (never trained on), and the true class where known (else None)."""

    X: np.ndarray
    p_1: np.ndarray
    test: np.ndarray
    truth: np.ndarray | None


def held_out(tweet_ids: np.ndarray, one_in: int = HELD_OUT_ONE_IN) -> np.ndarray:
    """One tweet in `one_in`, chosen by id, is held out for testing: the same on any cluster."""
    return np.asarray(tweet_ids) % one_in == 0


@functools.cache
def cached_encoder(name: str = DEFAULT_MODEL):
    """`load_encoder(name)`, loaded once per process (so once per Dask worker)."""
    keep_freed_memory()
    return load_encoder(name)


@functools.cache
def keep_freed_memory() -> bool:
    """Let glibc keep freed memory for reuse in this process if MALLOC_TRIM_THRESHOLD_ is set.

    Dask's nanny sets it to 64 KiB in every worker, which also fixes glibc's threshold for
    mapping memory: every tensor of the encoder over 128 KiB is then mapped and unmapped, and
    its pages faulted in again, on each batch (12 times the page faults, a quarter more CPU
    time per tweet). This sets both thresholds to the top of glibc's own dynamic range (32 MiB
    mapped, 64 MiB kept), as in a process without the variable. True if it did.
    """
    if "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc: the variable does not apply either
        return False
    return bool(
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )


def load_encoder_on_workers(client: Client) -> None:
    """Load the encoder on every worker now, so that the first partitions do not wait for it."""
    client.run(_load_encoder)


def _load_encoder() -> None:
    cached_encoder()


def write_tweets(tweets: pd.DataFrame, folder: str | os.PathLike, tweets_per_file: int) -> None:
    """Store ``tweet_id, tweet_text`` (and ``sentiment`` if present) as Parquet, in id order.

    `tweets` is indexed by tweet id, each id once.
    """
    if isinstance(tweets_per_file, bool) or not isinstance(tweets_per_file, int | np.integer):
        raise ValueError(f"tweets_per_file must be a positive integer, not {tweets_per_file!r}")
    if tweets_per_file < 1:
        raise ValueError(f"tweets_per_file must be a positive integer, not {tweets_per_file}")
    _refuse_repeated_ids(tweets.index, "The tweets to write")
    columns = [c for c in ("tweet_text", "sentiment") if c in tweets]
    table = tweets[columns].sort_index().rename_axis("tweet_id").reset_index()
    Path(folder).mkdir(parents=True, exist_ok=True)
    for part, start in enumerate(range(0, len(table), tweets_per_file)):
        rows = table.iloc[start : start + tweets_per_file]
        rows.to_parquet(Path(folder) / f"part-{part:05d}.parquet", index=False)


def _refuse_repeated_ids(ids: pd.Index | pd.Series, what: str) -> None:
    """Raise, naming them, if any tweet id occurs more than once in `ids` (of `what`)."""
    counts = pd.Series(ids).value_counts()
    _raise_for_repeats(counts[counts > 1].index, what)


def _raise_for_repeats(repeated: Sequence | pd.Index, what: str) -> None:
    """One sentence naming the first of the `repeated` tweet ids of `what`, if there are any."""
    if len(repeated):
        shown = ", ".join(str(i) for i in sorted(repeated)[:SHOWN_IDS])
        more = f" and {len(repeated) - SHOWN_IDS:,} more" if len(repeated) > SHOWN_IDS else ""
        raise ValueError(
            f"{what} hold {len(repeated):,} tweet ids more than once ({shown}{more}): "
            "each tweet must appear once, or its row would be embedded and trained on twice."
        )


def embed_partition(rows: pd.DataFrame, threads: int = 1) -> Partition:
    """Embed the partition's texts (a missing text as the empty string) with the cached encoder."""
    texts = rows["tweet_text"].fillna("").astype(str).tolist()
    X = embed_texts(texts, *cached_encoder(), threads=threads)
    truth = rows["sentiment"].to_numpy() if "sentiment" in rows else None
    return Partition(X, rows["p_1"].to_numpy(dtype=np.float64), held_out(rows.index), truth)


def embed_partitions(
    tweets_path: str | os.PathLike,
    labels_path: str | os.PathLike,
    client: Client,
    worker_timeout: float = WORKER_TIMEOUT,
) -> list[Future]:
    """Join the tweets with their labels by ``tweet_id`` and embed each partition on the cluster.

    Returns one future per partition; the embeddings stay in the workers' memory. Tweets or
    labels that hold a tweet id twice are refused, naming the ids, before anything is embedded.
    `ClusterError` if the scheduler or every worker is lost for `worker_timeout` seconds.
    """
    with warnings.catch_warnings():
        # dask 2026.8 builds the index with a pandas keyword that pandas 3 deprecates; harmless.
        warnings.filterwarnings("ignore", "The inplace keyword", DeprecationWarning)
        tweets = dd.read_parquet(str(tweets_path), index="tweet_id", calculate_divisions=True)
        labels = dd.read_parquet(str(labels_path), index="tweet_id", calculate_divisions=True)
    checks = client.compute([_repeated_ids(tweets), _repeated_ids(labels)])
    repeated = gather(client, checks, worker_timeout)
    for ids, path in zip(repeated, (tweets_path, labels_path), strict=True):
        _raise_for_repeats(ids.index, f"The files in {path}")
    rows = tweets.join(labels[["p_1"]], how="inner")
    return client.compute([_embed(part) for part in rows.to_delayed()])


def _repeated_ids(frame: dd.DataFrame) -> dd.Series:
    """How often each tweet id of `frame`'s index that occurs more than once occurs."""
    counts = frame.index.to_series().value_counts()
    return counts[counts > 1]


def _embed(part: Delayed) -> Delayed:
    """A delayed `embed_partition` of a delayed partition."""
    return delayed(embed_partition)(part)


def soft_label_rows(X: np.ndarray, p_1: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row twice, labelled 0 and 1, weighted by the probability of that label."""
    n = len(X)
    y = np.repeat(LABELS, n)
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
    return model.partial_fit(X, y, classes=LABELS, sample_weight=weight)


def train_on_partitions(
    parts: Sequence[Future],
    client: Client,
    epochs: int = 5,
    seed: int = 0,
    worker_timeout: float = WORKER_TIMEOUT,
) -> SGDClassifier:
    """Train `new_classifier` on every partition, `epochs` times in a seeded random order.

    Each step runs on a worker holding the partition; only the classifier moves between them.
    `epochs` is a positive integer, and some partition must hold a tweet that is not held out.
    `ClusterError` if the scheduler or every worker is lost for `worker_timeout` seconds.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int | np.integer) or epochs < 1:
        raise ValueError(
            f"epochs must be a positive integer (passes over the partitions), not {epochs!r}"
        )
    if not len(parts):
        raise ValueError("train_on_partitions got no partitions to train on")
    rng = np.random.default_rng(seed)
    model = client.scatter(new_classifier(seed))
    for _ in range(epochs):
        for i in rng.permutation(len(parts)):
            model = client.submit(train_step, model, parts[i], pure=False)
    trained = gather(client, [model], worker_timeout)[0]
    if not hasattr(trained, "coef_"):
        raise ValueError(
            f"none of the {len(parts)} partitions holds a tweet to train on: every tweet is held "
            f"out for testing (one in {HELD_OUT_ONE_IN} by id) or the partitions are empty"
        )
    return trained


def _correct(model: SGDClassifier | None, part: Partition) -> tuple[int, int]:
    """Held-out tweets whose predicted class equals the truth, and how many were held out.

    Without a model, the label model's class (probability of class 1 above one half) is scored.
    A partition without truth counts none.
    """
    if part.truth is None:
        return 0, 0
    X, truth = part.X[part.test], part.truth[part.test]
    if not len(truth):
        return 0, 0
    predicted = model.predict(X) if model is not None else part.p_1[part.test] > 0.5
    return int((predicted == truth).sum()), len(truth)


def accuracy_on_partitions(
    model: SGDClassifier | None,
    parts: Sequence[Future],
    client: Client,
    worker_timeout: float = WORKER_TIMEOUT,
) -> float:
    """Accuracy on the held-out tweets of all partitions, counted on the workers.

    With `model` None, that of the label model's labels on the same tweets. Partitions whose
    tweets have no known class (`truth` None: the tweets had no ``sentiment``) are skipped; with
    no held-out tweet of known class at all, this raises. `ClusterError` as `train_on_partitions`.
    """
    shared = client.scatter(model, broadcast=True) if model is not None else None
    tasks = client.map(_correct, [shared] * len(parts), parts, pure=False)
    counts = gather(client, tasks, worker_timeout)
    correct, total = (sum(c) for c in zip(*counts, strict=True)) if counts else (0, 0)
    if not total:
        raise ValueError(
            f"no held-out tweet of known class to score in {len(parts)} partitions: one tweet in "
            f"{HELD_OUT_ONE_IN} (by id) is held out, and only tweets with a `sentiment` have a "
            "known class"
        )
    return correct / total
