"""The end model's guards: partitions without truth or held-out tweets, epochs, repeated ids,
and the workers' memory allocator."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest

from crowdsourcing.votes import CLASSES
from scaling import end_model
from scaling.cluster import ClusterError, dask_client
from scaling.end_model import (
    Partition,
    accuracy_on_partitions,
    embed_partitions,
    held_out,
    train_on_partitions,
    write_tweets,
)


@dataclass
class Done:
    """A finished future."""

    value: Any

    def result(self) -> Any:
        return self.value


class InlineClient:
    """The `Client` calls end_model makes, run at once in this process."""

    def scatter(self, value: Any, broadcast: bool = False) -> Done:
        return Done(value)

    def submit(self, f, *args, pure: bool = True) -> Done:
        return Done(f(*(a.result() if isinstance(a, Done) else a for a in args)))

    def map(self, f, *iterables, pure: bool = True) -> list:
        return [self.submit(f, *args).result() for args in zip(*iterables, strict=True)]

    def gather(self, values: list) -> list:
        return values


@pytest.fixture(autouse=True)
def inline_gather(monkeypatch):
    """`cluster.gather` of an `InlineClient`'s results: they are there already."""
    real = end_model.gather

    def gather(client, futures, worker_timeout):
        if not isinstance(client, InlineClient):
            return real(client, futures, worker_timeout)
        return [f.result() if isinstance(f, Done) else f for f in futures]

    monkeypatch.setattr(end_model, "gather", gather)


class NoWork(InlineClient):
    """A client that fails on any work: a guard must refuse before it."""

    def scatter(self, value: Any, broadcast: bool = False) -> Done:
        raise AssertionError("work started")


def part(n: int = 50, truth: bool = True, seed: int = 0, start: int = 0) -> Partition:
    """A partition of `n` tweets with ids from `start`, separable along the first coordinate."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 3)) + 3 * y[:, None] * np.array([1.0, 0.0, 0.0])
    ids = np.arange(start, start + n)
    return Partition(X, y * 0.9 + 0.05, held_out(ids), y if truth else None)


def test_accuracy_skips_partitions_without_truth():
    client = InlineClient()
    model = train_on_partitions([part(), part(seed=1, start=50)], client, epochs=3)
    with_truth = accuracy_on_partitions(model, [part(seed=2, start=100)], client)
    mixed = [part(seed=2, start=100), part(seed=3, start=150, truth=False)]
    assert accuracy_on_partitions(model, mixed, client) == with_truth
    assert accuracy_on_partitions(None, mixed, client) == 1.0


@pytest.mark.parametrize(
    "parts",
    [
        [part(truth=False), part(truth=False, start=50)],  # no known class
        [part()._replace(test=np.zeros(50, bool))],  # nothing held out
        [],
    ],
)
def test_no_held_out_tweet_of_known_class_is_one_sentence(parts):
    with pytest.raises(ValueError, match=r"^no held-out tweet of known class to score in \d"):
        accuracy_on_partitions(None, parts, InlineClient())


@pytest.mark.parametrize("epochs", [0, -1, 1.5, True, "5"])
def test_epochs_other_than_a_positive_integer_are_refused_before_work(epochs):
    with pytest.raises(ValueError, match=rf"^epochs must be a positive integer .*{epochs!r}$"):
        train_on_partitions([Done(part())], NoWork(), epochs=epochs)


def test_no_partitions_are_refused_before_work():
    with pytest.raises(ValueError, match="got no partitions to train on"):
        train_on_partitions([], NoWork())


def test_partitions_without_a_training_tweet_say_so():
    all_held_out = part()._replace(test=np.ones(50, bool))
    with pytest.raises(ValueError, match="none of the 2 partitions holds a tweet to train on"):
        train_on_partitions([all_held_out, all_held_out], InlineClient())


def test_write_tweets_refuses_repeated_ids_naming_them(tmp_path):
    tweets = pd.DataFrame({"tweet_text": list("abcdef")}, index=[7, 3, 7, 5, 3, 9])
    with pytest.raises(ValueError, match=r"hold 2 tweet ids more than once \(3, 7\): each"):
        write_tweets(tweets, tmp_path, tweets_per_file=2)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("size", [0, -100, 100.5, None])
def test_write_tweets_checks_tweets_per_file(tmp_path, size):
    tweets = pd.DataFrame({"tweet_text": list("abc")}, index=[1, 2, 3])
    with pytest.raises(ValueError, match="tweets_per_file must be a positive integer"):
        write_tweets(tweets, tmp_path, tweets_per_file=size)


@pytest.mark.slow
@pytest.mark.parametrize("repeated_in", ["tweets", "labels"])
def test_embed_partitions_refuses_repeated_ids_naming_them(tmp_path, repeated_in):
    ids = np.arange(300)
    tables = {
        "tweets": pd.DataFrame({"tweet_id": ids, "tweet_text": "sunny day"}),
        "labels": pd.DataFrame({"tweet_id": ids, "p_0": 0.2, "p_1": 0.8}),
    }
    tables[repeated_in].loc[[20, 21, 150], "tweet_id"] = [4, 5, 149]
    for name, table in tables.items():
        (tmp_path / name).mkdir()
        for i, start in enumerate(range(0, 300, 100)):
            table.iloc[start : start + 100].to_parquet(tmp_path / name / f"part-{i}.parquet")
    with dask_client(n_workers=1) as client, pytest.raises(ValueError) as raised:
        embed_partitions(tmp_path / "tweets", tmp_path / "labels", client)
    assert str(raised.value).startswith(
        f"The files in {tmp_path / repeated_in} hold 3 tweet ids more than once (4, 5, 149): "
    )


SHOW_FAULTS = """
import resource
from crowdsourcing.embeddings import embed_texts, load_encoder
from scaling.end_model import keep_freed_memory

