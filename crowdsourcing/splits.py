"""The tutorial's pipeline as one function of the split, for honest evaluation over many splits.

`run_split` splits the tweets with a seed, builds the label matrix, fits the label model and the
end models, scores them on that split's dev tweets and picks one on dev alone. It never reads a
test label: test tweets come without them, and `SplitRun.test_accuracy` scores the predictions
against labels that the caller passes in, in the final evaluation.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import NamedTuple

import numpy as np
import pandas as pd
import torch
from crowdkit.aggregation import DawidSkene
from IPython.display import Pretty, display
from scipy.stats import bootstrap
from sklearn.linear_model import LogisticRegression
from snorkel.labeling.model import LabelModel, MajorityLabelVoter
from snorkel.utils import probs_to_preds

from crowdsourcing.crowd_matrix import ABSTAIN, crowd_label_matrix, crowd_lf_names, frequent_workers
from crowdsourcing.data import labelled_tweets, split_data

__all__ = [
    "CROWD_ONLY",
    "GOLD",
    "LABEL_MODEL_HARD",
    "LABEL_MODEL_SOFT",
    "TIE_BREAK",
    "EndModel",
    "Inputs",
    "SplitRun",
    "bootstrap_ci",
    "fit_end_model",
    "run_split",
    "run_splits",
]

#: What every hard decision does where classes tie: it abstains. A tie counts as an error when
#: scoring, and a tied training tweet gets no hard label.
TIE_BREAK = "abstain"

# Where an end model's training labels come from.
LABEL_MODEL_HARD = "LabelModel, hard"  # the label model's most likely class, every training tweet
LABEL_MODEL_SOFT = "LabelModel, soft"  # its probabilities, every training tweet
GOLD = "gold"  # the gold labels of the training tweets: a ceiling, not weak supervision
#: Aggregators that read only the crowd, so they label only the training tweets some worker
#: answered: a majority vote of the crowd LFs, and Dawid-Skene (crowd-kit) fitted on the split's
#: positive and negative answers.
CROWD_ONLY = ("majority vote", "Dawid-Skene")


class EndModel(NamedTuple):
    """An end model: which features it reads and where its training labels come from."""

    features: str
    labels: str


@dataclass(frozen=True)
class Inputs:
    """What every split shares, computed once for all tweets and indexed by tweet id."""

    gold: pd.DataFrame  # the gold table as read; a split reads its training and dev labels only
    answers: pd.DataFrame  # the crowd answers table as read
    text_L: pd.DataFrame  # the text LFs' votes, one column per LF
    features: Mapping[str, pd.DataFrame]  # end-model feature sets, by name
    fit_label_model: Callable[[np.ndarray], LabelModel]
    rules: Mapping[str, pd.Series] = field(default_factory=dict)  # baselines: a label per tweet
    min_answers: int = 10  # workers with more answers than this get LFs


@dataclass
class SplitRun:
    """What one split produced: label matrices, label model, dev scores, test predictions."""

    seed: int
    train: pd.DataFrame
    dev: pd.DataFrame
    test: pd.DataFrame  # without its labels
    lf_names: list[str]
    L_train: np.ndarray
    L_dev: np.ndarray
    label_model: LabelModel
    probs_train: np.ndarray
    label_accuracy: dict[str, float] = field(default_factory=dict)  # of labels on dev tweets
    dev_accuracy: dict[EndModel | str, float] = field(default_factory=dict)
    test_predictions: dict[EndModel | str, np.ndarray] = field(default_factory=dict)
    chosen: EndModel | None = None  # the candidate with the best dev accuracy

    def test_accuracy(
        self, labels: pd.Series, exclude: Collection[int] = ()
    ) -> dict[EndModel | str, float]:
        """Accuracy of every test prediction against `labels`, on test tweets not in `exclude`."""
        scored = ~self.test.index.isin(list(exclude))
        y = labels.loc[self.test.index[scored]].to_numpy()
        return {name: _accuracy(pred[scored], y) for name, pred in self.test_predictions.items()}


def run_split(
    seed: int,
    inputs: Inputs,
    models: Sequence[EndModel],
    candidates: Sequence[EndModel] = (),
) -> SplitRun:
    """Split with `seed`, fit the label model and every end model in `models` and `candidates`.

    The chosen model is the candidate with the best dev accuracy; a tie goes to the one listed
    first. Dev accuracy is also recorded for the label model, a majority vote of the LFs, and
    each baseline rule.
    """
    crowd, train, dev, test = split_data(inputs.gold, inputs.answers, seed)
    test = test.drop(columns="sentiment")
    workers = frequent_workers(crowd, inputs.min_answers)

    def label_matrix(ids: pd.Index) -> np.ndarray:
        text = inputs.text_L.loc[ids].to_numpy()
        return np.hstack([text, crowd_label_matrix(crowd, ids, workers, dtype=text.dtype)])

    L_train, L_dev = label_matrix(train.index), label_matrix(dev.index)
    label_model = inputs.fit_label_model(L_train)
    probs = label_model.predict_proba(L_train)
    lf_names = [*inputs.text_L.columns, *crowd_lf_names(workers)]
    run = SplitRun(seed, train, dev, test, lf_names, L_train, L_dev, label_model, probs)
    y_dev = dev["sentiment"].to_numpy()
    run.label_accuracy = {
        "LabelModel": _accuracy(label_model.predict(L_dev, tie_break_policy=TIE_BREAK), y_dev),
        "majority vote": _accuracy(
            MajorityLabelVoter(cardinality=2).predict(L_dev, tie_break_policy=TIE_BREAK), y_dev
        ),
    }

    sources = {m.labels for m in [*models, *candidates]}
    labels = _training_labels(run, crowd, inputs, sources)
    for model in dict.fromkeys([*candidates, *models]):
        X = inputs.features[model.features]
        y_train = labels[model.labels]
        fitted = fit_end_model(X.loc[y_train.index].to_numpy(), y_train.to_numpy())
        run.dev_accuracy[model] = _accuracy(fitted.predict(X.loc[dev.index].to_numpy()), y_dev)
        run.test_predictions[model] = fitted.predict(X.loc[test.index].to_numpy())
    for name, rule in inputs.rules.items():
        run.dev_accuracy[name] = _accuracy(rule.loc[dev.index].to_numpy(), y_dev)
        run.test_predictions[name] = rule.loc[test.index].to_numpy()
    if candidates:
        run.chosen = max(candidates, key=lambda model: run.dev_accuracy[model])
    return run


def run_splits(
    seeds: Iterable[int],
    inputs: Inputs,
    models: Sequence[EndModel],
    candidates: Sequence[EndModel] = (),
    title: str = "splits",
) -> list[SplitRun]:
    """`run_split` for each seed, on every core, showing progress under `title` as it goes.

    The splits are independent, so they run in forked worker processes (where the platform can
    fork), which start with everything this process has imported and computed. Each worker runs
    torch on one thread: a forked child must not use a thread pool its parent had started.
    """
    seeds = list(seeds)
    job = partial(run_split, inputs=inputs, models=models, candidates=candidates)
    progress = display(Pretty(f"{title}: 0 of {len(seeds)} splits"), display_id=True)
    processes = min(os.cpu_count() or 1, len(seeds))
    if processes > 1 and "fork" in multiprocessing.get_all_start_methods():
        with multiprocessing.get_context("fork").Pool(
            processes, torch.set_num_threads, (1,)
        ) as pool:
            runs = _collect(pool.imap(job, seeds), len(seeds), title, progress)
    else:
        runs = _collect(map(job, seeds), len(seeds), title, progress)
    return runs


def _collect(results: Iterable[SplitRun], n: int, title: str, progress) -> list[SplitRun]:
    """The runs, in order, updating the progress line (shown only in IPython) after each."""
    runs = []
    for run in results:
        runs.append(run)
        if progress is not None:
            progress.update(Pretty(f"{title}: {len(runs)} of {n} splits"))
    return runs


def _training_labels(
    run: SplitRun, crowd: pd.DataFrame, inputs: Inputs, sources: Collection[str]
) -> dict[str, pd.Series | pd.DataFrame]:
    """The training labels of each source in `sources`, indexed by the training tweets they label.

    A hard source gives a class per tweet (none where it abstains); the soft one gives a
    probability per tweet and class.
    """
    train_ids = run.train.index
    labels: dict[str, pd.Series | pd.DataFrame] = {}
    if LABEL_MODEL_HARD in sources:
        hard = probs_to_preds(run.probs_train, tie_break_policy=TIE_BREAK)
        labels[LABEL_MODEL_HARD] = _decided(hard, train_ids)
    if LABEL_MODEL_SOFT in sources:
        labels[LABEL_MODEL_SOFT] = pd.DataFrame(run.probs_train, index=train_ids)
    if GOLD in sources:
        labels[GOLD] = labelled_tweets(inputs.gold)["sentiment"].loc[train_ids]
    if "majority vote" in sources:
        L_crowd = run.L_train[:, inputs.text_L.shape[1] :]
        voted = MajorityLabelVoter(cardinality=2).predict(L_crowd, tie_break_policy=TIE_BREAK)
        labels["majority vote"] = _decided(voted, train_ids)
    if "Dawid-Skene" in sources:
        aggregated = DawidSkene(n_iter=100).fit_predict(_crowd_votes(crowd))
        labels["Dawid-Skene"] = aggregated[aggregated.index.isin(train_ids)].astype(int)
    return labels


def _decided(labels: np.ndarray, ids: pd.Index) -> pd.Series:
    """The labels that are not abstentions, indexed by tweet id."""
    return pd.Series(labels, index=ids)[labels != ABSTAIN]


def _crowd_votes(crowd: pd.DataFrame) -> pd.DataFrame:
    """The positive and negative answers of a split, as crowd-kit's (task, worker, label) table."""
    votes = crowd[crowd["answer"].isin([0, 1])]
    return pd.DataFrame(
        {
            "task": votes.index.to_numpy(),
            "worker": votes["worker_id"].to_numpy(),
            "label": votes["answer"].to_numpy(),
        }
    )


