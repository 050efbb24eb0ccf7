"""The label model on answers that need not fit in one process: Parquet in, Parquet out, on Dask.

The answers (`scaling.answers`: ``tweet_id, worker_id, answer``, integers, each file holding all
answers of its tweets) are read and checked on a dask.distributed cluster; the overlap counts
and item count that `FastLabelModel` needs are summed over the files on the cluster, the model
is fitted from them in this process (its size is LFs² only), and each file's probabilistic
labels are written as Parquet into a temporary folder that is moved into place, with a
``_SUCCESS`` marker, only once every file is labelled and no answers file has changed.

Work goes to the cluster as futures of the client it is given (never through a global scheduler
setting) and is awaited by `scaling.cluster.gather`: a worker that dies is replaced by its
nanny, one that stops responding is removed, and their tasks rerun; a cluster left without any
live worker, or a lost scheduler, ends the run with a `ClusterError`.
"""

from __future__ import annotations

import functools
import inspect
import json
import numbers
import operator
import os
import shutil
import socket
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import scipy.sparse as sp
from dask.distributed import Client, Future

from crowdsourcing.prediction import probabilities
from crowdsourcing.votes import (
    CLASSES,
    MIN_ANSWERS,
    Votes,
    overlap_counts,
    workers_above,
)
from scaling.answers import (
    COLUMNS,
    NO_VOTE_ANSWERS,
    VOTE_ANSWERS,
    AnswersError,
    FileSummary,
    answer_files,
    check_unchanged,
    dense_codes,
    fingerprints,
    read_columns,
    summarize,
)
from scaling.cluster import gather

if TYPE_CHECKING:
    from crowdsourcing.label_model import FastLabelModel

__all__ = ["dask_overlap_counts", "dask_votes", "fit_and_label", "lf_votes"]

Counts = tuple[sp.csr_matrix, int]
#: Fewest workers whose LFs vote that the label model is fitted on (Snorkel needs 3 LFs).
MIN_VOTING_WORKERS = 3


def fit_and_label(
    answers_path: str | os.PathLike,
    labels_path: str | os.PathLike,
    client: Client,
    workers: Sequence[int] | None = None,
    *,
    no_vote: Collection[int] = NO_VOTE_ANSWERS,
    min_answers: int = MIN_ANSWERS,
    overwrite: bool = False,
    worker_timeout: float = 60.0,
    **fit_options: Any,
) -> FastLabelModel:
    """Fit the label model on the Parquet answers and write the tweets' labels as Parquet.

    The crowd LFs are those of `crowd_label_matrix`: a "positive" and a "negative" LF per worker
    in `workers` (default: the workers with more than `min_answers` answers). An answer votes for
    its class (1 or 0); the codes in `no_vote` ("I can't tell", neutral, not about weather by
    default) cast no vote; any other answer, a missing value, a file that cannot be read, a
    tweet found in two files or a file that changes during the run raises `AnswersError` naming
    the file, as do fewer than 3 workers that vote. A bad argument raises `ValueError` before any
    work. `labels_path` must not exist unless `overwrite`, nor equal, hold or lie in the answers;
    it appears only once complete. Runs on `client`'s cluster; `ClusterError` if the scheduler
    or every worker is lost for `worker_timeout` seconds.
    """
    # Imported here: the workers import this module for its tasks, and need no torch.
    from crowdsourcing.label_model import FastLabelModel

    labels_path = _checked_output(answers_path, labels_path, overwrite)
    no_vote, workers = _checked_arguments(no_vote, workers, min_answers, worker_timeout)
    _check_fit_options(FastLabelModel, fit_options)
    files = answer_files(answers_path)
    before = fingerprints(files)
    partial = _partial_folder(labels_path)
    try:
        # One read of each file: checked, and its votes kept on the workers for both passes
        # (a worker lost before the end has its share rebuilt from the file).
        parts = dask_votes(client, files, no_vote)
        summaries = gather(client, client.map(_summary, parts, pure=False), worker_timeout)
        _check_one_file_per_tweet(client, parts, summaries, worker_timeout)
        workers = _label_workers(summaries, workers, min_answers, answers_path)
        # The votes of the LFs, built once from the parts and kept for both passes.
        votes = lf_votes(client, parts, workers)
        del parts  # the votes replace them on the workers (and rebuild them if lost)
        counts, n_tweets = dask_overlap_counts(client, votes, worker_timeout=worker_timeout)
        model = FastLabelModel(cardinality=len(CLASSES), verbose=False)
        model.fit_counts(counts, n_tweets, progress_bar=False, **fit_options)
        marker = {
            "answers": sum(s.answers for s in summaries),
            "tweets": n_tweets,
            "files": len(files),
            "workers": len(workers),
        }
        _write_labels(client, votes, partial, model, marker, worker_timeout)
        check_unchanged(before)
        _publish(partial, labels_path, overwrite)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return model


