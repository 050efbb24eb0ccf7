"""Helpers of the evaluation: bootstrap interval, soft-label training, split runs, aggregators."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from snorkel.labeling.model import LabelModel

from aggregators import one_coin_dawid_skene
from conftest import hashes_of
from data import fetch_files, labelled_tweets, read_sources
from end_model import fit_hard, fit_soft
from evaluation import bootstrap_ci, run_split, run_splits, summarize


def test_bootstrap_ci_brackets_the_accuracy_and_narrows_with_more_data():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 400)
    pred = np.where(rng.random(400) < 0.8, y, 1 - y)
    acc, low, high = bootstrap_ci(y[:50], pred[:50])
    assert low < acc < high and acc == (y[:50] == pred[:50]).mean()
    _, low_400, high_400 = bootstrap_ci(y, pred)
    assert high_400 - low_400 < high - low
    assert bootstrap_ci(y[:50], pred[:50]) == (acc, low, high), "same seed, same interval"
    assert bootstrap_ci(y, y) == (1.0, 1.0, 1.0)


def separable(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    return X, (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)


def test_soft_labels_that_are_certain_give_the_hard_model():
    X, y = separable()
    soft = fit_soft(X, np.eye(2)[y])
    hard = fit_hard(X, y)
    np.testing.assert_allclose(soft.coef_, hard.coef_, rtol=1e-6)
    np.testing.assert_allclose(soft.intercept_, hard.intercept_, rtol=1e-6)


def test_soft_labels_carry_uncertainty():
    X, y = separable()
    confident = fit_soft(X, np.eye(2)[y])
    # The same classes, but the labels only lean towards them: the model must be less sure.
    leaning = fit_soft(X, np.where(np.eye(2)[y] == 1, 0.6, 0.4))
    assert (leaning.predict(X) == confident.predict(X)).mean() > 0.95
    assert np.abs(leaning.coef_).sum() < np.abs(confident.coef_).sum()
    uninformative = fit_soft(X, np.full((len(X), 2), 0.5))
    np.testing.assert_allclose(uninformative.predict_proba(X), 0.5, atol=0.05)


def test_one_coin_dawid_skene_recovers_labels_and_abstains_without_votes():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    L = np.full((300, 15), -1)
    for j in range(15):
        voted = rng.random(300) < 0.4
        right = rng.random(300) < rng.uniform(0.65, 0.95)
        L[voted, j] = np.where(right, y, 1 - y)[voted]
    L[:3] = -1
    pred = one_coin_dawid_skene(L)
    assert (pred[:3] == -1).all()
    assert (pred[3:] == y[3:]).mean() > 0.9


@pytest.fixture
def pipeline(sources):
    """Inputs of `run_split` on the small test data: informative random features and text LFs."""
    gold, answers = read_sources(fetch_files(sources, hashes=hashes_of(sources)))
    tweets = labelled_tweets(gold)
    rng = np.random.default_rng(0)
    y = tweets.sentiment.to_numpy()
    features = pd.DataFrame(rng.normal(size=(len(y), 8)) + y[:, None], index=tweets.index)
    right = rng.random(len(y)) < 0.8
    text_L = pd.DataFrame({"text_lf": np.where(right, y, 1 - y)}, index=tweets.index)

    def fit_label_model(L):
        model = LabelModel(cardinality=2, verbose=False)
        model.fit(L, n_epochs=20, seed=0, progress_bar=False)
        return model

    return dict(
        gold=gold,
        answers=answers,
        text_L=text_L,
        features={"features": features},
        fit_label_model=fit_label_model,
        gold_train_labels=tweets.sentiment,
        rules={"always positive": pd.Series(1, index=tweets.index)},
    )


def test_run_split_fits_every_model_and_scores_dev(pipeline):
    run = run_split(3, **pipeline)
    assert len(run.train) == 100 and len(run.dev) == 50 and len(run.test) == 50
    assert run.L_train.shape == (100, len(run.lf_names)) and run.lf_names[0] == "text_lf"
    assert run.probs_train.shape == (100, 2)
    expected = {"features, hard labels", "features, soft labels", "features, gold labels"}
    assert set(run.test_predictions) == expected | {"always positive"}
    assert set(run.dev_accuracy) == expected | {"label model", "majority vote", "always positive"}
    assert run.dev_accuracy["always positive"] == run.dev.sentiment.mean()
    assert run.dev_accuracy["features, gold labels"] > 0.7


def test_run_split_never_reads_test_labels(pipeline):
    run = run_split(3, **pipeline)
    assert "sentiment" not in run.test.columns
    # Swap Positive and Negative for the test tweets: same split, same predictions.
    gold = pipeline["gold"].copy()
    is_test = gold.tweet_id.isin(run.test.index)
    gold.loc[is_test, "sentiment"] = gold.loc[is_test, "sentiment"].map(
        {"Positive": "Negative", "Negative": "Positive"}
    )
    swapped = run_split(3, **{**pipeline, "gold": gold})
    for name, pred in run.test_predictions.items():
        np.testing.assert_array_equal(swapped.test_predictions[name], pred)
    labels = labelled_tweets(gold).sentiment
    flipped = {name: 1 - acc for name, acc in run.test_accuracy(labels).items()}
    assert swapped.test_accuracy(labels) == pytest.approx(run.test_accuracy(labels))
    assert run.test_accuracy(pipeline["gold_train_labels"]) == pytest.approx(flipped)


def test_run_splits_and_summary(pipeline):
    runs = run_splits([0, 1, 2], **pipeline)
    assert [r.seed for r in runs] == [0, 1, 2]
    assert len({tuple(r.dev.index[:5]) for r in runs}) == 3
    table = summarize(pd.DataFrame([r.dev_accuracy for r in runs]))
    assert list(table.columns) == ["mean", "std"]
    values = [r.dev_accuracy["label model"] for r in runs]
    assert table.loc["label model", "mean"] == pytest.approx(np.mean(values))
    assert table.loc["label model", "std"] == pytest.approx(np.std(values, ddof=1))
