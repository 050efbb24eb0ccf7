"""The crowd-budget experiment's bookkeeping: budgets, one long table of outcomes, its summaries.

A pipeline run on one split returns `outcomes` rows, one per (source, tweet): the training labels
a source gives at a budget, and the test predictions of the end model trained on them.
`run_budget_splits` runs it on many splits and scores every row against gold in this process,
so no test label reaches a pipeline. The table's columns: seed, budget, answers (bought on that
split), source, role (`TRAIN`, `DEV` or `TEST`), tweet_id, label (-1: none) and correct.
Every summary below is a groupby of that table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from crowdsourcing.data import labelled_tweets
from crowdsourcing.splits import Split, run_splits
from crowdsourcing.statistics import (
    MIN_SPLITS_TO_RESAMPLE,
    accuracy_ci,
    paired_difference,
    verdict,
)
from crowdsourcing.votes import ABSTAIN

__all__ = [
    "DECLARED",
    "DEV",
    "GOLD_VOTES",
    "LABEL_MODEL_DEV",
    "MAJORITY_DEV",
    "NO_ANSWERS",
    "TEST",
    "TRAIN",
    "Budget",
    "budget_saving",
    "declared_outcomes",
    "differences",
    "end_model_accuracy",
    "gold_labels",
    "hard_labels",
    "label_quality",
    "outcomes",
    "run_budget_splits",
]

TRAIN, DEV, TEST = "train", "dev", "test"
#: The declared end model, its gold yardstick, and the label models whose dev labels it reports.
DECLARED, GOLD_VOTES = "LabelModel soft + LF votes", "gold + LF votes"
LABEL_MODEL_DEV, MAJORITY_DEV = "LabelModel", "majority vote"


@dataclass(frozen=True)
class Budget:
    """Crowd answers bought for `share` of the training tweets, `per_tweet` each (None: all).

    Budgets sort by answers per tweet (all last), then by share.
    """

    share: float
    per_tweet: int | None = None

    def _key(self) -> tuple[float, float]:
        return (np.inf if self.per_tweet is None else self.per_tweet, self.share)

    def __lt__(self, other: Budget) -> bool:
        return self._key() < other._key()

    def __str__(self) -> str:
        each = "all answers" if self.per_tweet is None else f"{self.per_tweet} per tweet"
        return "no answer" if self == NO_ANSWERS else f"{self.share:.0%} of tweets, {each}"


#: The budget of the sources that buy no crowd answer (text LFs, gold, a rule).
NO_ANSWERS = Budget(0.0, 0)


def hard_labels(labels: pd.Series | pd.DataFrame) -> pd.Series:
    """Hard labels by tweet id: a Series as it is; soft ones (a column per class) by their most
    probable class, -1 where two classes tie."""
    if isinstance(labels, pd.Series):
        return labels.astype(int)
    probs = labels.to_numpy()
    tie = np.isclose(probs.max(axis=1, keepdims=True), probs).sum(axis=1) > 1
    return pd.Series(np.where(tie, ABSTAIN, probs.argmax(axis=1)), labels.index)


def outcomes(
    budget: Budget,
    source: str,
    answers: int,
    train: pd.Series | pd.DataFrame | None = None,
    test: pd.Series | None = None,
    dev: pd.Series | None = None,
) -> pd.DataFrame:
    """Rows of one source at one budget: its training labels, its end model's test predictions
    and its dev labels, each a Series by tweet id (soft labels: a column per class) or None."""
    given = [(TRAIN, train), (TEST, test), (DEV, dev)]
    parts = [(role, hard_labels(labels)) for role, labels in given if labels is not None]
    n = sum(len(labels) for _, labels in parts)
    return pd.DataFrame(
        {
            "role": np.repeat([role for role, _ in parts], [len(labels) for _, labels in parts]),
            "tweet_id": np.concatenate([labels.index.to_numpy() for _, labels in parts]),
            "label": np.concatenate([labels.to_numpy() for _, labels in parts]),
            "budget": [budget] * n,
            "answers": np.full(n, answers),
            "source": np.full(n, source, dtype=object),
        }
    )


def declared_outcomes(
    split: Split,
    *,
    vectors: pd.DataFrame,
    text_L: pd.DataFrame,
    fit_label_model: Callable,
    fit_end_model: Callable,
    budget: Budget,
    **_,
) -> pd.DataFrame:
    """The declared end model (soft labels of `fit_label_model` over the split's own answers and
    every LF; the sentence vectors and the text LFs' votes as features) and its gold yardstick on
    the test tweets; the label model's and a majority vote's dev labels. Other keyword arguments
    (a pipeline's other inputs) are ignored."""
    from snorkel.labeling.model import MajorityLabelVoter

    features = pd.concat([vectors, text_L.replace({ABSTAIN: 0, 0: -1})], axis=1)
    model = fit_label_model(split.L_train)
    soft = pd.DataFrame(model.predict_proba(split.L_train), split.train.index)
    X_test, answers = features.loc[split.test.index].to_numpy(), len(split.crowd)
    runs = [
        outcomes(
            budget,
            name,
            answers,
            test=pd.Series(fit_end_model(features, y).predict(X_test), split.test.index),
        )
        for name, y in [(DECLARED, soft), (GOLD_VOTES, split.y_train)]
    ]
    dev = {
        LABEL_MODEL_DEV: model.predict(split.L_dev),
        MAJORITY_DEV: MajorityLabelVoter().predict(split.L_dev),
    }
    runs += [
        outcomes(budget, n, answers, dev=pd.Series(d, split.dev.index)) for n, d in dev.items()
    ]
    return pd.concat(runs, ignore_index=True)


def _scored(split: Split, pipeline: Callable[..., pd.DataFrame], **inputs) -> pd.DataFrame:
    """`pipeline(split, **inputs)`'s outcomes, with the split's seed."""
    return pipeline(split, **inputs).assign(seed=split.seed)


def run_budget_splits(
    seeds: Iterable[int],
    pipeline: Callable[..., pd.DataFrame],
    *,
    gold: pd.DataFrame,
    answers: pd.DataFrame,
    text_L: pd.DataFrame,
    min_answers: int,
    exclude: Iterable[int] = (),
    **inputs,
) -> pd.DataFrame:
    """The outcomes of `pipeline(split, text_L=text_L, **inputs)` on the split of each seed, on
    every core, each row scored against gold here; test tweets in `exclude` (tweet ids) are left
    out. `text_L` holds the text LFs' votes on every tweet, by tweet id."""
    data = {"gold": gold, "answers": answers, "text_L": text_L, "min_answers": min_answers}
    job = partial(_scored, pipeline=pipeline, text_L=text_L, **inputs)
    table = pd.concat(run_splits(seeds, job, **data), ignore_index=True)
    table = table[~((table.role == TEST) & table.tweet_id.isin(list(exclude)))]
    truth = labelled_tweets(gold)["sentiment"]
    correct = table.label.to_numpy() == truth.loc[table.tweet_id].to_numpy()
    return table.assign(correct=correct).reset_index(drop=True)


def _per_split(table: pd.DataFrame, role: str) -> list[dict]:
    """Right/wrong flags of each (budget, source) on `role` rows, one dict per seed."""
    rows = table[table.role == role]
    return [
        {key: flags.correct.to_numpy() for key, flags in split.groupby(["budget", "source"])}
        for _, split in rows.groupby("seed")
    ]


def end_model_accuracy(table: pd.DataFrame) -> pd.DataFrame:
    """Mean test accuracy over the splits of every (budget, source), with its 95% interval
    (resampling splits, or test tweets with fewer than `MIN_SPLITS_TO_RESAMPLE` splits) and
    the mean answers bought."""
    correct = _per_split(table, TEST)
    answers = table.groupby(["budget", "source"]).answers.mean()
    rows = [
        dict(zip(("mean", "low", "high"), accuracy_ci(correct, key), strict=True))
        | {"budget": key[0], "source": key[1], "answers": answers[key]}
        for key in correct[0]
    ]
    return pd.DataFrame(rows).set_index(["budget", "source"]).sort_index()


def differences(table: pd.DataFrame, a: str, b: str) -> pd.DataFrame:
    """Test accuracy of source `a` minus that of `b` at each budget where both are, paired split
    by split: mean, 95% interval, splits won, tied and lost, and a verdict."""
    correct = _per_split(table, TEST)
    rows = []
    for budget in sorted({key[0] for key in correct[0] if key[1] == a}):
        pairs = [{a: c[budget, a], b: c[budget, b]} for c in correct]
        diff = paired_difference(pairs, a, b)
        low, high = diff.pop("ci95")
        rows.append(
            {
                "budget": budget,
                **diff,
                "low": low,
                "high": high,
                "verdict": verdict({"ci95": (low, high)}),
            }
        )
    return pd.DataFrame(rows).set_index("budget")


def label_quality(table: pd.DataFrame, answered_by: str, free: Sequence[str] = ()) -> pd.DataFrame:
    """Means over splits of each source's training labels at each budget: `coverage` (the share
    of a split's training tweets it labels), `accuracy` on the tweets it labels, and
    `accuracy_answered` on the tweets `answered_by` labels at that budget, the same tweets for
    every source. Sources in `free` buy no answer; their labels are scored against every budget's
    answered tweets. A split's training tweets are those any source has a row for."""
    train = table[table.role == TRAIN]
    n_train = train.groupby("seed").tweet_id.nunique()
    answered = train[(train.source == answered_by) & (train.label != ABSTAIN)]
    answered = answered[["seed", "budget", "tweet_id"]].assign(answered=True)
    n_answered = answered.groupby(["seed", "budget"]).size()
    budgets = answered.budget.unique()
    priced, free_rows = train[~train.source.isin(free)], train[train.source.isin(free)]
    rows = pd.concat([priced, *(free_rows.assign(budget=b) for b in budgets)], ignore_index=True)
    rows = rows.merge(answered, how="left", on=["seed", "budget", "tweet_id"])
    labelled = rows.label != ABSTAIN
    rows = rows.assign(
        labelled=labelled,
        right=rows.correct & labelled,
        right_answered=rows.correct & labelled & rows.answered.notna(),
    )
    sums = rows.groupby(["budget", "source", "seed"])[["labelled", "right", "right_answered"]].sum()
    seeds, budget_of = sums.index.get_level_values("seed"), sums.index.get_level_values("budget")
    answered_here = n_answered.reindex(list(zip(seeds, budget_of, strict=True))).to_numpy()
    per_split = pd.DataFrame(
        {
            "coverage": sums.labelled / n_train.loc[seeds].to_numpy(),
            "accuracy": sums.right / sums.labelled.where(sums.labelled > 0),
            "accuracy_answered": sums.right_answered / answered_here,
        }
    )
    return per_split.groupby(["budget", "source"]).mean()


def gold_labels(bought: pd.DataFrame, text: object, split: Split) -> pd.Series:
    """A label source that buys no answer: the split's gold training labels, for comparison."""
    return split.y_train


def budget_saving(
    table: pd.DataFrame,
    *,
    weak: str,
    crowd: str,
    free: str,
    target: Budget,
    n_resamples: int = 2000,
) -> dict:
    """How many times fewer crowd answers `weak` needs than `crowd` to reach `crowd`'s mean test
    accuracy at `target`, with a 95% bootstrap interval.

    Each route needs the answers of its cheapest budget whose mean test accuracy reaches the
    target (no tolerance); `weak` needs none if `free` (its labels without answers) reaches it.
    The ratio is infinite where `weak` needs no answer, 0 where it never reaches the target.
    The interval resamples splits, or each split's test tweets with fewer than
    `MIN_SPLITS_TO_RESAMPLE` splits, and recomputes target, budgets and ratio each time.
    """
    rows = table[(table.role == TEST) & table.source.isin([weak, crowd, free])]
    keys = sorted({(b, s) for b, s in zip(rows.budget, rows.source, strict=True)})
    answers = rows.groupby(["budget", "source"]).answers.mean()
    spend = np.array([answers[key] for key in keys])
    samples = _resampled_accuracy(rows, keys, n_resamples)  # (1 + n_resamples) x keys
    ratios = np.array([_ratio(acc, keys, spend, weak, crowd, free, target) for acc in samples])
    point = ratios[0]
    low, high = np.quantile(ratios[1:], [0.025, 0.975], method="inverted_cdf")
    return {"ratio": float(point), "ci95": [float(low), float(high)]} | _needs(
        samples[0], keys, spend, weak, crowd, free, target
    )


def _resampled_accuracy(rows: pd.DataFrame, keys: list, n_resamples: int) -> np.ndarray:
    """Mean accuracy over splits of each key, then of `n_resamples` bootstrap resamples."""
    rng = np.random.default_rng(0)
    splits = [
        split.pivot(index="tweet_id", columns=["budget", "source"], values="correct")[keys]
        for _, split in rows.groupby("seed")
    ]
    per_split = np.array([s.to_numpy(float).mean(axis=0) for s in splits])  # splits x keys
    if len(splits) >= MIN_SPLITS_TO_RESAMPLE:
        picks = rng.integers(0, len(splits), (n_resamples, len(splits)))
        return np.vstack([per_split.mean(axis=0), per_split[picks].mean(axis=1)])
    resampled = []
    for split in splits:
        flags = split.to_numpy(float)
        counts = rng.multinomial(len(flags), np.full(len(flags), 1 / len(flags)), n_resamples)
        resampled.append(counts @ flags / len(flags))
    return np.vstack([per_split.mean(axis=0), np.mean(resampled, axis=0)])


def _needs(acc, keys, spend, weak, crowd, free, target) -> dict:
    """The target accuracy and the answers each route needs to reach it (inf: never)."""
    acc = dict(zip(keys, acc, strict=True))
    cost = dict(zip(keys, spend, strict=True))
    goal = acc[target, crowd]

    def cheapest(source: str) -> float:
        return min((cost[k] for k in keys if k[1] == source and acc[k] >= goal), default=np.inf)

    weak_needs = 0.0 if acc[NO_ANSWERS, free] >= goal else cheapest(weak)
    return {"accuracy": goal, "answers_crowd": cheapest(crowd), "answers_weak": weak_needs}


def _ratio(acc, keys, spend, weak, crowd, free, target) -> float:
    """Answers the crowd alone needs over those `weak` needs (inf: none; 0: never reached)."""
    needs = _needs(acc, keys, spend, weak, crowd, free, target)
    if needs["answers_weak"] == 0:
        return np.inf
    return needs["answers_crowd"] / needs["answers_weak"]
