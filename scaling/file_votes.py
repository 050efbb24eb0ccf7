"""The Dask route's work on the workers, one answers file at a time: read and check the file,
keep its answers, turn them into the crowd LFs' votes, count their overlaps, write its labels.

The workers import this module for its tasks; it imports neither torch nor Snorkel, so a worker
holds only what these steps need.
"""

from __future__ import annotations

import functools
import operator
import os
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import scipy.sparse as sp

from crowdsourcing.prediction import probabilities
from crowdsourcing.votes import Votes, cell_votes, overlap_counts, vote_cells
from scaling.answer_reading import FileSummary, dense_codes, read_columns, summarize
from scaling.answers import COLUMNS
from scaling.output_folder import write_part

__all__ = [
    "Counts",
    "FileAnswers",
    "add_counts",
    "file_answers",
    "file_counts",
    "file_lf_votes",
    "file_summary",
    "file_tweet_ids",
    "write_file_labels",
]

#: Overlap counts of the LFs' votes and the number of tweets they were counted over.
Counts = tuple[sp.csr_matrix, int]


@dataclass(frozen=True)
class FileAnswers:
    """One file's check summary and its answers, in file order: the distinct `tweets` (row
    order) and `workers` (ascending), and per answer its `rows` index, `columns` index in
    `workers`, and answer `codes`."""

    summary: FileSummary
    tweets: np.ndarray
    workers: np.ndarray
    rows: np.ndarray
    columns: np.ndarray
    codes: np.ndarray


def file_answers(path: str | os.PathLike, no_vote: Collection[int]) -> FileAnswers:
    """Read and check one answers file, whose tweets have all their answers in it."""
    answers = read_columns(path)
    summary = summarize(path, answers, no_vote)
    tweets, workers, codes = (answers[c] for c in COLUMNS)
    if np.all(tweets[1:] >= tweets[:-1]):  # written in tweet order: no sort needed
        new = np.r_[True, tweets[1:] != tweets[:-1]] if len(tweets) else tweets.astype(bool)
        ids, rows = tweets[new], np.cumsum(new) - 1
    else:
        ids, rows, _ = dense_codes(tweets)
    worker_ids, columns, _ = dense_codes(workers)
    return FileAnswers(
        summary,
        ids,
        worker_ids,
        rows.astype(np.int32),
        columns.astype(np.int32),
        codes.astype(np.int8),
    )


def file_summary(part: FileAnswers) -> FileSummary:
    """What checking a file found."""
    return part.summary


def file_tweet_ids(part: FileAnswers) -> np.ndarray:
    """The distinct tweet ids of one file."""
    return part.tweets


def file_lf_votes(part: FileAnswers, workers: np.ndarray) -> tuple[np.ndarray, Votes]:
    """The file's tweets, and their votes by the crowd LFs of `workers` (ascending) as
    `crowd_votes` encodes them; answers of other workers cast no vote."""
    position = np.searchsorted(workers, part.workers).clip(max=max(len(workers) - 1, 0))
    has_lf = workers[position] == part.workers if len(workers) else position < 0
    column = np.where(has_lf, position, -1)
    cells = vote_cells(part.rows, column[part.columns], part.codes, len(workers))
    return part.tweets, cell_votes(*cells, len(part.tweets), len(workers))


def file_counts(tweets_votes: tuple[np.ndarray, Votes]) -> Counts:
    """A file's overlap counts and number of tweets, from its tweets and votes."""
    tweets, votes = tweets_votes
    return overlap_counts(votes), len(tweets)


def add_counts(*parts: Counts) -> Counts:
    """Sum of partial counts."""
    return functools.reduce(operator.add, (c for c, _ in parts)), sum(n for _, n in parts)


def write_file_labels(
    tweets_votes: tuple[np.ndarray, Votes], part: int, folder: str, mu: np.ndarray, p: np.ndarray
) -> int:
    """Write the probabilistic labels of a file's tweets (``tweet_id, p_0, ...``) as part
    `part` of `folder`; the number of tweets."""
    tweets, votes = tweets_votes
    probs = probabilities(votes, mu, p)
    columns = {"tweet_id": pa.array(tweets)} | {f"p_{y}": probs[:, y] for y in range(len(p))}
    write_part(pa.table(columns), folder, part)
    return len(tweets)
