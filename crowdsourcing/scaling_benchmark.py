"""The scaling benchmark's steps, shared by `benchmarks/scaling.py` and the scaling notebook.

Each step returns a record: what was done, on how many tweets, seconds, peak memory (MiB) and
throughput. The per-worker LF route is timed on a sample and extrapolated to all tweets.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import torch
from snorkel.labeling import PandasLFApplier
from snorkel.labeling.model import LabelModel

import text_lfs
from benchmarking import measure
from label_matrix import crowd_label_matrix, frequent_workers, worker_lfs
from parallel_lfs import apply_with_dask, local_cluster

__all__ = ["label_model_fit", "lf_route", "text_lfs_dask", "text_lfs_pandas", "vectorized"]

TEXT_LFS = text_lfs.TEXTBLOB_LFS + text_lfs.STRONGER_LFS


def _record(step: str, n_tweets: int, seconds: float, peak_mib: float, **extra) -> dict:
    """One row of the benchmark's table."""
    return {
        "step": step,
        "tweets": n_tweets,
        "seconds": seconds,
        "peak_mib": peak_mib,
        "tweets_per_second": n_tweets / seconds if seconds else float("inf"),
        **extra,
    }


def vectorized(crowd: pd.DataFrame, tweets: pd.DataFrame) -> tuple[dict, np.ndarray, list[int]]:
    """Build the crowd label matrix for all tweets straight from the answers table."""
    m = measure(lambda: _build(crowd, tweets.index))
    L, workers = m.result
    record = _record(
        "crowd matrix, vectorized", len(tweets), m.seconds, m.peak_mib, answers=len(crowd)
    )
    return record, L, workers


def _build(crowd: pd.DataFrame, tweet_ids: pd.Index) -> tuple[np.ndarray, list[int]]:
    workers = frequent_workers(crowd)
    return crowd_label_matrix(crowd, tweet_ids, workers), workers


def lf_route(
    crowd: pd.DataFrame, tweets: pd.DataFrame, workers: list[int], L: np.ndarray, sample: int
) -> dict:
    """Build the per-worker LFs and apply them to `sample` tweets; extrapolate to all tweets.

    The sample's matrix must equal the vectorized one's rows, or this raises.
    """
    build = measure(lambda: worker_lfs(crowd, workers))
    rows = np.random.default_rng(0).choice(
        len(tweets), size=min(sample, len(tweets)), replace=False
    )
    apply = measure(
        lambda: PandasLFApplier(build.result).apply(tweets.iloc[rows], progress_bar=False)
    )
    if not np.array_equal(apply.result, L[rows]):
        raise AssertionError("the LF route and the vectorized builder disagree")
    extrapolated = build.seconds + apply.seconds * len(tweets) / len(rows)
    return _record(
        "crowd matrix, per-worker LFs (extrapolated)",
        len(tweets),
        extrapolated,
        max(build.peak_mib, apply.peak_mib),
        measured_tweets=len(rows),
        measured_seconds=build.seconds + apply.seconds,
    )


def text_lfs_pandas(tweets: pd.DataFrame) -> tuple[dict, np.ndarray]:
    """The text LFs on one process with PandasLFApplier, memo caches empty."""
    text_lfs.reset_caches()
    m = measure(lambda: PandasLFApplier(TEXT_LFS).apply(tweets, progress_bar=False))
    return _record("text LFs, PandasLFApplier", len(tweets), m.seconds, m.peak_mib), m.result


def text_lfs_dask(tweets: pd.DataFrame, n_workers: int, expected: np.ndarray) -> dict:
    """The text LFs with DaskLFApplier on a local cluster this starts; checks the matrix.

    Starting the cluster and warming its workers up (imports, lexicons loaded on first use) is
    timed apart from the work, as `cluster_start_seconds`.
    """
    started = time.perf_counter()
    with local_cluster(n_workers) as client:
        client.run(_warm_up, tweets.head(2))
        start_seconds = time.perf_counter() - started
        text_lfs.reset_caches()
        apply = measure(lambda: apply_with_dask(TEXT_LFS, tweets, client))
    if not np.array_equal(apply.result, expected):
        raise AssertionError("DaskLFApplier and PandasLFApplier disagree")
    step = f"text LFs, DaskLFApplier ({n_workers} workers)"
    return _record(
        step, len(tweets), apply.seconds, apply.peak_mib, cluster_start_seconds=start_seconds
    )


def _warm_up(tweets: pd.DataFrame) -> None:
    """Run the text LFs once in this process, so lazy loading is not timed."""
    PandasLFApplier(TEXT_LFS).apply(tweets, progress_bar=False)


def label_model_fit(L: np.ndarray, n_epochs: int = 100) -> tuple[dict, LabelModel]:
    """Fit the tutorial's LabelModel on a label matrix, on one torch thread."""
    torch.set_num_threads(1)

    def fit() -> LabelModel:
        model = LabelModel(cardinality=2, verbose=False)
        model.fit(L, n_epochs=n_epochs, seed=123, log_freq=20, l2=0.1, lr=0.01, progress_bar=False)
        return model

    m = measure(fit)
    record = _record("LabelModel fit", len(L), m.seconds, m.peak_mib, lfs=L.shape[1])
    return record, m.result
