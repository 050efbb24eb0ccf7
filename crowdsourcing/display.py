"""How the tutorial shows its results: tables of fixed precision and its figures.

Nothing here is weak supervision; it is what a reader need not read to follow the notebook.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display
from matplotlib.figure import Figure

__all__ = ["Table", "plot_believed_precision", "show", "signed"]


class Table:
    """A DataFrame shown with `decimals` decimals (3), text columns aligned left, "–" where empty.

    Its HTML is the same from run to run (an id drawn from its content, so two tables of one page
    do not share their styles), and so is its plain-text form.
    """

    def __init__(
        self, df: pd.DataFrame, text_columns: Sequence[str] = (), caption: str = "", decimals=3
    ):
        self.df, self.text_columns, self.caption = df, list(text_columns), caption
        self.decimals = decimals

    def _repr_html_(self) -> str:
        digest = hashlib.sha256(f"{self.caption}{self.df.to_csv()}".encode()).hexdigest()[:10]
        style = self.df.style.format(precision=self.decimals, na_rep="–").set_uuid(digest)
        style = style.set_properties(subset=self.text_columns, **{"text-align": "left"})
        return style.set_caption(html.escape(self.caption)).to_html()

    def __repr__(self) -> str:
        text = self.df.to_string(float_format=f"{{:.{self.decimals}f}}".format, na_rep="–")
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
    """Each LF's precision as the label model believes it against its dev accuracy; points that
    would stack are spread sideways a little, and the text LFs are named."""
    table = table[table["dev votes"] >= min_votes]
    fig, ax = plt.subplots(figsize=(7.5, 5.5))
    x = table["dev accuracy"].to_numpy()
    spread = np.random.default_rng(0).uniform(-0.02, 0, len(x)) * (table.kind == "crowd")
    for kind, marker, color in [("crowd", "o", "C0"), ("text", "s", "C3")]:
        part = (table.kind == kind).to_numpy()
        ax.scatter(
            x[part] + spread[part],
            table["believed"][part],
            s=12 * table["dev votes"][part],
            marker=marker,
            color=color,
            alpha=0.5,
            label=f"{kind} LFs ({part.sum()} with {min_votes}+ dev votes)",
            clip_on=False,
        )
    _name_points(ax, table[table.kind == "text"], color="C3")
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--", label="believed = dev")
    for votes in (3, 10, 25):
        ax.scatter([], [], s=12 * votes, color="grey", alpha=0.4, label=f"{votes} dev votes")
    low = min(table[["dev accuracy", "believed"]].min().min(), 0.5) - 0.05
    ax.set(
        xlim=(low, 1.02),
        ylim=(low, 1.02),
        xlabel="accuracy on the dev tweets it votes on (crowd LFs spread left a little)",
        ylabel="precision the label model believes",
        title=f"What the label model believes about each LF with {min_votes} or more dev votes",
    )
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=6, frameon=False)
    show(
        fig,
        "Scatter plot of each LF's precision as the label model believes it against its "
        "accuracy on dev votes, crowd and text LFs apart, with a dashed diagonal where equal.",
    )


def _name_points(ax, rows: pd.DataFrame, color: str, gap: float = 0.035) -> None:
    """Name each point of `rows` in a column right of the axes, the names at least `gap` apart
    (in y) and each joined to its point by a thin line."""
    ys = []
    for y in rows["believed"].sort_values(ascending=False):
        ys.append(min(y, ys[-1] - gap) if ys else y)
    for (name, row), y in zip(
        rows.sort_values("believed", ascending=False).iterrows(), ys, strict=True
    ):
        ax.annotate(
            name,
            (row["dev accuracy"], row["believed"]),
            xytext=(1.08, y),
            textcoords=("axes fraction", "data"),
            fontsize=8,
            color=color,
            va="center",
            arrowprops={"arrowstyle": "-", "color": color, "lw": 0.5, "alpha": 0.6},
        )


def signed(x: float) -> str:
    """`x` with three decimals and its sign, but 0.000 without one (a tie, not a gain)."""
    return "0.000" if round(x, 3) == 0 else f"{x:+.3f}"
