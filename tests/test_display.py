"""Tables render the same every time, and signs are shown only where a difference is not zero."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crowdsourcing.budget import Budget
from crowdsourcing.budget_views import budget_name
from crowdsourcing.display import Table, signed


def test_tables_render_the_same_every_time():
    df = pd.DataFrame({"text": ["a tweet"], "x": [0.123456], "y": [np.nan]})
    first, second = Table(df, ["text"])._repr_html_(), Table(df, ["text"])._repr_html_()
    assert first == second and "0.123" in first and "0.1234" not in first and "–" in first
    assert "nan" not in repr(Table(df)).lower()


def test_a_difference_that_rounds_to_zero_has_no_sign():
    assert signed(0.0) == signed(-0.0002) == signed(0.0004) == "0.000"
    assert signed(0.0123) == "+0.012" and signed(-0.02) == "-0.020"


def test_a_budget_is_named_in_words():
    names = [budget_name(Budget(0.05, 3), 28.4), budget_name(Budget(1.0), 1880)]
    assert names == [
        "5% of tweets, 3 per tweet (28 answers)",
        "100% of tweets, all answers (1,880 answers)",
    ]
