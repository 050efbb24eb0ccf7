"""The Dask route's answers format, and its writer: Parquet files of ``tweet_id, worker_id,
answer`` integers, each file holding all answers of its tweets.

`write_answers` checks the answers whole before it writes or deletes anything, writes the files
into a temporary folder, marks it finished with ``_SUCCESS`` and only then moves it into place,
so that a fit never sees a folder half written. Folders written by other tools are read too
(`scaling.answer_files` finds their files, `scaling.answer_reading` reads and checks them).
"""

from __future__ import annotations

import json
import numbers
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from crowdsourcing.data import answer_mapping
from crowdsourcing.votes import CLASSES
from scaling.output_folder import atomic_folder, write_part

__all__ = [
    "COLUMNS",
    "FINISHED_MARKER",
    "NO_VOTE_ANSWERS",
    "VOTE_ANSWERS",
    "AnswersError",
    "answer_table",
    "write_answer_parts",
    "write_answers",
]

#: The columns of an answers file, all integers.
COLUMNS = ("tweet_id", "worker_id", "answer")
#: Answer codes that are a class: a vote for it by the worker's LF of that class.
VOTE_ANSWERS = tuple(label for label, _ in CLASSES)
#: Answer codes that cast no vote, by default: "I can't tell" (-1), "Neutral / author is just
#: sharing information" (2), "Tweet not related to weather condition" (3).
NO_VOTE_ANSWERS = tuple(sorted(set(answer_mapping.values()) - set(VOTE_ANSWERS)))
#: The file that marks a folder of answers (or labels) finished, with its sizes as JSON.
FINISHED_MARKER = "_SUCCESS"
#: The largest value an answers column holds: its values are read as int64.
LARGEST = np.iinfo(np.int64).max


class AnswersError(ValueError):
    """Answers the Dask route cannot label; the message names the file and the problem."""


def write_answers(
    crowd_answers: pd.DataFrame,
    folder: str | os.PathLike,
    tweets_per_file: int,
    overwrite: bool = False,
) -> None:
    """Store answers (``tweet_id`` as index or column) as Parquet files of whole tweets, in
    tweet order, with a ``_SUCCESS`` marker.

    The answers are checked first (`answer_table`). A folder that holds anything is refused
    unless `overwrite`; it is replaced only once the new folder is complete.
    """
    whole = isinstance(tweets_per_file, numbers.Integral) and not isinstance(tweets_per_file, bool)
    if not whole or tweets_per_file < 1:
        raise ValueError(
            f"tweets_per_file must be a positive whole number of tweets, not {tweets_per_file!r}."
        )
    answers = answer_table(crowd_answers)
    tweets = answers["tweet_id"].to_numpy()
    firsts = np.flatnonzero(np.r_[True, tweets[1:] != tweets[:-1]])[::tweets_per_file]
    ends = [*firsts[1:], len(answers)]
    parts = (answers.iloc[start:end] for start, end in zip(firsts, ends, strict=True))
    write_answer_parts(parts, folder, overwrite)


def answer_table(crowd_answers: pd.DataFrame) -> pd.DataFrame:
    """The answers as a table of `COLUMNS` (int64) sorted by tweet, the order of each tweet's
    answers kept; `TypeError` or `ValueError` with one sentence if they cannot be stored."""
    if not isinstance(crowd_answers, pd.DataFrame):
        raise TypeError(
            "crowd_answers must be a pandas DataFrame of tweet_id, worker_id and answer, "
            f"not a {type(crowd_answers).__name__}."
        )
    index_name = crowd_answers.index.name
    if "tweet_id" in crowd_answers.columns and index_name == "tweet_id":
        raise ValueError("crowd_answers has tweet_id both as its index and as a column.")
    if "tweet_id" in crowd_answers.columns:
        answers = crowd_answers.reset_index(drop=True)
    elif index_name == "tweet_id":
        answers = crowd_answers.reset_index()
    else:
        raise ValueError(
            f"crowd_answers has no tweet_id: its index is named {index_name!r} and its columns "
            f"are {list(crowd_answers.columns)}; index it by tweet_id or add a tweet_id column."
        )
    missing = [c for c in COLUMNS if c not in answers.columns]
    if missing:
        raise ValueError(f"crowd_answers has no column {', '.join(missing)}.")
    columns = {name: _integers(answers[name], name) for name in COLUMNS}
    order = np.argsort(columns["tweet_id"], kind="stable")
    return pd.DataFrame({name: values[order] for name, values in columns.items()})


def _integers(column: pd.Series, name: str) -> np.ndarray:
    """`column` as int64, once found to hold integers without a missing value that int64
    holds; else `ValueError` naming `name`."""
    if column.isna().any():
        raise ValueError(f"crowd_answers has {column.isna().sum():,} missing values of {name}.")
    if not pd.api.types.is_integer_dtype(column.dtype) or pd.api.types.is_bool_dtype(column):
        raise ValueError(f"crowd_answers holds {name} as {column.dtype}; it must be integers.")
    values = column.to_numpy()
    if values.dtype.kind == "u" and len(values) and values.max() > LARGEST:
        raise ValueError(
            f"crowd_answers holds {name} {values.max()}, above {LARGEST} (2**63 - 1), "
            "the largest value an answers file's int64 column holds."
        )
    return values.astype(np.int64)


def write_answer_parts(
    parts: Iterable[pd.DataFrame], folder: str | os.PathLike, overwrite: bool = False
) -> None:
    """Write each table of `parts` (the answers of whole tweets) as one Parquet file of
    `folder`, then the ``_SUCCESS`` marker; the folder appears only once complete."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise FileExistsError(f"{folder} is a file, not a folder for answers.")
    with atomic_folder(folder, overwrite, replace_empty=True, what="the answers") as temporary:
        answers = tweets = files = 0
        for files, part in enumerate(parts, start=1):
            write_part(part[list(COLUMNS)], temporary, files - 1)
            answers, tweets = answers + len(part), tweets + part["tweet_id"].nunique()
        marker = {"answers": answers, "tweets": tweets, "files": files}
        (temporary / FINISHED_MARKER).write_text(json.dumps(marker, indent=1) + "\n")
