"""The tutorial's statistics: bootstrap intervals and paired differences over splits.

Right/wrong flags come one dict per split, from a source's key to a boolean array over that
split's scored test tweets (`crowdsourcing.budget` builds them from its outcomes table).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.stats import bootstrap

__all__ = [
    "MIN_SPLITS_TO_RESAMPLE",
    "accuracy_ci",
    "bootstrap_ci",
    "interval_unit",
    "mean_std",
    "paired_difference",
    "verdict",
]

Correct = Sequence[Mapping[Hashable, np.ndarray]]
#: With fewer splits than this, intervals resample test tweets instead of splits.
MIN_SPLITS_TO_RESAMPLE = 5


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
