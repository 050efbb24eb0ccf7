"""How figures and tables appear in the notebooks: alt text for each figure, and text columns
aligned left, which neither matplotlib's inline PNGs nor pandas' HTML tables provide."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display
from matplotlib.figure import Figure

__all__ = ["TextTable", "show"]


def show(fig: Figure, alt: str) -> None:
    """Display `fig` as a PNG <img> described by `alt` (also its plain-text form), then close it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    img = f'<img src="data:image/png;base64,{png}" alt="{html.escape(alt)}">'
    display({"text/html": img, "text/plain": f"[figure] {alt}"}, raw=True)


class TextTable:
    """A DataFrame shown with its text columns aligned left (as HTML), and as pandas prints it."""

    def __init__(self, df: pd.DataFrame, text_columns: Sequence[str]) -> None:
        self.df, self.text_columns = df, list(text_columns)

    def _repr_html_(self) -> str:
        left = {"text-align": "left"}
        return self.df.style.set_properties(subset=self.text_columns, **left).to_html()

    def __repr__(self) -> str:
        return repr(self.df)
