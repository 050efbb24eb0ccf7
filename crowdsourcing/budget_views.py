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
    """Three panels against answers bought (log scale): label accuracy on the voted tweets, the
    share of all training tweets labelled right, and the end model's test accuracy with its
    interval; a colour per source, a line style per answers per tweet, the first crowd source at
    `mark` circled (the saving's target). Each
    source is moved a little sideways, the first crowd source drawn on top with open markers."""
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.8), sharex=True)
    sources = [*crowd, weak]
    colors = {source: f"C{i}" for i, source in enumerate(sources)} | {text: "grey"}
    spend = accuracy.xs(weak, level="source")["answers"]
    right = quality.accuracy * quality.coverage
    for i, source in enumerate([*sources, text]):
        style = {"color": colors[source], "dodge": 1 + 0.05 * (i - 1)}
        style |= {"zorder": 3, "mfc": "white"} if source == crowd[0] else {}
        _budget_lines(axes[0], quality.accuracy_answered, spend, source, **style)
        _budget_lines(axes[1], right, spend, source, **style)
        if source != text:
            bars = (accuracy["low"], accuracy["high"])
            _budget_lines(axes[2], accuracy["mean"], spend, source, bars=bars, **style)
    means = accuracy.xs(NO_ANSWERS, level="budget").loc[list(fixed), "mean"].sort_values()
    spaced = np.maximum.accumulate(
        means.to_numpy() - 0.012 * np.arange(len(means))
    ) + 0.012 * np.arange(len(means))
    for (source, mean), y in zip(means.items(), spaced, strict=True):
        axes[2].axhline(mean, color="grey", lw=0.8)
        axes[2].annotate(
            f"{source} {mean:.3f}",
            (1.01, y),
            xycoords=("axes fraction", "data"),
            fontsize=8,
            va="center",
        )
    here = accuracy.loc[(mark, crowd[0])]
    axes[2].scatter(here["answers"], here["mean"], s=250, facecolors="none", edgecolors="black")
    titles = [
        "labels on the voted tweets",
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
    handles.append(
        plt.Line2D(
            [], [], ls="", marker="o", ms=12, mfc="none", mec="black", label="the saving's target"
        )
    )
    fig.legend(
        handles=handles, loc="lower center", ncol=8, frameon=False, bbox_to_anchor=(0.5, -0.06)
    )
    show(
        fig,
        "Three line charts against crowd answers bought on a log scale: label accuracy on the "
        "voted tweets, the share of training tweets labelled right, and the end model's test "
        "accuracy, a colour per source and a line style per answers per tweet.",
    )


def _per_tweet_name(per_tweet: int | None) -> str:
    """Answers per tweet in words."""
    return "all answers" if per_tweet is None else f"{per_tweet} per tweet"


def _budget_lines(
    ax, values: pd.Series, spend: pd.Series, source: str, dodge: float, bars=None, **style
) -> None:
    """A line per answers per tweet of `source`'s `values` against `spend` (answers by budget),
    x scaled by `dodge`, and again a little per answers per tweet, so that lines which coincide
    stay visible; `bars`: (low, high) values; `style`: matplotlib's line keywords."""
    for j, (per_tweet, (ls, marker)) in enumerate(STYLES.items()):
        keys = sorted(
            (
                k
                for k in values.index
                if k[1] == source and k[0] != NO_ANSWERS and k[0].per_tweet == per_tweet
            ),
            key=lambda k: k[0].share,
        )
        x = spend.loc[[k[0] for k in keys]].to_numpy() * dodge * (1 + 0.015 * (j - 1))
        y = values.loc[keys].to_numpy()
        yerr = None if bars is None else [y - bars[0].loc[keys], bars[1].loc[keys] - y]
        ax.errorbar(x, y, yerr=yerr, ls=ls, marker=marker, ms=4, lw=1.2, capsize=2, **style)


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
    """A row per budget: the share of training tweets `answered_by` labels ("voted"), each
    source's label accuracy on those tweets, and `weak`'s accuracy over all training tweets."""
    budgets = sorted({b for b in quality.index.get_level_values("budget") if b != NO_ANSWERS})
    column = lambda s, c: [quality.loc[(b, s), c] for b in budgets]  # noqa: E731
    columns = {
        "voted": column(answered_by, "coverage"),
        **{f"voted: {s}": column(s, "accuracy_answered") for s in sources},
        f"all: {weak}": column(weak, "accuracy"),
    }
    return Table(
        pd.DataFrame(columns, index=_budget_index(budgets)),
        caption="Training labels right, mean over the splits, on the voted tweets and on all",
    )


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
                f"[{signed(lo)}, {signed(hi)}]"
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
    fixed = accuracy.xs(NO_ANSWERS, level="budget")["mean"]
    free = ", ".join(f"{s} {mean:.3f}" for s, mean in fixed.items())
    return Table(
        view,
        caption=f"End model's test accuracy, mean over the splits (without answers: {free}); "
        f"difference: {names[0]} minus {names[1]}",
    )


def label_readings(
    quality: pd.DataFrame, spend: pd.Series, weak: str, crowd: str, compare: Budget
) -> str:
    """Per answers per tweet: how often `crowd`'s labels are right on the voted tweets, `weak`'s
    minus those, and `weak`'s over all training tweets; then, for budgets of about `compare`'s
    spend, what `weak` labels right."""
    budgets = [b for b in spend.index if b != NO_ANSWERS]
    lines, near = [], []
    for per_tweet in STYLES:
        line = [b for b in budgets if b.per_tweet == per_tweet]
        ours = quality.loc[[(b, weak) for b in line]]
        theirs = quality.loc[[(b, crowd) for b in line]]
        gap = ours.accuracy_answered.to_numpy() - theirs.accuracy_answered.to_numpy()
        right = theirs.accuracy_answered
        lines.append(
            f"{_per_tweet_name(per_tweet).capitalize()}: on voted tweets the {crowd} is right on "
            f"{right.min():.3f} to {right.max():.3f}, the {weak} {gap.min():+.3f} to "
            f"{gap.max():+.3f} against it; on all training tweets the {weak} is right on "
            f"{ours.accuracy.min():.3f} to {ours.accuracy.max():.3f}"
        )
        near.append(min(line, key=lambda b: abs(spend[b] - spend[compare])))
    lines.append(f"Budgets of about {spend[compare]:,.0f} answers:")
    lines += [
        f"  {budget_name(b, spend[b])}: the {weak} right on "
        f"{quality.loc[(b, weak), 'accuracy']:.3f} of all training tweets"
        for b in near
    ]
    return "\n".join(lines)


def budget_answer(
    versus: pd.DataFrame, spend: pd.Series, saving: dict, names: tuple[str, str], n_splits: int
) -> str:
    """Where source `names[0]` beats, ties and loses to `names[1]` on test (`versus`, by budget;
    `spend`: answers by budget), one line each, and the saving in words."""
    lines = [f"{names[0]} against {names[1]} on test:"]
    for word in ("better", "unresolved", "worse"):
        budgets = versus.index[versus["verdict"] == word]
        groups = {
            _per_tweet_name(p): [f"{b.share:.0%}" for b in budgets if b.per_tweet == p]
            for p in STYLES
        }
        where = "; ".join(
            f"{name} on {', '.join(shares)}" for name, shares in groups.items() if shares
        )
        lines.append(f"  {word} ({len(budgets)}): {where or 'none'}")
    lines.append(saving_sentence(saving, n_splits))
    return "\n".join(lines)


def saving_sentence(saving: dict, n_splits: int) -> str:
    """The saving of `budget.budget_saving` in words, with its interval."""
    crowd = (
        f"Target: the majority vote's mean test accuracy at the first part's budget, "
        f"{saving['accuracy']:.3f}; the crowd alone reaches it with "
        f"{saving['answers_crowd']:,.0f} answers"
    )
    low, high = saving["ci95"]
    if low == 0 and high == np.inf:
        interval = "over resamples the label model may need no answer or never reach the target"
        interval += ": these splits cannot pin the saving down"
    else:
        interval = f"the 95% interval of that ratio runs from {_ratio(low)} to {_ratio(high)}"
    interval += ", wide with so few splits" if n_splits < 5 else ""
    if saving["answers_weak"] == np.inf:
        return f"{crowd}; the label model over crowd and text LFs never does; {interval}."
    if saving["answers_weak"] == 0:
        return (
            f"{crowd}; the label model over the text LFs alone already does, so no answer is "
            f"needed; {interval}."
        )
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


def summary(metrics: dict, split_seed: int, roles: dict) -> str:
    """The notebook's findings, each with its figure, from `metrics.key_figures` (`roles`: the
    names of the sources, as for it)."""
    check, splits, budget = metrics["lf_check"], metrics["splits"], metrics["budget"]
    weak, crowd = roles["weak"], roles["crowd"][0]
    gaps = [
        b["labels"][weak]["accuracy_answered"] - b["labels"][crowd]["accuracy_answered"]
        for b in budget
        if b["answers_per_tweet"] == 3
    ]
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
    lines.append(
        f"3 answers per tweet: on voted tweets the label model's labels are right "
        f"{min(gaps):+.3f} to {max(gaps):+.3f} against the majority vote's."
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
