"""The answers on disk, without a cluster: `write_answers` checks everything before it writes,
never shows a folder half written, and the files of a folder are found, links and all, or
refused with one sentence; the modules the workers import pull in no torch."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scaling.answer_files import answer_files
from scaling.answer_reading import read_columns
from scaling.answers import AnswersError, write_answers
from scaling.synthetic_crowd import synthetic_crowd

#: The modules whose functions run on the Dask workers, or that the workers import for them.
WORKER_MODULES = [
    "scaling.answers",
    "scaling.answer_files",
    "scaling.answer_reading",
    "scaling.file_votes",
    "scaling.dask_label_model",
    "scaling.cluster",
]


@pytest.fixture(scope="module")
def crowd() -> pd.DataFrame:
    """400 tweets, 6 answers each from 30 workers, indexed by tweet id."""
    return synthetic_crowd(n_tasks=400, n_workers=30, answers_per_task=6, seed=11)[1]


def one_sentence(message: str, *parts: str) -> None:
    """`message` is one line ending with a full stop and holds each of `parts`."""
    assert "\n" not in message and message.endswith("."), message
    assert all(p in message for p in parts), message


def stored(folder: Path) -> pd.DataFrame:
    """Every answer stored in `folder`, with the file it lies in."""
    files = sorted(folder.glob("*.parquet"))
    return pd.concat([pd.read_parquet(f).assign(file=f.name) for f in files], ignore_index=True)


# write_answers: any layout of the same answers gives the same files; bad input changes nothing.


def test_tweet_id_as_a_column_with_shuffled_rows_is_stored_by_whole_tweets(crowd, tmp_path):
    shuffled = crowd.reset_index().sample(frac=1, random_state=1)  # a RangeIndex, rows mixed
    write_answers(shuffled, tmp_path / "answers", tweets_per_file=100)
    answers = stored(tmp_path / "answers")
    assert list(answers.columns) == ["tweet_id", "worker_id", "answer", "file"]
    assert len(answers) == len(crowd)
    assert (answers.groupby("tweet_id")["file"].nunique() == 1).all()
    assert answers["file"].nunique() == 4
    expected = crowd.reset_index().sort_values(["tweet_id", "worker_id"], ignore_index=True)
    got = answers.drop(columns="file").sort_values(["tweet_id", "worker_id"], ignore_index=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_each_tweets_answers_keep_their_order(tmp_path):
    answers = pd.DataFrame(
        {"tweet_id": [7, 3, 7, 3], "worker_id": [1, 1, 1, 2], "answer": [0, 1, 1, 0]}
    )
    write_answers(answers, tmp_path / "answers", tweets_per_file=1)
    assert stored(tmp_path / "answers")["answer"].tolist() == [1, 0, 0, 1]  # tweet 3, then 7


@pytest.mark.parametrize(
    ("make", "error", "problem"),
    [
        (lambda c: c.rename_axis("id"), ValueError, "has no tweet_id: its index is named 'id'"),
        (lambda c: c.reset_index().values.tolist(), TypeError, "not a list"),
        (lambda c: c.drop(columns="answer"), ValueError, "has no column answer"),
        (lambda c: c.assign(answer=c["answer"] * 1.0), ValueError, "answer as float64"),
        (
            lambda c: c.set_axis(c.index.astype(np.uint64) + np.uint64(2**63)),
            ValueError,
            "holds tweet_id 9223372036864776207, above",
        ),
    ],
)
def test_bad_answers_change_nothing_in_a_used_folder(crowd, tmp_path, make, error, problem):
    folder = tmp_path / "answers"
    write_answers(crowd, folder, tweets_per_file=100)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with pytest.raises(error) as raised:
        write_answers(make(crowd), folder, tweets_per_file=50, overwrite=True)
    one_sentence(str(raised.value), problem)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers"]


def test_a_folder_being_written_is_not_seen_half_written(crowd, tmp_path, monkeypatch):
    folder, write = tmp_path / "answers", pq.write_table
    first_written, go_on = threading.Event(), threading.Event()

    def slow_write(*args, **kwargs):
        write(*args, **kwargs)
        first_written.set()
        go_on.wait(timeout=30)

    monkeypatch.setattr(pq, "write_table", slow_write)
    writer = threading.Thread(target=write_answers, args=(crowd, folder, 100))
    writer.start()
    try:
        assert first_written.wait(timeout=30)
        with pytest.raises(AnswersError, match="does not exist"):
            answer_files(folder)
    finally:
        go_on.set()
        writer.join(timeout=30)
    assert len(answer_files(folder)) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers"]


def test_write_answers_refuses_a_used_folder_unless_told(crowd, tmp_path):
    folder = tmp_path / "answers"
    write_answers(crowd, folder, tweets_per_file=50)
    assert len(list(folder.glob("*.parquet"))) == 8
    with pytest.raises(FileExistsError) as error:
        write_answers(crowd, folder, tweets_per_file=100)
    one_sentence(str(error.value), f"{folder} already exists: pass overwrite=True")
    assert len(list(folder.glob("*.parquet"))) == 8
    write_answers(crowd, folder, tweets_per_file=100, overwrite=True)
    parts = [f"part-{i:05d}.parquet" for i in range(4)]
    assert sorted(p.name for p in folder.iterdir()) == ["_SUCCESS", *parts]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers"]
    with pytest.raises(FileExistsError, match="is a file, not a folder for answers"):
        write_answers(crowd, folder / "part-00000.parquet", tweets_per_file=100, overwrite=True)


@pytest.mark.parametrize("tweets_per_file", [-100, 0, 100.5, True, "100"])
def test_write_answers_checks_tweets_per_file(crowd, tmp_path, tweets_per_file):
    with pytest.raises(ValueError) as error:
        write_answers(crowd, tmp_path / "answers", tweets_per_file=tweets_per_file)
    one_sentence(str(error.value), "tweets_per_file must be a positive whole number of tweets")
    assert not (tmp_path / "answers").exists()


def test_a_finished_folder_that_lost_or_gained_a_file_is_refused(crowd, tmp_path):
    folder = tmp_path / "answers"
    write_answers(crowd, folder, tweets_per_file=100)
    (folder / "part-00003.parquet").unlink()
    with pytest.raises(AnswersError) as error:
        answer_files(folder)
    one_sentence(str(error.value), f"{folder} holds 3 answers files where its _SUCCESS", "4")
    (folder / "_SUCCESS").unlink()  # a folder without the marker is read as it is
    assert len(answer_files(folder)) == 3


# The files of a folder of answers: links followed once, what cannot be read refused by name.


def test_a_linked_subfolder_is_read(crowd, tmp_path):
    write_answers(crowd, tmp_path / "answers", tweets_per_file=100)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for part in ("part-00002.parquet", "part-00003.parquet"):
        (tmp_path / "answers" / part).rename(elsewhere / part)
    (tmp_path / "answers" / "more").symlink_to(elsewhere, target_is_directory=True)
    found = [f.relative_to(tmp_path / "answers") for f in answer_files(tmp_path / "answers")]
    assert [str(f) for f in found] == [
        "more/part-00002.parquet",
        "more/part-00003.parquet",
        "part-00000.parquet",
        "part-00001.parquet",
    ]


@pytest.mark.parametrize("target", ["the folder", "its parent", "a sibling read before"])
def test_a_link_to_a_folder_already_read_is_refused(crowd, tmp_path, target):
    folder = tmp_path / "answers"
    write_answers(crowd, folder / "a", tweets_per_file=100)
    linked = {"the folder": folder, "its parent": tmp_path, "a sibling read before": folder / "a"}
    (folder / "b").symlink_to(linked[target], target_is_directory=True)
    with pytest.raises(AnswersError) as error:
        answer_files(folder)
    one_sentence(str(error.value), str(folder / "b"), " links to ", "a folder already read")


def make_loop(path: Path) -> None:
    """A link to itself."""
    path.symlink_to(path.name)


def make_dangling(path: Path) -> None:
    """A link to nothing."""
    path.symlink_to("gone.parquet")


def make_fifo(path: Path) -> None:
    """A named pipe, which a reader would wait on forever."""
    os.mkfifo(path)


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (make_loop, "is a symbolic link that loops"),
        (make_dangling, "is a symbolic link that points to nothing"),
        (make_fifo, "is no regular file (a FIFO, socket or device)"),
    ],
)
def test_what_is_no_readable_file_is_refused_by_name(crowd, tmp_path, make, problem):
    folder = tmp_path / "answers"
    write_answers(crowd, folder, tweets_per_file=100)
    make(folder / "odd.parquet")
    with pytest.raises(AnswersError) as error:
        answer_files(folder)
    one_sentence(str(error.value), str(folder / "odd.parquet"), problem)
    with pytest.raises(AnswersError) as error:
        answer_files(folder / "odd.parquet")
    one_sentence(str(error.value), str(folder / "odd.parquet"), problem)


def test_relative_paths_are_made_absolute(crowd, tmp_path, monkeypatch):
    write_answers(crowd, tmp_path / "answers", tweets_per_file=100)
    monkeypatch.chdir(tmp_path)
    files = answer_files("answers")
    assert files == sorted((tmp_path / "answers").glob("*.parquet"))


# Values an answers file cannot keep.


def test_tweet_ids_beyond_int64_are_refused_not_wrapped(tmp_path):
    ids = pa.array([2**63, 2**64 - 1], pa.uint64())
    table = pa.table({"tweet_id": ids, "worker_id": [1, 2], "answer": [0, 1]})
    pq.write_table(table, tmp_path / "big.parquet")
    with pytest.raises(AnswersError) as error:
        read_columns(tmp_path / "big.parquet")
    one_sentence(str(error.value), "big.parquet holds tweet_id 18446744073709551615, above")


def test_uint64_ids_within_int64_keep_their_values(tmp_path):
    ids = pa.array([5, 2**63 - 1], pa.uint64())
    table = pa.table({"tweet_id": ids, "worker_id": [1, 2], "answer": [0, 1]})
    pq.write_table(table, tmp_path / "ids.parquet")
    assert read_columns(tmp_path / "ids.parquet")["tweet_id"].tolist() == [5, 2**63 - 1]


# What the workers import.


def test_the_worker_side_modules_import_no_torch_nor_snorkel():
    code = (
        "import sys\n"
        f"for name in {WORKER_MODULES!r}:\n"
        "    __import__(name)\n"
        "print(sorted(m for m in ('torch', 'snorkel', 'matplotlib', 'transformers')"
        " if m in sys.modules))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]", run.stdout + run.stderr
