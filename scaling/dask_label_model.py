"""The label model on answers that need not fit in one process: Parquet in, Parquet out, on Dask.

The answers (``tweet_id, worker_id, answer``) are stored as Parquet files, each holding all
answers of its tweets. The overlap counts and item count that `FastLabelModel` needs are summed
over the partitions on a dask.distributed cluster, the model is fitted from them in this process
(its size is LFs² only), and each partition's probabilistic labels are written as Parquet.
"""

from __future__ import annotations

import functools
import operator
import os
from pathlib import Path
from typing import Any

import dask
import numpy as np
import pandas as pd
import scipy.sparse as sp
from dask import dataframe as dd
from dask.distributed import Client

from crowdsourcing.crowd_matrix import CLASSES
from scaling.fast_label_model import FastLabelModel, probabilities
from scaling.sparse_votes import Votes, crowd_votes, overlap_counts

__all__ = ["dask_overlap_counts", "fit_and_label", "frequent_workers_dask", "write_answers"]

Counts = tuple[sp.csr_matrix, int]


def write_answers(crowd_answers: pd.DataFrame, folder: Path, tweets_per_file: int) -> None:
    """Store answers indexed by ``tweet_id`` as Parquet files of whole tweets, in tweet order."""
    answers = crowd_answers.sort_index(kind="stable").reset_index()
    tweets = answers["tweet_id"].unique()
    starts = answers["tweet_id"].searchsorted(tweets[::tweets_per_file])
    ends = [*starts[1:], len(answers)]
    Path(folder).mkdir(parents=True, exist_ok=True)
    for part, (start, end) in enumerate(zip(starts, ends, strict=True)):
        answers.iloc[start:end].to_parquet(Path(folder) / f"part-{part:05d}.parquet", index=False)


def _partition_votes(answers: pd.DataFrame, workers: list[int]) -> tuple[np.ndarray, Votes]:
    """The partition's tweets and their votes; each tweet's answers all lie in this partition."""
    tweets = answers["tweet_id"].unique()
    return tweets, crowd_votes(answers.set_index("tweet_id"), tweets, workers)


def _partition_counts(answers: pd.DataFrame, workers: list[int]) -> Counts:
    """The partition's overlap counts and number of tweets."""
    tweets, votes = _partition_votes(answers, workers)
    return overlap_counts(votes), len(tweets)


def _add(*parts: Counts) -> Counts:
    """Sum of partial counts."""
    return functools.reduce(operator.add, (c for c, _ in parts)), sum(n for _, n in parts)


def _partition_labels(answers: pd.DataFrame, workers: list[int], mu, p) -> pd.DataFrame:
    """Probabilistic labels of the partition's tweets: ``tweet_id`` and one column per class."""
    tweets, votes = _partition_votes(answers, workers)
    probs = probabilities(votes, mu, p)
    return pd.DataFrame({"tweet_id": tweets} | {f"p_{y}": probs[:, y] for y in range(len(p))})


def frequent_workers_dask(answers: dd.DataFrame, min_answers: int = 10) -> list[int]:
    """`crowd_matrix.frequent_workers`, counted on the cluster."""
    counts = answers["worker_id"].value_counts().compute()
    return sorted(int(w) for w in counts.index[counts > min_answers])


def dask_overlap_counts(answers: dd.DataFrame, workers: list[int], fan_in: int = 8) -> Counts:
    """Overlap counts and tweet count of all partitions, summed in a tree on the cluster."""
    parts = [dask.delayed(_partition_counts)(p, workers) for p in answers.to_delayed()]
    while len(parts) > 1:
        parts = [dask.delayed(_add)(*parts[i : i + fan_in]) for i in range(0, len(parts), fan_in)]
    return parts[0].compute()


def fit_and_label(
    answers_path: str | os.PathLike,
    labels_path: str | os.PathLike,
    client: Client,
    workers: list[int] | None = None,
    **fit_options: Any,
) -> FastLabelModel:
    """Fit the label model on the Parquet answers and write the tweets' labels as Parquet.

    The crowd LFs are those of `crowd_label_matrix`: a "positive" and a "negative" LF per worker
    in `workers` (default: the workers with more than 10 answers). Runs on `client`'s cluster.
    """
    with dask.config.set(scheduler=client):
        answers = dd.read_parquet(str(answers_path), columns=["tweet_id", "worker_id", "answer"])
        workers = frequent_workers_dask(answers) if workers is None else list(workers)
        counts, n_tweets = dask_overlap_counts(answers, workers)
        model = FastLabelModel(cardinality=len(CLASSES), verbose=False)
        model.fit_counts(counts, n_tweets, progress_bar=False, **fit_options)
        mu = model.mu.detach().cpu().numpy()
        meta = {"tweet_id": "int64"} | {f"p_{y}": "float64" for y in range(model.cardinality)}
        labels = answers.map_partitions(_partition_labels, workers, mu, model.p, meta=meta)
        labels.to_parquet(str(labels_path), write_index=False)
    return model
