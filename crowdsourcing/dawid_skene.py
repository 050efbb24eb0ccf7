"""Dawid-Skene, the classic crowdsourcing model, on arrays: crowd-kit's algorithm without pandas.

`dawid_skene` follows crowd-kit's `DawidSkene` step for step (majority-vote start, EM, the same
clipping and stopping rule) on integer arrays, so one fit on a few hundred answers takes
milliseconds instead of crowd-kit's third of a second; tests/test_dawid_skene.py checks that both
give the same probabilities. The tutorial fits it once per crowd budget and split.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["dawid_skene"]

_EPS = 1e-10


def dawid_skene(
    answers: pd.DataFrame, n_classes: int = 2, n_iter: int = 100, tol: float = 1e-5
) -> pd.DataFrame:
    """P(class) per tweet from `answers` (indexed by tweet id; `worker_id`, `answer` columns).

    Only answers that are a class (0 to `n_classes` - 1) count; tweets without one are left out.
    Without any, the frame has no rows, as crowd-kit's (which has no columns either; this one
    keeps its `n_classes`).
    """
    votes = answers[answers["answer"].between(0, n_classes - 1)]
    if votes.empty:
        return pd.DataFrame(np.zeros((0, n_classes)), index=answers.index[:0])
    tweet, tweets = pd.factorize(votes.index)
    worker, workers = pd.factorize(votes["worker_id"])
    label = votes["answer"].to_numpy()
    probs = np.zeros((len(tweets), n_classes))
    np.add.at(probs, (tweet, label), 1.0)
    probs /= probs.sum(axis=1, keepdims=True)  # majority vote to start from
    errors = _m_step(probs, tweet, worker, label, len(workers))
    elbo = -np.inf
    for _ in range(n_iter):
        prior = np.clip(probs.mean(axis=0), _EPS, None)
        probs = _e_step(prior, errors, tweet, worker, label, len(tweets))
        prior = np.clip(probs.mean(axis=0), _EPS, None)
        errors = _m_step(probs, tweet, worker, label, len(workers))
        new = _elbo(probs, prior, errors, tweet, worker, label) / len(label)
        if new - elbo < tol:
            break
        elbo = new
    return pd.DataFrame(probs, index=pd.Index(tweets, name=answers.index.name))


def _m_step(probs, tweet, worker, label, n_workers) -> np.ndarray:
    """errors[w, observed, true]: how often worker w answers `observed` when `true` is right."""
    counts = np.zeros((n_workers, probs.shape[1], probs.shape[1]))
    np.add.at(counts, (worker, label), probs[tweet])
    given = counts.sum(axis=2, keepdims=True) > 0  # crowd-kit keeps only answers given
    counts = np.where(given, np.clip(counts, _EPS, None), 0.0)
    return counts / counts.sum(axis=1, keepdims=True)


def _e_step(prior, errors, tweet, worker, label, n_tweets) -> np.ndarray:
    """P(true class | a tweet's answers) under `prior` and `errors`."""
    log_like = np.zeros((n_tweets, len(prior)))
    np.add.at(log_like, tweet, np.log(errors[worker, label]))
    log_like += np.log(prior)
    like = np.exp(log_like - log_like.max(axis=1, keepdims=True))
    return like / like.sum(axis=1, keepdims=True)


def _elbo(probs, prior, errors, tweet, worker, label) -> float:
    """crowd-kit's evidence lower bound (its class prior counted once per answer)."""
    joint = (probs[tweet] * (np.log(errors[worker, label]) + np.log(prior))).sum()
    clipped = np.clip(probs, _EPS, None)
    return float(joint - (np.log(clipped) * clipped).sum())
