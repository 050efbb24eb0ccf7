"""The tutorial's statistics: bootstrap intervals, paired differences over splits, the budget table.

Right/wrong flags come from `SplitResult.test_correct`: one dict per split, from a source's name
to a boolean array over that split's scored test tweets.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.stats import bootstrap

__all__ = [
    "MIN_SPLITS_TO_RESAMPLE",
    "TOLERANCE",
    "accuracy_ci",
    "bootstrap_ci",
    "budget_saving",
    "budget_table",
    "interval_unit",
    "mean_std",
    "paired_difference",
    "verdict",
]

Correct = Sequence[Mapping[Hashable, np.ndarray]]
#: With fewer splits than this, intervals resample test tweets instead of splits.
MIN_SPLITS_TO_RESAMPLE = 5
#: Mean accuracies this close count as the same when the saving is read (a quarter of a test
#: tweet per split): a budget grid this coarse must not turn a difference of 0.001 into a factor.
TOLERANCE = 0.005


def _bootstrap_mean(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean (2,000 resamples, fixed seed)."""
    if np.all(values == values[0]):  # SciPy refuses a sample without spread; so is the interval
        return float(values[0]), float(values[0])
    interval = bootstrap(
        (values,),
        np.mean,
        confidence_level=level,
        n_resamples=2000,
        method="percentile",
        rng=np.random.default_rng(0),
    ).confidence_interval
    return float(interval.low), float(interval.high)


def bootstrap_ci(correct: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Accuracy of the right/wrong flags `correct` and its percentile bootstrap interval."""
    low, high = _bootstrap_mean(np.asarray(correct, dtype=float), level)
    return float(np.mean(correct)), low, high


def interval_unit(n_splits: int) -> str:
    """What the intervals over `n_splits` splits resample, in words."""
    return "splits" if n_splits >= MIN_SPLITS_TO_RESAMPLE else "test tweets of every split"


def paired_difference(correct: Correct, a: Hashable, b: Hashable) -> dict:
    """Accuracy of `a` minus that of `b`, paired split by split, with a 95% interval.

    The interval resamples the splits, or with fewer than `MIN_SPLITS_TO_RESAMPLE` of them the
    (split, test tweet) pairs. Wins, ties and losses count the splits where `a` is more, equally
    or less accurate.
    """
    diffs = np.array([c[a].mean() - c[b].mean() for c in correct])
    if len(diffs) >= MIN_SPLITS_TO_RESAMPLE:
        units = diffs
    else:
        units = np.concatenate([c[a].astype(float) - c[b] for c in correct])
    low, high = _bootstrap_mean(units)
    return {
        "mean": float(diffs.mean()),
        "ci95": [low, high],
        "wins": int((diffs > 0).sum()),
        "ties": int((diffs == 0).sum()),
        "losses": int((diffs < 0).sum()),
    }


def verdict(diff: Mapping) -> str:
    """One word for a paired difference: "better", "worse", or "unresolved" (0 in its interval)."""
    low, high = diff["ci95"]
    return "better" if low > 0 else "worse" if high < 0 else "unresolved"


def mean_std(values: Sequence[float]) -> dict[str, float | None]:
    """Mean and standard deviation (none for a single value)."""
    values = pd.Series(values, dtype=float)
    return {"mean": values.mean(), "std": values.std() if len(values) > 1 else None}


def accuracy_ci(correct: Correct, source: Hashable) -> tuple[float, float, float]:
    """Mean test accuracy of `source` over the splits, and its 95% interval (as for differences)."""
    accuracy = np.array([c[source].mean() for c in correct])
    if len(accuracy) >= MIN_SPLITS_TO_RESAMPLE:
        low, high = _bootstrap_mean(accuracy)
    else:
        low, high = _bootstrap_mean(np.concatenate([c[source] for c in correct]).astype(float))
    return float(accuracy.mean()), low, high


def budget_table(
    correct: Correct,
    budgets: Mapping[tuple[float, int | None], float],
    weak: str,
    crowd_only: Sequence[str],
) -> pd.DataFrame:
    """One row per budget (share, answers per tweet) with the mean answers bought: each source's
    test accuracy and interval, and `weak` minus the better crowd-only source of each split.

    Sources are keyed ``(name, share, per_tweet)`` in `correct`.
    """
    rows = []
    for (share, per_tweet), answers in budgets.items():
        row = {"share": share, "per_tweet": per_tweet, "answers": answers}
        for source in (*crowd_only, weak):
            acc, low, high = accuracy_ci(correct, (source, share, per_tweet))
            row |= {source: acc, f"{source} low": low, f"{source} high": high}
        paired = []
        for c in correct:
            best = max(crowd_only, key=lambda s: c[(s, share, per_tweet)].mean())
            paired.append(
                {"weak": c[(weak, share, per_tweet)], "crowd": c[(best, share, per_tweet)]}
            )
        diff = paired_difference(paired, "weak", "crowd")
        low, high = diff["ci95"]
        row |= {"difference": diff["mean"], "low": low, "high": high, "verdict": verdict(diff)}
        rows.append(row | {k: diff[k] for k in ("wins", "ties", "losses")})
    return pd.DataFrame(rows)


def budget_saving(
    table: pd.DataFrame, weak: str, crowd_only: Sequence[str], at: int, free: float
) -> dict:
    """The crowd answers each route buys to match the crowd alone at row `at` of `budget_table`.

    The target is the better crowd-only accuracy there; a route reaches it by coming within
    `TOLERANCE`. `answers_crowd` is the cheapest budget at which a crowd-only source reaches it;
    `answers_weak` the cheapest at which `weak` does, 0 if `free` (its accuracy without crowd
    answers) already does, None if it never does. `ratio` is crowd over weak, where both are
    known and `weak` buys any answers.
    """
    target = float(table.loc[at, list(crowd_only)].max())
    near = target - TOLERANCE
    crowd = table[table[list(crowd_only)].max(axis=1) >= near]["answers"].min()
    reached = table[table[weak] >= near]["answers"]
    weak_answers = 0.0 if free >= near else (float(reached.min()) if len(reached) else None)
    return {
        "accuracy": target,
        "answers_weak": weak_answers,
        "answers_crowd": float(crowd),
        "ratio": float(crowd) / weak_answers if weak_answers else None,
    }
