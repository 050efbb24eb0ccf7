"""The Dask route refuses bad answers with one sentence naming the file, and writes atomically.

Each kind of bad answers file that could give silently wrong labels, or an error naming no
file, is tried here on a small job; every error is raised on a worker and must reach the caller
as the same `AnswersError` with the same one-sentence message. Every test starts a cluster.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crowdsourcing.label_model import FastLabelModel
from crowdsourcing.votes import crowd_votes, frequent_workers
from scaling import file_votes
from scaling.answers import AnswersError, write_answers
from scaling.dask_label_model import fit_and_label
from scaling.synthetic_crowd import synthetic_crowd

pytestmark = pytest.mark.slow

OPTIONS = {"n_epochs": 30, "seed": 3, "l2": 0.1, "lr": 0.01}


@pytest.fixture(scope="module")
def crowd() -> pd.DataFrame:
    """600 tweets, 8 answers each from 40 workers; worker 5000 has exactly 10 answers, 5001 11."""
    _, crowd = synthetic_crowd(n_tasks=600, n_workers=40, answers_per_task=8, seed=5)
    tweets = crowd.index.unique()
    edge = pd.DataFrame(
        {"worker_id": [5000] * 10 + [5001] * 11, "answer": 1},
        index=pd.Index([*tweets[:10], *tweets[100:111]], name="tweet_id"),
    )
    return pd.concat([crowd, edge])


def written(crowd: pd.DataFrame, folder: Path, tweets_per_file: int = 200) -> Path:
    """`crowd` stored as the route reads it; the folder."""
    write_answers(crowd, folder, tweets_per_file=tweets_per_file)
    return folder


def one_process(crowd: pd.DataFrame, workers: list[int] | None = None) -> pd.DataFrame:
    """Probabilities of FastLabelModel fitted in this process, by tweet id."""
    tweets = crowd.index.unique().sort_values()
    votes = crowd_votes(crowd, tweets, frequent_workers(crowd) if workers is None else workers)
    model = FastLabelModel(verbose=False)
    model.fit(votes, progress_bar=False, **OPTIONS)
    return pd.DataFrame(model.predict_proba(votes), index=tweets, columns=["p_0", "p_1"])


def read_labels(path: Path) -> pd.DataFrame:
    """Labels written by the route, by tweet id, in tweet order."""
    return pd.read_parquet(path).set_index("tweet_id").sort_index()


def assert_one_sentence_error(error: pytest.ExceptionInfo, file: str, problem: str) -> None:
    """The error is an AnswersError of one line, naming `file` and `problem`."""
    assert type(error.value) is AnswersError
    message = str(error.value)
    assert file in message and problem in message, message
    assert "\n" not in message and message.endswith(".")


def test_labels_equal_one_process_and_the_threshold_is_more_than_min_answers(
    client, crowd, tmp_path
):
    answers = written(crowd, tmp_path / "answers")
    fit_and_label(answers, tmp_path / "labels", client, **OPTIONS)
    counts = crowd["worker_id"].value_counts()
    assert counts[5000] == 10 and counts[5001] == 11
    workers = frequent_workers(crowd)
    assert 5001 in workers and 5000 not in workers
    marker = json.loads((tmp_path / "labels" / "_SUCCESS").read_text())
    assert marker == {
        "answers": len(crowd),
        "tweets": crowd.index.nunique(),
        "files": 3,
        "workers": len(workers),
        "labelled": crowd.index.nunique(),
    }
    expected = one_process(crowd)
    np.testing.assert_allclose(read_labels(tmp_path / "labels"), expected, rtol=0, atol=1e-12)


def test_no_vote_codes_are_a_parameter(client, crowd, tmp_path):
    four = crowd.assign(answer=crowd["answer"].replace(3, 4))  # "not about weather" coded as 4
    answers = written(four, tmp_path / "answers")
    with pytest.raises(AnswersError) as error:
        fit_and_label(answers, tmp_path / "labels", client, **OPTIONS)
    assert_one_sentence_error(error, "part-0000", "no answer code [-1, 0, 1, 2, 3], e.g. 4")
    fit_and_label(answers, tmp_path / "labels", client, no_vote=(-1, 2, 4), **OPTIONS)
    expected = one_process(crowd)  # 4 casts no vote, as 3 did
    np.testing.assert_allclose(read_labels(tmp_path / "labels"), expected, rtol=0, atol=1e-12)
    with pytest.raises(AnswersError, match=r"answers that are no answer code \[0, 1\], e.g. "):
        fit_and_label(answers, tmp_path / "other", client, no_vote=(), **OPTIONS)


def with_nan(column: str):
    """A change that makes 5% of `column` missing."""

    def change(answers: pd.DataFrame) -> pd.DataFrame:
        answers = answers.reset_index().astype({column: "float64"})
        answers.loc[answers.index % 20 == 3, column] = np.nan
        return answers.set_index("tweet_id")

    return change


PROBES = {
    "NaN tweet ids": (with_nan("tweet_id"), "has 80 missing values of tweet_id"),
    "NaN workers": (with_nan("worker_id"), "missing values of worker_id"),
    "NaN answers": (with_nan("answer"), "missing values of answer"),
    "answer 7": (lambda a: a.assign(answer=a["answer"].mask(a.index % 7 == 0, 7)), "e.g. 7"),
    "answer -2": (lambda a: a.assign(answer=a["answer"].mask(a.index % 7 == 0, -2)), "e.g. -2"),
    "string worker ids": (
        lambda a: a.assign(worker_id=a["worker_id"].astype(str)),
        "holds worker_id as large_string; it must be integers",
    ),
    "renamed column": (
        lambda a: a.rename(columns={"worker_id": "worker"}),
        "has no column worker_id (it has worker, answer, tweet_id)",
    ),
}


@pytest.mark.parametrize("probe", PROBES)
def test_bad_answers_name_the_file_and_the_problem(client, crowd, tmp_path, probe):
    change, problem = PROBES[probe]
    answers = written(crowd, tmp_path / "answers")
    part = answers / "part-00001.parquet"
    change(pd.read_parquet(part).set_index("tweet_id")).to_parquet(part)
    with pytest.raises(AnswersError) as error:
        fit_and_label(answers, tmp_path / "labels", client, **OPTIONS)
    assert_one_sentence_error(error, str(part), problem)
    assert not (tmp_path / "labels").exists()


@pytest.mark.parametrize("damage", ["corrupt", "truncated", "empty"])
def test_unreadable_files_name_the_file(client, crowd, tmp_path, damage):
    answers = written(crowd, tmp_path / "answers")
    part = answers / "part-00002.parquet"
    data = bytearray(part.read_bytes())
    if damage == "corrupt":
        data[8:-100] = bytes(len(data) - 108)
    part.write_bytes(data[: len(data) // 2] if damage == "truncated" else data)
    if damage == "empty":
        part.write_bytes(b"")
    with pytest.raises(AnswersError) as error:
        fit_and_label(answers, tmp_path / "labels", client, **OPTIONS)
    assert_one_sentence_error(error, str(part), "cannot be read as Parquet")


def test_a_tweet_in_two_files_is_refused(client, crowd, tmp_path):
    answers = written(crowd, tmp_path / "answers")
    first, second = answers / "part-00000.parquet", answers / "part-00001.parquet"
    a, b = pd.read_parquet(first), pd.read_parquet(second)
    moved = a["tweet_id"].isin(a["tweet_id"].unique()[-50:])
    moved &= np.arange(len(a)) % 2 == 0  # half of each of 50 tweets' answers
    a[~moved].to_parquet(first, index=False)
    pd.concat([b, a[moved]]).to_parquet(second, index=False)
    with pytest.raises(AnswersError) as error:
        fit_and_label(answers, tmp_path / "labels", client, **OPTIONS)
    assert_one_sentence_error(error, f"{first} and {second} both hold answers of tweet", "(50 ")


def test_a_tweet_shared_at_a_file_boundary_is_refused(client, crowd, tmp_path):
    answers = written(crowd, tmp_path / "answers")
    first, second = answers / "part-00000.parquet", answers / "part-00001.parquet"
    a, b = pd.read_parquet(first), pd.read_parquet(second)
    moved = (a["tweet_id"] == a["tweet_id"].max()).to_numpy() & (np.arange(len(a)) % 2 == 0)
    a[~moved].to_parquet(first, index=False)
    pd.concat([a[moved], b]).to_parquet(second, index=False)
    assert pd.read_parquet(first)["tweet_id"].max() == pd.read_parquet(second)["tweet_id"].min()
    with pytest.raises(AnswersError) as error:
        fit_and_label(answers, tmp_path / "labels", client, **OPTIONS)
    assert_one_sentence_error(error, f"{first} and {second} both hold answers of tweet", "(1 ")
    assert not (tmp_path / "labels").exists()


def test_a_repeated_answer_counts_once_and_the_last_one_counts(client, crowd, tmp_path):
    first = crowd.iloc[::5]  # a fifth of the answers given twice: first an opposite answer
    repeated = pd.concat([first.assign(answer=1 - first["answer"].clip(0, 1)), crowd])
    repeated = repeated.sort_index(kind="stable")
    fit_and_label(written(repeated, tmp_path / "answers"), tmp_path / "labels", client, **OPTIONS)
    expected = one_process(repeated, frequent_workers(repeated))
    np.testing.assert_allclose(read_labels(tmp_path / "labels"), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(expected, one_process(crowd, frequent_workers(repeated)), atol=1e-12)


def test_files_of_interleaved_tweet_ids_are_accepted(client, crowd, tmp_path):
    answers = tmp_path / "answers"
    answers.mkdir()
    for part in range(3):
        mine = crowd[crowd.index % 3 == part].reset_index()
        mine.to_parquet(answers / f"part-{part}.parquet", index=False)
    fit_and_label(answers, tmp_path / "labels", client, **OPTIONS)
    expected = one_process(crowd)
    np.testing.assert_allclose(read_labels(tmp_path / "labels"), expected, rtol=0, atol=1e-12)


def test_too_few_voting_workers(client, crowd, tmp_path):
    frequent = frequent_workers(crowd)
    neutral = crowd.assign(answer=crowd["answer"].where(crowd["worker_id"].isin(frequent[:2]), 2))
    answers = written(neutral, tmp_path / "answers")
    with pytest.raises(AnswersError) as error:
        fit_and_label(answers, tmp_path / "labels", client, **OPTIONS)
    problem = (
        f"has 2 workers with more than 10 answers that answer a class [1, 0] (of {len(frequent)})"
    )
    assert_one_sentence_error(error, str(answers), problem)
    answers = written(crowd, tmp_path / "all")
    with pytest.raises(AnswersError) as error:
        fit_and_label(answers, tmp_path / "labels", client, workers=[1, 2, frequent[0]])
    assert_one_sentence_error(error, str(answers), "has no answer from 2 of the workers given")


def test_a_failure_in_the_last_file_leaves_no_labels(client, crowd, tmp_path, monkeypatch):
    answers = written(crowd, tmp_path / "answers")
    label = file_votes.write_file_labels

    def fails_on_the_last(partition, part, **kwargs):
        if part == 2:
            raise OSError("disk full")
        return label(partition, part, **kwargs)

    monkeypatch.setattr(file_votes, "write_file_labels", fails_on_the_last)
    with pytest.raises(OSError, match="disk full"):
        fit_and_label(answers, tmp_path / "labels", client, **OPTIONS)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers"]


def test_an_existing_folder_is_refused_unless_overwritten_and_then_replaced(
    client, crowd, tmp_path
):
    labels = tmp_path / "labels"
    fit_and_label(written(crowd, tmp_path / "large", 100), labels, client, **OPTIONS)
    assert len(list(labels.glob("*.parquet"))) == 6
    small = crowd[crowd.index < crowd.index.unique()[300]]
    answers = written(small, tmp_path / "small")
    with pytest.raises(FileExistsError, match=f"{labels} already exists: pass overwrite=True"):
        fit_and_label(answers, labels, client, **OPTIONS)
    assert len(read_labels(labels)) == 600
    fit_and_label(answers, labels, client, overwrite=True, **OPTIONS)
    assert sorted(p.name for p in labels.iterdir()) == [
        "_SUCCESS",
        "part-00000.parquet",
        "part-00001.parquet",
    ]
    np.testing.assert_allclose(read_labels(labels), one_process(small), rtol=0, atol=1e-12)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labels", "large", "small"]
