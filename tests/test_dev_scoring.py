"""Scoring counts a tie as an error: the tutorial's hard labels abstain on ties, and the harness
scores an abstention as wrong."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from snorkel.labeling.model import LabelModel, MajorityLabelVoter

from conftest import ROOT, hashes_of
from crowdsourcing.budget import NO_ANSWERS, outcomes, run_budget_splits
from crowdsourcing.data import fetch_files, read_sources
from crowdsourcing.splits import Split


def tie_prone_pipeline(split: Split, **_) -> pd.DataFrame:
    """The tutorial's label-level dev labels, as its pipeline makes them (`predict`'s default tie
    policy), on a matrix where a quarter of the dev tweets have no vote at all."""
    L_train, L_dev = split.L_train.copy(), split.L_dev.copy()
    L_dev[: len(L_dev) // 4] = -1
    model = LabelModel(cardinality=2, verbose=False)
    model.fit(L_train, n_epochs=20, seed=0, progress_bar=False)
    dev = {"LabelModel": model.predict(L_dev), "majority vote": MajorityLabelVoter().predict(L_dev)}
    return pd.concat(
        outcomes(NO_ANSWERS, name, 0, dev=pd.Series(labels, split.dev.index))
        for name, labels in dev.items()
    )


def test_dev_accuracy_counts_ties_as_errors(sources):
    gold, answers = read_sources(fetch_files(sources, hashes=hashes_of(sources)))
    y = pd.Series(0, index=gold.tweet_id)
    text_L = pd.DataFrame({"text_lf": y.to_numpy()}, index=y.index)
    data = {"gold": gold, "answers": answers, "text_L": text_L, "min_answers": 10}
    table = run_budget_splits([3], tie_prone_pipeline, **data)
    for name, rows in table.groupby("source"):
        tied = rows.label.to_numpy() == -1
        assert tied[: len(rows) // 4].all(), f"{name}: a tweet without votes is a tie, not a guess"
        assert not rows.correct[tied].any(), name


def test_a_tie_is_no_decision_in_snorkels_predict():
    """The tutorial relies on `predict`'s default: no random tie-break."""
    L = np.array([[-1, -1], [1, 0], [1, -1]])
    np.testing.assert_array_equal(MajorityLabelVoter().predict(L), [-1, -1, 1])


def test_the_tutorial_takes_no_random_tie_break():
    """Its hard labels come from `predict` (abstains on ties) or `probs_to_preds` told to."""
    script = (ROOT / "crowdsourcing" / "crowdsourcing.pct.py").read_text()
    calls = re.findall(r"probs_to_preds\([^\n]*", script)
    assert calls and all('tie_break_policy="abstain"' in call for call in calls)
    assert "random" not in re.sub(r"#.*", "", script)