def _checked_output(
    answers_path: str | os.PathLike, labels_path: str | os.PathLike, overwrite: bool
) -> Path:
    """`labels_path`, once it is found to be a new folder's path apart from the answers.

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
    _refuse_existing(given, overwrite)
    for parent in given.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise NotADirectoryError(f"The labels path {given} lies in {parent}, a file.")
            break
    return given


def _checked_arguments(
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


def _check_fit_options(model_class: type, fit_options: dict[str, Any]) -> None:
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


def _refuse_existing(labels_path: Path, overwrite: bool) -> None:
    """Raise `FileExistsError` if `labels_path` exists and may not be replaced."""
    if not overwrite and (labels_path.exists() or labels_path.is_symlink()):
        raise FileExistsError(
            f"{labels_path} already exists: pass overwrite=True to replace it, or another path."
        )


def _partial_folder(labels_path: Path) -> Path:
    """A new temporary sibling of `labels_path` (its parents made), after removing those that
    runs killed on this host left; `OSError` naming the path if it cannot be made."""
    host = socket.gethostname()
    prefix = f".{labels_path.name}.partial-"
    for stale in labels_path.parent.glob(f"{prefix}*"):
        owner = stale.name.removeprefix(prefix).rsplit("-", 2)
        if len(owner) < 3 or (owner[0] == host and not _alive(owner[1])):
            shutil.rmtree(stale, ignore_errors=True)
    name = f".{labels_path.name}.partial-{host}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    partial = labels_path.with_name(name)
    try:
        partial.mkdir(parents=True)
        (partial / ".writable").touch()
        (partial / ".writable").unlink()
    except OSError as error:
        raise OSError(
            error.errno, f"Cannot write the labels beside {labels_path}: {error.strerror}"
        ) from error
    return partial


def _alive(pid: str) -> bool:
    """Whether a process of id `pid` runs on this host."""
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def _check_one_file_per_tweet(
    client: Client, parts: Sequence[Future], summaries: Sequence[FileSummary], timeout: float
) -> None:
    """Raise `AnswersError` if a tweet has answers in two files.

    Files whose tweet id ranges do not overlap cannot share a tweet; only the others' ids are
    read and compared.
    """
    first = np.array([s.first_tweet for s in summaries])
    last = np.array([s.last_tweet for s in summaries])
    meets = (first[:, None] <= last[None, :]) & (first[None, :] <= last[:, None])
    suspect = np.flatnonzero(meets.sum(axis=1) > 1)
    if not len(suspect):
        return
    suspects = [summaries[i].path for i in suspect]
    tasks = client.map(_tweet_ids, [parts[i] for i in suspect], pure=False)
    ids = gather(client, tasks, timeout)
    tweet = pd.Series(np.concatenate(ids))
    owner = np.repeat(np.arange(len(suspects)), [len(i) for i in ids])
    shared = tweet.duplicated(keep=False).to_numpy()
    if shared.any():
        example = tweet[shared].iloc[0]
        a, b = np.asarray(suspects)[owner[tweet.to_numpy() == example]][:2]
        raise AnswersError(
            f"{a} and {b} both hold answers of tweet {example} ({tweet[shared].nunique():,} "
            "tweets are in more than one file): each tweet's answers must lie in one file."
        )


def _label_workers(
    summaries: Sequence[FileSummary],
    workers: Sequence[int] | None,
    min_answers: int,
    answers_path: str | os.PathLike,
) -> list[int]:
    """The workers that get LFs: those given, else those with more than `min_answers` answers.

    Raises `AnswersError` for a given worker without answers, or fewer than 3 that vote.
    """
    answers = pd.concat([s.answers_per_worker for s in summaries]).groupby(level=0).sum()
    votes = pd.concat([s.votes_per_worker for s in summaries]).groupby(level=0).sum()
    if workers is None:
        workers = workers_above(answers, min_answers)
        chosen = f"workers with more than {min_answers} answers"
    else:
        workers, chosen = list(workers), "workers given"
        unknown = sorted(set(workers) - set(answers.index))
        if unknown:
            raise AnswersError(
                f"{answers_path} has no answer from {len(unknown):,} of the workers given "
                f"(e.g. {unknown[:5]})."
            )
    voting = int((votes.reindex(workers, fill_value=0) > 0).sum())
    if voting < MIN_VOTING_WORKERS:
        raise AnswersError(
            f"{answers_path} has {voting} {chosen} that answer a class {list(VOTE_ANSWERS)} "
            f"(of {len(workers)}); the label model needs at least {MIN_VOTING_WORKERS}."
        )
    return workers


@dataclass(frozen=True)
class FilePart:
    """One file's check summary and its answers as votes: the distinct `tweets` (row order),
    the file's `workers` ascending, and its votes (answers of a class, a repeated (tweet,
    worker) keeping its last answer) as `rows`, `columns` (index in `workers`) and `labels`."""

    summary: FileSummary
    tweets: np.ndarray
    workers: np.ndarray
    rows: np.ndarray
    columns: np.ndarray
    labels: np.ndarray


def _partition_votes(path: str | os.PathLike, no_vote: Collection[int]) -> FilePart:
    """Read and check one answers file, and keep its votes; each tweet's answers lie in it."""
    answers = read_columns(path)
    summary = summarize(path, answers, no_vote)
    tweets, workers, codes = (answers[c] for c in COLUMNS)
    if np.all(tweets[1:] >= tweets[:-1]):  # written in tweet order: no sort needed
        new = np.r_[True, tweets[1:] != tweets[:-1]] if len(tweets) else tweets.astype(bool)
        ids, rows = tweets[new], np.cumsum(new) - 1
    else:
        ids, rows, _ = dense_codes(tweets)
    worker_ids, columns, _ = dense_codes(workers)
    keys = rows * max(len(worker_ids), 1) + columns
    order = np.argsort(keys, kind="stable")
    last = np.r_[keys[order][1:] != keys[order][:-1], True]  # a repeat keeps its last answer
    order = order[last[: len(order)]]
    order = order[np.isin(codes[order], VOTE_ANSWERS)]
    return FilePart(
        summary,
        ids,
        worker_ids,
        rows[order].astype(np.int32),
        columns[order].astype(np.int32),
        codes[order].astype(np.int8),
    )


