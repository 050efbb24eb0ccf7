"""The Dask route loses no data on any input, and refuses bad arguments before any work.

Each way a run could lose answers, label stale or skipped files, leave a half-written or stale
folder, or fail late or without a path is tried here: relative paths, the labels path against
the answers path, the answers folder's layout, files changed during a run, output problems,
stale temporary folders of killed runs, a lost publishing race, and bad arguments; "before any
work" is shown by a cluster that fails the test if the route gives it anything. Every test
starts a cluster (`write_answers` alone is tested in test_answer_files.py).
"""

from __future__ import annotations

import errno
import os
import pathlib
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import scaling.dask_label_model as dlm
from crowdsourcing.label_model import FastLabelModel
from crowdsourcing.votes import crowd_votes, frequent_workers
from scaling import file_votes
from scaling.answer_files import answer_files
from scaling.answers import AnswersError, write_answers
from scaling.dask_label_model import fit_and_label
from scaling.synthetic_crowd import synthetic_crowd

pytestmark = pytest.mark.slow

OPTIONS = {"n_epochs": 30, "seed": 3, "l2": 0.1, "lr": 0.01}
#: The labels files of the `answers` fixture's four files.
PARTS = [f"part-{i:05d}.parquet" for i in range(4)]


@pytest.fixture(scope="module")
def crowd() -> pd.DataFrame:
    """400 tweets, 6 answers each from 30 workers."""
    return synthetic_crowd(n_tasks=400, n_workers=30, answers_per_task=6, seed=11)[1]


@pytest.fixture(scope="module")
def expected(crowd) -> pd.DataFrame:
    """Probabilities of FastLabelModel fitted in this process, by tweet id."""
    tweets = crowd.index.unique().sort_values()
    votes = crowd_votes(crowd, tweets, frequent_workers(crowd))
    model = FastLabelModel(verbose=False)
    model.fit(votes, progress_bar=False, **OPTIONS)
    return pd.DataFrame(model.predict_proba(votes), index=tweets, columns=["p_0", "p_1"])


@pytest.fixture
def answers(crowd, tmp_path) -> Path:
    """`crowd` written as the route reads it, in files of 100 tweets."""
    write_answers(crowd, tmp_path / "answers", tweets_per_file=100)
    return tmp_path / "answers"


@pytest.fixture
def no_work(monkeypatch):
    """The route fails the test if it gives the cluster any work."""

    def gather(*args, **kwargs):
        raise AssertionError("work reached the cluster before the error")

    monkeypatch.setattr(dlm, "gather", gather)


def labels_of(path: Path) -> pd.DataFrame:
    """Labels written by the route, by tweet id, in tweet order."""
    return pd.read_parquet(path).set_index("tweet_id").sort_index()


