"""Intervals, paired differences, the budget table and the saving read from it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crowdsourcing.statistics import (
    MIN_SPLITS_TO_RESAMPLE,
    accuracy_ci,
    bootstrap_ci,
    budget_saving,
    budget_table,
    interval_unit,
    mean_std,
    paired_difference,
    verdict,
)


def test_bootstrap_ci_brackets_the_accuracy_and_narrows_with_more_data():
    rng = np.random.default_rng(1)
    correct = rng.random(400) < 0.8
    acc, low, high = bootstrap_ci(correct[:50])
    assert low < acc < high and acc == correct[:50].mean()
    _, low_400, high_400 = bootstrap_ci(correct)
    assert high_400 - low_400 < high - low
    assert bootstrap_ci(correct[:50]) == (acc, low, high), "same seed, same interval"
    assert bootstrap_ci(np.ones(20, bool)) == (1.0, 1.0, 1.0)


def splits_of(a: list[list[int]], b: list[list[int]]) -> list[dict[str, np.ndarray]]:
    return [{"a": np.array(x, bool), "b": np.array(y, bool)} for x, y in zip(a, b, strict=True)]


def test_paired_difference_counts_wins_ties_and_losses_over_splits():
    a = [[1, 1, 1, 0], [1, 1, 0, 0], [1, 0, 0, 0]] * 2
    b = [[1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 0, 0]] * 2
    diff = paired_difference(splits_of(a, b), "a", "b")
    assert diff["mean"] == pytest.approx(0.0)
    assert (diff["wins"], diff["ties"], diff["losses"]) == (2, 2, 2)
    assert diff["ci95"][0] < 0 < diff["ci95"][1]


def test_with_few_splits_the_interval_resamples_tweets_not_splits():
    """Two splits that both favour `a` by 0.4: resampling two values would give [0.4, 0.4]."""
    a, b = [[1] * 40 + [0] * 10] * 2, [[1] * 20 + [0] * 30] * 2
    diff = paired_difference(splits_of(a, b), "a", "b")
    assert diff["mean"] == pytest.approx(0.4) and diff["wins"] == 2
    assert 0 < diff["ci95"][0] < 0.4 < diff["ci95"][1] < 1
    mean, low, high = accuracy_ci(splits_of(a, b), "a")
    assert mean == pytest.approx(0.8) and low < 0.8 < high


# Hand-computed values. A bootstrap mean of n flags is a Binomial count over n, with standard
# error sqrt(p(1 - p) / n); a 95% percentile interval spans 1.96 of them either side of the mean
# (a 90% one, 1.645). Intervals are compared within half the gap between the two levels' widths.
Z95 = 1.96


def half_width(p: float, n: int) -> float:
    """Half the width of a 95% interval of the mean of n flags, a share p of them set."""
    return Z95 * np.sqrt(p * (1 - p) / n)


def test_the_interval_of_an_accuracy_is_95_percent():
    """400 flags, half right: 0.5 ± 1.96 × 0.025 = [0.451, 0.549]; 90% would be ± 0.041."""
    acc, low, high = bootstrap_ci(np.arange(400) % 2 == 0)
    assert acc == 0.5
    assert high - low == pytest.approx(2 * half_width(0.5, 400), abs=0.006)
    assert low == pytest.approx(0.451, abs=0.003) and high == pytest.approx(0.549, abs=0.003)


def splits_right(a: int, b: int, n_splits: int, n: int = 50) -> list[dict[str, np.ndarray]]:
    """`n_splits` identical splits of `n` tweets: `a` right on the first `a`, `b` on `b`."""
    return [{"a": np.arange(n) < a, "b": np.arange(n) < b}] * n_splits


def test_below_5_splits_intervals_resample_the_tweets_at_95_percent():
    """4 splits of 50 tweets: `a` right on 45 of each (0.9), `b` on the first 35 of them. Each of
    the 200 (split, tweet) pairs differs by 1 or 0, a share 0.2 of them by 1."""
    correct = splits_right(45, 35, n_splits=MIN_SPLITS_TO_RESAMPLE - 1)
    assert interval_unit(len(correct)) == "test tweets of every split"
    mean, low, high = accuracy_ci(correct, "a")
    assert mean == pytest.approx(0.9)
    assert high - low == pytest.approx(2 * half_width(0.9, 200), abs=0.007)  # 90%: 0.070
    diff = paired_difference(correct, "a", "b")
    assert diff["mean"] == pytest.approx(0.2) and diff["wins"] == 4
    low, high = diff["ci95"]
    assert high - low == pytest.approx(2 * half_width(0.2, 200), abs=0.009)  # 90%: 0.093


def test_from_5_splits_intervals_resample_the_splits():
    """5 identical splits: resampled, they give one value, so the interval is that value."""
    correct = splits_right(45, 35, n_splits=MIN_SPLITS_TO_RESAMPLE)
    assert MIN_SPLITS_TO_RESAMPLE == 5 and interval_unit(5) == "splits"
    assert accuracy_ci(correct, "a") == pytest.approx((0.9, 0.9, 0.9))
    assert paired_difference(correct, "a", "b")["ci95"] == pytest.approx([0.2, 0.2])


def test_the_difference_is_paired_split_by_split():
    """Accuracies that vary from 0.2 to 1.0 over five splits, `b` always 5 tweets (0.1) behind:
    the differences are all 0.1, so their interval is [0.1, 0.1]; unpaired, it would be wide."""
    correct = [
        {"a": np.arange(50) < right, "b": np.arange(50) < right - 5}
        for right in (10, 20, 30, 40, 50)
    ]
    diff = paired_difference(correct, "a", "b")
    assert diff["mean"] == pytest.approx(0.1) and diff["ci95"] == pytest.approx([0.1, 0.1])
    assert (diff["wins"], diff["ties"], diff["losses"]) == (5, 0, 0)


def test_the_paired_interval_over_splits_is_95_percent():
    """Differences 0.1, 0.1, 0.1, 0.1 and 0.3: a resample's mean is 0.1 + 0.04 K, K ~ Binomial(5,
    0.2) the times 0.3 is drawn. P(K = 0) = 0.33 > 2.5%, so the low end is 0.1; P(K <= 2) = 0.942
    and P(K <= 3) = 0.993, so the 97.5th percentile is K = 3: 0.22."""
    correct = splits_right(50, 45, n_splits=4) + splits_right(50, 35, n_splits=1)
    diff = paired_difference(correct, "a", "b")
    assert diff["mean"] == pytest.approx(0.14)
    assert diff["ci95"] == pytest.approx([0.1, 0.22])


def test_the_verdict_follows_the_interval():
    assert verdict({"ci95": [0.01, 0.05]}) == "better"
    assert verdict({"ci95": [-0.05, -0.01]}) == "worse"
    assert verdict({"ci95": [-0.01, 0.05]}) == verdict({"ci95": [0.0, 0.0]}) == "unresolved"


def budget_correct(n_splits: int = 6) -> list[dict]:
    """Two budgets; majority vote wins the crowd-only contest on even splits, Dawid-Skene on odd."""
    correct = []
    for i in range(n_splits):
        good, bad = np.r_[np.ones(9), 0].astype(bool), np.r_[np.ones(5), np.zeros(5)].astype(bool)
        split = {"text": np.r_[np.ones(8), 0, 0].astype(bool)}
        for share in (0.1, 1.0):
            split[("majority", share, None)] = good if i % 2 == 0 else bad
            split[("dawid-skene", share, None)] = bad if i % 2 == 0 else good
            split[("weak", share, None)] = good
        correct.append(split)
    return correct


def test_the_budget_table_compares_with_the_better_crowd_source_of_each_split():
    correct = budget_correct()
    table = budget_table(
        correct, {(0.1, None): 10.0, (1.0, None): 100.0}, "weak", ["majority", "dawid-skene"]
    )
    assert list(table.answers) == [10.0, 100.0]
    assert table.loc[0, "majority"] == pytest.approx(0.7) and table.loc[0, "weak"] == pytest.approx(
        0.9
    )
    # Against either crowd source's mean weak wins by 0.2; against each split's better one, a tie.
    assert table.loc[0, "difference"] == pytest.approx(0.0)
    assert (table.loc[0, "wins"], table.loc[0, "ties"], table.loc[0, "losses"]) == (0, 6, 0)
    assert table.loc[0, "verdict"] == "unresolved"
    assert table.loc[0, "weak low"] <= table.loc[0, "weak"] <= table.loc[0, "weak high"]


def saving_table(weak: list[float], majority: list[float], dawid_skene: list[float]):
    return pd.DataFrame(
        {"answers": [10.0, 100.0, 1000.0], "weak": weak, "mv": majority, "ds": dawid_skene}
    )


def test_the_saving_compares_each_routes_cheapest_budget_at_the_same_accuracy():
    table = saving_table(
        weak=[0.70, 0.86, 0.90], majority=[0.50, 0.70, 0.85], dawid_skene=[0.5, 0.86, 0.8]
    )
    saving = budget_saving(table, "weak", ["mv", "ds"], at=2, free=0.6)
    # The target is the better crowd source at row 2 (0.85); Dawid-Skene reaches it at 100 already.
    assert saving == {"accuracy": 0.85, "answers_weak": 100.0, "answers_crowd": 100.0, "ratio": 1.0}
    cheaper = budget_saving(table.assign(ds=[0.5, 0.7, 0.8]), "weak", ["mv", "ds"], at=2, free=0.6)
    # 0.001 below the target is the target: a coarse grid must not make it a factor of ten.
    near = budget_saving(table.assign(ds=[0.5, 0.849, 0.8]), "weak", ["mv", "ds"], at=2, free=0.6)
    assert near["answers_crowd"] == 100.0
    assert cheaper == {
        "accuracy": 0.85,
        "answers_weak": 100.0,
        "answers_crowd": 1000.0,
        "ratio": 10.0,
    }


def test_text_lfs_that_reach_the_target_alone_need_no_answer():
    table = saving_table(weak=[0.9, 0.9, 0.9], majority=[0.5, 0.7, 0.85], dawid_skene=[0.5] * 3)
    saving = budget_saving(table, "weak", ["mv", "ds"], at=2, free=0.86)
    assert saving["answers_weak"] == 0 and saving["ratio"] is None


def test_text_lfs_within_the_tolerance_of_the_target_need_no_answer():
    table = saving_table(weak=[0.9, 0.9, 0.9], majority=[0.5, 0.7, 0.85], dawid_skene=[0.5] * 3)
    assert budget_saving(table, "weak", ["mv", "ds"], at=2, free=0.847)["answers_weak"] == 0


def test_mean_and_sample_standard_deviation():
    assert mean_std([1.0, 2.0, 3.0]) == {"mean": 2.0, "std": 1.0}  # sample std: sum 2 over 2
    assert mean_std([0.5]) == {"mean": 0.5, "std": None}


def test_no_saving_when_the_label_model_never_matches_the_crowd():
    table = saving_table([0.6, 0.7, 0.8], [0.7, 0.8, 0.9], [0.7, 0.8, 0.9])
    saving = budget_saving(table, "weak", ["mv", "ds"], at=2, free=0.5)
    assert saving["answers_weak"] is None and saving["ratio"] is None
