"""The crowd part of the label matrix, built two ways with the same result.

`worker_lfs` is the LF route: a positive and a negative Snorkel LF per worker, applied with an
LF applier, one Python call per LF per tweet. `crowd_label_matrix` builds the same matrix
straight from the answers table with array indexing, so it scales to millions of answers.
Columns: every worker's "positive" LF, then every worker's "negative" LF, workers ascending.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from snorkel.labeling import LabelingFunction

__all__ = ["ABSTAIN", "crowd_label_matrix", "crowd_lf_names", "frequent_workers", "worker_lfs"]

ABSTAIN = -1
CLASSES = ((1, "pos"), (0, "neg"))


def frequent_workers(crowd_answers: pd.DataFrame, min_answers: int = 10) -> list[int]:
    """Ids of the workers with more than `min_answers` answers, ascending."""
    counts = crowd_answers["worker_id"].value_counts()
    return sorted(int(w) for w in counts.index[counts > min_answers])


def crowd_lf_names(workers: Sequence[int]) -> list[str]:
    """LF names matching the columns of `crowd_label_matrix`."""
    return [f"worker_{w}_{suffix}" for _, suffix in CLASSES for w in workers]


def crowd_label_matrix(
    crowd_answers: pd.DataFrame,
    tweet_ids: Sequence[int],
    workers: Sequence[int],
    dtype: np.typing.DTypeLike = np.int8,
) -> np.ndarray:
    """Label matrix (tweets x 2·workers): a worker's class vote in that class's column, else -1.

    The values are those the LF route gives. int8 holds every label in an eighth of the memory of
    the int64 that Snorkel's appliers return; pass ``dtype=np.int64`` for an identical array.
    """
    workers = np.asarray(workers)
    n_workers = len(workers)
    worker_ids = crowd_answers["worker_id"].to_numpy()
    rows = pd.Index(tweet_ids).get_indexer(crowd_answers.index)
    cols = np.searchsorted(workers, worker_ids).clip(max=max(n_workers - 1, 0))
    known = (rows >= 0) & (workers[cols] == worker_ids) if n_workers else rows < 0
    rows, cols, answers = rows[known], cols[known], crowd_answers["answer"].to_numpy()[known]
    # A repeated (tweet, worker) pair keeps its last answer, as the LFs' answer dicts do.
    _, last_reversed = np.unique((rows * n_workers + cols)[::-1], return_index=True)
    last = len(rows) - 1 - last_reversed
    rows, cols, answers = rows[last], cols[last], answers[last]

    out = np.full((len(tweet_ids), len(CLASSES) * n_workers), ABSTAIN, dtype=dtype)
    for block, (label, _) in enumerate(CLASSES):
        hit = answers == label
        out[rows[hit], block * n_workers + cols[hit]] = label
    return out


def vote_if(x, answers: dict, label: int) -> int:
    """The worker's answer for this tweet if it is `label`, else abstain."""
    return label if answers.get(x.tweet_id) == label else ABSTAIN


def worker_lfs(crowd_answers: pd.DataFrame, workers: Sequence[int]) -> list[LabelingFunction]:
    """The LF route: per worker a positive and a negative LF (Snorkel needs unique names)."""
    answers = {
        worker: dict(zip(group.index, group["answer"], strict=True))
        for worker, group in crowd_answers.groupby("worker_id")
    }
    return [
        LabelingFunction(
            f"worker_{worker}_{suffix}",
            f=vote_if,
            resources={"answers": answers.get(worker, {}), "label": label},
        )
        for label, suffix in CLASSES
        for worker in workers
    ]
