"""The label model's prediction: P(Y | votes) from its parameters, as Snorkel's LabelModel
computes it.

`FastLabelModel.predict_proba` applies it; it lives apart from the model's module, which needs
torch and Snorkel, so that the Dask workers label their files with NumPy and SciPy alone.
"""

from __future__ import annotations

import numpy as np

from crowdsourcing.votes import Votes

__all__ = ["probabilities"]


def probabilities(votes: Votes, mu: np.ndarray, p: np.ndarray) -> np.ndarray:
    """P(Y | votes) of each item under parameters `mu` (d x k) and class balance `p`.

    Snorkel's formula, exp(onehot · log mu + log p) normalized per row, with log mu taken in
    mu's own precision as Snorkel does; the row maximum is subtracted first, so many votes on
    one item cannot underflow.
    """
    logits = votes.onehot @ np.log(mu).astype(np.float64) + np.log(p)
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    return probs / probs.sum(axis=1, keepdims=True)
