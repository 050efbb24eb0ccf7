"""Label aggregators from crowdsourcing research, fed from a Snorkel label matrix."""

from __future__ import annotations

import numpy as np
import pandas as pd
from crowdkit.aggregation import OneCoinDawidSkene

from label_matrix import ABSTAIN

__all__ = ["one_coin_dawid_skene"]


def one_coin_dawid_skene(L: np.ndarray, n_iter: int = 100) -> np.ndarray:
    """One-coin Dawid-Skene over the LFs of `L` as workers; -1 for rows without any vote.

    It is fitted on the rows it labels (unsupervised, no gold): pass every row to label.
    """
    rows, cols = np.nonzero(L != ABSTAIN)
    votes = pd.DataFrame({"task": rows, "worker": cols, "label": L[rows, cols]})
    labels = OneCoinDawidSkene(n_iter=n_iter).fit_predict(votes)
    out = np.full(len(L), ABSTAIN)
    out[labels.index.to_numpy()] = labels.to_numpy()
    return out
