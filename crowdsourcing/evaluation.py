"""Honest evaluation: bootstrap intervals, and the whole pipeline re-run over many random splits.

A split run never reads test labels: it returns test *predictions*, and `test_accuracy` scores
them against labels that the caller passes in, in the final evaluation step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from snorkel.labeling.model import LabelModel, MajorityLabelVoter

from data import split_data
from end_model import fit_hard, fit_soft
from label_matrix import crowd_label_matrix, crowd_lf_names, frequent_workers

__all__ = ["SplitRun", "bootstrap_ci", "run_split", "run_splits", "summarize"]


def bootstrap_ci(
    y_true: np.ndarray, y_pred: np.ndarray, level: float = 0.95, n_boot: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """Accuracy and its percentile bootstrap interval: (accuracy, low, high)."""
    correct = np.asarray(y_true) == np.asarray(y_pred)
    rng = np.random.default_rng(seed)
    resampled = correct[rng.integers(0, len(correct), size=(n_boot, len(correct)))].mean(axis=1)
    low, high = np.quantile(resampled, [(1 - level) / 2, (1 + level) / 2])
    return float(correct.mean()), float(low), float(high)


@dataclass
class SplitRun:
    """Everything one split produced: label matrices, label model, dev scores, test predictions."""

    seed: int
    train: pd.DataFrame
    dev: pd.DataFrame
    test: pd.DataFrame  # without its labels
    lf_names: list[str]
    L_train: np.ndarray
    L_dev: np.ndarray
    label_model: LabelModel
    probs_train: np.ndarray
    dev_accuracy: dict[str, float] = field(default_factory=dict)
    test_predictions: dict[str, np.ndarray] = field(default_factory=dict)

    def test_accuracy(self, labels: pd.Series) -> dict[str, float]:
        """Accuracy of every test prediction against `labels` (indexed by tweet id)."""
        y = labels.loc[self.test.index].to_numpy()
        return {name: float((pred == y).mean()) for name, pred in self.test_predictions.items()}


def run_split(
    seed: int,
    gold: pd.DataFrame,
    answers: pd.DataFrame,
    text_L: pd.DataFrame,
    features: Mapping[str, pd.DataFrame],
    fit_label_model: Callable[[np.ndarray], LabelModel],
    gold_train_labels: pd.Series,
    rules: Mapping[str, pd.Series] | None = None,
) -> SplitRun:
    """Split with `seed`, build the label matrices, fit the label model and the end models.

    `text_L` (text LF votes) and `features` are computed once for all tweets, indexed by tweet id;
    `rules` are baseline predictions per tweet. End models are fitted for every feature set on
    hard and soft labels, plus on the gold training labels (the ceiling of those features).
    """
    crowd, train, dev, test = split_data(gold, answers, seed)
    test = test.drop(columns="sentiment")
    workers = frequent_workers(crowd)

    def label_matrix(ids: pd.Index) -> np.ndarray:
        return np.hstack([text_L.loc[ids].to_numpy(), crowd_label_matrix(crowd, ids, workers)])

    L_train, L_dev = label_matrix(train.index), label_matrix(dev.index)
    label_model = fit_label_model(L_train)
    probs = label_model.predict_proba(L_train)
    run = SplitRun(
        seed, train, dev, test, [*text_L.columns, *crowd_lf_names(workers)],
        L_train, L_dev, label_model, probs,
    )  # fmt: skip
    y_dev = dev["sentiment"].to_numpy()
    run.dev_accuracy["label model"] = _accuracy(
        label_model.predict(L_dev, tie_break_policy="random"), y_dev
    )
    majority = MajorityLabelVoter(cardinality=2).predict(L_dev, tie_break_policy="random")
    run.dev_accuracy["majority vote"] = _accuracy(majority, y_dev)

    for name, X in features.items():
        X_train, X_dev, X_test = (X.loc[df.index].to_numpy() for df in (train, dev, test))
        models = {
            f"{name}, hard labels": fit_hard(X_train, probs.argmax(axis=1)),
            f"{name}, soft labels": fit_soft(X_train, probs),
            f"{name}, gold labels": fit_hard(
                X_train, gold_train_labels.loc[train.index].to_numpy()
            ),
        }
        for model_name, model in models.items():
            run.dev_accuracy[model_name] = _accuracy(model.predict(X_dev), y_dev)
            run.test_predictions[model_name] = model.predict(X_test)
    for name, predictions in (rules or {}).items():
        run.dev_accuracy[name] = _accuracy(predictions.loc[dev.index].to_numpy(), y_dev)
        run.test_predictions[name] = predictions.loc[test.index].to_numpy()
    return run


def _accuracy(pred: np.ndarray, y: np.ndarray) -> float:
    """Share of equal entries."""
    return float((np.asarray(pred) == y).mean())


def run_splits(seeds: Iterable[int], **kwargs) -> list[SplitRun]:
    """`run_split` for each seed, with the same inputs."""
    return [run_split(seed, **kwargs) for seed in seeds]


def summarize(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation of each column (one row per split)."""
    return rows.agg(["mean", "std"]).T
