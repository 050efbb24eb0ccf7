"""Synthetic crowdsourcing jobs of any size, for benchmarks: tweets, gold labels, crowd answers.

Each task (tweet) is answered by distinct workers, 20 by default as in the real job; a worker
answers correctly with its own accuracy and otherwise picks one of the other four answers. Tweets
are short template texts with weather and sentiment words (about 7 MiniLM tokens, where real
tweets have about 25), so the text LFs and the embeddings have something to read; a few lack text.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from scaling.answers import write_answer_parts

__all__ = ["synthetic_crowd", "write_synthetic_answers"]

_WEATHER = np.array(["the sun", "this rain", "the snow", "the wind", "this heat", "the storm"])
_POSITIVE = np.array(["I love", "so nice:", "enjoying", "what a beautiful day with", "yay for"])
_NEGATIVE = np.array(["I hate", "ugh,", "so tired of", "depressing day with", "damn"])
_NEUTRAL = np.array(["forecast says", "update on", "news about", "they talk about"])
_OTHER_ANSWERS = {0: np.array([1, -1, 2, 3]), 1: np.array([0, -1, 2, 3])}


def synthetic_crowd(
    n_tasks: int = 100_000,
    n_workers: int = 1_000,
    answers_per_task: int = 20,
    seed: int = 0,
    missing_text: float = 0.001,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(tweets, crowd_answers)``: tweets with ``tweet_id, tweet_text, sentiment``, answers
    indexed by ``tweet_id`` with ``worker_id, answer``, as `data.load_data` returns them."""
    if not 0 < answers_per_task <= n_workers:
        raise ValueError("answers_per_task must be between 1 and n_workers")
    rng = np.random.default_rng(seed)
    tweet_ids = np.arange(n_tasks, dtype=np.int64) + 10_000_000
    truth = rng.integers(0, 2, n_tasks)
    workers = _distinct_workers(rng, n_tasks, n_workers, answers_per_task)
    accuracy = rng.uniform(0.55, 0.95, n_workers)
    answers = _answers(rng, truth, workers, accuracy)

    crowd_answers = pd.DataFrame(
        {"worker_id": workers.ravel() + 1_000, "answer": answers.ravel()},
        index=pd.Index(np.repeat(tweet_ids, answers_per_task), name="tweet_id"),
    )
    tweets = pd.DataFrame(
        {"tweet_id": tweet_ids, "tweet_text": _texts(truth, rng, missing_text), "sentiment": truth}
    ).set_index("tweet_id", drop=False)
    return tweets, crowd_answers


def _texts(truth: np.ndarray, rng: np.random.Generator, missing: float) -> np.ndarray:
    """One template text per label; 20% carry no sentiment word, a share `missing` no text."""
    n = len(truth)
    sentiment = np.where(
        truth == 1, _POSITIVE[rng.integers(0, 5, n)], _NEGATIVE[rng.integers(0, 5, n)]
    )
    sentiment = np.where(rng.random(n) < 0.2, _NEUTRAL[rng.integers(0, 4, n)], sentiment)
    texts = np.char.add(np.char.add(sentiment, " "), _WEATHER[rng.integers(0, 6, n)]).astype(object)
    texts[rng.random(n) < missing] = None
    return texts


def _distinct_workers(
    rng: np.random.Generator, n_tasks: int, n_workers: int, answers_per_task: int
) -> np.ndarray:
    """Distinct workers per task (tasks x answers): an arithmetic progression modulo
    `n_workers`, random start and step."""
    max_step = max(1, (n_workers - 1) // answers_per_task)
    start = rng.integers(0, n_workers, n_tasks)
    step = rng.integers(1, max_step + 1, n_tasks)
    return (start[:, None] + np.arange(answers_per_task) * step[:, None]) % n_workers


def _answers(
    rng: np.random.Generator, truth: np.ndarray, workers: np.ndarray, accuracy: np.ndarray
) -> np.ndarray:
    """Each worker's answer: the truth with its accuracy, else one of the four others."""
    correct = rng.random(workers.shape) < accuracy[workers]
    pick = rng.integers(0, 4, workers.shape)
    wrong = np.where(truth[:, None] == 1, _OTHER_ANSWERS[1][pick], _OTHER_ANSWERS[0][pick])
    return np.where(correct, truth[:, None], wrong)


def write_synthetic_answers(
    folder: Path,
    n_tasks: int,
    n_workers: int = 1_000,
    answers_per_task: int = 20,
    seed: int = 0,
    tasks_per_file: int = 100_000,
) -> None:
    """Write a job's answers (``tweet_id, worker_id, answer``) as `write_answers` does: Parquet
    files of whole tasks, marked finished, the folder in place only once complete.

    The job is `synthetic_crowd`'s kind (same workers and accuracies throughout), generated one
    file at a time so that memory stays that of one file, whatever `n_tasks`; file i draws from
    the seed (seed, i), so the job differs from `synthetic_crowd(n_tasks, ...)`'s.
    """
    accuracy = np.random.default_rng(seed).uniform(0.55, 0.95, n_workers)
    firsts = range(0, n_tasks, tasks_per_file)
    sizes = [min(tasks_per_file, n_tasks - first) for first in firsts]
    parts = (
        _synthetic_part(seed, part, first, n, accuracy, answers_per_task)
        for part, (first, n) in enumerate(zip(firsts, sizes, strict=True))
    )
    write_answer_parts(parts, folder)


def _synthetic_part(
    seed: int, part: int, first: int, n: int, accuracy: np.ndarray, answers_per_task: int
) -> pd.DataFrame:
    """The answers of tasks `first` to `first + n` of a job, drawn from the seed (seed, part)."""
    rng = np.random.default_rng([seed, part])
    truth = rng.integers(0, 2, n)
    workers = _distinct_workers(rng, n, len(accuracy), answers_per_task)
    answers = _answers(rng, truth, workers, accuracy)
    tweet_ids = np.arange(first, first + n, dtype=np.int64) + 10_000_000
    return pd.DataFrame(
        {
            "tweet_id": np.repeat(tweet_ids, answers_per_task),
            "worker_id": workers.ravel() + 1_000,
            "answer": answers.ravel(),
        }
    )
