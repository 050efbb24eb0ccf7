"""Reading and checking one answers file, on a Dask worker or in one process.

`read_columns` reads a file's answer columns (those that Hive-style partition folders do not
supply) as int64 arrays, refusing with one sentence a file that cannot be read, holds a column
twice, lacks one, holds other than integers, misses values or holds values int64 cannot keep;
`summarize` checks the answer codes and tells what the file holds.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from scaling.answer_files import partition_values
from scaling.answers import COLUMNS, LARGEST, VOTE_ANSWERS, AnswersError

__all__ = ["FileSummary", "dense_codes", "read_answers", "read_columns", "summarize"]


@dataclass(frozen=True)
class FileSummary:
    """What checking one answers file found: sizes, tweet id range, answers and votes per worker."""

    path: str
    answers: int
    tweets: int
    first_tweet: int
    last_tweet: int
    answers_per_worker: pd.Series
    votes_per_worker: pd.Series


def read_answers(path: str | os.PathLike) -> pd.DataFrame:
    """One file's answers, with integer columns and no missing value, else `AnswersError`."""
    return pd.DataFrame(read_columns(path))


def read_columns(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """One file's answer columns as int64 arrays, once found integer and complete."""
    given = partition_values(path)
    try:
        table = pq.ParquetFile(path).read(columns=_checked_columns(path, given))
    except (pa.ArrowException, OSError) as error:
        reason = str(error).strip().rstrip(".").replace("\n", " ")
        raise AnswersError(f"{path} cannot be read as Parquet ({reason}).") from error
    columns = {}
    for name in table.column_names:
        column = table.column(name)
        if column.null_count:
            raise AnswersError(f"{path} has {column.null_count:,} missing values of {name}.")
        if not pa.types.is_integer(column.type):
            raise AnswersError(f"{path} holds {name} as {column.type}; it must be integers.")
        if pa.types.is_uint64(column.type) and len(column) and pc.max(column).as_py() > LARGEST:
            raise AnswersError(
                f"{path} holds {name} {pc.max(column).as_py()}, above {LARGEST} (2**63 - 1): "
                "answer columns are read as int64, which cannot hold it."
            )
        columns[name] = column.to_numpy().astype(np.int64, copy=False)
    for name, value in given.items():
        columns[name] = np.full(table.num_rows, value, dtype=np.int64)
    return {name: columns[name] for name in COLUMNS}


def _checked_columns(path: str | os.PathLike, given: Collection[str]) -> list[str]:
    """The answer columns to read from the file, once its schema is found to have each once."""
    try:
        names = pq.read_schema(path).names
    except (pa.ArrowException, OSError) as error:
        reason = str(error).strip().rstrip(".").replace("\n", " ")
        raise AnswersError(f"{path} cannot be read as Parquet ({reason}).") from error
    twice = sorted({c for c in COLUMNS if names.count(c) > 1})
    if twice:
        raise AnswersError(f"{path} has more than one column named {', '.join(twice)}.")
    both = [c for c in given if c in names]
    if both:
        raise AnswersError(
            f"{path} holds column {both[0]} and lies in a partition folder of {both[0]} too."
        )
    missing = [c for c in COLUMNS if c not in names and c not in given]
    if missing:
        found = ", ".join(names)
        raise AnswersError(f"{path} has no column {', '.join(missing)} (it has {found}).")
    return [c for c in COLUMNS if c not in given]


def summarize(
    path: str | os.PathLike, answers: dict[str, np.ndarray], no_vote: Collection[int]
) -> FileSummary:
    """What a file's `answers` hold, once every answer is found among the codes."""
    tweets, workers, codes = (answers[c] for c in COLUMNS)
    allowed = sorted({*VOTE_ANSWERS, *no_vote})
    unknown = ~np.isin(codes, allowed)
    if unknown.any():
        i = np.flatnonzero(unknown)[0]
        raise AnswersError(
            f"{path} has {unknown.sum():,} answers that are no answer code {allowed}, "
            f"e.g. {codes[i]} from worker {workers[i]} on tweet {tweets[i]}."
        )
    ids, local, per_worker = dense_codes(workers)
    voting = np.isin(codes, VOTE_ANSWERS)
    votes = np.bincount(local[voting], minlength=len(ids))
    return FileSummary(
        str(path),
        len(codes),
        len(dense_codes(tweets)[0]),
        int(tweets.min()) if len(tweets) else 0,
        int(tweets.max()) if len(tweets) else -1,
        pd.Series(per_worker, index=ids),
        pd.Series(votes, index=ids)[votes > 0],
    )


def dense_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct `values` ascending, each value's index among them, and their counts.

    `np.unique`'s result; by a count over the range instead of a sort when it is small.
    """
    if not len(values):
        return values[:0], np.zeros(0, np.int64), np.zeros(0, np.int64)
    low, high = int(values.min()), int(values.max())
    if high - low > 4 * len(values) + 1_000_000:
        return np.unique(values, return_inverse=True, return_counts=True)
    counts = np.bincount(values - low)
    present = np.flatnonzero(counts)
    index = np.cumsum(counts > 0) - 1
    return present + low, index[values - low], counts[present]
