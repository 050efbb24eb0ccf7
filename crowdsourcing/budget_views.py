"""How the tutorial shows its crowd-budget experiment: its tables, its figure, and the sentences
that state its answer, all from the summaries of `crowdsourcing.budget`.

Nothing here is weak supervision; it is what a reader need not read to follow the notebook.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from crowdsourcing.budget import NO_ANSWERS, Budget
from crowdsourcing.display import Table, show, signed

__all__ = [
    "budget_answer",
    "budget_name",
    "budget_view",
    "label_readings",
    "label_view",
    "plot_budget_curve",
    "saving_sentence",
    "summary",
]


STYLES = {1: (":", "v"), 3: ("--", "^"), None: ("-", "o")}  # answers per tweet: line, marker


def plot_budget_curve(
    quality: pd.DataFrame,
    accuracy: pd.DataFrame,
    *,
    crowd: Sequence[str],
    weak: str,
    text: str,
    fixed: Sequence[str],
    mark: Budget,
) -> None:
    """Three panels against answers bought (log scale): label accuracy on the answered tweets, the
    share of all training tweets labelled right, and the end model's test accuracy with its
    interval; a colour per source, a line style per answers per tweet, `mark` circled."""
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.8), sharex=True)
    sources = [*crowd, weak]
    colors = {source: f"C{i}" for i, source in enumerate(sources)} | {text: "grey"}
    spend = accuracy.xs(weak, level="source")["answers"]
    right = quality.accuracy * quality.coverage
    for i, source in enumerate([*sources, text]):
        dodge = 1 + 0.04 * (i - 1)
        _budget_lines(axes[0], quality.accuracy_answered, spend, source, colors[source], dodge)
        _budget_lines(axes[1], right, spend, source, colors[source], dodge)
        if source != text:
            bars = (accuracy["low"], accuracy["high"])
            _budget_lines(axes[2], accuracy["mean"], spend, source, colors[source], dodge, bars)
    for source, ls in zip(fixed, ("--", "-.", ":"), strict=False):
        mean = accuracy.loc[(NO_ANSWERS, source), "mean"]
        axes[2].axhline(mean, color="black", lw=1, ls=ls, alpha=0.6)
        axes[2].annotate(
            f"{source} {mean:.3f}",
            (1.01, mean),
            xycoords=("axes fraction", "data"),
            fontsize=8,
            va="center",
        )
    here = accuracy.loc[(mark, weak)]
    axes[2].scatter(here["answers"], here["mean"], s=250, facecolors="none", edgecolors="black")
    titles = [
        "labels on the tweets with answers",
        "training tweets labelled right",
        "end model on test tweets",
    ]
    ylabels = ["label accuracy", "share of all training tweets", "test accuracy (95% interval)"]
    for ax, title, ylabel in zip(axes, titles, ylabels, strict=True):
        ax.set(xscale="log", title=title, ylabel=ylabel, xlabel="crowd answers bought (log scale)")
    handles = [plt.Line2D([], [], color=colors[s], lw=2, label=s) for s in [*sources, text]]
    handles += [
        plt.Line2D([], [], color="black", ls=ls, marker=m, label=_per_tweet_name(p))
        for p, (ls, m) in STYLES.items()
    ]
    fig.legend(
        handles=handles, loc="lower center", ncol=7, frameon=False, bbox_to_anchor=(0.5, -0.06)
    )
    show(
        fig,
        "Three line charts against crowd answers bought on a log scale: label accuracy on the "
        "answered tweets, the share of training tweets labelled right, and the end model's test "
        "accuracy, a colour per source and a line style per answers per tweet.",
    )


def _per_tweet_name(per_tweet: int | None) -> str:
    """Answers per tweet in words."""
    return "all answers" if per_tweet is None else f"{per_tweet} per tweet"


def _budget_lines(
    ax, values: pd.Series, spend: pd.Series, source: str, color: str, dodge: float, bars=None
) -> None:
    """A line per answers per tweet of `source`'s `values` against `spend` (answers by budget),
    x scaled by `dodge` so that lines which coincide stay visible; `bars`: (low, high) values."""
    for per_tweet, (ls, marker) in STYLES.items():
        keys = sorted(
            (
                k
                for k in values.index
                if k[1] == source and k[0] != NO_ANSWERS and k[0].per_tweet == per_tweet
            ),
            key=lambda k: k[0].share,
        )
        x, y = spend.loc[[k[0] for k in keys]].to_numpy() * dodge, values.loc[keys].to_numpy()
        yerr = None if bars is None else [y - bars[0].loc[keys], bars[1].loc[keys] - y]
        ax.errorbar(x, y, yerr=yerr, color=color, ls=ls, marker=marker, ms=4, lw=1.2, capsize=2)


def budget_name(budget: Budget, answers: float) -> str:
    """A budget in words: "5% of the tweets, 3 per tweet (28 answers)"."""
    return f"{budget} ({answers:,.0f} answers)"


def _budget_index(budgets: Sequence[Budget]) -> pd.MultiIndex:
    """Rows named by answers per tweet and share of tweets."""
    return pd.MultiIndex.from_tuples(
        [(_per_tweet_name(b.per_tweet), f"{b.share:.0%}") for b in budgets],
        names=["answers per tweet", "share of tweets"],
    )


def label_view(quality: pd.DataFrame, sources: Sequence[str], answered_by: str, weak: str) -> Table:
    """A row per budget: the share of training tweets `answered_by` labels, each source's label
    accuracy on those tweets, and `weak`'s accuracy over all training tweets."""
    budgets = sorted({b for b in quality.index.get_level_values("budget") if b != NO_ANSWERS})
    column = lambda s, c: [quality.loc[(b, s), c] for b in budgets]  # noqa: E731
    columns = {
        ("answered tweets", "share"): column(answered_by, "coverage"),
        **{("answered tweets", s): column(s, "accuracy_answered") for s in sources},
        ("all training tweets", weak): column(weak, "accuracy"),
    }
    view = pd.DataFrame(columns, index=_budget_index(budgets))
    view.columns = pd.MultiIndex.from_tuples(view.columns)
    return Table(view, caption="Accuracy of the training labels, mean over the splits")


