"""The vectorized crowd label matrix equals what per-worker LFs produce through Snorkel.

The tutorial writes its worker LFs in notebook cells and checks the builder against them on its
split; these tests hold the builder against the scaling part's per-worker LFs (the same route) on
more data and edge cases.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from snorkel.labeling import PandasLFApplier

from crowdsourcing.data import load_data
from crowdsourcing.votes import crowd_label_matrix, crowd_lf_names, frequent_workers
from scaling.synthetic_lfs import worker_lfs


def assert_same_as_lf_route(crowd: pd.DataFrame, tweets: pd.DataFrame, workers: list[int]):
    lfs = worker_lfs(crowd, workers)
    expected = PandasLFApplier(lfs).apply(tweets, progress_bar=False)
    identical = crowd_label_matrix(crowd, tweets.index, workers, dtype=np.int64)
    assert identical.dtype == expected.dtype and identical.shape == expected.shape
    np.testing.assert_array_equal(identical, expected)
    compact = crowd_label_matrix(crowd, tweets.index, workers)
    assert compact.dtype == np.int8
    np.testing.assert_array_equal(compact, expected)
    assert crowd_lf_names(workers) == [lf.name for lf in lfs]


def test_frequent_workers_counts_strictly_more_than_the_minimum():
    crowd = pd.DataFrame({"worker_id": [5] * 11 + [3] * 10 + [9] * 12, "answer": 1})
    assert frequent_workers(crowd) == [5, 9]
    assert frequent_workers(crowd, min_answers=9) == [3, 5, 9]


def test_small_table_with_unknown_tweets_and_other_answers():
    crowd = pd.DataFrame(
        {"worker_id": [7, 7, 7, 2, 2, 4], "answer": [1, 0, 3, -1, 1, 0]},
        index=pd.Index([10, 11, 12, 10, 99, 11], name="tweet_id"),
    )
    tweets = pd.DataFrame({"tweet_id": [12, 11, 10, 13]}).set_index("tweet_id", drop=False)
    assert_same_as_lf_route(crowd, tweets, [2, 4, 7])
    expected = [[-1, -1, -1, -1, -1, -1], [-1, -1, -1, -1, 0, 0], [-1, -1, 1, -1, -1, -1]]
    np.testing.assert_array_equal(crowd_label_matrix(crowd, [12, 11, 10], [2, 4, 7]), expected)


def test_a_repeated_answer_keeps_the_last_one_as_the_lfs_do():
    crowd = pd.DataFrame(
        {"worker_id": [1, 1, 1, 2, 2], "answer": [1, 0, 0, 0, 1]},
        index=pd.Index([10, 10, 11, 11, 11], name="tweet_id"),
    )
    tweets = pd.DataFrame({"tweet_id": [10, 11]}).set_index("tweet_id", drop=False)
    assert_same_as_lf_route(crowd, tweets, [1, 2])
    np.testing.assert_array_equal(
        crowd_label_matrix(crowd, [10, 11], [1, 2]), [[-1, -1, 0, -1], [-1, 1, 0, -1]]
    )


def test_no_workers_gives_an_empty_matrix():
    crowd = pd.DataFrame({"worker_id": [1], "answer": [1]}, index=pd.Index([10], name="tweet_id"))
    assert crowd_label_matrix(crowd, [10, 11], []).shape == (2, 0)


@pytest.mark.parametrize("seed", [123, 0, 7])
def test_equals_the_lf_route_on_the_tutorial_data(real_data_dir, seed):
    crowd, train, dev, test = load_data(seed=seed, data_dir=real_data_dir)
    workers = frequent_workers(crowd)
    for tweets in (train, dev, test):
        assert_same_as_lf_route(crowd, tweets, workers)
