"""The crowd part of the label matrix, built straight from the answers table.

One column per (worker, class): first every worker's "positive" column, then every worker's
"negative" column, workers in ascending id, as the notebook's per-worker LFs are ordered.
A pivot replaces one Python LF call per worker per tweet, so it scales to millions of answers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["ABSTAIN", "crowd_label_matrix", "crowd_lf_names", "frequent_workers"]

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
    crowd_answers: pd.DataFrame, tweet_ids: Sequence[int], workers: Sequence[int]
) -> np.ndarray:
    """Label matrix (tweets x 2·workers): a worker's class vote in that class's column, else -1."""
    workers = np.asarray(workers)
    answers = crowd_answers[crowd_answers["worker_id"].isin(workers)]
    rows = pd.Index(tweet_ids).get_indexer(answers.index)
    cols = np.searchsorted(workers, answers["worker_id"].to_numpy())
    known = rows >= 0
    # Dense (tweets x workers) answers; a repeated (tweet, worker) pair keeps its last answer.
    grid = np.full((len(tweet_ids), len(workers)), ABSTAIN, dtype=np.int64)
    grid[rows[known], cols[known]] = answers["answer"].to_numpy()[known]
    return np.hstack([np.where(grid == label, label, ABSTAIN) for label, _ in CLASSES])
