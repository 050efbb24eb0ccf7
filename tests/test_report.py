"""The report module: intervals, the paired comparison and its verdict, tables and metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crowdsourcing.report import Table, bootstrap_ci, over_splits, paired_difference, verdict


def test_bootstrap_ci_brackets_the_accuracy_and_narrows_with_more_data():
    rng = np.random.default_rng(1)
    correct = rng.random(400) < 0.8
    acc, low, high = bootstrap_ci(correct[:50])
    assert low < acc < high and acc == correct[:50].mean()
    _, low_400, high_400 = bootstrap_ci(correct)
    assert high_400 - low_400 < high - low
    assert bootstrap_ci(correct[:50]) == (acc, low, high), "same seed, same interval"
    assert bootstrap_ci(np.ones(20, bool)) == (1.0, 1.0, 1.0)


def splits_of(a: list[list[bool]], b: list[list[bool]]) -> list[dict[str, np.ndarray]]:
    return [{"a": np.array(x), "b": np.array(y)} for x, y in zip(a, b, strict=True)]


def test_paired_difference_counts_wins_ties_and_losses_over_splits():
    correct = splits_of(
        [[1, 1, 1, 0], [1, 1, 0, 0], [1, 0, 0, 0]], [[1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 0, 0]]
    )
    diff = paired_difference(correct, "a", "b")
    assert diff["mean"] == pytest.approx(0.0)
    assert (diff["wins"], diff["ties"], diff["losses"]) == (1, 1, 1)
    assert diff["ci95_low"] < 0 < diff["ci95_high"]


def test_paired_difference_of_one_split_resamples_its_tweets():
    correct = splits_of([[1] * 40 + [0] * 10], [[1] * 20 + [0] * 30])
    diff = paired_difference(correct, "a", "b")
    assert diff["mean"] == pytest.approx(0.4) and diff["wins"] == 1
    assert 0 < diff["ci95_low"] < 0.4 < diff["ci95_high"] < 1


def test_the_verdict_follows_the_interval():
    base = {"mean": 0.03, "wins": 15, "ties": 2, "losses": 3}
    assert verdict("x", "y", base | {"ci95_low": 0.01, "ci95_high": 0.05}).endswith("x is better.")
    assert verdict("x", "y", base | {"ci95_low": -0.05, "ci95_high": -0.01}).endswith(
        "y is better."
    )
    undecided = verdict("x", "y", base | {"ci95_low": -0.01, "ci95_high": 0.05})
    assert undecided.endswith("no difference this evaluation can resolve.")
    assert "higher on 15, equal on 2 and lower on 3 of 20 splits" in undecided


def test_over_splits_gives_mean_and_spread_or_the_single_value():
    table = pd.DataFrame({"a": [0.8, 0.9], "b": [0.7, 0.7]})
    shown = over_splits(table, n_tweets=[40, 45])
    assert list(shown.df.columns) == ["mean", "std"] and shown.df.loc["a", "mean"] == pytest.approx(
        0.85
    )
    assert "40 to 45 test tweets" in repr(shown) and "on 2 splits (seeds 0 to 1)" in repr(shown)
    single = over_splits(table.iloc[:1], n_tweets=[50])
    assert list(single.df.columns) == ["one split: no spread"]
    assert "on 1 split (seed 0); 50 test tweets" in repr(single)


def test_tables_render_the_same_every_time():
    df = pd.DataFrame({"text": ["a tweet"], "x": [0.123456], "y": [np.nan]})
    first, second = Table(df, ["text"])._repr_html_(), Table(df, ["text"])._repr_html_()
    assert first == second and "0.123" in first and "0.1234" not in first and "–" in first
    assert "nan" not in repr(Table(df)).lower()


def test_learned_accuracy_is_snorkels_get_weights_with_the_clip_shown(sources):
    from snorkel.labeling.model import LabelModel

    from conftest import hashes_of
    from crowdsourcing.data import fetch_files, labelled_tweets, read_sources
    from crowdsourcing.report import learned_accuracy
    from crowdsourcing.splits import make_split

    gold, answers = read_sources(fetch_files(sources, hashes=hashes_of(sources)))
    y = labelled_tweets(gold).sentiment
    text_L = pd.DataFrame({"text": np.where(np.arange(len(y)) % 5, y, 1 - y)}, index=y.index)
    split = make_split(0, gold, answers, text_L, min_answers=10)
    model = LabelModel(cardinality=2, verbose=False)
    model.fit(split.L_train, n_epochs=50, seed=0, progress_bar=False)
    learned = learned_accuracy(model, split)
    voted = learned["train votes"] > 0
    with np.errstate(divide="ignore"):  # Snorkel divides by the coverage of silent LFs too
        weights = model.get_weights()
    np.testing.assert_allclose(learned.learned[voted], weights[voted])
    assert (
        learned.clipped[voted].equals(learned.learned[voted] == 1.0) or learned.clipped.sum() == 0
    )
    assert ((learned.precision[voted] > 0) & (learned.precision[voted] <= 1)).all()
    assert list(learned.index) == split.lf_names and learned.kind.iloc[0] == "text"
