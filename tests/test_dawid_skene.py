"""`dawid_skene` on arrays gives crowd-kit's DawidSkene probabilities, in milliseconds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from crowdkit.aggregation import DawidSkene

from crowdsourcing.data import load_sources, split_data
from crowdsourcing.dawid_skene import dawid_skene


def crowd_kit(answers: pd.DataFrame) -> pd.DataFrame:
    """crowd-kit's probabilities for the same answers (class answers only), columns 0 and 1."""
    votes = answers[answers.answer.isin([0, 1])].reset_index()
    votes.columns = ["task", "worker", "label"]
    return DawidSkene(n_iter=100).fit_predict_proba(votes).reindex(columns=[0, 1])


@pytest.mark.parametrize(("seed", "per_tweet"), [(123, None), (0, 3), (7, 3)])
def test_equals_crowd_kit_on_the_tweets(real_data_dir, seed, per_tweet):
    crowd = split_data(*load_sources(real_data_dir), seed)[0]
    answers = crowd.groupby(level=0).head(per_tweet) if per_tweet else crowd
    ours = dawid_skene(answers)
    theirs = crowd_kit(answers).loc[ours.index]
    # crowd-kit clips at 1e-10 in a few places where this module keeps exact zeros.
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), atol=1e-8)
    assert set(ours.index) == set(answers.index[answers.answer.isin([0, 1])])


def test_a_worker_who_always_disagrees_is_learned_as_inverted():
    """Three reliable workers and one who answers the opposite: the model reads the fourth one's
    answers inverted, so a tweet only the fourth one answered gets the opposite of its answer."""
    rows = []
    for tweet in range(40):
        truth = tweet % 2
        rows += [(tweet, w, truth) for w in (1, 2, 3)] + [(tweet, 4, 1 - truth)]
    rows.append((99, 4, 1))
    answers = pd.DataFrame(rows, columns=["tweet_id", "worker_id", "answer"]).set_index("tweet_id")
    probs = dawid_skene(answers)
    assert probs.loc[99, 0] > 0.99
    assert (probs.drop(99).idxmax(axis=1) == pd.Series(np.arange(40) % 2)).all()


def test_answers_that_are_no_class_cast_no_vote():
    answers = pd.DataFrame({"worker_id": [1, 2, 3], "answer": [1, 2, -1]}, index=[5, 5, 6])
    probs = dawid_skene(answers)
    assert list(probs.index) == [5] and probs.loc[5, 1] == pytest.approx(1.0)


@pytest.mark.parametrize(
    "answers",
    [
        pd.DataFrame({"worker_id": [], "answer": []}, index=pd.Index([], name="tweet_id")),
        pd.DataFrame({"worker_id": [1, 2], "answer": [2, -1]}, index=[5, 6]),  # no class answer
    ],
    ids=["no answers", "no class answers"],
)
def test_no_class_answer_gives_no_tweet_as_crowd_kit(answers):
    """crowd-kit returns an empty frame where there is nothing to fit; so does `dawid_skene`,
    with its usual columns, instead of dividing by zero answers."""
    assert crowd_kit(answers).empty
    probs = dawid_skene(answers)
    assert probs.empty and list(probs.columns) == [0, 1]
    assert probs.index.name == answers.index.name
