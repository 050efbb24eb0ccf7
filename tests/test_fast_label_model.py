"""FastLabelModel equals Snorkel's LabelModel: parameters within 1e-6, probabilities within 1e-5."""

from __future__ import annotations

import numpy as np
import pytest
from snorkel.labeling.model import LabelModel

from crowdsourcing.crowd_matrix import crowd_label_matrix, frequent_workers
from crowdsourcing.data import load_data
from scaling.fast_label_model import FastLabelModel
from scaling.sparse_votes import crowd_votes, votes_from_table


def label_matrix(n: int, m: int, k: int, seed: int) -> np.ndarray:
    """Votes of `m` LFs of mixed accuracy and coverage on `n` items of `k` classes.

    LF 1 never votes, and the first 5% of the items get no vote at all.
    """
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, n)
    accuracy = rng.uniform(0.5, 0.95, m)
    coverage = rng.uniform(0.1, 0.9, m)
    right = rng.random((n, m)) < accuracy
    wrong = (truth[:, None] + rng.integers(1, k, (n, m))) % k
    L = np.where(right, truth[:, None], wrong)
    L[rng.random((n, m)) > coverage] = -1
    L[:, 1] = -1
    L[: n // 20] = -1
    return L


def assert_same_model(L, k: int, votes=None, class_balance=None, Y_dev=None, **options) -> None:
    """Fit both models with the same options; compare parameters and probabilities."""
    snorkel = LabelModel(cardinality=k, verbose=False)
    snorkel.fit(L, Y_dev=Y_dev, class_balance=class_balance, progress_bar=False, **options)
    fast = FastLabelModel(cardinality=k, verbose=False)
    fast.fit(
        L if votes is None else votes,
        Y_dev=Y_dev,
        class_balance=class_balance,
        progress_bar=False,
        **options,
    )
    mu = snorkel.mu.detach().numpy()
    np.testing.assert_allclose(fast.mu.detach().numpy(), mu, rtol=0, atol=1e-6)
    assert np.abs(mu - snorkel.mu_init.numpy()).max() > 1e-3, "the fit moved the parameters"
    with np.errstate(divide="ignore"):  # an LF that never votes has coverage 0
        np.testing.assert_allclose(fast.get_weights(), snorkel.get_weights(), rtol=0, atol=1e-6)
    probs = snorkel.predict_proba(L)
    np.testing.assert_allclose(fast.predict_proba(L), probs, rtol=0, atol=1e-5)
    if votes is not None:
        np.testing.assert_allclose(fast.predict_proba(votes), probs, rtol=0, atol=1e-5)
    np.testing.assert_allclose(probs[0], snorkel.p, atol=1e-12)  # a row where every LF abstains


OPTIONS = {
    "defaults": {"seed": 1},
    "tutorial": {"n_epochs": 100, "seed": 123, "log_freq": 20, "l2": 0.1, "lr": 0.01},
    "long, l2 and per-LF prec_init": {
        "n_epochs": 300, "seed": 7, "lr": 0.02, "l2": 0.5, "prec_init": np.linspace(0.6, 0.9, 12)
    },
    "adam, linear decay, warm-up": {
        "n_epochs": 80, "seed": 3, "lr": 0.005, "optimizer": "adam", "lr_scheduler": "linear",
        "lr_scheduler_config": {"warmup_steps": 5, "warmup_unit": "epochs"},
    },
    "adamax, step decay, mu_eps": {
        "n_epochs": 60, "seed": 4, "optimizer": "adamax", "lr_scheduler": "step", "mu_eps": 1e-3
    },
}  # fmt: skip


@pytest.mark.parametrize("k", [2, 4])
@pytest.mark.parametrize("name", OPTIONS)
def test_equals_snorkel_on_generated_votes(k, name):
    assert_same_model(label_matrix(3000, 12, k, seed=k), k, **OPTIONS[name])


@pytest.mark.parametrize("k", [2, 4])
def test_equals_snorkel_with_class_balance_given_or_from_dev_labels(k):
    L = label_matrix(2000, 12, k, seed=10 + k)
    balance = np.arange(1, k + 1) / np.arange(1, k + 1).sum()
    assert_same_model(L, k, class_balance=list(balance), seed=5, l2=0.2)
    Y_dev = np.random.default_rng(0).choice(k, size=200, p=balance[::-1])
    assert_same_model(L, k, Y_dev=Y_dev, seed=6)


def test_fits_from_a_long_table_as_from_the_matrix():
    L = label_matrix(2000, 12, 4, seed=0)
    items, lfs = np.nonzero(L != -1)
    order = np.random.default_rng(0).permutation(len(items))  # any order of rows
    items, lfs = items[order], lfs[order]
    votes = votes_from_table(items, lfs, L[items, lfs], len(L), 12, 4)
    assert_same_model(L, 4, votes=votes, seed=2)


def test_equals_snorkel_on_the_tutorials_crowd_matrix(real_data_dir):
    crowd_answers, df_train, _, _ = load_data(seed=123, data_dir=real_data_dir)
    workers = frequent_workers(crowd_answers)
    L = crowd_label_matrix(crowd_answers, df_train.index, workers)
    votes = crowd_votes(crowd_answers, df_train.index, workers)
    assert_same_model(L, 2, votes=votes, **OPTIONS["tutorial"])


@pytest.mark.parametrize(
    "options, message",
    [
        ({"dependencies": [(0, 1)]}, "does not support"),
        ({"l2": np.full(12, 0.1)}, "one l2"),
    ],
)
def test_unsupported_options_raise(options, message):
    with pytest.raises(ValueError, match=message):
        FastLabelModel(verbose=False).fit(label_matrix(100, 12, 2, seed=0), **options)


def test_invalid_votes_raise():
    with pytest.raises(ValueError, match="labels must lie"):
        FastLabelModel(cardinality=2, verbose=False).fit(np.full((10, 4), 2))
    with pytest.raises(ValueError, match="at least 3"):
        FastLabelModel(verbose=False).fit(np.zeros((10, 2), dtype=int))
    with pytest.raises(ValueError, match="device"):
        FastLabelModel(device="cuda:0", verbose=False)
