"""The tutorial's key figures as one JSON document, for tests, CI and comparing runs."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from crowdsourcing.splits import SplitResult
from crowdsourcing.statistics import bootstrap_ci, mean_std

__all__ = ["key_figures", "write_metrics"]


def key_figures(
    *,
    part_one: Mapping[str, object],
    this_split: SplitResult,
    this_correct: Mapping,
    runs: Sequence[SplitResult],
    correct: Sequence[Mapping],
    budget: pd.DataFrame,
    fixed: Mapping[str, tuple[float, float, float]],
    saving: Mapping,
    declared: str,
    gold_votes: str,
) -> dict:
    """The figures of a run, named: `part_one`'s as they are; the declared end model (`declared`,
    with gold labels and the same features as `gold_votes`) on `this_split` and over `runs`; and
    the budget table with the sources that buy no answers (`fixed`: mean, low, high)."""
    acc, low, high = bootstrap_ci(this_correct[declared])
    dev = [run.dev_accuracy for run in runs]
    share = part_one["crowd_coverage_train"]
    here = budget[np.isclose(budget["share"], share) & budget["per_tweet"].isna()].iloc[0]
    sources = [c[: -len(" low")] for c in budget.columns if c.endswith(" low")]
    return _plain(
        {
            **part_one,
            "stronger": {
                "label_model_dev_acc": this_split.dev_accuracy["LabelModel labels"],
                "majority_vote_dev_acc": this_split.dev_accuracy["majority vote labels"],
                "end_model": {"features": "embeddings + LF votes", "labels": "LabelModel, soft"},
                "end_model_test_acc": acc,
                "end_model_test_ci95": [low, high],
                "gold_ceiling_test_acc": this_correct[gold_votes].mean(),
                "test_tweets_scored": len(this_correct[declared]),
            },
            "splits": {
                "n": len(runs),
                "label_model_dev_acc": mean_std([d["LabelModel labels"] for d in dev]),
                "majority_vote_dev_acc": mean_std([d["majority vote labels"] for d in dev]),
                "end_model_test_acc": mean_std([c[declared].mean() for c in correct]),
                "gold_ceiling_test_acc": mean_std([c[gold_votes].mean() for c in correct]),
                "label_sources_test_acc": {s: here[s] for s in sources}
                | {s: mean for s, (mean, _, _) in fixed.items()},
                "verdict": {
                    "weak_minus_crowd": {"mean": here["difference"], "ci95": [here.low, here.high]},
                    **{k: here[k] for k in ("wins", "ties", "losses")},
                },
            },
            "budget": [_budget_record(row, sources) for _, row in budget.iterrows()],
            "budget_saving": dict(saving),
        }
    )


def _budget_record(row: pd.Series, sources: Sequence[str]) -> dict:
    """One row of the budget table in the JSON layout."""
    return {
        "coverage": row["share"],
        "answers_per_tweet": None if pd.isna(row["per_tweet"]) else int(row["per_tweet"]),
        "answers": row["answers"],
        "sources": {
            s: {"mean": row[s], "ci95": [row[f"{s} low"], row[f"{s} high"]]} for s in sources
        },
        "weak_minus_crowd": {
            "mean": row["difference"],
            "ci95": [row["low"], row["high"]],
            **{k: int(row[k]) for k in ("wins", "ties", "losses")},
        },
    }


def _plain(figures: dict) -> dict:
    """`figures` with numpy scalars turned into plain floats and ints."""
    return json.loads(json.dumps(figures, default=lambda x: x.item()))


def write_metrics(path: str | os.PathLike | None, figures: Mapping) -> None:
    """Write `figures` as JSON to `path` (nothing if it is None), atomically."""
    if not path:
        return
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(figures, indent=2))
    partial.replace(path)
