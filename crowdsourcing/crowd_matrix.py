"""The crowd part of the label matrix, straight from the answers table.

The tutorial teaches the LF route: a positive and a negative Snorkel LF per worker, applied with
an LF applier, one Python call per LF per tweet. `crowd_label_matrix` builds the same matrix with
array indexing, so it scales to millions of answers; the tutorial checks that both agree.
Columns: every worker's "positive" LF, then every worker's "negative" LF, workers ascending.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "ABSTAIN",
    "CLASSES",
    "crowd_label_matrix",
    "crowd_lf_names",
    "crowd_vote_cells",
    "frequent_workers",
]

ABSTAIN = -1
#: (label, LF name suffix) of each class, in column-block order.
CLASSES = ((1, "pos"), (0, "neg"))


def frequent_workers(crowd_answers: pd.DataFrame, min_answers: int = 10) -> list[int]:
    """Ids of the workers with more than `min_answers` answers, ascending."""
    counts = crowd_answers["worker_id"].value_counts()
    return sorted(int(w) for w in counts.index[counts > min_answers])


def crowd_lf_names(workers: Sequence[int]) -> list[str]:
    """LF names matching the columns of `crowd_label_matrix`."""
    return [f"worker_{w}_{suffix}" for _, suffix in CLASSES for w in workers]


def crowd_vote_cells(
    crowd_answers: pd.DataFrame, tweet_ids: Sequence[int], workers: Sequence[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every vote of the crowd LFs as (row, column, label) arrays, without building the matrix.

    Answers of unknown tweets or workers, and answers that are no class, cast no vote; a repeated
    (tweet, worker) pair keeps its last answer, as the LFs' answer dicts do.
    """
    n_workers = len(workers)
    rows = pd.Index(tweet_ids).get_indexer(crowd_answers.index)
    cols = pd.Index(workers).get_indexer(crowd_answers["worker_id"])
    answers = crowd_answers["answer"].to_numpy()
    known = (rows >= 0) & (cols >= 0)
    rows, cols, answers = rows[known], cols[known], answers[known]
    last = ~pd.Series(rows.astype(np.int64) * n_workers + cols).duplicated(keep="last").to_numpy()
    rows, cols, answers = rows[last], cols[last], answers[last]
    block = pd.Index([label for label, _ in CLASSES]).get_indexer(answers)
    vote = block >= 0
    return rows[vote], block[vote] * n_workers + cols[vote], answers[vote]


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
    rows, columns, labels = crowd_vote_cells(crowd_answers, tweet_ids, workers)
    out = np.full((len(tweet_ids), len(CLASSES) * len(workers)), ABSTAIN, dtype=dtype)
    out[rows, columns] = labels
    return out
