"""The crowd's votes, as a dense label matrix or as sparse one-hot votes, and their overlap counts.

The tutorial teaches the LF route: a positive and a negative Snorkel LF per worker, applied with
an LF applier, one Python call per LF per tweet. `crowd_label_matrix` builds the same matrix with
array indexing, so it scales to millions of answers; the tutorial's tests check that both agree.
Columns: every worker's "positive" LF, then every worker's "negative" LF, workers ascending.

`Votes` holds the same votes in sparse one-hot form: row r has a 1 in column
``lf * cardinality + label`` for each LF that votes on item r, the matrix Snorkel's LabelModel
builds densely from a label matrix, here with one stored entry per vote; abstains are absent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = [
    "ABSTAIN",
    "CLASSES",
    "MIN_ANSWERS",
    "Votes",
    "answer_slot_matrix",
    "cell_votes",
    "crowd_label_matrix",
    "crowd_lf_names",
    "crowd_vote_cells",
    "crowd_votes",
    "frequent_workers",
    "overlap_counts",
    "shared_votes",
    "vote_cells",
    "votes_from_matrix",
    "votes_from_table",
    "workers_above",
]

ABSTAIN = -1
#: (label, LF name suffix) of each class, in column-block order.
CLASSES = ((1, "pos"), (0, "neg"))
#: Workers with this many answers or fewer get no LF: too little to learn their reliability from.
MIN_ANSWERS = 10


def frequent_workers(crowd_answers: pd.DataFrame, min_answers: int = MIN_ANSWERS) -> list[int]:
    """Ids of the workers with more than `min_answers` answers, ascending."""
    return workers_above(crowd_answers["worker_id"].value_counts(), min_answers)


def workers_above(answers_per_worker: pd.Series, min_answers: int = MIN_ANSWERS) -> list[int]:
    """Ids of the workers (the index) whose answer count is more than `min_answers`, ascending."""
    counts = answers_per_worker
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
    rows = pd.Index(tweet_ids).get_indexer(crowd_answers.index)
    columns = pd.Index(workers).get_indexer(crowd_answers["worker_id"])
    return vote_cells(rows, columns, crowd_answers["answer"].to_numpy(), len(workers))


def vote_cells(
    rows: np.ndarray, workers: np.ndarray, answers: np.ndarray, n_workers: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The crowd LFs' votes as (row, column, label) arrays, from each answer's row, worker index
    (of `n_workers`) and answer code; a row or worker index of -1 casts no vote.

    A repeated (row, worker) keeps its last answer; only an answer that is a class votes, in
    column ``block * n_workers + worker``, where block b is the b-th class of `CLASSES`.
    """
    known = (rows >= 0) & (workers >= 0)
    rows, workers, answers = rows[known], workers[known], answers[known]
    keys = pd.Series(rows.astype(np.int64) * n_workers + workers)
    last = ~keys.duplicated(keep="last").to_numpy()
    rows, workers, answers = rows[last], workers[last], answers[last]
    block = np.full(len(answers), -1, dtype=np.int64)
    for b, (label, _) in enumerate(CLASSES):
        block[answers == label] = b
    vote = block >= 0
    return rows[vote], block[vote] * n_workers + workers[vote], answers[vote]


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


@dataclass(frozen=True)
class Votes:
    """One-hot votes (items x LFs·cardinality, CSR) of `n_lfs` LFs over `cardinality` classes."""

    onehot: sp.csr_matrix
    n_lfs: int
    cardinality: int

    @property
    def n_items(self) -> int:
        """Number of items (rows), those without any vote included."""
        return self.onehot.shape[0]


def votes_from_table(
    items: np.ndarray,
    lfs: np.ndarray,
    labels: np.ndarray,
    n_items: int,
    n_lfs: int,
    cardinality: int,
) -> Votes:
    """Votes from (item, lf, label) triples; -1 abstains; a repeated (item, lf) keeps its last."""
    labels = np.asarray(labels)
    if labels.size and (labels.min() < ABSTAIN or labels.max() >= cardinality):
        raise ValueError(f"labels must lie in -1..{cardinality - 1} for cardinality {cardinality}")
    keep = labels != ABSTAIN
    items, lfs, labels = np.asarray(items)[keep], np.asarray(lfs)[keep], labels[keep]
    repeated = _repeated(items, lfs, n_lfs)
    if repeated.any():
        items, lfs, labels = items[~repeated], lfs[~repeated], labels[~repeated]
    return _votes(items, lfs, labels, n_items, n_lfs, cardinality)


def _votes(
    items: np.ndarray, lfs: np.ndarray, labels: np.ndarray, n_items: int, n_lfs: int, k: int
) -> Votes:
    """Votes from triples that are all votes, at most one per (item, lf)."""
    columns = lfs.astype(np.int64) * k + labels
    onehot = sp.csr_matrix((np.ones(len(items)), (items, columns)), shape=(n_items, n_lfs * k))
    return Votes(onehot, n_lfs, k)