tokenizer, model = load_encoder()
texts = [f"tweet {i}: cold and rainy again, what a grey week it has been" for i in range(128)]

def faults():
    embed_texts(texts, tokenizer, model, threads=1)  # warm
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    embed_texts(texts, tokenizer, model, threads=1)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

print(faults(), keep_freed_memory(), faults())
"""


@pytest.mark.slow
def test_freed_memory_is_kept_where_dask_lowers_the_trim_threshold(monkeypatch):
    """As in a Dask worker: MALLOC_TRIM_THRESHOLD_=65536 makes every batch fault its pages in."""
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    shown = subprocess.run([sys.executable, "-c", SHOW_FAULTS], capture_output=True, text=True)
    before, applied, after = shown.stdout.split()
    assert applied == "True" and int(after) < int(before) / 4, shown.stdout


def test_the_allocator_is_left_alone_without_the_variable(monkeypatch):
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    end_model.keep_freed_memory.cache_clear()
    assert end_model.keep_freed_memory() is False
    end_model.keep_freed_memory.cache_clear()


def test_held_out_takes_one_tweet_in_one_in_by_id():
    ids = np.arange(1_000, 2_000)
    assert held_out(ids).mean() == pytest.approx(1 / end_model.HELD_OUT_ONE_IN)
    assert held_out(ids, one_in=10).mean() == pytest.approx(0.1)
    np.testing.assert_array_equal(held_out(ids, one_in=10), ids % 10 == 0)


def test_the_classifier_learns_the_crowds_classes():
    """One list of classes: the crowd's, whose labels the classifier is trained on."""
    model = train_on_partitions([part(), part(seed=1, start=50)], InlineClient(), epochs=2)
    assert sorted(model.classes_) == sorted(label for label, _ in CLASSES)


class StopsWorkers:
    """A client that stops its workers (SIGSTOP) as the first task is submitted."""

    def __init__(self, client: Any, pids: list[int]) -> None:
        self.client, self.pids = client, pids

    def submit(self, *args: Any, **kwargs: Any) -> Any:
        for pid in self.pids:
            os.kill(pid, signal.SIGSTOP)
        self.pids = []
        return self.client.submit(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


@pytest.mark.slow
def test_training_on_stopped_workers_ends_with_a_clear_error_within_the_timeout():
    """The end model waits through `cluster.gather`: once every worker has stopped answering
    for `worker_timeout` seconds, `ClusterError` ends the training, where `result()` hung."""
    timeout, outcome = 3.0, {}
    with dask_client(n_workers=1) as client:
        parts = client.scatter([part(), part(seed=1, start=50)])
        pids = list(client.run(os.getpid).values())

        def train() -> None:
            try:
                train_on_partitions(parts, StopsWorkers(client, pids), 2, worker_timeout=timeout)
            except ClusterError as error:
                outcome["error"] = error

        try:
            thread = threading.Thread(target=train, daemon=True)
            thread.start()
            thread.join(timeout + 20)
        finally:
            for pid in pids:
                os.kill(pid, signal.SIGCONT)
    assert not thread.is_alive(), "the training still waits on a cluster without workers"
    assert "every worker was lost" in str(outcome["error"])
