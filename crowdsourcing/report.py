"""How the tutorial shows its results: tables, figures, intervals, the verdict and the metrics.

Nothing here is weak supervision; it is what a reader need not read to follow the notebook.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display
from matplotlib.figure import Figure
from scipy.stats import bootstrap
from snorkel.labeling import LFAnalysis
from snorkel.labeling.model import LabelModel

from crowdsourcing.splits import Split, SplitResult

__all__ = [
    "Table",
    "bootstrap_ci",
    "show",
    "over_splits",
    "paired_difference",
    "plot_label_sources",
    "learned_accuracy",
    "plot_learned_accuracy",
    "summary_lines",
    "verdict",
    "write_metrics",
]


class Table:
    """A DataFrame shown with three decimals, text columns aligned left and "–" where empty.

    Its HTML is the same from run to run (a fixed table id), and so is its plain-text form.
    """

    def __init__(self, df: pd.DataFrame, text_columns: Sequence[str] = (), caption: str = ""):
        self.df, self.text_columns, self.caption = df, list(text_columns), caption

    def _repr_html_(self) -> str:
        style = self.df.style.format(precision=3, na_rep="–").set_uuid("table")
        style = style.set_properties(subset=self.text_columns, **{"text-align": "left"})
        return style.set_caption(html.escape(self.caption)).to_html()

    def __repr__(self) -> str:
        text = self.df.to_string(float_format="{:.3f}".format, na_rep="–")
        return f"{self.caption}\n{text}" if self.caption else text


def show(fig: Figure, alt: str) -> None:
    """Display `fig` as a PNG <img> described by `alt` (also its plain-text form), then close it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    img = f'<img src="data:image/png;base64,{png}" alt="{html.escape(alt)}">'
    display({"text/html": img, "text/plain": f"[figure] {alt}"}, raw=True)