def votes_from_matrix(L: np.ndarray, cardinality: int) -> Votes:
    """Votes of a dense label matrix (items x LFs, -1 for abstain) of integer labels.

    Floats are accepted where they are whole numbers; NaN or a fraction such as 0.5 raises a
    `ValueError` (Snorkel's LabelModel would silently count it as an abstain).
    """
    L = _integer_labels(np.asarray(L))
    items, lfs = np.nonzero(L != ABSTAIN)
    return votes_from_table(items, lfs, L[items, lfs], L.shape[0], L.shape[1], cardinality)


def _integer_labels(L: np.ndarray) -> np.ndarray:
    """`L` as a 2-D int64 array; raises `ValueError` for another shape, NaN or fractions."""
    if L.ndim != 2:
        raise ValueError(f"a label matrix is 2-D (items x LFs), not of shape {L.shape}")
    if L.dtype.kind in "iub":
        return L.astype(np.int64, copy=False)
    if L.dtype.kind != "f":
        raise ValueError(f"labels must be integers, not {L.dtype}")
    bad = ~np.isfinite(L) | (L != np.round(L))
    if bad.any():
        item, lf = np.argwhere(bad)[0]
        raise ValueError(
            f"labels must be integers (-1 to abstain): {bad.sum()} are not, e.g. "
            f"{L[item, lf]} for item {item}, LF {lf}"
        )
    return L.astype(np.int64)


def crowd_votes(
    crowd_answers: pd.DataFrame, tweet_ids: Sequence[int], workers: Sequence[int]
) -> Votes:
    """The votes of `crowd_label_matrix(crowd_answers, tweet_ids, workers)`, without a dense matrix.

    LF ``b * len(workers) + w`` is worker w's LF for the b-th class of `CLASSES`.
    """
    rows, columns, labels = crowd_vote_cells(crowd_answers, tweet_ids, workers)
    return cell_votes(rows, columns, labels, len(tweet_ids), len(workers))


def cell_votes(
    rows: np.ndarray, columns: np.ndarray, labels: np.ndarray, n_items: int, n_workers: int
) -> Votes:
    """The `Votes` of the crowd LFs' vote cells (`vote_cells`) over `n_items` rows."""
    n_lfs = len(CLASSES) * n_workers
    return _votes(rows, columns, labels, n_items, n_lfs, len(CLASSES))


def _repeated(items: np.ndarray, columns: np.ndarray, n_columns: int) -> np.ndarray:
    """True where an (item, column) pair occurs again later."""
    keys = items.astype(np.int64) * n_columns + columns
    return pd.Series(keys).duplicated(keep="last").to_numpy()


def overlap_counts(votes: Votes) -> sp.csr_matrix:
    """How often each pair of (LF, label) columns fires on the same item: onehotᵀ·onehot,
    counted by a compiled kernel, float64 as scipy's product gives them."""
    # numba adds 140 MiB to a process: imported only by those that count.
    from crowdsourcing.cooccurrence import gram

    return gram(votes.onehot)


def answer_slot_matrix(
    crowd_answers: pd.DataFrame, tweet_ids: Sequence[int], n_slots: int | None = None
) -> np.ndarray:
    """Label matrix (tweets x slots) of one LF per answer slot: column k holds each tweet's
    (k+1)-th answer in the order of `crowd_answers` where it is a class, else -1.

    The tutorial's slot LFs give the same matrix; `n_slots` defaults to the most answers a tweet
    has, and answers beyond it are left out.
    """
    slot = crowd_answers.groupby(level=0, sort=False).cumcount().to_numpy()
    n_slots = int(slot.max(initial=-1)) + 1 if n_slots is None else n_slots
    rows = pd.Index(tweet_ids).get_indexer(crowd_answers.index)
    answers = crowd_answers["answer"].to_numpy()
    vote = (rows >= 0) & np.isin(answers, [label for label, _ in CLASSES]) & (slot < n_slots)
    out = np.full((len(tweet_ids), n_slots), ABSTAIN, dtype=np.int64)
    out[rows[vote], slot[vote]] = answers[vote]
    return out


def shared_votes(L: pd.DataFrame) -> pd.DataFrame:
    """For each pair of LFs (columns of `L`, -1 abstains), the share of the row LF's votes that
    the column LF casts too, with the same label; NaN on the diagonal."""
    votes = L.to_numpy()
    cast = votes != ABSTAIN
    same = np.array(
        [
            [(cast[:, a] & (votes[:, a] == votes[:, b])).sum() for b in range(L.shape[1])]
            for a in range(L.shape[1])
        ]
    )
    shares = same / np.maximum(cast.sum(axis=0), 1)[:, None]
    np.fill_diagonal(shares, np.nan)  # an LF shares all its votes with itself: nothing to read
    return pd.DataFrame(shares, L.columns, L.columns)
