"""Scoring on dev counts a tie as an error: `splits.TIE_BREAK` abstains, whatever the model."""

from __future__ import annotations

import numpy as np
import pandas as pd
from snorkel.labeling.model import LabelModel, MajorityLabelVoter

from conftest import hashes_of
from crowdsourcing.data import fetch_files, labelled_tweets, read_sources
from crowdsourcing.splits import GOLD, EndModel, Inputs, run_split


def fit_label_model(L: np.ndarray) -> LabelModel:
    """A LabelModel with a uniform prior, so a tweet without any vote is a tie."""
    model = LabelModel(cardinality=2, verbose=False)
    model.fit(L, n_epochs=20, seed=0, progress_bar=False)
    return model


def inputs_with_unvoted_tweets(gold: pd.DataFrame, answers: pd.DataFrame) -> Inputs:
    """Inputs where a quarter of the tweets get no vote at all: no answer, text LF abstains."""
    tweets = labelled_tweets(gold)
    rng = np.random.default_rng(0)
    y = tweets.sentiment.to_numpy()
    unvoted = rng.random(len(y)) < 0.25
    text_lf = np.where(rng.random(len(y)) < 0.8, y, 1 - y)
    text_L = pd.DataFrame({"text_lf": np.where(unvoted, -1, text_lf)}, index=tweets.index)
    features = pd.DataFrame(rng.normal(size=(len(y), 4)) + y[:, None], index=tweets.index)
    return Inputs(
        gold=gold,
        answers=answers[~answers.tweet_id.isin(tweets.index[unvoted])],
        text_L=text_L,
        features={"noisy": features},
        fit_label_model=fit_label_model,
    )


def tied(probs: np.ndarray) -> np.ndarray:
    """Rows whose two largest probabilities are equal (within Snorkel's 1e-5)."""
    top = np.sort(probs, axis=1)
    return top[:, -1] - top[:, -2] < 1e-5


def test_dev_accuracy_counts_ties_as_errors(sources):
    gold, answers = read_sources(fetch_files(sources, hashes=hashes_of(sources)))
    run = run_split(3, inputs_with_unvoted_tweets(gold, answers), [EndModel("noisy", GOLD)])
    y_dev = run.dev["sentiment"].to_numpy()
    for name, probs in [
        ("LabelModel", run.label_model.predict_proba(run.L_dev)),
        ("majority vote", MajorityLabelVoter(cardinality=2).predict_proba(run.L_dev)),
    ]:
        ties = tied(probs)
        assert 5 <= ties.sum() < len(ties), f"{name}: dev needs ties, and other tweets"
        right = ~ties & (probs.argmax(axis=1) == y_dev)
        assert run.label_accuracy[name] == right.mean(), name