def bootstrap_ci(correct: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Accuracy of the right/wrong flags `correct` and its percentile bootstrap interval."""
    low, high = _bootstrap_mean(np.asarray(correct, dtype=float), level)
    return float(np.mean(correct)), low, high


def _bootstrap_mean(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean (2,000 resamples, fixed seed)."""
    interval = bootstrap(
        (values,),
        np.mean,
        confidence_level=level,
        n_resamples=2000,
        method="percentile",
        rng=np.random.default_rng(0),
    ).confidence_interval
    return float(interval.low), float(interval.high)


def splits_text(n: int) -> str:
    """`n` splits and their seeds, in words."""
    return "1 split (seed 0)" if n == 1 else f"{n} splits (seeds 0 to {n - 1})"


def over_splits(table: pd.DataFrame, n_tweets: Sequence[int]) -> Table:
    """Mean and standard deviation of each column over the splits (rows), or the one value."""
    low, high = min(n_tweets), max(n_tweets)
    tweets = f"{low}" if low == high else f"{low} to {high}"
    caption = f"Test accuracy on {splits_text(len(table))}; {tweets} test tweets scored each"
    if len(table) == 1:
        return Table(table.T.set_axis(["one split: no spread"], axis=1), caption=caption)
    return Table(table.agg(["mean", "std"]).T, caption=caption)


def mean_std(values: Sequence[float]) -> dict[str, float | None]:
    """Mean and standard deviation (none for a single value)."""
    values = pd.Series(values, dtype=float)
    return {"mean": values.mean(), "std": values.std() if len(values) > 1 else None}


def paired_difference(
    correct: Sequence[Mapping[str, np.ndarray]], a: str, b: str
) -> dict[str, float | int]:
    """Mean accuracy of `a` minus that of `b` over the splits, paired, with a 95% interval.

    The interval resamples the splits; with a single split, it resamples its test tweets.
    Wins, ties and losses count the splits where `a` is more, equally or less accurate.
    """
    diffs = np.array([c[a].mean() - c[b].mean() for c in correct])
    units = diffs if len(diffs) > 1 else correct[0][a].astype(float) - correct[0][b]
    low, high = _bootstrap_mean(units)
    return {
        "mean": float(diffs.mean()),
        "ci95_low": low,
        "ci95_high": high,
        "wins": int((diffs > 0).sum()),
        "ties": int((diffs == 0).sum()),
        "losses": int((diffs < 0).sum()),
    }


def verdict(a: str, b: str, diff: Mapping[str, float]) -> str:
    """The paired difference of `a` over `b`, in words."""
    wins, ties, losses = (int(diff[k]) for k in ("wins", "ties", "losses"))
    n = wins + ties + losses
    figures = (
        f"{a} minus {b}: {diff['mean']:+.3f} accuracy (95% interval {diff['ci95_low']:+.3f} to "
        f"{diff['ci95_high']:+.3f}); higher on {wins}, equal on {ties} and lower on {losses} of "
        f"{n} split{'s' * (n > 1)}."
    )
    if diff["ci95_low"] > 0:
        return f"{figures}\nVerdict: {a} is better."
    if diff["ci95_high"] < 0:
        return f"{figures}\nVerdict: {b} is better."
    return f"{figures}\nVerdict: no difference this evaluation can resolve."


def learned_accuracy(model: LabelModel, split: Split) -> pd.DataFrame:
    """Per LF: its dev accuracy and votes, and what the label model learned about it.

    `learned` is `get_weights()`: the probability the model gives the LF's correct votes divided
    by how often the LF votes on the training tweets, clipped at 1; `clipped` says where the
    ratio passed 1. `precision` divides by how often the model expects it to vote instead.
    """
    y_dev = split.dev["sentiment"].to_numpy()
    summary = LFAnalysis(split.L_dev).lf_summary(y_dev).set_axis(split.lf_names)
    votes, balance = model.get_conditional_probs()[:, 1:, :], np.diag(model.P.detach().numpy())
    joint = np.einsum("jyy,y->j", votes, balance)  # P(the LF votes, and votes the true class)
    expected = votes.sum(axis=1) @ balance  # P(the LF votes)
    with np.errstate(divide="ignore", invalid="ignore"):  # an LF silent on train has no estimate
        ratio = np.where(model.coverage > 0, joint / model.coverage, np.nan)
        precision = np.where(model.coverage > 0, joint / expected, np.nan)
    return pd.DataFrame(
        {
            "kind": ["text"] * split.n_text + ["crowd"] * (len(summary) - split.n_text),
            "dev accuracy": summary["Emp. Acc."],
            "dev votes": summary["Correct"] + summary["Incorrect"],
            "train votes": (split.L_train != -1).sum(axis=0),
            "learned": np.minimum(ratio, 1.0),
            "clipped": ratio > 1,
            "precision": precision,
        }
    )


def plot_learned_accuracy(learned: pd.DataFrame, seed: int, min_votes: int = 3) -> None:
    """Each LF's learned accuracy against its dev accuracy, for LFs with `min_votes` dev votes."""
    table = learned[(learned["dev votes"] >= min_votes) & learned["learned"].notna()]
    fig, ax = plt.subplots(figsize=(6.5, 5))
    for kind, marker in [("crowd", "o"), ("text", "s")]:
        part = table[table.kind == kind]
        ax.scatter(
            part["dev accuracy"],
            part["learned"],
            s=8 * part["dev votes"],
            marker=marker,
            alpha=0.6,
            label=f"{kind} LFs ({len(part)})",
            clip_on=False,
        )
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--", label="learned = dev")
    low = min(table[["dev accuracy", "learned"]].min().min(), 0.5) - 0.05
    ax.set(
        xlim=(low, 1.02),
        ylim=(low, 1.02),
        aspect="equal",
        xlabel="accuracy on the dev tweets it votes on",
        ylabel="accuracy learned without labels",
        title=f"What the LabelModel learned (split {seed})",
    )
    ax.legend(
        loc="upper left",
        bbox_to_anchor=(1.02, 1),
        frameon=False,
        title=f"marker area: dev votes (≥ {min_votes})",
    )
    show(
        fig,
        "Scatter plot of each LF's accuracy learned by the LabelModel against its accuracy "
        "on dev votes, crowd and text LFs apart, with a dashed diagonal where they are equal.",
    )


def plot_label_sources(table: pd.DataFrame) -> None:
    """Test accuracy per split (rows) of the end model trained on each source (columns)."""
    n = len(table)
    fig, ax = plt.subplots(figsize=(9, 4))
    positions = np.arange(1, table.shape[1] + 1)
    if n >= 5:
        ax.boxplot(table.to_numpy(), positions=positions, showfliers=False, widths=0.5)
    jitter = np.random.default_rng(0).uniform(-0.15, 0.15, (n, 1)) * (n > 1)
    dots = (positions + jitter).ravel(), table.to_numpy().ravel()
    ax.scatter(*dots, s=12, alpha=0.5, color="C0", label="one split", clip_on=False, zorder=3)
    if n > 1:
        ax.scatter(positions, table.mean(), marker="D", color="black", zorder=2, label="mean")
    ax.set_xticks(positions, [c.replace(" (", "\n(") for c in table.columns], fontsize=8)
    ax.set(
        ylabel="test accuracy",
        title=f"The same end model, trained on each source's labels ({n} split{'s' * (n > 1)})",
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    marks = " with box plots and the mean marked" if n >= 5 else " with the mean marked" * (n > 1)
    show(fig, f"Test accuracy of the same end model trained on each source's labels, one dot per "
         f"split{marks}.")  # fmt: skip


def write_metrics(
    path: str | os.PathLike | None,
    part_one: Mapping[str, float],
    this_split: SplitResult,
    this_correct: Mapping[str, np.ndarray],
    runs: Sequence[SplitResult],
    test_by_split: pd.DataFrame,
    weak_minus_crowd: Mapping[str, float],
    declared: str,
) -> dict:
    """The notebook's key figures as a dict, also written as JSON to `path` if one is given.

    `this_correct` and `test_by_split` are the right/wrong flags of `this_split`'s scored test
    tweets and the test accuracy per split (rows) and end model (columns) of `runs`.
    """
    this_dev, dev_by_split = this_split.dev_accuracy, [run.dev_accuracy for run in runs]
    acc, low, high = bootstrap_ci(this_correct[declared])
    metrics = {
        **part_one,
        "stronger": {
            "label_model_dev_acc": this_dev["LabelModel labels"],
            "majority_vote_dev_acc": this_dev["majority vote labels"],
            "end_model": {"features": "embeddings + LF votes", "labels": "LabelModel, soft"},
            "end_model_test_acc": acc,
            "end_model_test_ci95": [low, high],
            "gold_ceiling_test_acc": this_correct["gold + LF votes"].mean(),
            "test_tweets_scored": len(this_correct[declared]),
        },
        "splits": {
            "n": len(test_by_split),
            "label_model_dev_acc": mean_std([d["LabelModel labels"] for d in dev_by_split]),
            "majority_vote_dev_acc": mean_std([d["majority vote labels"] for d in dev_by_split]),
            "end_model_test_acc": mean_std(test_by_split[declared]),
            "gold_ceiling_test_acc": mean_std(test_by_split["gold + LF votes"]),
            "chosen": {declared: len(test_by_split)},
            "label_sources_test_acc": test_by_split.mean().to_dict(),
            "verdict": {
                "weak_minus_crowd": {
                    "mean": weak_minus_crowd["mean"],
                    "ci95": [weak_minus_crowd["ci95_low"], weak_minus_crowd["ci95_high"]],
                },
                **{k: int(weak_minus_crowd[k]) for k in ("wins", "ties", "losses")},
            },
        },
    }
    metrics = json.loads(json.dumps(metrics, default=float))  # plain floats and ints only
    if path:
        with open(path, "w") as f:
            json.dump(metrics, f, indent=2)
    return metrics


def summary_lines(metrics: Mapping, weak: str, crowd: str, split_seed: int) -> list[str]:
    """The key figures of `write_metrics`, and the verdict of `weak` over `crowd`, as text."""
    splits, stronger = metrics["splits"], metrics["stronger"]
    verdict_figures = splits["verdict"]["weak_minus_crowd"]
    diff = {
        "mean": verdict_figures["mean"],
        "ci95_low": verdict_figures["ci95"][0],
        "ci95_high": verdict_figures["ci95"][1],
    } | splits["verdict"]
    mean = "Test accuracy" if splits["n"] == 1 else "Mean test accuracy"
    lines = [f"{mean} on {splits_text(splits['n'])}:"]
    lines += [f"  {name}: {acc:.3f}" for name, acc in splits["label_sources_test_acc"].items()]
    lines += [
        verdict(weak, crowd, diff),
        f"Split {split_seed}: the first part's end model {metrics['end_model_test_acc']:.2f} on "
        f"all test tweets; the declared pipeline {stronger['end_model_test_acc']:.2f} on "
        f"{stronger['test_tweets_scored']} (95% interval {stronger['end_model_test_ci95'][0]:.2f}"
        f" to {stronger['end_model_test_ci95'][1]:.2f}).",
    ]
    return lines
