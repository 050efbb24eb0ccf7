"""How the tutorial shows its results: tables of fixed precision and its figures.

Nothing here is weak supervision; it is what a reader need not read to follow the notebook.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display
from matplotlib.figure import Figure

from crowdsourcing.statistics import TOLERANCE

__all__ = [
    "Table",
    "budget_answer",
    "budget_name",
    "budget_view",
    "plot_believed_precision",
    "plot_budget_curve",
    "saving_sentence",
    "show",
    "summary",
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


def plot_believed_precision(table: pd.DataFrame, min_votes: int = 3) -> None:
    """Each LF's precision as the label model believes it against its dev accuracy."""
    table = table[table["dev votes"] >= min_votes]
    fig, ax = plt.subplots(figsize=(6.5, 5))
    for kind, marker in [("crowd", "o"), ("text", "s")]:
        part = table[table.kind == kind]
        ax.scatter(
            part["dev accuracy"],
            part["believed"],
            s=8 * part["dev votes"],
            marker=marker,
            alpha=0.6,
            label=f"{kind} LFs ({len(part)})",
            clip_on=False,
        )
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--", label="believed = dev")
    low = min(table[["dev accuracy", "believed"]].min().min(), 0.5) - 0.05
    ax.set(
        xlim=(low, 1.02),
        ylim=(low, 1.02),
        aspect="equal",
        xlabel="accuracy on the dev tweets it votes on",
        ylabel="precision the label model believes",
        title="What the label model believes about each LF (reference split)",
    )
    ax.legend(
        loc="upper left",
        bbox_to_anchor=(1.02, 1),
        frameon=False,
        title=f"marker area: dev votes (≥ {min_votes})",
    )
    show(
        fig,
        "Scatter plot of each LF's precision as the label model believes it against its "
        "accuracy on dev votes, crowd and text LFs apart, with a dashed diagonal where equal.",
    )


def plot_budget_curve(
    table: pd.DataFrame, sources: Sequence[str], fixed: dict[str, tuple], mark: float
) -> None:
    """Test accuracy against crowd answers bought: a line per source and answers per tweet, with
    its interval bars (``source low/high`` columns of `table`); a band per source in `fixed`
    (name: mean, low, high), which buys no answer; the budget whose share is `mark` circled."""
    fig, ax = plt.subplots(figsize=(9, 5))
    for i, source in enumerate(sources):
        for per_tweet, rows in table.groupby("per_tweet", dropna=False, sort=False):
            every = pd.isna(per_tweet)
            bars = [rows[source] - rows[f"{source} low"], rows[f"{source} high"] - rows[source]]
            style = {"ls": "-", "marker": "o"} if every else {"ls": ":", "marker": "^"}
            label = f"{source}, {'all' if every else int(per_tweet)} answers per tweet"
            ax.errorbar(
                rows["answers"],
                rows[source],
                yerr=bars,
                color=f"C{i}",
                capsize=3,
                label=label,
                **style,
            )
    for i, (source, (mean, low, high)) in enumerate(fixed.items(), start=len(sources)):
        ax.axhline(mean, color=f"C{i}", lw=1, label=f"{source} (no crowd answer)")
        ax.axhspan(low, high, color=f"C{i}", alpha=0.1)
    here = table[np.isclose(table["share"], mark) & table["per_tweet"].isna()]
    ax.scatter(
        here["answers"],
        here[sources[-1]],
        s=250,
        facecolors="none",
        edgecolors="black",
        zorder=3,
        label="the first part's budget",
    )
    ax.set(
        xscale="log",
        xlabel="crowd answers bought for the training tweets (log scale)",
        ylabel="test accuracy of the same end model",
        title="Test accuracy of each source's labels as the crowd budget grows",
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)
    show(
        fig,
        "Line chart of test accuracy against the number of crowd answers bought, on a log "
        "scale, one line per source of training labels and answers per tweet, with intervals.",
    )


def signed(x: float) -> str:
    """`x` with three decimals and its sign, but 0.000 without one (a tie, not a gain)."""
    return "0.000" if round(x, 3) == 0 else f"{x:+.3f}"


def budget_name(row) -> str:
    """A budget row in words: "5% of the tweets, 3 answers each (28 answers)"."""
    each = "all answers" if pd.isna(row.per_tweet) else f"{row.per_tweet:.0f} answers each"
    return f"{row.share:.0%} of the tweets, {each} ({row.answers:,.0f} answers)"


def budget_view(table: pd.DataFrame, sources: Sequence[str], fixed: dict[str, tuple]) -> Table:
    """The budget table as a reader wants it: a row per budget, the difference with its interval
    and splits won, tied and lost; the sources that buy no answer in the caption."""
    view = pd.DataFrame(
        {
            "answers per tweet": table["per_tweet"].map(
                lambda p: "all" if pd.isna(p) else f"{p:.0f}"
            ),
            "share of tweets": table["share"].map("{:.0%}".format),
            "answers (mean)": table["answers"].map("{:,.0f}".format),
            **{source: table[source] for source in sources},
            "label model minus better crowd": table["difference"].map(signed),
            "95% interval": [
                f"{signed(lo)} to {signed(hi)}"
                for lo, hi in zip(table["low"], table["high"], strict=True)
            ],
            "won/tied/lost": [
                f"{w}/{t}/{lo}"
                for w, t, lo in zip(table.wins, table.ties, table.losses, strict=True)
            ],
            "verdict": table["verdict"],
        }
    ).set_index(["answers per tweet", "share of tweets"])
    caption = "; ".join(f"{s}: {m:.3f} ({lo:.3f} to {hi:.3f})" for s, (m, lo, hi) in fixed.items())
    return Table(view, caption=f"Test accuracy. Without crowd answers: {caption}")


def budget_answer(table: pd.DataFrame, saving: dict) -> str:
    """Where the label model over crowd and text LFs wins, ties and loses, and what it saves."""
    lines = []
    for word in ("better", "unresolved", "worse"):
        rows = table[table["verdict"] == word]
        lines.append(f"Label model over crowd and text LFs {word}:")
        lines += [f"  {budget_name(row)}" for row in rows.itertuples()] or ["  at no budget"]
    lines.append(saving_sentence(saving))
    return "\n".join(lines)


def saving_sentence(saving: dict) -> str:
    """The saving of `statistics.budget_saving` in words."""
    crowd = (
        f"The crowd alone comes within {TOLERANCE} of {saving['accuracy']:.3f}, its accuracy at "
        f"the first part's budget, with {saving['answers_crowd']:,.0f} answers"
    )
    if saving["answers_weak"] is None:
        return f"{crowd}; the label model over crowd and text LFs reaches it at no budget."
    if saving["answers_weak"] == 0:
        return f"{crowd}; the label model over the text LFs alone reaches it with no answer."
    return (
        f"{crowd}; the label model over crowd and text LFs with {saving['answers_weak']:,.0f}: "
        f"{saving['ratio']:.1f} times fewer."
    )


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
            f"LFs minus the better crowd-only source {signed(diff['mean'])} "
            f"({signed(diff['ci95'][0])} to {signed(diff['ci95'][1])})."
        )
    lines.append(saving_sentence(metrics["budget_saving"]))
    n = splits["n"]
    lines.append(
        f"Declared end model, mean over {n} split{'s' * (n > 1)}: "
        f"{splits['end_model_test_acc']['mean']:.3f} (gold labels, same features: "
        f"{splits['gold_ceiling_test_acc']['mean']:.3f})."
    )
    return "\n".join(lines)
