"""The scaling notebook's measured steps: the per-worker LF route and the two label models.

Each step returns a record: what was done, on how many tweets, seconds, peak memory (MiB) and
throughput. The per-worker LF route is timed on a sample and extrapolated to all tweets.
The benchmark's other steps are in `benchmarks/scaling_steps.py`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from snorkel.labeling import PandasLFApplier
from snorkel.labeling.model import LabelModel

from crowdsourcing.label_model import FastLabelModel
from crowdsourcing.votes import Votes, crowd_votes
from scaling.measure import measure
from scaling.synthetic_lfs import worker_lfs

__all__ = ["FIT_OPTIONS", "label_models", "lf_route"]

#: The tutorial's LabelModel options, used for both models.
FIT_OPTIONS = {"n_epochs": 100, "seed": 123, "log_freq": 20, "l2": 0.1, "lr": 0.01}


def _record(step: str, n_tweets: int, seconds: float, peak_mib: float, **extra) -> dict:
    """One row of the benchmark's table."""
    return {
        "step": step,
        "tweets": n_tweets,
        "seconds": seconds,
        "peak_mib": peak_mib,
        "tweets_per_second": n_tweets / seconds if seconds else float("inf"),
        **extra,
    }


def lf_route(
    crowd: pd.DataFrame, tweets: pd.DataFrame, workers: list[int], L: np.ndarray, sample: int
) -> dict:
    """Build the per-worker LFs and apply them to `sample` tweets; extrapolate to all tweets.

    The sample's matrix must equal the vectorized one's rows, or this raises.
    """
    build = measure(lambda: worker_lfs(crowd, workers))
    rows = np.random.default_rng(0).choice(
        len(tweets), size=min(sample, len(tweets)), replace=False
    )
    apply = measure(
        lambda: PandasLFApplier(build.result).apply(tweets.iloc[rows], progress_bar=False)
    )
    if not np.array_equal(apply.result, L[rows]):
        raise AssertionError("the LF route and the vectorized builder disagree")
    extrapolated = build.seconds + apply.seconds * len(tweets) / len(rows)
    return _record(
        "crowd matrix, per-worker LFs (extrapolated)",
        len(tweets),
        extrapolated,
        max(build.peak_mib, apply.peak_mib),
        measured_tweets=len(rows),
        measured_seconds=build.seconds + apply.seconds,
    )


def label_models(
    crowd: pd.DataFrame, tweets: pd.DataFrame, workers: list[int], L: np.ndarray
) -> tuple[list[dict], FastLabelModel, float]:
    """Snorkel's LabelModel on the dense matrix, FastLabelModel from the answers table.

    Both fit with the tutorial's options on one torch thread. Returns both records, the fast
    model, and the largest difference between the two models' probabilities.
    """
    torch.set_num_threads(1)
    torch.optim.SGD([torch.zeros(1, requires_grad=True)])  # torch's one-time imports, untimed
    fast_model = FastLabelModel(cardinality=2, verbose=False)
    snorkel_model = LabelModel(cardinality=2, verbose=False)
    # The fast model first, so that memory freed by Snorkel's fit cannot hide its own.
    fast = measure(lambda: _fitted(fast_model, _votes(crowd, tweets, workers)))
    snorkel = measure(lambda: _fitted(snorkel_model, L))
    fast_probs = fast.result.predict_proba(_votes(crowd, tweets, workers))
    difference = float(np.abs(snorkel.result.predict_proba(L) - fast_probs).max())
    records = [
        _record("LabelModel fit (Snorkel)", len(L), snorkel.seconds, snorkel.peak_mib),
        _record("FastLabelModel, answers to fit", len(L), fast.seconds, fast.peak_mib),
    ]
    return records, fast.result, difference


def _votes(crowd: pd.DataFrame, tweets: pd.DataFrame, workers: list[int]) -> Votes:
    """The crowd votes of `tweets`, as in the crowd label matrix."""
    return crowd_votes(crowd, tweets.index, workers)


def _fitted(model: LabelModel, L: np.ndarray | Votes) -> LabelModel:
    """`model` fitted on `L` with the tutorial's options."""
    model.fit(L, progress_bar=False, **FIT_OPTIONS)
    return model