def budget_view(
    accuracy: pd.DataFrame, versus: pd.DataFrame, sources: Sequence[str], names: tuple[str, str]
) -> Table:
    """A row per budget: each source's mean test accuracy, and `names[0]` minus `names[1]` paired
    by split (`versus`) with its interval, splits won, tied and lost, and verdict."""
    budgets = list(versus.index)
    view = pd.DataFrame(
        {
            "answers": [f"{accuracy.loc[(b, names[0]), 'answers']:,.0f}" for b in budgets],
            **{s: [accuracy.loc[(b, s), "mean"] for b in budgets] for s in sources},
            "difference": [signed(d) for d in versus["mean"]],
            "95% interval": [
                f"{signed(lo)} to {signed(hi)}"
                for lo, hi in zip(versus.low, versus.high, strict=True)
            ],
            "won/tied/lost": [
                f"{w}/{t}/{lo}"
                for w, t, lo in zip(versus.wins, versus.ties, versus.losses, strict=True)
            ],
            "verdict": list(versus.verdict),
        },
        index=_budget_index(budgets),
    )
    fixed = accuracy.xs(NO_ANSWERS, level="budget")
    free = "; ".join(
        f"{s} {r['mean']:.3f} ({r.low:.3f} to {r.high:.3f})" for s, r in fixed.iterrows()
    )
    return Table(
        view,
        caption=f"End model's test accuracy, mean over the splits; difference: {names[0]} minus "
        f"{names[1]}. Without crowd answers: {free}",
    )


def label_readings(
    quality: pd.DataFrame, spend: pd.Series, weak: str, crowd: str, compare: Budget
) -> str:
    """Per answers per tweet: `crowd`'s label accuracy on answered tweets, how far `weak` trails
    it there, and `weak`'s over all training tweets; then, at about `compare`'s spend, what
    `weak` labels right at each answers per tweet."""
    budgets = [b for b in spend.index if b != NO_ANSWERS]
    lines, near = [], []
    for per_tweet in STYLES:
        line = [b for b in budgets if b.per_tweet == per_tweet]
        ours, theirs = (
            quality.loc[[(b, weak) for b in line]],
            quality.loc[[(b, crowd) for b in line]],
        )
        gap = theirs.accuracy_answered.to_numpy() - ours.accuracy_answered.to_numpy()
        lines.append(
            f"{_per_tweet_name(per_tweet).capitalize()}: on answered tweets, {crowd} "
            f"{theirs.accuracy_answered.min():.3f} to {theirs.accuracy_answered.max():.3f}, minus "
            f"{weak} {gap.min():+.3f} to {gap.max():+.3f}; over all training tweets {weak} labels "
            f"{ours.accuracy.min():.3f} to {ours.accuracy.max():.3f} right"
        )
        near.append(min(line, key=lambda b: abs(spend[b] - spend[compare])))
    lines += [
        f"About {spend[compare]:,.0f} answers, {b} ({spend[b]:,.0f}): {weak} labels "
        f"{quality.loc[(b, weak), 'accuracy']:.3f} of all training tweets right"
        for b in near
    ]
    return "\n".join(lines)


