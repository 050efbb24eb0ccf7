"""Sparse votes: from a long table, the dense label matrix's one-hot form, and its overlaps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crowdsourcing.votes import (
    ABSTAIN,
    crowd_label_matrix,
    crowd_votes,
    frequent_workers,
    overlap_counts,
    vote_cells,
    votes_from_matrix,
    votes_from_table,
)
from scaling.answers import write_answers
from scaling.file_votes import file_answers, file_lf_votes
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


def test_vote_cells_keep_the_last_answer_and_only_class_answers():
    # Row 0: worker 1 answers 1, then 0 (the last counts); row 1: worker 0 answers 1, then
    # "I can't tell" (no vote); row 2: worker 2 answers 2 (no vote), worker -1 (no LF) 1.
    rows = np.array([0, 0, 1, 1, 2, 2])
    workers = np.array([1, 1, 0, 0, 2, -1])
    answers = np.array([1, 0, 1, ABSTAIN, 2, 1])
    cells = vote_cells(rows, workers, answers, n_workers=3)
    # Block 0 holds the votes for class 1, block 1 those for class 0: column 1·3 + 1.
    assert [c.tolist() for c in cells] == [[0], [4], [0]]


def test_the_dask_routes_votes_of_a_file_are_crowd_votes(tmp_path):
    tweets, crowd = synthetic_crowd(n_tasks=300, n_workers=30, answers_per_task=6, seed=3)
    repeated = crowd.iloc[::7].assign(answer=1 - crowd["answer"].iloc[::7].clip(0, 1))
    crowd = pd.concat([repeated, crowd]).sort_index(kind="stable")  # earlier, other answers
    write_answers(crowd, tmp_path / "answers", tweets_per_file=300)
    workers = frequent_workers(crowd)[::2]  # some workers' answers cast no vote
    part = file_answers(tmp_path / "answers" / "part-00000.parquet", no_vote=(-1, 2, 3))
    file_tweets, votes = file_lf_votes(part, np.asarray(workers))
    np.testing.assert_array_equal(file_tweets, tweets.index)
    np.testing.assert_array_equal(dense(votes), dense(crowd_votes(crowd, tweets.index, workers)))