def fit_end_model(X: np.ndarray, y: np.ndarray) -> LogisticRegression:
    """A logistic regression on class labels, or on probabilistic labels (one column per class).

    Probabilistic labels are fitted as each row once per class, weighted by that class's
    probability: minimising that weighted log loss minimises the cross-entropy between the
    probabilistic labels and the model's predictions.
    """
    model = LogisticRegression(solver="liblinear", random_state=0)
    if np.ndim(y) == 1:
        return model.fit(X, y)
    probs = np.asarray(y)
    n, k = probs.shape
    weights = probs.T.reshape(-1)
    keep = weights > 0
    X_rows, y_rows = np.tile(X, (k, 1))[keep], np.repeat(np.arange(k), n)[keep]
    return model.fit(X_rows, y_rows, sample_weight=weights[keep])


def bootstrap_ci(
    y_true: np.ndarray, y_pred: np.ndarray, level: float = 0.95, n_boot: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """Accuracy and its percentile bootstrap interval (scipy.stats.bootstrap): (acc, low, high)."""
    correct = np.asarray(y_true) == np.asarray(y_pred)
    interval = bootstrap(
        (correct,),
        np.mean,
        confidence_level=level,
        n_resamples=n_boot,
        method="percentile",
        rng=np.random.default_rng(seed),
    ).confidence_interval
    return float(correct.mean()), float(interval.low), float(interval.high)


def _accuracy(pred: np.ndarray, y: np.ndarray) -> float:
    """Share of equal entries."""
    return float((np.asarray(pred) == y).mean())
