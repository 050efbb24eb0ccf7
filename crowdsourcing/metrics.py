"""The tutorial's key figures as one JSON document, for tests, CI and comparing runs."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from crowdsourcing.budget import (
    DECLARED,
    DEV,
    GOLD_VOTES,
    LABEL_MODEL_DEV,
    MAJORITY_DEV,
    NO_ANSWERS,
    TEST,
    Budget,
    differences,
)
from crowdsourcing.statistics import bootstrap_ci, mean_std

__all__ = ["SAVING_ON", "key_figures", "write_metrics"]

#: What the saving is read on, as the JSON states it.
SAVING_ON = (
    "the end model's mean test accuracy; target: the majority vote's at the first part's budget"
)


def key_figures(
    part_one: Mapping[str, object],
    table: pd.DataFrame,
    split_seed: int,
    n_splits: int,
    quality: pd.DataFrame,
    accuracy: pd.DataFrame,
    saving: Mapping,
    sources: Mapping,
) -> dict:
    """The figures of a run, named: `part_one`'s as they are; the declared end model and its dev
    labels on `split_seed`'s split and over the `n_splits` splits; one record per budget, with
    each source's labels (`quality`), test accuracy (`accuracy`) and the weak source minus the
    first crowd-only one (`sources` names the crowd-only ones, the weak one, the text LFs' and
    those that buy no answer); and the saving."""
    first = Budget(part_one["crowd_coverage_train"])
    weak, crowd, text = sources["weak"], list(sources["crowd"]), sources["text"]
    versus = differences(table[table.seed.isin(range(n_splits))], weak, crowd[0])
    scores = table.groupby(["seed", "role", "source"]).correct.mean()
    seeds = list(range(n_splits))
    this = table[(table.seed == split_seed) & (table.source == DECLARED)].correct
    acc, low, high = bootstrap_ci(this.to_numpy())

    def over_splits(role: str, source: str) -> dict:
        return mean_std([scores[seed, role, source] for seed in seeds])

    return _plain(
        {
            **part_one,
            "stronger": {
                "label_model_dev_acc": scores[split_seed, DEV, LABEL_MODEL_DEV],
                "majority_vote_dev_acc": scores[split_seed, DEV, MAJORITY_DEV],
                "end_model": {"features": "embeddings + LF votes", "labels": "LabelModel, soft"},
                "end_model_test_acc": acc,
                "end_model_test_ci95": [low, high],
                "gold_ceiling_test_acc": scores[split_seed, TEST, GOLD_VOTES],
                "test_tweets_scored": len(this),
            },
            "splits": {
                "n": n_splits,
                "label_model_dev_acc": over_splits(DEV, LABEL_MODEL_DEV),
                "majority_vote_dev_acc": over_splits(DEV, MAJORITY_DEV),
                "end_model_test_acc": over_splits(TEST, DECLARED),
                "gold_ceiling_test_acc": over_splits(TEST, GOLD_VOTES),
                "label_sources_test_acc": {s: accuracy.loc[(first, s), "mean"] for s in crowd}
                | {weak: accuracy.loc[(first, weak), "mean"]}
                | {s: accuracy.loc[(NO_ANSWERS, s), "mean"] for s in sources["fixed"]},
                "verdict": {
                    "weak_minus_crowd": {
                        "mean": versus.loc[first, "mean"],
                        "ci95": [versus.loc[first, "low"], versus.loc[first, "high"]],
                    },
                    **{k: versus.loc[first, k] for k in ("wins", "ties", "losses")},
                },
            },
            "budget": [
                _budget_record(b, accuracy, versus, quality, [*crowd, weak], text)
                for b in versus.index
            ],
            "budget_saving": dict(saving) | {"on": SAVING_ON},
        }
    )


def _budget_record(
    budget: Budget,
    accuracy: pd.DataFrame,
    versus: pd.DataFrame,
    quality: pd.DataFrame,
    sources: Sequence[str],
    text: str,
) -> dict:
    """One budget in the JSON layout."""
    row = versus.loc[budget]
    return {
        "coverage": budget.share,
        "answers_per_tweet": budget.per_tweet,
        "answers": accuracy.loc[(budget, sources[-1]), "answers"],
        "sources": {
            s: {
                "mean": accuracy.loc[(budget, s), "mean"],
                "ci95": [accuracy.loc[(budget, s), "low"], accuracy.loc[(budget, s), "high"]],
            }
            for s in sources
        },
        "weak_minus_crowd": {
            "mean": row["mean"],
            "ci95": [row["low"], row["high"]],
            **{k: int(row[k]) for k in ("wins", "ties", "losses")},
        },
        "labels": {
            s: quality.loc[(budget, s), ["coverage", "accuracy", "accuracy_answered"]].to_dict()
            for s in [*sources, text]
        },
    }


def _plain(figures: object) -> object:
    """`figures` with numpy scalars as plain numbers, and infinities (a saving where no answer
    is needed) as null."""
    if isinstance(figures, Mapping):
        return {key: _plain(value) for key, value in figures.items()}
    if isinstance(figures, list | tuple):
        return [_plain(value) for value in figures]
    value = figures.item() if hasattr(figures, "item") else figures
    return None if isinstance(value, float) and math.isinf(value) else value


def write_metrics(path: str | os.PathLike | None, figures: Mapping) -> None:
    """Write `figures` as JSON to `path` (nothing if it is None), atomically: a failure leaves
    `path` as it was and no partial file beside it."""
    if not path:
        return
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"metrics_path {path} is a folder; give a file name in it")
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_text(json.dumps(figures, indent=2, allow_nan=False))
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
