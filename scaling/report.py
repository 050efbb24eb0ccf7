"""What the scaling notebook says about its own timings: sentences and a figure, kept out of its
cells so that those show only the calls a reader would copy."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

__all__ = [
    "applier_comparison",
    "break_even",
    "class_vote_counts",
    "per_tweet",
    "timings_figure",
    "versus_majority",
]

#: Colour of each kind of bar in `timings_figure`.
KINDS = {
    "one process, as the tutorial does it": "C0",
    "the route that scales": "C1",
    "start-up, once per cluster": "C7",
}


def break_even(startup: float, slow_per_item: float, fast_per_item: float) -> float | None:
    """Items from which the faster route, start-up included, wins; None if it never does."""
    saved = slow_per_item - fast_per_item
    return startup / saved if saved > 0 else None


def _round2(x: float) -> int:
    """`x` rounded to two significant digits, as a whole number."""
    return int(float(f"{x:.2g}"))


def applier_comparison(
    pandas_s: float, dask_s: float, startup_s: float, n_tweets: int, workers: int
) -> str:
    """Pandas against Dask on the same tweets, said with and without the cluster's start-up."""
    total = startup_s + dask_s
    verdict = "slower" if total > pandas_s else "faster"
    lines = [
        f"PandasLFApplier: {pandas_s:.2f} s for {n_tweets:,} tweets",
        f"DaskLFApplier on {workers} worker processes: {dask_s:.2f} s,"
        f" {pandas_s / dask_s:.2f} times as fast",
        f"Local cluster start-up: {startup_s:.2f} s;"
        f" start-up included, Dask took {total:.2f} s, {verdict} than pandas at this size",
    ]
    tweets = break_even(startup_s, pandas_s / n_tweets, dask_s / n_tweets)
    lines.append(
        f"Dask pays for its start-up from about {_round2(tweets):,} tweets on this machine"
        if tweets is not None
        else "Dask is not faster per tweet on this machine, so it never pays for its start-up"
    )
    return "\n".join(lines)


def per_tweet(steps: list[tuple[str, float, int]]) -> str:
    """Wall-clock milliseconds per tweet of each (name, seconds, tweets), slowest first."""
    ranked = sorted(steps, key=lambda step: step[1] / step[2], reverse=True)
    parts = [f"{name} {1000 * seconds / tweets:.2f} ms" for name, seconds, tweets in ranked]
    ratio = (ranked[0][1] / ranked[0][2]) / (ranked[1][1] / ranked[1][2])
    return (
        f"Wall-clock time per tweet on the cluster: {'; '.join(parts)}\n"
        f"The slowest per tweet here is {ranked[0][0]}, {ratio:.1f} times the next"
    )


def class_vote_counts(answers: pd.DataFrame, tweet_ids: pd.Index) -> str:
    """How many of `tweet_ids` get no class vote (answer 0 or 1) in `answers`, a single one, or
    exactly two that disagree, in words."""
    votes = answers[answers["answer"].isin([0, 1])].groupby(level="tweet_id")["answer"]
    count = votes.size().reindex(tweet_ids, fill_value=0)
    split = votes.nunique().reindex(tweet_ids, fill_value=0) == 2
    none, one, two = (count == 0).sum(), (count == 1).sum(), (split & (count == 2)).sum()
    return (
        f"Of the {len(tweet_ids):,} tweets, {none:,} get no class vote, {one:,} a single one"
        f" and {two:,} two that disagree"
    )


def versus_majority(model_accuracy: float, majority_accuracy: float, n_tweets: int) -> str:
    """The label model's accuracy against a majority vote's on the same tweets, in tweets."""
    gained = round((model_accuracy - majority_accuracy) * n_tweets)
    more = f"{abs(gained):,} {'more' if gained > 0 else 'fewer'}" if gained else "the same number"
    return (
        f"Majority vote: {majority_accuracy:.3f}; label model: {model_accuracy:.3f}"
        f" ({more} of the {n_tweets:,} tweets right)"
    )


def timings_figure(bars: list[tuple[str, float, str]], title: str) -> tuple[Figure, str]:
    """Horizontal bars (name, seconds, kind from `KINDS`) on a log scale, and their alt text."""
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(bars) + 1.5))
    for row, (_, seconds, kind) in enumerate(bars):
        ax.barh(row, seconds, color=KINDS[kind])
    ax.set_yticks(range(len(bars)), [name for name, _, _ in bars])
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set(xlabel="seconds (log scale)", title=title)
    handles = [plt.Rectangle((0, 0), 1, 1, color=colour) for colour in KINDS.values()]
    ax.legend(handles, list(KINDS), loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2)
    fig.tight_layout()
    alt = f"Bar chart, log scale: {title}. " + "; ".join(
        f"{name} ({kind}): {seconds:.2f} s" for name, seconds, kind in bars
    )
    return fig, alt