def budget_answer(
    versus: pd.DataFrame, spend: pd.Series, saving: dict, names: tuple[str, str], n_splits: int
) -> str:
    """Where source `names[0]` beats, ties and loses to `names[1]` on test (`versus`, by budget;
    `spend`: answers by budget), and the saving in words."""
    lines = []
    for word in ("better", "unresolved", "worse"):
        lines.append(f"{names[0]} against {names[1]} on test, {word}:")
        budgets = versus.index[versus["verdict"] == word]
        lines += [f"  {budget_name(b, spend[b])}" for b in budgets] or ["  at no budget"]
    lines.append(saving_sentence(saving, n_splits))
    return "\n".join(lines)


def saving_sentence(saving: dict, n_splits: int) -> str:
    """The saving of `budget.budget_saving` in words, with its interval."""
    crowd = (
        f"Target: the majority vote's mean test accuracy at the first part's budget, "
        f"{saving['accuracy']:.3f}; the crowd alone reaches it with "
        f"{saving['answers_crowd']:,.0f} answers"
    )
    low, high = (_ratio(x) for x in saving["ci95"])
    interval = f"the 95% interval of that ratio runs from {low} to {high}"
    interval += ", wide with so few splits" if n_splits < 5 else ""
    if saving["answers_weak"] == np.inf:
        return f"{crowd}; the label model over crowd and text LFs never does; {interval}."
    if saving["answers_weak"] == 0:
        return f"{crowd}; the label model over the text LFs alone does, with no answer; {interval}."
    ratio = saving["ratio"]
    times = f"{ratio:.1f} times fewer" if ratio >= 1 else f"{1 / ratio:.1f} times more"
    return (
        f"{crowd}; the label model over crowd and text LFs with {saving['answers_weak']:,.0f}, "
        f"{times}; {interval}."
    )


def _ratio(ratio: float | None) -> str:
    """A saving ratio in words: 0 where never reached, infinity where no answer is needed."""
    if ratio is None or ratio == np.inf:
        return "infinity (no answer needed)"
    if ratio == 0:
        return "0 (never reached)"
    return f"{ratio:.2f}" if ratio < 1 else f"{ratio:.1f}"


def summary(metrics: dict, split_seed: int) -> str:
    """The notebook's findings, each with its figure, from `metrics.key_figures`."""
    check, splits, budget = metrics["lf_check"], metrics["splits"], metrics["budget"]
    cheapest = min(budget, key=lambda b: b["answers"])
    richest = max(budget, key=lambda b: b["answers"])
    lines = [
        f"First part, split {split_seed}: end model {metrics['end_model_test_acc']:.2f}, the "
        f"same features with gold labels {metrics['gold_labels_test_acc']:.2f}, the rule "
        f"{metrics['rule_test_acc']:.2f}.",
        f"Label model on the checked dev half: {check['first_lfs']:.2f} with the first LFs, "
        f"{check['stronger_lfs']:.2f} with the stronger ones.",
    ]
    for name, b in [("Cheapest", cheapest), ("Richest", richest)]:
        diff = b["weak_minus_crowd"]
        lines.append(
            f"{name} budget, {b['answers']:,.0f} answers: the label model over crowd and text "
            f"LFs minus the majority vote {signed(diff['mean'])} "
            f"({signed(diff['ci95'][0])} to {signed(diff['ci95'][1])}) on test."
        )
    saving = metrics["budget_saving"]
    inf = {
        k: np.inf if v is None else v for k, v in saving.items() if k in ("answers_weak", "ratio")
    }
    lines.append(
        saving_sentence(
            saving | inf | {"ci95": [np.inf if x is None else x for x in saving["ci95"]]},
            splits["n"],
        )
    )
    n = splits["n"]
    lines.append(
        f"Declared end model, mean over {n} split{'s' * (n > 1)}: "
        f"{splits['end_model_test_acc']['mean']:.3f} (gold labels, same features: "
        f"{splits['gold_ceiling_test_acc']['mean']:.3f})."
    )
    return "\n".join(lines)
