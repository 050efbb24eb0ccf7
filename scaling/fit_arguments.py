"""`fit_and_label`'s arguments, checked in the caller before any work reaches the cluster.

Paths are made absolute here, so that the workers, whatever their working folder, read and
write the same files as the caller means.
"""

from __future__ import annotations

import inspect
import numbers
import os
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scaling.answers import VOTE_ANSWERS
from scaling.output_folder import refuse_existing

__all__ = ["check_fit_options", "checked_arguments", "checked_paths"]


def checked_paths(
    answers_path: str | os.PathLike, labels_path: str | os.PathLike, overwrite: bool
) -> tuple[Path, Path]:
    """The answers and labels paths, absolute, once the labels path is found to be a new
    folder's path apart from the answers.

    Raises `ValueError` for ``.``, ``..``, the current folder or one holding it, or a path that
    equals, holds or lies in `answers_path`; `FileExistsError` if it exists and not `overwrite`;
    `NotADirectoryError` if its parent is a file.
    """
    given = Path(labels_path)
    if given.name in ("", ".."):  # "." and "a/." have the name ""
        raise ValueError(f"The labels path {str(given)!r} names no folder of its own.")
    labels, answers = given.resolve(), Path(answers_path).resolve()
    if labels == Path.cwd() or labels in Path.cwd().parents:
        raise ValueError(f"The labels path {given} is the current folder or holds it.")
    if labels == answers or labels in answers.parents or answers in labels.parents:
        raise ValueError(
            f"The labels path {given} and the answers path {answers_path} must lie apart: "
            "one equals or holds the other, and writing the labels would destroy answers."
        )
    refuse_existing(given, overwrite)
    for parent in given.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise NotADirectoryError(f"The labels path {given} lies in {parent}, a file.")
            break
    return Path(answers_path).absolute(), given.absolute()


def checked_arguments(
    no_vote: Collection[int],
    workers: Sequence[int] | None,
    min_answers: int,
    worker_timeout: float,
) -> tuple[tuple[int, ...], list[int] | None]:
    """`no_vote` and `workers` as integers, once found valid; else `ValueError`."""
    no_vote = tuple(_integers(no_vote, "no_vote", "answer code"))
    classes = sorted(set(no_vote) & set(VOTE_ANSWERS))
    if classes:
        raise ValueError(
            f"no_vote holds {classes}, answer codes that are a class {list(VOTE_ANSWERS)}: "
            "an answer of a class always votes for it."
        )
    if workers is not None:
        workers = _integers(workers, "workers", "worker id")
        twice = sorted(pd.Series(workers)[pd.Series(workers).duplicated()].unique().tolist())
        if twice:
            raise ValueError(f"workers lists worker {twice[0]} more than once.")
    if not _is_integer(min_answers) or min_answers < 0:
        raise ValueError(f"min_answers must be a whole number of answers, not {min_answers!r}.")
    if not isinstance(worker_timeout, numbers.Real) or not worker_timeout > 0:
        raise ValueError(f"worker_timeout must be a positive number of s, not {worker_timeout!r}.")
    return no_vote, workers


def _integers(values: Collection, name: str, what: str) -> list[int]:
    """`values` as ints; `ValueError` naming `name` for one that is no integer."""
    bad = [v for v in values if not _is_integer(v)]
    if bad:
        raise ValueError(f"{name} holds {bad[0]!r}, which is no integer {what}.")
    return [int(v) for v in values]


def _is_integer(value: Any) -> bool:
    """Whether `value` is an integer (Python's or NumPy's), not a bool."""
    return isinstance(value, numbers.Integral | np.integer) and not isinstance(value, bool)


def check_fit_options(model_class: type, fit_options: dict[str, Any]) -> None:
    """Raise `ValueError` for an option that `fit_counts` does not take from the caller."""
    taken = set(inspect.signature(model_class.fit_counts).parameters)
    own = {"self", "counts", "n_items", "progress_bar", "kwargs"}
    from snorkel.labeling.model.label_model import TrainConfig

    allowed = (taken - own) | set(TrainConfig._fields)
    unknown = sorted(set(fit_options) - allowed)
    if unknown:
        raise ValueError(
            f"fit_and_label does not take the fit option {unknown[0]!r}; "
            f"it takes {sorted(allowed)}."
        )
