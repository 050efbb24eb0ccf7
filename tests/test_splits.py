"""The repeated-split harness: bootstrap interval, end-model fits, split runs, and that no test
label reaches any choice or prediction of its own split."""

from __future__ import annotations

from itertools import product

import numpy as np
import pandas as pd
import pytest
from snorkel.labeling.model import LabelModel

from conftest import hashes_of
from crowdsourcing.data import fetch_files, labelled_tweets, load_sources, read_sources, split_data
from crowdsourcing.splits import (
    CROWD_ONLY,
    GOLD,
    LABEL_MODEL_HARD,
    LABEL_MODEL_SOFT,
    EndModel,
    Inputs,
    bootstrap_ci,
    fit_end_model,
    run_split,
    run_splits,
)


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
    soft = fit_end_model(X, np.eye(2)[y])
    hard = fit_end_model(X, y)
    np.testing.assert_allclose(soft.coef_, hard.coef_, rtol=1e-6)
    np.testing.assert_allclose(soft.intercept_, hard.intercept_, rtol=1e-6)


def test_soft_labels_carry_uncertainty():
    X, y = separable()
    confident = fit_end_model(X, np.eye(2)[y])
    # The same classes, but the labels only lean towards them: the model must be less sure.
    leaning = fit_end_model(X, np.where(np.eye(2)[y] == 1, 0.6, 0.4))
    assert (leaning.predict(X) == confident.predict(X)).mean() > 0.95
    assert np.abs(leaning.coef_).sum() < np.abs(confident.coef_).sum()
    uninformative = fit_end_model(X, np.full((len(X), 2), 0.5))
    np.testing.assert_allclose(uninformative.predict_proba(X), 0.5, atol=0.05)


def fit_label_model(L: np.ndarray) -> LabelModel:
    model = LabelModel(cardinality=2, verbose=False)
    model.fit(L, n_epochs=20, seed=0, progress_bar=False)
    return model


def make_inputs(gold: pd.DataFrame, answers: pd.DataFrame) -> Inputs:
    """Inputs of `run_split`: features and a text LF that depend on the labels only through noise
    fixed once (as text does), so they stay the same when labels are flipped later."""
    tweets = labelled_tweets(gold)
    rng = np.random.default_rng(0)
    y = tweets.sentiment.to_numpy()
    features = pd.DataFrame(rng.normal(size=(len(y), 8)) + y[:, None], index=tweets.index)
    right = rng.random(len(y)) < 0.8
    text_L = pd.DataFrame({"text_lf": np.where(right, y, 1 - y)}, index=tweets.index)
    return Inputs(
        gold=gold,
        answers=answers,
        text_L=text_L,
        features={"noisy": features, "noisy + votes": features.assign(vote=text_L.text_lf)},
        fit_label_model=fit_label_model,
        rules={"always positive": pd.Series(1, index=tweets.index)},
    )


FEATURES, SOFT_AND_HARD = ["noisy", "noisy + votes"], [LABEL_MODEL_HARD, LABEL_MODEL_SOFT]
CANDIDATES = [EndModel(f, labels) for f, labels in product(FEATURES, SOFT_AND_HARD)]
OTHERS = [EndModel("noisy", GOLD), *(EndModel("noisy", name) for name in CROWD_ONLY)]


@pytest.fixture
def inputs(sources) -> Inputs:
    return make_inputs(*read_sources(fetch_files(sources, hashes=hashes_of(sources))))


def test_run_split_fits_every_model_scores_dev_and_chooses_on_dev(inputs):
    run = run_split(3, inputs, OTHERS, CANDIDATES)
    assert len(run.train) == 100 and len(run.dev) == 50 and len(run.test) == 50
    assert run.L_train.shape == (100, len(run.lf_names)) and run.lf_names[0] == "text_lf"
    assert run.probs_train.shape == (100, 2)
    assert set(run.test_predictions) == {*CANDIDATES, *OTHERS, "always positive"}
    assert set(run.label_accuracy) == {"LabelModel", "majority vote"}
    assert run.dev_accuracy["always positive"] == run.dev.sentiment.mean()
    assert run.dev_accuracy[EndModel("noisy", GOLD)] > 0.7
    best = max(run.dev_accuracy[m] for m in CANDIDATES)
    assert run.dev_accuracy[run.chosen] == best
    assert run.chosen == next(m for m in CANDIDATES if run.dev_accuracy[m] == best), "ties: first"