def _summary(part: FilePart) -> FileSummary:
    """What checking a file found."""
    return part.summary


def _tweet_ids(part: FilePart) -> np.ndarray:
    """The distinct tweet ids of one file."""
    return part.tweets


def _part_votes(part: FilePart, workers: np.ndarray) -> Votes:
    """The part's votes by the LFs of `workers` (ascending): a "positive" and a "negative" LF
    per worker, as `crowd_votes` orders them; votes of other workers are left out."""
    position = np.searchsorted(workers, part.workers).clip(max=len(workers) - 1)
    has_lf = (workers[position] == part.workers)[part.columns]
    labels = part.labels[has_lf].astype(np.int64)
    block = (labels == CLASSES[1][0]).astype(np.int64)  # CLASSES' order: 1, then 0
    k = len(CLASSES)
    columns = (block * len(workers) + position[part.columns[has_lf]]) * k + labels
    n_lfs = len(CLASSES) * len(workers)
    onehot = sp.csr_matrix(
        (np.ones(len(columns)), (part.rows[has_lf], columns)),
        shape=(len(part.tweets), n_lfs * k),
    )
    return Votes(onehot, n_lfs, k)


def _lf_votes(part: FilePart, workers: np.ndarray) -> tuple[np.ndarray, Votes]:
    """The part's tweets and the votes of the LFs of `workers`."""
    return part.tweets, _part_votes(part, workers)


