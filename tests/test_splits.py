"""The repeated-split harness: what a split holds, and that no test label reaches the pipeline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from snorkel.labeling.model import LabelModel

from conftest import assert_test_labels_play_no_part, hashes_of
from crowdsourcing.budget import DEV, NO_ANSWERS, TEST, TRAIN, outcomes, run_budget_splits
from crowdsourcing.data import fetch_files, labelled_tweets, load_sources, read_sources, split_data
from crowdsourcing.splits import Split, make_split, run_split, run_splits, split_seeds
from crowdsourcing.votes import crowd_label_matrix, frequent_workers


class SmallPipeline:
    """A pipeline like the tutorial's: a label model on all LFs, end models on its labels and gold.

    Its features depend on the labels only through noise fixed when it is built (as text does), so
    they stay the same when labels are flipped later.
    """

    def __init__(self, gold: pd.DataFrame) -> None:
        tweets = labelled_tweets(gold)
        rng = np.random.default_rng(0)
        y = tweets.sentiment.to_numpy()
        self.features = pd.DataFrame(rng.normal(size=(len(y), 8)) + y[:, None], tweets.index)

    def __call__(self, split: Split, **_) -> pd.DataFrame:
        model = LabelModel(cardinality=2, verbose=False)
        model.fit(split.L_train, n_epochs=20, seed=0, progress_bar=False)
        hard = pd.Series(model.predict(split.L_train), split.train.index)
        labels = {"label model": hard[hard != -1], "gold": split.y_train}
        X_test = self.features.loc[split.test.index].to_numpy()
        runs = [
            outcomes(
                NO_ANSWERS, name, 0, y, pd.Series(self.fit(y).predict(X_test), split.test.index)
            )
            for name, y in labels.items()
        ]
        dev = pd.Series(model.predict(split.L_dev), split.dev.index)
        return pd.concat([*runs, outcomes(NO_ANSWERS, "label model labels", 0, dev=dev)])

    def fit(self, y: pd.Series) -> LogisticRegression:
        return LogisticRegression().fit(self.features.loc[y.index].to_numpy(), y.to_numpy())


def text_votes(gold: pd.DataFrame) -> pd.DataFrame:
    """A text LF right on 80% of the tweets, by noise fixed once."""
    tweets = labelled_tweets(gold)
    y = tweets.sentiment.to_numpy()
    right = np.random.default_rng(1).random(len(y)) < 0.8
    return pd.DataFrame({"text_lf": np.where(right, y, 1 - y)}, index=tweets.index)


def data_of(gold: pd.DataFrame, answers: pd.DataFrame) -> dict:
    return {"gold": gold, "answers": answers, "text_L": text_votes(gold), "min_answers": 10}


@pytest.fixture
def small(sources) -> tuple[pd.DataFrame, pd.DataFrame]:
    return read_sources(fetch_files(sources, hashes=hashes_of(sources)))


def test_a_split_holds_its_tweets_label_matrices_and_no_test_label(small):
    gold, answers = small
    split = make_split(3, **data_of(*small))
    crowd, train, dev, test = split_data(gold, answers, 3)
    assert split.train.index.equals(train.index) and split.dev.index.equals(dev.index)
    assert split.test.index.equals(test.index) and "sentiment" not in split.test.columns
    assert split.y_train.equals(labelled_tweets(gold).sentiment.loc[train.index])
    workers = frequent_workers(crowd, 10)
    expected = np.hstack(
        [text_votes(gold).loc[dev.index], crowd_label_matrix(crowd, dev.index, workers)]
    )
    np.testing.assert_array_equal(split.L_dev, expected)
    assert split.n_text == 1 and split.lf_names[0] == "text_lf"
    assert len(split.lf_names) == split.L_train.shape[1] == 1 + 2 * len(workers)


def test_the_outcomes_are_the_pipelines_scored_against_gold(small):
    pipeline, data = SmallPipeline(small[0]), data_of(*small)
    table = run_budget_splits([3], pipeline, **data)
    expected = pipeline(make_split(3, **data), text_L=data["text_L"])
    assert (table.seed == 3).all() and len(table) == len(expected)
    np.testing.assert_array_equal(table.label, expected.label)
    truth = labelled_tweets(small[0]).sentiment.loc[table.tweet_id].to_numpy()
    np.testing.assert_array_equal(table.correct, table.label.to_numpy() == truth)
    assert set(table.role) == {TRAIN, DEV, TEST}


def test_excluded_test_tweets_are_left_out(small):
    pipeline, data = SmallPipeline(small[0]), data_of(*small)
    test_ids = make_split(3, **data).test.index
    table = run_budget_splits([3], pipeline, **data, exclude=test_ids[:10])
    scored = table.tweet_id[table.role == TEST]
    assert not scored.isin(test_ids[:10]).any() and scored.isin(test_ids[10:]).all()


def test_test_labels_play_no_part_small_data(small):
    assert_test_labels_play_no_part(SmallPipeline(small[0]), data_of(*small), seed=3)


@pytest.mark.parametrize("seed", [123, 0])
def test_test_labels_play_no_part_real_data(real_data_dir, seed):
    gold, answers = load_sources(real_data_dir)
    assert_test_labels_play_no_part(SmallPipeline(gold), data_of(gold, answers), seed)


def shares(split: Split) -> tuple[float, ...]:
    return (0.05, 0.1, 0.25, split.train.index.isin(split.crowd.index).mean(), 1.0)


def pairs(answers: pd.DataFrame) -> set[tuple[int, int]]:
    return set(zip(answers.index, answers.worker_id, strict=True))


@pytest.mark.parametrize("seed", [123, 4])
def test_a_smaller_budget_buys_a_subset_of_a_larger_ones_answers(real_data_dir, seed):
    split = make_split(seed, **data_of(*load_sources(real_data_dir)))
    for per_tweet in (3, None):
        bought = [split.bought(share, per_tweet) for share in shares(split)]
        for smaller, larger in zip(bought, bought[1:], strict=False):
            assert pairs(smaller) < pairs(larger)
    for share in shares(split):
        three, every = split.bought(share, 3), split.bought(share, None)
        assert pairs(three) <= pairs(every) and three.groupby(level=0).size().max() == 3
        assert set(every.index) == set(three.index)
        assert every.index.nunique() == round(share * len(split.train))
        assert every.index.isin(split.train.index).all()
    assert split.bought(0.5, 3).equals(split.bought(0.5, 3)), "the split's seed fixes the draw"


def test_the_splits_own_share_buys_exactly_its_crowd_answers(real_data_dir):
    split = make_split(123, **data_of(*load_sources(real_data_dir)))
    own = split.bought(split.train.index.isin(split.crowd.index).mean())
    assert pairs(own) == pairs(split.crowd[split.crowd.index.isin(split.train.index)])


def test_run_splits_in_worker_processes_equal_one_by_one(small):
    pipeline, data = SmallPipeline(small[0]), data_of(*small)
    results = run_splits([0, 1, 2], pipeline, **data)
    for seed, result in zip([0, 1, 2], results, strict=True):
        pd.testing.assert_frame_equal(result, run_split(seed, pipeline, **data))


def test_split_seeds_put_this_split_first_and_need_a_random_split():
    assert split_seeds(123, 3) == [123, 0, 1, 2]
    assert split_seeds(1, 3) == [1, 0, 2]
    with pytest.raises(ValueError, match="n_splits must be at least 1, not 0"):
        split_seeds(123, 0)