def test_crowd_only_labels_cover_only_answered_tweets(inputs, monkeypatch):
    """Crowd-only aggregators train on the training tweets that some worker answered."""
    import crowdsourcing.splits as splits

    seen = {}
    original = splits.fit_end_model

    def spy(X, y):
        seen[len(seen)] = len(y)
        return original(X, y)

    monkeypatch.setattr(splits, "fit_end_model", spy)
    run = run_split(3, inputs, [EndModel("noisy", "majority vote"), EndModel("noisy", GOLD)])
    crowd, *_ = split_data(inputs.gold, inputs.answers, 3)
    answered = run.train.index.isin(crowd.index).sum()
    assert 0 < seen[0] <= answered < len(run.train) and seen[1] == len(run.train)


def flip_test_labels(gold: pd.DataFrame, answers: pd.DataFrame, test_ids: pd.Index):
    """The input tables with Positive and Negative swapped for the given tweets, everywhere."""
    swap = {"Positive": "Negative", "Negative": "Positive"}
    gold, answers = gold.copy(), answers.copy()
    in_gold, in_answers = gold.tweet_id.isin(test_ids), answers.tweet_id.isin(test_ids)
    gold.loc[in_gold, "sentiment"] = gold.loc[in_gold, "sentiment"].replace(swap)
    answers.loc[in_answers, "emotion"] = answers.loc[in_answers, "emotion"].replace(swap)
    return gold, answers


def assert_test_labels_play_no_part(inputs: Inputs, seed: int) -> None:
    """Flipping split `seed`'s test labels in every input table changes neither its choice nor
    any of its test predictions, while its test accuracies do flip."""
    run = run_split(seed, inputs, OTHERS, CANDIDATES)
    assert "sentiment" not in run.test.columns
    gold, answers = flip_test_labels(inputs.gold, inputs.answers, run.test.index)
    flipped_inputs = Inputs(**{**vars(inputs), "gold": gold, "answers": answers})
    flipped = run_split(seed, flipped_inputs, OTHERS, CANDIDATES)
    assert flipped.chosen == run.chosen
    assert flipped.test_predictions.keys() == run.test_predictions.keys()
    for name, pred in run.test_predictions.items():
        np.testing.assert_array_equal(flipped.test_predictions[name], pred)
    assert flipped.dev_accuracy == run.dev_accuracy
    before = run.test_accuracy(labelled_tweets(inputs.gold).sentiment)
    after = run.test_accuracy(labelled_tweets(gold).sentiment)
    assert after == pytest.approx({name: 1 - acc for name, acc in before.items()})


def test_test_labels_play_no_part_small_data(inputs):
    assert_test_labels_play_no_part(inputs, seed=3)


@pytest.mark.parametrize("seed", [123, 0])
def test_test_labels_play_no_part_real_data(real_data_dir, seed):
    assert_test_labels_play_no_part(make_inputs(*load_sources(real_data_dir)), seed)


def test_test_accuracy_leaves_out_excluded_tweets(inputs):
    run = run_split(3, inputs, [EndModel("noisy", GOLD)])
    labels = labelled_tweets(inputs.gold).sentiment
    left_out = run.test.index[:10]
    accuracy = run.test_accuracy(labels, exclude=left_out)["always positive"]
    assert accuracy == labels.loc[run.test.index[10:]].mean()


def test_run_splits_in_worker_processes_equal_one_by_one(inputs):
    runs = run_splits([0, 1, 2], inputs, OTHERS, CANDIDATES)
    assert [r.seed for r in runs] == [0, 1, 2]
    for run in runs:
        alone = run_split(run.seed, inputs, OTHERS, CANDIDATES)
        assert run.chosen == alone.chosen and run.dev_accuracy == alone.dev_accuracy
        for name, pred in alone.test_predictions.items():
            np.testing.assert_array_equal(run.test_predictions[name], pred)
