"""Sparse votes: from a long table, the dense label matrix's one-hot form, and its overlaps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crowdsourcing.votes import (
    crowd_label_matrix,
    crowd_votes,
    frequent_workers,
    overlap_counts,
    votes_from_matrix,
    votes_from_table,
)
from scaling.synthetic_crowd import synthetic_crowd


def dense(votes) -> np.ndarray:
    """The one-hot matrix as a dense array."""
    return votes.onehot.toarray()


def test_one_hot_columns_are_lf_times_cardinality_plus_label():
    L = np.array([[0, -1, 2], [-1, -1, -1], [1, 1, 0]])
    expected = np.zeros((3, 9))
    expected[0, [0, 8]] = expected[2, [1, 4, 6]] = 1
    np.testing.assert_array_equal(dense(votes_from_matrix(L, 3)), expected)


def test_a_repeated_item_and_lf_keeps_the_last_label():
    votes = votes_from_table([0, 0, 1], [2, 2, 0], [1, 0, -1], n_items=2, n_lfs=3, cardinality=2)
    np.testing.assert_array_equal(dense(votes), [[0, 0, 0, 0, 1, 0], [0, 0, 0, 0, 0, 0]])


def test_labels_out_of_range_raise():
    with pytest.raises(ValueError, match="labels must lie in -1..1"):
        votes_from_table([0], [0], [2], n_items=1, n_lfs=1, cardinality=2)


def test_crowd_votes_are_the_crowd_label_matrix():
    tweets, crowd = synthetic_crowd(n_tasks=400, n_workers=30, answers_per_task=6, seed=2)
    # A changed answer (the last counts), an unknown tweet and an unknown worker.
    extra = pd.DataFrame(
        {"worker_id": [crowd.worker_id.iloc[0], crowd.worker_id.iloc[1], 999_999], "answer": 1},
        index=pd.Index([crowd.index[0], 1, crowd.index[5]], name="tweet_id"),
    )
    crowd = pd.concat([crowd, extra])
    workers = frequent_workers(crowd)
    L = crowd_label_matrix(crowd, tweets.index, workers)
    expected = votes_from_matrix(L, 2)
    actual = crowd_votes(crowd, tweets.index, workers)
    assert (actual.n_lfs, actual.cardinality) == (expected.n_lfs, 2)
    np.testing.assert_array_equal(dense(actual), dense(expected))


def test_overlap_counts_are_the_dense_product():
    L = np.random.default_rng(1).integers(-1, 3, (500, 6))
    onehot = dense(votes_from_matrix(L, 3))
    np.testing.assert_array_equal(
        overlap_counts(votes_from_matrix(L, 3)).toarray(), onehot.T @ onehot
    )
