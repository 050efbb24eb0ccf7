"""The label model on answers that need not fit in one process: Parquet in, Parquet out, on Dask.

The answers (``tweet_id, worker_id, answer``, integers) are stored as Parquet files, each holding
all answers of its tweets. Every file is read and checked on a dask.distributed cluster; the
overlap counts and item count that `FastLabelModel` needs are summed over the files on the
cluster, the model is fitted from them in this process (its size is LFs² only), and each file's
probabilistic labels are written as Parquet into a temporary folder that is moved into place,
with a ``_SUCCESS`` marker, only once every file is labelled.

Work goes to the cluster as futures of the client it is given (never through a global scheduler
setting), so a worker that dies is replaced by its nanny and its tasks rerun; a cluster left
without any worker for `worker_timeout` seconds ends the run with a `ClusterError`.
"""

from __future__ import annotations

import functools
import json
import operator
import os
import shutil
import time
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
from distributed.scheduler import KilledWorker

from crowdsourcing.data import answer_mapping
from crowdsourcing.votes import CLASSES, Votes, crowd_votes, overlap_counts, probabilities

if TYPE_CHECKING:
    from crowdsourcing.label_model import FastLabelModel

__all__ = [
    "NO_VOTE_ANSWERS",
    "AnswersError",
    "ClusterError",
    "answer_files",
    "dask_overlap_counts",
    "dask_votes",
    "fit_and_label",
    "read_answers",
    "write_answers",
]

Counts = tuple[sp.csr_matrix, int]
COLUMNS = ("tweet_id", "worker_id", "answer")
#: Answer codes that are a class: a vote for it by the worker's LF of that class.
VOTE_ANSWERS = tuple(label for label, _ in CLASSES)
#: Answer codes that cast no vote, by default: "I can't tell" (-1), "Neutral / author is just
#: sharing information" (2), "Tweet not related to weather condition" (3).
NO_VOTE_ANSWERS = tuple(sorted(set(answer_mapping.values()) - set(VOTE_ANSWERS)))
#: Fewest workers whose LFs vote that the label model is fitted on (Snorkel needs 3 LFs).
MIN_VOTING_WORKERS = 3
#: Seconds between checks that the cluster still has a worker.
POLL_SECONDS = 0.5


class AnswersError(ValueError):
    """Answers the Dask route cannot label; the message names the file and the problem."""


class ClusterError(RuntimeError):
    """The cluster could not finish the work: every worker lost, or a task kept killing them."""


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


def write_answers(crowd_answers: pd.DataFrame, folder: Path, tweets_per_file: int) -> None:
    """Store answers indexed by ``tweet_id`` as Parquet files of whole tweets, in tweet order."""
    answers = crowd_answers.sort_index(kind="stable").reset_index()
    tweets = answers["tweet_id"].unique()
    starts = answers["tweet_id"].searchsorted(tweets[::tweets_per_file])
    ends = [*starts[1:], len(answers)]
    Path(folder).mkdir(parents=True, exist_ok=True)
    for part, (start, end) in enumerate(zip(starts, ends, strict=True)):
        answers.iloc[start:end].to_parquet(Path(folder) / f"part-{part:05d}.parquet", index=False)


def answer_files(answers_path: str | os.PathLike) -> list[Path]:
    """The Parquet files of `answers_path` (one file, or a folder of them), in name order."""
    path = Path(answers_path)
    if path.is_file():
        return [path]
    files = sorted(p for p in path.glob("*.parquet") if not p.name.startswith(("_", ".")))
    if not files:
        raise AnswersError(f"{path} holds no answers: no *.parquet file there.")
    return files


def read_answers(path: str | os.PathLike) -> pd.DataFrame:
    """One file's answers, with integer columns and no missing value, else `AnswersError`."""
    try:
        table = pq.ParquetFile(path).read(columns=list(_checked_columns(path)))
    except (pa.ArrowException, OSError) as error:
        reason = str(error).strip().rstrip(".").replace("\n", " ")
        raise AnswersError(f"{path} cannot be read as Parquet ({reason}).") from error
    for name in COLUMNS:
        column = table.column(name)
        if column.null_count:
            raise AnswersError(f"{path} has {column.null_count:,} missing values of {name}.")
        if not pa.types.is_integer(column.type):
            raise AnswersError(f"{path} holds {name} as {column.type}; it must be integers.")
    return table.to_pandas(ignore_metadata=True)