def tree(folder: Path) -> list[str]:
    """Every path under `folder`, relative, sorted."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def one_sentence(message: str, *parts: str) -> None:
    """`message` is one line ending with a full stop and holds each of `parts`."""
    assert "\n" not in message and message.endswith("."), message
    assert all(p in message for p in parts), message


# The labels path against the answers path.


@pytest.mark.parametrize("where", ["same", "labels inside answers", "answers inside labels"])
def test_labels_never_overlap_the_answers(client, crowd, tmp_path, where, no_work):
    job = tmp_path / "job"
    answers = {"same": job, "labels inside answers": job, "answers inside labels": job / "a"}
    labels = {"same": job, "labels inside answers": job / "labels", "answers inside labels": job}
    write_answers(crowd, answers[where], tweets_per_file=100)
    before = tree(tmp_path)
    with pytest.raises(ValueError) as error:
        fit_and_label(answers[where], labels[where], client, overwrite=True, **OPTIONS)
    one_sentence(str(error.value), str(labels[where]), "must lie apart")
    assert tree(tmp_path) == before


@pytest.mark.parametrize("labels", [".", "..", "sub/.."])
def test_a_labels_path_that_names_no_folder_is_refused(
    client, answers, tmp_path, monkeypatch, labels, no_work
):
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    with pytest.raises(ValueError) as error:
        fit_and_label(answers, labels, client, overwrite=True, **OPTIONS)
    one_sentence(str(error.value), f"The labels path {labels!r} names no folder of its own")


def test_the_current_folder_or_one_holding_it_is_refused(
    client, answers, tmp_path, monkeypatch, no_work
):
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    for labels in (tmp_path / "sub", tmp_path):
        with pytest.raises(ValueError) as error:
            fit_and_label(answers, labels, client, overwrite=True, **OPTIONS)
        one_sentence(str(error.value), str(labels), "is the current folder or holds it")


def test_relative_paths_are_those_of_the_caller(client, answers, expected, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the workers' working folder is another one
    fit_and_label("answers", "labels", client, **OPTIONS)
    np.testing.assert_allclose(labels_of(tmp_path / "labels"), expected, rtol=0, atol=1e-12)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers", "labels"]


# Output problems, before the fit.


def test_a_file_as_parent_is_refused_before_any_work(client, answers, tmp_path, no_work):
    (tmp_path / "notes.txt").write_text("not a folder")
    labels = tmp_path / "notes.txt" / "deeper" / "labels"
    with pytest.raises(NotADirectoryError) as error:
        fit_and_label(answers, labels, client, **OPTIONS)
    one_sentence(str(error.value), str(labels), f"lies in {tmp_path / 'notes.txt'}, a file")


def test_a_read_only_parent_is_refused_before_any_work(
    client, answers, tmp_path, monkeypatch, no_work
):
    mkdir = pathlib.Path.mkdir

    def read_only(self, *args, **kwargs):
        if self.name.startswith(".labels.partial-"):
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return mkdir(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "mkdir", read_only)
    with pytest.raises(PermissionError) as error:
        fit_and_label(answers, tmp_path / "labels", client, **OPTIONS)
    message = str(error.value)
    assert f"Cannot write the labels beside {tmp_path / 'labels'}: Permission denied" in message


def test_an_existing_output_is_refused_before_any_work(client, answers, tmp_path, no_work):
    (tmp_path / "labels").mkdir()
    with pytest.raises(FileExistsError, match="already exists: pass overwrite=True"):
        fit_and_label(answers, tmp_path / "labels", client, **OPTIONS)


def test_a_full_disk_is_named_with_the_file(client, answers, tmp_path, monkeypatch):
    label = file_votes.write_file_labels

    def disk_full(partition, part, **kwargs):
        import pyarrow.parquet as parquet

        def no_space(*args, **kwargs):
            raise OSError(errno.ENOSPC, "No space left on device")

        parquet.write_table, write = no_space, parquet.write_table
        try:
            return label(partition, part, **kwargs)
        finally:
            parquet.write_table = write

    monkeypatch.setattr(file_votes, "write_file_labels", disk_full)
    with pytest.raises(OSError) as error:
        fit_and_label(answers, tmp_path / "labels", client, **OPTIONS)
    assert error.value.errno == errno.ENOSPC
    assert "Cannot write the file " in str(error.value), str(error.value)
    assert f"{tmp_path}/.labels.partial-" in str(error.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers"]


# Temporary folders: removed on any failure, Ctrl-C included; stale ones of killed runs too.


def test_ctrl_c_leaves_no_temporary_folder(client, answers, tmp_path, monkeypatch):
    def interrupted(before):
        raise KeyboardInterrupt

    monkeypatch.setattr(dlm, "check_unchanged", interrupted)
    with pytest.raises(KeyboardInterrupt):
        fit_and_label(answers, tmp_path / "labels", client, **OPTIONS)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers"]


def test_stale_temporary_folders_of_killed_runs_are_removed(client, answers, tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], text=True,
                          capture_output=True, check=True).stdout.strip()  # fmt: skip
    host = socket.gethostname()
    stale = [f".labels.partial-{host}-{dead}-0badc0de", ".labels.partial-1a2b3c4d"]
    running = [f".labels.partial-{host}-{os.getpid()}-5eed5eed", ".labels.partial-other-1-ab"]
    for name in stale + running:
        (tmp_path / name).mkdir()
        (tmp_path / name / "part-00000.parquet").write_bytes(b"half")
    fit_and_label(answers, tmp_path / "labels", client, **OPTIONS)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["answers", "labels", *running])


def test_a_fit_that_loses_a_publishing_race_leaves_nothing_behind(
    client, answers, expected, tmp_path, monkeypatch
):
    labels, rename, raced = tmp_path / "labels", os.rename, []
    fit_and_label(answers, labels, client, **OPTIONS)

    def slow_rename(source, target, *args, **kwargs):
        """Between moving the old labels aside and moving the new ones in, another fit
        publishes to the same path (a slow filesystem, a busy machine)."""
        rename(source, target, *args, **kwargs)
        if Path(target).name.startswith(".labels.old-") and not raced:
            raced.append(target)
            fit_and_label(answers, labels, client, overwrite=True, **OPTIONS)

    monkeypatch.setattr(os, "rename", slow_rename)
    fit_and_label(answers, labels, client, overwrite=True, **OPTIONS)
    assert raced
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers", "labels"]
    assert sorted(p.name for p in labels.iterdir()) == ["_SUCCESS", *PARTS]
    np.testing.assert_allclose(labels_of(labels), expected, rtol=0, atol=1e-12)


# Files that change during a run.


def test_answers_changed_during_the_run_leave_no_labels(client, answers, tmp_path, monkeypatch):
    write = dlm._write_labels

    def then_rewrite(*args, **kwargs):
        write(*args, **kwargs)
        part = answers / "part-00001.parquet"
        pd.read_parquet(part).assign(answer=7).to_parquet(part, index=False)

    monkeypatch.setattr(dlm, "_write_labels", then_rewrite)
    with pytest.raises(AnswersError) as error:
        fit_and_label(answers, tmp_path / "labels", client, **OPTIONS)
    one_sentence(str(error.value), f"{answers / 'part-00001.parquet'} changed while it was")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers"]


# The answers folder's layout: read whole, or refused.


def test_subfolders_any_suffix_case_and_hive_partitions_are_all_read(
    client, crowd, expected, tmp_path
):
    folder = tmp_path / "answers"
    tweets = crowd.index.unique()
    groups = [tweets[:100], tweets[100:200], tweets[200:300], tweets[300:390], tweets[390:]]
    names = ["part-0.parquet", "more/part-1.PARQUET", "more/deeper/part-2.parq", "part-3.Parq"]
    for name, group in zip(names, groups, strict=False):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        crowd.loc[group].reset_index().to_parquet(folder / name, index=False)
    crowd.loc[groups[-1]].reset_index().to_parquet(folder / "hive", partition_cols=["tweet_id"])
    (folder / "_SUCCESS").write_text("{}")
    (folder / ".part-0.parquet.crc").write_bytes(b"crc")
    assert len(answer_files(folder)) == 4 + 10
    fit_and_label(folder, tmp_path / "labels", client, **OPTIONS)
    np.testing.assert_allclose(labels_of(tmp_path / "labels"), expected, rtol=0, atol=1e-12)


def test_an_empty_answers_file_is_read_as_no_answers(client, crowd, expected, answers, tmp_path):
    pd.read_parquet(answers / "part-00000.parquet").iloc[:0].to_parquet(answers / "empty.parquet")
    (answers / "_SUCCESS").unlink()  # a file added by hand: the folder is no longer as written
    fit_and_label(answers, tmp_path / "labels", client, **OPTIONS)
    np.testing.assert_allclose(labels_of(tmp_path / "labels"), expected, rtol=0, atol=1e-12)
    assert len(pd.read_parquet(tmp_path / "labels" / "part-00000.parquet")) == 0


def test_a_partition_layout_that_splits_tweets_is_refused(client, crowd, tmp_path):
    folder = tmp_path / "answers"
    crowd.reset_index().to_parquet(folder, partition_cols=["answer"])
    with pytest.raises(AnswersError) as error:
        fit_and_label(folder, tmp_path / "labels", client, **OPTIONS)
    one_sentence(str(error.value), f"{folder}/answer=", "each tweet's answers must lie in one file")


def add_text_file(folder: Path) -> None:
    """A file that is no Parquet among the answers."""
    (folder / "notes.txt").write_text("x")


def add_bad_partition(folder: Path) -> None:
    """A file moved into a partition folder of worker_id whose value is no integer."""
    (folder / "worker_id=x").mkdir()
    (folder / "part-00001.parquet").rename(folder / "worker_id=x" / "p.parquet")


def move_away(folder: Path) -> None:
    """The answers folder moved elsewhere."""
    folder.rename(folder.with_name("elsewhere"))


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (add_text_file, "notes.txt is not a Parquet file"),
        (add_bad_partition, "lies in the partition folder worker_id=x, whose worker_id is no"),
        (move_away, "answers does not exist"),
    ],
)
def test_what_cannot_be_read_whole_is_refused_before_any_work(
    client, answers, tmp_path, make, problem, no_work
):
    make(answers)
    with pytest.raises(AnswersError) as error:
        fit_and_label(answers, tmp_path / "labels", client, **OPTIONS)
    one_sentence(str(error.value), problem)


# Bad arguments: one sentence naming the argument or file, before any work.


def test_a_file_with_two_answer_columns_is_named(client, answers, tmp_path):
    part = answers / "part-00002.parquet"
    table = pq.read_table(part)
    pq.write_table(table.append_column("answer", pa.array(np.ones(len(table), np.int64))), part)
    with pytest.raises(AnswersError) as error:
        fit_and_label(answers, tmp_path / "labels", client, **OPTIONS)
    one_sentence(str(error.value), f"{part} has more than one column named answer")


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"workers": [1001, 1001, 1002, 1003]}, "workers lists worker 1001 more than once"),
        ({"workers": [1000.7, 1002, 1003]}, "workers holds 1000.7, which is no integer worker"),
        ({"workers": ["1001", 1002, 1003]}, "workers holds '1001', which is no integer worker"),
        ({"no_vote": (-1, 0, 2, 3)}, "no_vote holds [0], answer codes that are a class"),
        ({"no_vote": (-1, 2.5)}, "no_vote holds 2.5, which is no integer answer code"),
        ({"min_answers": -1}, "min_answers must be a whole number of answers, not -1"),
        ({"worker_timeout": 0}, "worker_timeout must be a positive number of s, not 0"),
        ({"progress_bar": True}, "does not take the fit option 'progress_bar'"),
        ({"n_epoch": 10}, "does not take the fit option 'n_epoch'"),
    ],
)
def test_bad_arguments_are_refused_before_any_work(
    client, answers, tmp_path, arguments, problem, no_work
):
    with pytest.raises(ValueError) as error:
        fit_and_label(answers, tmp_path / "labels", client, **(OPTIONS | arguments))
    one_sentence(str(error.value), problem)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers"]


def test_two_fits_in_threads_give_the_one_process_labels(
    client, answers, expected, tmp_path, monkeypatch
):
    init = FastLabelModel._init_params

    def slow_init(self):
        time.sleep(0.3)  # the other thread's fit seeds the generators now, if it may
        init(self)

    monkeypatch.setattr(FastLabelModel, "_init_params", slow_init)
    errors = []

    def fit(name: str) -> None:
        try:
            fit_and_label(answers, tmp_path / name, client, **OPTIONS)
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=fit, args=(name,)) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors and not any(t.is_alive() for t in threads)
    for name in ("one", "two"):
        np.testing.assert_allclose(labels_of(tmp_path / name), expected, rtol=0, atol=1e-12)
