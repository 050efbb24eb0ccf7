"""The Dask route's answers format: Parquet files of ``tweet_id, worker_id, answer`` integers.

Each file holds all answers of its tweets. A folder of answers is read whole: its subfolders
too, files named ``*.parquet`` or ``*.parq`` in any case, and Hive-style partition folders
(``worker_id=1042/part-0.parquet``) whose ``name=value`` supplies a column the files leave out.
Names starting with ``_`` or ``.`` (``_SUCCESS``, ``.crc`` files) are skipped; anything else
is refused with one sentence, as is an unreadable, mistyped or incomplete file.
"""

from __future__ import annotations

import numbers
import os
import re
import shutil
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from crowdsourcing.data import answer_mapping
from crowdsourcing.votes import CLASSES

__all__ = [
    "COLUMNS",
    "NO_VOTE_ANSWERS",
    "VOTE_ANSWERS",
    "AnswersError",
    "FileSummary",
    "answer_files",
    "check_unchanged",
    "fingerprints",
    "partition_values",
    "dense_codes",
    "read_answers",
    "read_columns",
    "summarize",
    "write_answers",
]

#: The columns of an answers file, all integers.
COLUMNS = ("tweet_id", "worker_id", "answer")
#: Answer codes that are a class: a vote for it by the worker's LF of that class.
VOTE_ANSWERS = tuple(label for label, _ in CLASSES)
#: Answer codes that cast no vote, by default: "I can't tell" (-1), "Neutral / author is just
#: sharing information" (2), "Tweet not related to weather condition" (3).
NO_VOTE_ANSWERS = tuple(sorted(set(answer_mapping.values()) - set(VOTE_ANSWERS)))
#: File name suffixes of Parquet files, compared in lower case.
PARQUET_SUFFIXES = (".parquet", ".parq")
_PARTITION = re.compile(r"^([^=]+)=(.*)$")


class AnswersError(ValueError):
    """Answers the Dask route cannot label; the message names the file and the problem."""


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


def write_answers(
    crowd_answers: pd.DataFrame, folder: Path, tweets_per_file: int, overwrite: bool = False
) -> None:
    """Store answers indexed by ``tweet_id`` as Parquet files of whole tweets, in tweet order.

    A folder that holds anything is refused unless `overwrite`, which first empties it.
    """
    whole = isinstance(tweets_per_file, numbers.Integral) and not isinstance(tweets_per_file, bool)
    if not whole or tweets_per_file < 1:
        raise ValueError(
            f"tweets_per_file must be a positive whole number of tweets, not {tweets_per_file!r}."
        )
    folder = Path(folder)
    _empty_folder(folder, overwrite)
    answers = crowd_answers.sort_index(kind="stable").reset_index()
    tweets = answers["tweet_id"].unique()
    starts = answers["tweet_id"].searchsorted(tweets[::tweets_per_file])
    ends = [*starts[1:], len(answers)]
    for part, (start, end) in enumerate(zip(starts, ends, strict=True)):
        answers.iloc[start:end].to_parquet(folder / f"part-{part:05d}.parquet", index=False)


def _empty_folder(folder: Path, overwrite: bool) -> None:
    """Make `folder` an empty folder; one holding anything is emptied only if `overwrite`."""
    if folder.exists() and not folder.is_dir():
        raise FileExistsError(f"{folder} is a file, not a folder for answers.")
    if folder.is_dir() and any(folder.iterdir()):
        if not overwrite:
            raise FileExistsError(
                f"{folder} already holds files: pass overwrite=True to replace them, "
                "or another folder."
            )
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)


def answer_files(answers_path: str | os.PathLike) -> list[Path]:
    """The Parquet files of `answers_path` (one file, or a folder read recursively), in order."""
    path = Path(answers_path)
    if not path.exists():
        raise AnswersError(f"{path} does not exist.")
    if path.is_file():
        return [path]
    files = []
    for file in sorted(p for p in path.rglob("*") if not p.is_dir()):
        if any(part.startswith(("_", ".")) for part in file.relative_to(path).parts):
            continue
        if file.suffix.lower() not in PARQUET_SUFFIXES:
            raise AnswersError(
                f"{file} is not a Parquet file (*.parquet or *.parq) but lies among the answers "
                f"in {path}: move it out, or name it with a leading _ to skip it."
            )
        partition_values(file)  # a malformed partition folder is refused before any work
        files.append(file)
    if not files:
        raise AnswersError(f"{path} holds no answers: no *.parquet or *.parq file there.")
    return files


def partition_values(path: str | os.PathLike) -> dict[str, int]:
    """The answer columns that `path`'s Hive-style folders (``worker_id=7``) give, by name."""
    values = {}
    for folder in Path(path).parent.parts:
        match = _PARTITION.match(folder)
        if match and match.group(1) in COLUMNS:
            name, value = match.groups()
            try:
                values[name] = int(value)
            except ValueError:
                raise AnswersError(
                    f"{path} lies in the partition folder {folder}, whose {name} is no integer."
                ) from None
    return values


def fingerprints(files: Collection[Path]) -> dict[Path, tuple[int, int]]:
    """Each file's size and modification time (ns): a file changed during a run changes them."""
    return {f: (f.stat().st_size, f.stat().st_mtime_ns) for f in files}


def check_unchanged(before: dict[Path, tuple[int, int]]) -> None:
    """Raise `AnswersError` if a file's size or modification time differs from `before`."""
    for file, fingerprint in before.items():
        now = fingerprints([file])[file] if file.exists() else None
        if now != fingerprint:
            raise AnswersError(
                f"{file} changed while it was being labelled (its size or modification time "
                "differs): no labels were written; rerun once the answers are final."
            )


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
