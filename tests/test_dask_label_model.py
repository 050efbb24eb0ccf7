"""The Dask route: Parquet partitioned by tweet, the same counts and labels as one process."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crowdsourcing.label_model import FastLabelModel
from crowdsourcing.prediction import probabilities
from crowdsourcing.votes import (
    crowd_votes,
    frequent_workers,
    overlap_counts,
    votes_from_table,
)
from scaling.answer_files import answer_files
from scaling.answers import write_answers
from scaling.cluster import dask_client
from scaling.dask_label_model import (
    dask_file_answers,
    dask_lf_votes,
    dask_overlap_counts,
    fit_and_label,
)
from scaling.synthetic_crowd import synthetic_crowd

OPTIONS = {"n_epochs": 50, "seed": 3, "l2": 0.1, "lr": 0.01}


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    """A synthetic job, and its answers written as Parquet files of 300 tweets."""
    tweets, crowd = synthetic_crowd(n_tasks=1000, n_workers=60, answers_per_task=8, seed=4)
    folder = tmp_path_factory.mktemp("job")
    shuffled = crowd.sample(frac=1, random_state=0)  # files are written in tweet order anyway
    write_answers(shuffled, folder / "answers", tweets_per_file=300)
    return tweets, crowd, folder


@pytest.fixture(scope="module")
def scheduler(client):
    """The address of a local cluster, used as a user's own scheduler would be."""
    return client.scheduler.address


def test_files_hold_whole_tweets(job):
    tweets, crowd, folder = job
    files = sorted((folder / "answers").glob("*.parquet"))
    parts = [pd.read_parquet(f) for f in files]
    assert len(files) == 4 and sum(map(len, parts)) == len(crowd)
    tweets_per_file = [set(p.tweet_id) for p in parts]
    assert sum(map(len, tweets_per_file)) == len(set().union(*tweets_per_file)) == len(tweets)


@pytest.mark.slow
def test_counts_and_labels_equal_one_process(job, scheduler, tmp_path):
    tweets, crowd, folder = job
    workers = frequent_workers(crowd)
    votes = crowd_votes(crowd, tweets.index, workers)
    with dask_client(address=scheduler) as client:
        files = answer_files(folder / "answers")
        votes_kept = dask_lf_votes(client, dask_file_answers(client, files), workers)
        counts, n = dask_overlap_counts(client, votes_kept, fan_in=2)
        model = fit_and_label(folder / "answers", tmp_path / "labels", client, **OPTIONS)
    assert n == len(tweets)
    np.testing.assert_array_equal(counts.toarray(), overlap_counts(votes).toarray())
    single = FastLabelModel(verbose=False)
    single.fit(votes, progress_bar=False, **OPTIONS)
    np.testing.assert_array_equal(model.mu.detach().numpy(), single.mu.detach().numpy())
    labels = pd.read_parquet(tmp_path / "labels").set_index("tweet_id").loc[tweets.index]
    np.testing.assert_allclose(labels[["p_0", "p_1"]], single.predict_proba(votes), atol=1e-12)


def test_probabilities_stay_finite_on_wide_score_spreads():
    n_lfs = 40
    votes = votes_from_table(
        np.zeros(n_lfs, int), np.arange(n_lfs), np.zeros(n_lfs, int), 1, n_lfs, 2
    )
    mu = np.tile(np.array([[0.9, 1e-30], [1e-30, 0.9]], np.float32), (n_lfs, 1))
    probs = probabilities(votes, mu, np.array([0.5, 0.5]))
    assert np.isfinite(probs).all()
    np.testing.assert_allclose(probs, [[1.0, 0.0]], atol=1e-12)
