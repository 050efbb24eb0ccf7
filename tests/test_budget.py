"""The crowd-budget experiment's bookkeeping, on tables small enough to check by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crowdsourcing.budget import (
    NO_ANSWERS,
    TEST,
    TRAIN,
    Budget,
    budget_saving,
    differences,
    end_model_accuracy,
    hard_labels,
    label_quality,
    outcomes,
)
from crowdsourcing.votes import answer_slot_matrix


def test_budgets_sort_by_answers_per_tweet_then_share_and_read_as_words():
    budgets = [Budget(0.5), Budget(0.1, 3), Budget(1.0, 1), Budget(0.05, 3), NO_ANSWERS]
    assert sorted(budgets) == [
        NO_ANSWERS,
        Budget(1.0, 1),
        Budget(0.05, 3),
        Budget(0.1, 3),
        Budget(0.5),
    ]
    assert str(Budget(0.25, 3)) == "25% of tweets, 3 per tweet"
    assert str(Budget(0.5)) == "50% of tweets, all answers" and str(NO_ANSWERS) == "no answer"


def test_soft_labels_become_their_most_probable_class_and_ties_none():
    soft = pd.DataFrame([[0.2, 0.8], [0.5, 0.5], [0.9, 0.1]], index=[7, 8, 9])
    assert hard_labels(soft).to_dict() == {7: 1, 8: -1, 9: 0}
    assert hard_labels(pd.Series([1, 0], [3, 4])).to_dict() == {3: 1, 4: 0}


def test_outcomes_hold_a_row_per_label_and_prediction():
    rows = outcomes(Budget(0.1, 3), "vote", 6, pd.Series([1, 0], [1, 2]), test=pd.Series([1], [9]))
    assert rows[["role", "tweet_id", "label"]].values.tolist() == [
        [TRAIN, 1, 1],
        [TRAIN, 2, 0],
        [TEST, 9, 1],
    ]
    assert (rows.budget == Budget(0.1, 3)).all() and (rows.answers == 6).all()


def table_of(rows: list[tuple]) -> pd.DataFrame:
    """An outcomes table from (seed, budget, source, role, tweet_id, label, correct) rows."""
    columns = ["seed", "budget", "source", "role", "tweet_id", "label", "correct"]
    return pd.DataFrame(rows, columns=columns).assign(answers=0)


B = Budget(0.5, 3)


def test_label_quality_counts_coverage_and_accuracy_on_labelled_and_answered_tweets():
    # One split, four training tweets. The vote labels tweets 1 and 2 (right, wrong); the label
    # model all four (right, right, wrong, right); the free text labels 1, 2 and 3 (all right).
    table = table_of(
        [
            (0, B, "vote", TRAIN, 1, 1, True),
            (0, B, "vote", TRAIN, 2, 0, False),
            (0, B, "vote", TRAIN, 3, -1, False),
            (0, B, "vote", TRAIN, 4, -1, False),
            (0, B, "model", TRAIN, 1, 1, True),
            (0, B, "model", TRAIN, 2, 1, True),
            (0, B, "model", TRAIN, 3, 0, False),
            (0, B, "model", TRAIN, 4, 1, True),
            (0, NO_ANSWERS, "text", TRAIN, 1, 1, True),
            (0, NO_ANSWERS, "text", TRAIN, 2, 1, True),
            (0, NO_ANSWERS, "text", TRAIN, 3, 1, True),
            (0, NO_ANSWERS, "text", TRAIN, 4, -1, False),
        ]
    )
    quality = label_quality(table, answered_by="vote", free=["text"])
    assert quality.loc[(B, "vote")].to_dict() == {
        "coverage": 0.5,
        "accuracy": 0.5,
        "accuracy_answered": 0.5,
    }
    assert quality.loc[(B, "model")].to_dict() == pytest.approx(
        {"coverage": 1.0, "accuracy": 0.75, "accuracy_answered": 1.0}
    )
    assert quality.loc[(B, "text")].to_dict() == pytest.approx(
        {"coverage": 0.75, "accuracy": 1.0, "accuracy_answered": 1.0}
    )


def two_sources(a: list[list[bool]], b: list[list[bool]], budget: Budget = B) -> pd.DataFrame:
    """Test rows of sources "a" and "b": a list of right/wrong flags per split."""
    rows = [
        (seed, budget, name, TEST, tweet, 1, flag)
        for name, splits in (("a", a), ("b", b))
        for seed, flags in enumerate(splits)
        for tweet, flag in enumerate(flags)
    ]
    return table_of(rows)


def test_differences_pair_the_sources_split_by_split():
    # Five splits (so splits are resampled): a wins 3, ties 1, loses 1.
    a = [[1, 1], [1, 0], [1, 1], [0, 0], [1, 1]]
    b = [[1, 0], [0, 0], [1, 0], [0, 1], [1, 1]]
    versus = differences(two_sources(a, b), "a", "b")
    row = versus.loc[B]
    assert row["mean"] == pytest.approx((0.5 + 0.5 + 0.5 - 0.5 + 0) / 5)
    assert (row.wins, row.ties, row.losses) == (3, 1, 1)
    assert row.low <= row["mean"] <= row.high and row.verdict in {"better", "unresolved"}


def test_test_accuracy_is_the_mean_over_splits_with_its_interval():
    accuracy = end_model_accuracy(two_sources([[1, 1], [1, 0]], [[0, 0], [0, 1]]))
    assert accuracy.loc[(B, "a"), "mean"] == pytest.approx(0.75)
    assert accuracy.loc[(B, "b"), "mean"] == pytest.approx(0.25)
    low, high = accuracy.loc[(B, "a"), ["low", "high"]]
    assert 0 <= low <= 0.75 <= high <= 1


def saving_table(free: float, weak: dict, crowd: dict, n_splits: int = 6) -> pd.DataFrame:
    """Test rows of 100 tweets per split: the free text labels at no answer; "weak" and "crowd"
    at budgets keyed by their answers, each with an accuracy per split (or one for all). The
    crowd is right on the first tweets, the weak route on the last ones."""
    rows = []
    for seed in range(n_splits):
        for budget, source, acc, answers in [
            (NO_ANSWERS, "text", free, 0),
            *((Budget(n / 1000), "weak", a, n) for n, a in weak.items()),
            *((Budget(n / 1000), "crowd", a, n) for n, a in crowd.items()),
        ]:
            acc = acc[seed] if isinstance(acc, list) else acc
            flags = np.arange(100) < round(acc * 100)
            flags = flags[::-1] if source == "weak" else flags
            rows += [(seed, budget, source, TEST, t, 1, f, answers) for t, f in enumerate(flags)]
    columns = ["seed", "budget", "source", "role", "tweet_id", "label", "correct", "answers"]
    return pd.DataFrame(rows, columns=columns)


def test_the_saving_compares_the_cheapest_budgets_that_reach_the_crowds_target():
    table = saving_table(
        0.80, weak={100: 0.84, 200: 0.86, 400: 0.87}, crowd={100: 0.7, 200: 0.8, 400: 0.86}
    )
    saving = budget_saving(table, weak="weak", crowd="crowd", free="text", target=Budget(0.4))
    assert saving["accuracy"] == pytest.approx(0.86)
    assert (saving["answers_crowd"], saving["answers_weak"]) == (400, 200)
    assert saving["ratio"] == pytest.approx(2.0)
    assert saving["ci95"] == pytest.approx([2.0, 2.0]), "identical splits: no spread"


def test_free_labels_that_reach_the_target_need_no_answer_and_a_route_may_never_reach_it():
    free = saving_table(0.9, weak={100: 0.8}, crowd={100: 0.85})
    assert (
        budget_saving(free, weak="weak", crowd="crowd", free="text", target=Budget(0.1))["ratio"]
        == np.inf
    )
    never = saving_table(0.5, weak={100: 0.8}, crowd={100: 0.85})
    saving = budget_saving(never, weak="weak", crowd="crowd", free="text", target=Budget(0.1))
    assert saving["answers_weak"] == np.inf and saving["ratio"] == 0


def test_the_saving_interval_resamples_splits_or_tweets():
    """Five splits where the weak route reaches the target in two: the point estimate says it
    never does (0), resamples of the splits say it may (2). One split: its tweets are resampled,
    and the target and the weak route's reach move apart."""
    table = saving_table(0.5, weak={100: [0.9, 0.9, 0.8, 0.8, 0.8]}, crowd={200: 0.85}, n_splits=5)
    saving = budget_saving(table, weak="weak", crowd="crowd", free="text", target=Budget(0.2))
    assert saving["ratio"] == 0 and saving["ci95"] == [0.0, 2.0]
    one = saving_table(0.5, weak={100: 0.85}, crowd={200: 0.85}, n_splits=1)
    saving = budget_saving(one, weak="weak", crowd="crowd", free="text", target=Budget(0.2))
    assert saving["ratio"] == 2 and saving["ci95"] == [0.0, 2.0]


