"""The end model: a logistic regression on text features, trained on hard or soft labels."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

__all__ = ["fit_hard", "fit_soft", "logistic_regression"]


def logistic_regression() -> LogisticRegression:
    """The tutorial's end model, deterministic for the same inputs."""
    return LogisticRegression(solver="liblinear", random_state=0)


def fit_hard(X: np.ndarray, y: np.ndarray) -> LogisticRegression:
    """Fit on one class label per row."""
    return logistic_regression().fit(X, y)


def fit_soft(X: np.ndarray, probs: np.ndarray) -> LogisticRegression:
    """Fit on probabilistic labels: each row once per class, weighted by that class's probability.

    Minimising the weighted log loss of the copies is minimising the cross-entropy between the
    probabilistic labels and the model's predictions.
    """
    n, k = probs.shape
    X_rep = np.tile(X, (k, 1))
    y_rep = np.repeat(np.arange(k), n)
    weights = probs.T.reshape(-1)
    keep = weights > 0
    return logistic_regression().fit(X_rep[keep], y_rep[keep], sample_weight=weights[keep])
