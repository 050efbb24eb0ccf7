"""The scaling path: text LFs on missing text, Dask against pandas, synthetic data, measurement."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from snorkel.labeling import PandasLFApplier

import text_lfs
from benchmarking import measure
from data import fetch_files, labelled_tweets, read_sources
from label_matrix import crowd_label_matrix, frequent_workers, worker_lfs
from parallel_lfs import apply_with_dask, local_cluster
from synthetic_crowd import synthetic_crowd

ALL_TEXT_LFS = text_lfs.TEXTBLOB_LFS + text_lfs.STRONGER_LFS


def test_text_lfs_abstain_on_missing_text():
    rows = pd.DataFrame({"tweet_id": [1, 2, 3], "tweet_text": [None, float("nan"), pd.NA]})
    L = PandasLFApplier(ALL_TEXT_LFS).apply(rows, progress_bar=False)
    assert (L == -1).all()


def test_text_lfs_vote_on_text():
    rows = pd.DataFrame(
        {"tweet_id": [1, 2], "tweet_text": ["I love this sunny day :)", "I hate rain"]}
    )
    L = pd.DataFrame(
        PandasLFApplier(ALL_TEXT_LFS).apply(rows, progress_bar=False),
        columns=[lf.name for lf in ALL_TEXT_LFS],
    )
    assert L.loc[0, "emoticon_positive"] == 1 and L.loc[0, "sunshine_positive"] == 1
    assert L.loc[1, "words_negative"] == 0 and L.loc[1, "bad_weather_negative"] == 0


def test_dask_applier_gives_the_pandas_matrix(real_data_dir):
    gold, _ = read_sources(fetch_files(real_data_dir))
    tweets = labelled_tweets(gold)
    tweets.iloc[[3, 50], tweets.columns.get_loc("tweet_text")] = None  # gaps, as real data have
    text_lfs.reset_caches()
    expected = PandasLFApplier(ALL_TEXT_LFS).apply(tweets, progress_bar=False)
    text_lfs.reset_caches()
    with local_cluster(n_workers=2) as client:
        actual = apply_with_dask(ALL_TEXT_LFS, tweets, client)
    np.testing.assert_array_equal(actual, expected)
    assert (expected[[3, 50]] == -1).all()


def test_synthetic_crowd_shape_and_determinism():
    tweets, crowd = synthetic_crowd(n_tasks=500, n_workers=40, answers_per_task=7, seed=3)
    assert len(tweets) == 500 and len(crowd) == 3500
    assert list(crowd.columns) == ["worker_id", "answer"] and crowd.index.name == "tweet_id"
    pairs = crowd.reset_index()[["tweet_id", "worker_id"]]
    assert not pairs.duplicated().any(), "each task's workers are distinct"
    assert set(crowd.answer) <= {-1, 0, 1, 2, 3} and crowd.worker_id.nunique() <= 40
    agree = crowd.answer.to_numpy() == np.repeat(tweets.sentiment.to_numpy(), 7)
    assert 0.6 < agree.mean() < 0.9
    again, crowd_again = synthetic_crowd(n_tasks=500, n_workers=40, answers_per_task=7, seed=3)
    pd.testing.assert_frame_equal(crowd, crowd_again)
    pd.testing.assert_frame_equal(tweets, again)
    with pytest.raises(ValueError):
        synthetic_crowd(n_tasks=5, n_workers=3, answers_per_task=4)


def test_vectorized_builder_equals_lf_route_on_synthetic_data():
    tweets, crowd = synthetic_crowd(n_tasks=300, n_workers=30, answers_per_task=5, seed=1)
    workers = frequent_workers(crowd)
    expected = PandasLFApplier(worker_lfs(crowd, workers)).apply(tweets, progress_bar=False)
    np.testing.assert_array_equal(crowd_label_matrix(crowd, tweets.index, workers), expected)


def test_measure_times_and_sees_memory():
    m = measure(lambda: np.ones(64 * 2**20 // 8))  # 64 MiB, held by the result
    assert m.result.sum() == 64 * 2**20 // 8
    assert m.seconds > 0 and m.peak_mib >= 60