def _checked_columns(path: str | os.PathLike) -> tuple[str, ...]:
    """The answer columns, once the file's schema is found to have them all."""
    names = pq.read_schema(path).names
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        found = ", ".join(names)
        raise AnswersError(f"{path} has no column {', '.join(missing)} (it has {found}).")
    return COLUMNS


def check_file(path: str | os.PathLike, no_vote: Collection[int]) -> FileSummary:
    """Read and check one answers file: readable, typed, complete, answers among the codes."""
    answers = read_answers(path)
    codes = sorted({*VOTE_ANSWERS, *no_vote})
    unknown = ~answers["answer"].isin(codes).to_numpy()
    if unknown.any():
        first = answers[unknown].iloc[0]
        raise AnswersError(
            f"{path} has {unknown.sum():,} answers that are no answer code {codes}, "
            f"e.g. {first.answer} from worker {first.worker_id} on tweet {first.tweet_id}."
        )
    tweets = answers["tweet_id"].to_numpy()
    voting = answers["answer"].isin(VOTE_ANSWERS).to_numpy()
    return FileSummary(
        str(path),
        len(answers),
        len(pd.unique(tweets)),
        int(tweets.min()) if len(tweets) else 0,
        int(tweets.max()) if len(tweets) else -1,
        answers["worker_id"].value_counts(),
        answers.loc[voting, "worker_id"].value_counts(),
    )


def _tweet_ids(path: str | os.PathLike) -> np.ndarray:
    """The distinct tweet ids of one answers file."""
    return pd.unique(pq.ParquetFile(path).read(columns=["tweet_id"]).column(0).to_numpy())


def _partition_votes(path: str | os.PathLike, workers: list[int]) -> tuple[np.ndarray, Votes]:
    """The file's tweets and their votes; each tweet's answers all lie in this file."""
    answers = read_answers(path)
    tweets = answers["tweet_id"].unique()
    return tweets, crowd_votes(answers.set_index("tweet_id"), tweets, workers)


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
    labels = pd.DataFrame({"tweet_id": tweets} | {f"p_{y}": probs[:, y] for y in range(len(p))})
    labels.to_parquet(out, index=False)
    return len(labels)


def gather(client: Client, futures: Sequence[Future], worker_timeout: float) -> list:
    """The futures' results; a task's error is raised as the task raised it, type and message.

    Raises `ClusterError` once the cluster has had no worker for `worker_timeout` seconds, or
    when a task was running on every one of several workers that died (Dask's `KilledWorker`).
    """
    futures = list(futures)
    alone_since: float | None = None
    try:
        while not all(f.done() for f in futures):
            if any(f.status == "error" for f in futures):
                break
            alone_since = _check_workers(client, alone_since, worker_timeout)
            time.sleep(POLL_SECONDS)
        return client.gather(futures)
    except KilledWorker as error:
        raise ClusterError(
            f"Task {error.task} was running on {error.allowed_failures + 1} workers that died "
            "(out of memory?): giving up on it."
        ) from error
    finally:
        client.cancel([f for f in futures if not f.done()])


def _check_workers(client: Client, alone_since: float | None, timeout: float) -> float | None:
    """When the cluster was first seen without workers (None if it has some); raises after
    `timeout` seconds without any."""
    if client.nthreads():
        return None
    now = time.monotonic()
    if alone_since is not None and now - alone_since > timeout:
        raise ClusterError(
            f"The cluster at {client.scheduler.address} has had no worker for "
            f"{timeout:g} s: every worker was lost, so the run stops."
        )
    return now if alone_since is None else alone_since