def test_answer_slots_hold_each_tweets_answers_in_the_order_bought():
    bought = pd.DataFrame(
        {"worker_id": [5, 6, 7, 5, 8], "answer": [1, 2, 0, 0, 1]}, index=[10, 10, 10, 20, 30]
    )
    L = answer_slot_matrix(bought.iloc[[1, 0, 2, 3, 4]], [10, 20, 30, 40])
    (
        np.testing.assert_array_equal(L, [[-1, 1, 0], [0, -1, -1], [1, -1, -1], [-1, -1, -1]]),
        "tweet 10: neutral (2), then positive, then negative; tweet 40: none",
    )
    assert answer_slot_matrix(bought, [10], n_slots=1).tolist() == [[1]]
    assert answer_slot_matrix(bought.iloc[:0], [10]).shape == (1, 0)


def test_coverage_counts_every_training_tweet_of_the_split_not_only_the_rows_given():
    """A crowd-only source returns rows for the tweets it labels only; gold has a row for each
    of the split's four training tweets, so the vote's one row covers a quarter of them."""
    table = table_of(
        [
            (0, B, "vote", TRAIN, 1, 1, True),
            *((0, NO_ANSWERS, "gold", TRAIN, t, 1, True) for t in (1, 2, 3, 4)),
        ]
    )
    quality = label_quality(table, answered_by="vote", free=["gold"])
    assert quality.loc[(B, "vote"), "coverage"] == 0.25
    assert quality.loc[(B, "gold")].to_dict() == {
        "coverage": 1.0,
        "accuracy": 1.0,
        "accuracy_answered": 1.0,
    }