def _partition_counts(partition: tuple[np.ndarray, Votes]) -> Counts:
    """A file's overlap counts and number of tweets, from its tweets and votes."""
    tweets, votes = partition
    return overlap_counts(votes), len(tweets)


def _add(*parts: Counts) -> Counts:
    """Sum of partial counts."""
    return functools.reduce(operator.add, (c for c, _ in parts)), sum(n for _, n in parts)


def _partition_labels(
    partition: tuple[np.ndarray, Votes], out: str, mu: np.ndarray, p: np.ndarray
) -> int:
    """Write the probabilistic labels of a file's tweets (``tweet_id, p_0, ...``) to `out`."""
    tweets, votes = partition
    probs = probabilities(votes, mu, p)
    columns = {"tweet_id": pa.array(tweets)} | {f"p_{y}": probs[:, y] for y in range(len(p))}
    try:
        pq.write_table(pa.table(columns), out)
    except OSError as error:
        raise OSError(error.errno, f"Cannot write the labels file {out}: {error}") from error
    return len(tweets)


def dask_votes(
    client: Client, files: Sequence[str | os.PathLike], no_vote: Collection[int] = NO_VOTE_ANSWERS
) -> list[Future]:
    """Futures of each answers file's `FilePart`, read and checked on the cluster, kept there."""
    votes = functools.partial(_partition_votes, no_vote=tuple(no_vote))
    return client.map(votes, files, pure=False)


def lf_votes(client: Client, parts: Sequence[Future], workers: Sequence[int]) -> list[Future]:
    """Futures of each file's tweets and the votes of the LFs of `workers`, kept on the cluster;
    `parts` are futures of `dask_votes`."""
    votes = functools.partial(_lf_votes, workers=np.asarray(sorted(workers)))
    return client.map(votes, parts, pure=False)


def dask_overlap_counts(
    client: Client, votes: Sequence[Future], fan_in: int = 8, worker_timeout: float = 60.0
) -> Counts:
    """Overlap counts and tweet count of all files' `votes` (futures of `lf_votes`), summed in
    a tree on the cluster."""
    counts = client.map(_partition_counts, votes, pure=False)
    while len(counts) > 1:
        groups = [counts[i : i + fan_in] for i in range(0, len(counts), fan_in)]
        counts = [client.submit(_add, *group, pure=False) for group in groups]
    return gather(client, counts, worker_timeout)[0]


def _write_labels(
    client: Client,
    votes: Sequence[Future],
    partial: Path,
    model: FastLabelModel,
    marker: dict,
    worker_timeout: float,
) -> None:
    """Write every file's labels (from its `votes`) into the folder `partial`, with a
    ``_SUCCESS`` marker of `marker` and the labelled rows."""
    mu = model.mu.detach().cpu().numpy()
    label = functools.partial(_partition_labels, mu=mu, p=model.p)
    outs = [str(partial / f"part-{i:05d}.parquet") for i in range(len(votes))]
    rows = gather(client, client.map(label, votes, outs, pure=False), worker_timeout)
    marker |= {"labelled": sum(rows)}
    success = partial / "_SUCCESS"
    try:
        success.write_text(json.dumps(marker, indent=1) + "\n")
    except OSError as error:
        raise OSError(error.errno, f"Cannot write {success}: {error.strerror}") from error


def _publish(partial: Path, labels_path: Path, overwrite: bool) -> None:
    """Rename the complete `partial` folder to `labels_path`, first moving an old one aside."""
    _refuse_existing(labels_path, overwrite)
    if not (labels_path.exists() or labels_path.is_symlink()):
        partial.rename(labels_path)
        return
    old = labels_path.with_name(f".{labels_path.name}.old-{uuid.uuid4().hex[:8]}")
    labels_path.rename(old)
    partial.rename(labels_path)
    if old.is_dir() and not old.is_symlink():
        shutil.rmtree(old)
    else:
        old.unlink()