def fit_and_label(
    answers_path: str | os.PathLike,
    labels_path: str | os.PathLike,
    client: Client,
    workers: Sequence[int] | None = None,
    *,
    no_vote: Collection[int] = NO_VOTE_ANSWERS,
    min_answers: int = 10,
    overwrite: bool = False,
    worker_timeout: float = 60.0,
    **fit_options: Any,
) -> FastLabelModel:
    """Fit the label model on the Parquet answers and write the tweets' labels as Parquet.

    The crowd LFs are those of `crowd_label_matrix`: a "positive" and a "negative" LF per worker
    in `workers` (default: the workers with more than `min_answers` answers). An answer votes for
    its class (1 or 0); the codes in `no_vote` ("I can't tell", neutral, not about weather by
    default) cast no vote; any other answer, a missing value, a file that cannot be read or a
    tweet found in two files raises `AnswersError` naming the file, as do fewer than 3 workers
    that vote. `labels_path` must not exist unless `overwrite`; it appears only once complete.
    Runs on `client`'s cluster; `ClusterError` if the cluster has no worker for
    `worker_timeout` seconds.
    """
    # Imported here: the workers import this module for its tasks, and need no torch.
    from crowdsourcing.label_model import FastLabelModel

    labels_path = Path(labels_path)
    _refuse_existing(labels_path, overwrite)
    files = answer_files(answers_path)
    check = functools.partial(check_file, no_vote=tuple(no_vote))
    summaries = gather(client, client.map(check, files, pure=False), worker_timeout)
    _check_one_file_per_tweet(client, summaries, worker_timeout)
    workers = _label_workers(summaries, workers, min_answers, answers_path)
    # Each file's votes are built once and kept on the workers for both passes (a worker lost
    # before the end has its share rebuilt from the files).
    votes = dask_votes(client, files, workers)
    counts, n_tweets = dask_overlap_counts(client, votes, worker_timeout=worker_timeout)
    model = FastLabelModel(cardinality=len(CLASSES), verbose=False)
    model.fit_counts(counts, n_tweets, progress_bar=False, **fit_options)
    marker = {
        "answers": sum(s.answers for s in summaries),
        "tweets": n_tweets,
        "files": len(files),
        "workers": len(workers),
    }
    _write_labels(client, votes, labels_path, model, marker, overwrite, worker_timeout)
    return model


def _refuse_existing(labels_path: Path, overwrite: bool) -> None:
    """Raise `FileExistsError` if `labels_path` exists and may not be replaced."""
    if not overwrite and (labels_path.exists() or labels_path.is_symlink()):
        raise FileExistsError(
            f"{labels_path} already exists: pass overwrite=True to replace it, or another path."
        )


def _check_one_file_per_tweet(
    client: Client, summaries: Sequence[FileSummary], worker_timeout: float
) -> None:
    """Raise `AnswersError` if a tweet has answers in two files.

    Files whose tweet id ranges do not overlap cannot share a tweet; only the others' ids are
    read and compared.
    """
    first = np.array([s.first_tweet for s in summaries])
    last = np.array([s.last_tweet for s in summaries])
    meets = (first[:, None] <= last[None, :]) & (first[None, :] <= last[:, None])
    suspects = [s.path for s, n in zip(summaries, meets.sum(axis=1), strict=True) if n > 1]
    if not suspects:
        return
    ids = gather(client, client.map(_tweet_ids, suspects, pure=False), worker_timeout)
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
        workers = sorted(int(w) for w in answers.index[answers > min_answers])
        chosen = f"workers with more than {min_answers} answers"
    else:
        workers, chosen = [int(w) for w in workers], "workers given"
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


def dask_votes(
    client: Client, files: Sequence[str | os.PathLike], workers: Sequence[int]
) -> list[Future]:
    """Futures of each answers file's ``(tweets, votes)``, built on the cluster and kept there."""
    return client.map(functools.partial(_partition_votes, workers=list(workers)), files, pure=False)


def dask_overlap_counts(
    client: Client, votes: Sequence[Future], fan_in: int = 8, worker_timeout: float = 60.0
) -> Counts:
    """Overlap counts and tweet count of all files' votes, summed in a tree on the cluster.

    `votes` are futures of each file's ``(tweets, votes)``, as `_partition_votes` returns them.
    """
    parts = client.map(_partition_counts, votes, pure=False)
    while len(parts) > 1:
        groups = [parts[i : i + fan_in] for i in range(0, len(parts), fan_in)]
        parts = [client.submit(_add, *group, pure=False) for group in groups]
    return gather(client, parts, worker_timeout)[0]


def _write_labels(
    client: Client,
    votes: Sequence[Future],
    labels_path: Path,
    model: FastLabelModel,
    marker: dict,
    overwrite: bool,
    worker_timeout: float,
) -> None:
    """Write every file's labels (from its `votes`) into a temporary sibling of `labels_path`,
    with a ``_SUCCESS`` marker of `marker` and the labelled rows; then move it into place. On
    failure, remove it."""
    partial = labels_path.with_name(f".{labels_path.name}.partial-{uuid.uuid4().hex[:8]}")
    partial.mkdir(parents=True)
    try:
        mu = model.mu.detach().cpu().numpy()
        label = functools.partial(_partition_labels, mu=mu, p=model.p)
        outs = [str(partial / f"part-{i:05d}.parquet") for i in range(len(votes))]
        rows = gather(client, client.map(label, votes, outs, pure=False), worker_timeout)
        marker |= {"labelled": sum(rows)}
        (partial / "_SUCCESS").write_text(json.dumps(marker, indent=1) + "\n")
        _publish(partial, labels_path, overwrite)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


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
