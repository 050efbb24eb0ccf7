"""The repeated-split harness: the tutorial's pipeline run on many random splits, scored honestly.

`Split.bought` draws the crowd budgets the tutorial compares from a split's training tweets.
`run_splits` hands a pipeline one `Split` at a time. A split's test tweets come without their
sentiment, so nothing the pipeline fits or predicts can depend on a test label; the caller scores
what it returns (`crowdsourcing.budget.run_budget_splits`).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

import numpy as np
import pandas as pd
import torch
from IPython.display import Pretty, display

from crowdsourcing.data import answers_on, labelled_tweets, split_data
from crowdsourcing.votes import crowd_label_matrix, crowd_lf_names, frequent_workers

T = TypeVar("T")

__all__ = [
    "Split",
    "make_split",
    "run_split",
    "run_splits",
    "split_seeds",
]


@dataclass(frozen=True)
class Split:
    """One random split: its tweets, the crowd answers it keeps and its label matrices.

    The label matrices hold the text LFs' columns first, then two columns per frequent worker
    (as `crowd_label_matrix` builds them). `y_train` is there for the gold-label ceiling only.
    """

    seed: int
    train: pd.DataFrame
    dev: pd.DataFrame  # with its gold sentiment
    test: pd.DataFrame  # without it
    crowd: pd.DataFrame  # the crowd answers kept, indexed by tweet id
    train_answers: pd.DataFrame  # every crowd answer on a training tweet, to buy budgets from
    y_train: pd.Series
    lf_names: list[str]
    L_train: np.ndarray
    L_dev: np.ndarray
    n_text: int  # how many of the first columns are text LFs

    def bought(self, share: float, per_tweet: int | None = None) -> pd.DataFrame:
        """The crowd answers bought on `share` of the training tweets, `per_tweet` each (None: all).

        Tweets are taken in an order drawn with the split's seed, those the split answers first,
        and each tweet's answers too, so a smaller budget buys a subset of a larger one's answers,
        and the split's own share with every answer buys exactly its training tweets' answers.
        """
        rng = np.random.default_rng(self.seed)
        answered = self.train.index.isin(self.crowd.index)
        ids = self.train.index
        order = np.concatenate([rng.permutation(ids[answered]), rng.permutation(ids[~answered])])
        answers = self.train_answers.sample(frac=1, random_state=self.seed)
        answers = answers[answers.index.isin(order[: round(share * len(order))])]
        return answers.groupby(level=0).head(per_tweet) if per_tweet else answers


def split_seeds(split_seed: int, n_splits: int) -> list[int]:
    """`split_seed`, then the seeds 0 to `n_splits` - 1 of the random splits, none twice."""
    if n_splits < 1:
        raise ValueError(f"n_splits must be at least 1, not {n_splits}")
    return list(dict.fromkeys([split_seed, *range(n_splits)]))


def make_split(
    seed: int, gold: pd.DataFrame, answers: pd.DataFrame, text_L: pd.DataFrame, min_answers: int
) -> Split:
    """Split with `seed`; label matrices from `text_L` (votes by tweet id) and the kept answers."""
    crowd, train, dev, test = split_data(gold, answers, seed)
    workers = frequent_workers(crowd, min_answers)

    def label_matrix(ids: pd.Index) -> np.ndarray:
        text = text_L.loc[ids].to_numpy()
        return np.hstack([text, crowd_label_matrix(crowd, ids, workers, dtype=text.dtype)])

    return Split(
        seed=seed,
        train=train,
        dev=dev,
        test=test.drop(columns="sentiment"),
        crowd=crowd,
        train_answers=answers_on(answers, train.index),
        y_train=labelled_tweets(gold)["sentiment"].loc[train.index],
        lf_names=[*text_L.columns, *crowd_lf_names(workers)],
        L_train=label_matrix(train.index),
        L_dev=label_matrix(dev.index),
        n_text=text_L.shape[1],
    )


def run_split(seed: int, pipeline: Callable[[Split], T], **data) -> T:
    """`pipeline` on the split `make_split(seed, **data)`."""
    return pipeline(make_split(seed, **data))


def run_splits(
    seeds: Iterable[int], pipeline: Callable[[Split], T], title: str = "Splits", **data
) -> list[T]:
    """`run_split` for each seed, on every core, showing progress under `title` as it goes.

    The splits run in forked worker processes (where the platform can fork), which start with
    everything this process has imported and computed, the pipeline included. Each runs torch on
    one thread: a forked child must not use a thread pool its parent had started.
    """
    seeds = list(seeds)
    job = partial(run_split, pipeline=pipeline, **data)
    progress = display(Pretty(f"{title}: 0 of {len(seeds)} run"), display_id=True)
    processes = min(os.cpu_count() or 1, len(seeds))
    if processes > 1 and "fork" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("fork")
        with context.Pool(processes, torch.set_num_threads, (1,)) as pool:
            results = _collect(pool.imap(job, seeds), len(seeds), title, progress)
            pool.close()  # let the workers finish on their own rather than be terminated
            pool.join()
        return results
    return _collect(map(job, seeds), len(seeds), title, progress)


def _collect(results: Iterable[T], n: int, title: str, progress) -> list[T]:
    """The results, in order, updating the progress line (shown only in IPython) after each."""
    done = []
    for result in results:
        done.append(result)
        if progress is not None:
            progress.update(Pretty(f"{title}: {len(done)} of {n} run"))
    return done
