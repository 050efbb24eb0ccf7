"""The label model on answers that need not fit in one process: Parquet in, Parquet out, on Dask.

`fit_and_label` runs the route's steps: check the arguments and find the answers files
(`scaling.fit_arguments`, `scaling.answer_files`); read and check each file on the cluster and
count the overlaps of its votes (`scaling.file_votes`, summed in a tree); fit `FastLabelModel`
from the counts in this process (its size is LFs² only); write each file's probabilistic labels
as Parquet on the cluster; publish them (`scaling.output_folder.atomic_folder`), with a
``_SUCCESS`` marker, only once every file is labelled and no answers file has changed.

Work goes to the cluster as futures of the client it is given (never through a global scheduler
setting) and is awaited by `scaling.cluster.gather`: a worker that dies is replaced by its
nanny, one that stops responding is removed, and their tasks rerun; a cluster left without any
live worker or whose every worker stays paused for lack of memory, or a lost scheduler, ends
the run with a `ClusterError`.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from dask.distributed import Client, Future

from crowdsourcing.votes import CLASSES, MIN_ANSWERS, workers_above
from scaling import file_votes
from scaling.answer_files import answer_files, check_unchanged, fingerprints
from scaling.answer_reading import FileSummary
from scaling.answers import FINISHED_MARKER, NO_VOTE_ANSWERS, VOTE_ANSWERS, AnswersError
from scaling.cluster import gather
from scaling.file_votes import Counts
from scaling.fit_arguments import check_fit_options, checked_arguments, checked_paths
from scaling.output_folder import atomic_folder

if TYPE_CHECKING:
    from crowdsourcing.label_model import FastLabelModel

__all__ = ["dask_file_answers", "dask_lf_votes", "dask_overlap_counts", "fit_and_label"]

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
    it appears only once complete. Relative paths are this process's, whatever the workers'
    working folder. Runs on `client`'s cluster; `ClusterError` if the scheduler or every worker
    is lost, or every worker paused for lack of memory, for `worker_timeout` s.
    """
    # Imported here: this process fits the model; the workers need no torch.
    from crowdsourcing.label_model import FastLabelModel

    # Check the arguments and find the answers files, here, before any work.
    answers_path, labels_path = checked_paths(answers_path, labels_path, overwrite)
    no_vote, workers = checked_arguments(no_vote, workers, min_answers, worker_timeout)
    check_fit_options(FastLabelModel, fit_options)
    files = answer_files(answers_path)
    unchanged = functools.partial(check_unchanged, fingerprints(files))
    # The labels are published at labels_path as the block ends, once no answers file changed.
    with atomic_folder(labels_path, overwrite, unchanged, what="the labels") as folder:
        votes, marker = _checked_votes(
            client, files, no_vote, workers, min_answers, answers_path, worker_timeout
        )
        counts, n_tweets = dask_overlap_counts(client, votes, worker_timeout=worker_timeout)
        model = FastLabelModel(cardinality=len(CLASSES), verbose=False)
        model.fit_counts(counts, n_tweets, progress_bar=False, **fit_options)
        labelled = _write_labels(client, votes, folder, model, worker_timeout)
        _mark_finished(folder, marker | {"tweets": n_tweets, "labelled": labelled})
    return model


def _checked_votes(
    client: Client,
    files: Sequence[Path],
    no_vote: Collection[int],
    workers: Sequence[int] | None,
    min_answers: int,
    answers_path: Path,
    timeout: float,
) -> tuple[list[Future], dict[str, int]]:
    """Read and check every answers file on the cluster; futures of each file's tweets and LF
    votes, kept there for counting and labelling, and the answers, files and LF workers."""
    parts = dask_file_answers(client, files, no_vote)
    summaries = gather(client, client.map(file_votes.file_summary, parts, pure=False), timeout)
    _check_one_file_per_tweet(client, parts, summaries, timeout)
    workers = _label_workers(summaries, workers, min_answers, answers_path)
    # The votes replace the parts on the workers; a worker lost later rebuilds them from a file.
    votes = dask_lf_votes(client, parts, workers)
    answers = sum(s.answers for s in summaries)
    return votes, {"answers": answers, "files": len(files), "workers": len(workers)}


def dask_file_answers(
    client: Client, files: Sequence[str | os.PathLike], no_vote: Collection[int] = NO_VOTE_ANSWERS
) -> list[Future]:
    """Futures of each answers file's `FileAnswers`, read and checked on the cluster, kept
    there; a relative path is this process's, whatever the workers' working folder."""
    read = functools.partial(file_votes.file_answers, no_vote=tuple(no_vote))
    return client.map(read, [Path(f).absolute() for f in files], pure=False)


def dask_lf_votes(client: Client, parts: Sequence[Future], workers: Sequence[int]) -> list[Future]:
    """Futures of each file's tweets and the votes of the LFs of `workers`, kept on the cluster;
    `parts` are futures of `dask_file_answers`."""
    votes = functools.partial(file_votes.file_lf_votes, workers=np.asarray(sorted(workers)))
    return client.map(votes, parts, pure=False)


def dask_overlap_counts(
    client: Client, votes: Sequence[Future], fan_in: int = 8, worker_timeout: float = 60.0
) -> Counts:
    """Overlap counts and tweet count of all files' `votes` (futures of `dask_lf_votes`),
    summed in a tree on the cluster."""
    counts = client.map(file_votes.file_counts, votes, pure=False)
    while len(counts) > 1:
        groups = [counts[i : i + fan_in] for i in range(0, len(counts), fan_in)]
        counts = [client.submit(file_votes.add_counts, *group, pure=False) for group in groups]
    return gather(client, counts, worker_timeout)[0]


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
    tasks = client.map(file_votes.file_tweet_ids, [parts[i] for i in suspect], pure=False)
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


def _write_labels(
    client: Client, votes: Sequence[Future], folder: Path, model: FastLabelModel, timeout: float
) -> int:
    """Write every file's labels (from its `votes`) into `folder`; the number of tweets."""
    mu = model.mu.detach().cpu().numpy()
    label = functools.partial(file_votes.write_file_labels, folder=str(folder), mu=mu, p=model.p)
    parts = list(range(len(votes)))
    return sum(gather(client, client.map(label, votes, parts, pure=False), timeout))


def _mark_finished(folder: Path, marker: dict) -> None:
    """Write the ``_SUCCESS`` marker, `marker` as JSON, into `folder`."""
    success = folder / FINISHED_MARKER
    try:
        success.write_text(json.dumps(marker, indent=1) + "\n")
    except OSError as error:
        raise OSError(error.errno, f"Cannot write {success}: {error.strerror}") from error
