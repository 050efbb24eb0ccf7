"""The Dask route survives a killed worker, and ends with a clear error when no worker is left
or every worker stays paused for lack of memory; a caller's own exceptions go through.

A task of the counting pass is made to wait until the test has killed the worker process that
runs it, so every kill lands mid-run; no test binds a fixed port. Every test starts a cluster.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import dask
import numpy as np
import pandas as pd
import pytest
from dask.distributed import Client

import scaling.dask_label_model as dlm
from crowdsourcing.label_model import FastLabelModel
from crowdsourcing.votes import crowd_votes, frequent_workers
from scaling import file_votes
from scaling.answers import write_answers
from scaling.cluster import ClusterError, dask_client, gather, local_cluster
from scaling.dask_label_model import fit_and_label
from scaling.synthetic_crowd import synthetic_crowd

pytestmark = pytest.mark.slow

OPTIONS = {"n_epochs": 30, "seed": 3, "l2": 0.1, "lr": 0.01}
TIMEOUT = 3.0  # seconds the route waits for a silent worker or scheduler


@pytest.fixture(scope="module")
def job(tmp_path_factory) -> tuple[pd.DataFrame, Path]:
    """A small job's answers, in 4 files, and its labels from one process."""
    _, crowd = synthetic_crowd(n_tasks=400, n_workers=30, answers_per_task=6, seed=8)
    folder = tmp_path_factory.mktemp("faults") / "answers"
    write_answers(crowd, folder, tweets_per_file=100)
    tweets = crowd.index.unique().sort_values()
    votes = crowd_votes(crowd, tweets, frequent_workers(crowd))
    model = FastLabelModel(verbose=False)
    model.fit(votes, progress_bar=False, **OPTIONS)
    return pd.DataFrame(model.predict_proba(votes), index=tweets, columns=["p_0", "p_1"]), folder


def waiting_votes(started: Path, first_only: bool) -> Callable:
    """`file_answers` that, on file part-00001 (every file unless `first_only`), writes
    its process id to `started` and waits to be killed; a later attempt runs normally."""
    votes = file_votes.file_answers

    def waiting(path, **kwargs):
        if path.name == "part-00001.parquet" or not first_only:
            if not started.exists():
                started.write_text(str(os.getpid()))
                time.sleep(60)
        return votes(path, **kwargs)

    return waiting


def signal_when_started(
    started: Path, pids: Callable[[], list[int]], sig: int = signal.SIGKILL
) -> threading.Thread:
    """A thread that sends `sig` to the processes `pids()` once `started` exists; started."""

    def send() -> None:
        while not started.exists():
            time.sleep(0.05)
        time.sleep(0.2)
        for pid in pids():
            os.kill(pid, sig)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


def test_a_killed_worker_is_replaced_and_the_labels_are_the_same(job, tmp_path, monkeypatch):
    expected, answers = job
    started = tmp_path / "started"
    monkeypatch.setattr(file_votes, "file_answers", waiting_votes(started, first_only=True))
    with local_cluster() as cluster, Client(cluster) as client:
        before = set(client.run(os.getpid).values())
        killer = signal_when_started(started, lambda: [int(started.read_text())])
        fit_and_label(answers, tmp_path / "labels", client, worker_timeout=30, **OPTIONS)
        killer.join()
        client.wait_for_workers(2, timeout=30)
        after = set(client.run(os.getpid).values())
    killed = int(started.read_text())
    assert killed in before and killed not in after and len(before & after) == 1
    labels = pd.read_parquet(tmp_path / "labels").set_index("tweet_id").sort_index()
    np.testing.assert_allclose(labels, expected, rtol=0, atol=1e-12)


@pytest.fixture
def processes(tmp_path) -> Iterator[tuple[Client, subprocess.Popen, list[subprocess.Popen]]]:
    """A client of a scheduler and two single-threaded workers, each its own process and
    without a nanny (a killed worker stays dead); every process continued and killed after."""
    file = tmp_path / "scheduler.json"
    module = [sys.executable, "-m"]
    scheduler = subprocess.Popen(
        [*module, "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
         "--no-dashboard", "--scheduler-file", str(file)],
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    started, client = [scheduler], None
    try:
        deadline = time.monotonic() + 60
        while not file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        options = ["--scheduler-file", str(file), "--no-nanny", "--nthreads", "1", "--no-dashboard"]
        workers = [
            subprocess.Popen([*module, "distributed.cli.dask_worker", *options],
                             stderr=subprocess.DEVNULL)
            for _ in range(2)
        ]  # fmt: skip
        started += workers
        client = Client(scheduler_file=str(file), timeout=30)
        client.wait_for_workers(2, timeout=60)
        # A fresh worker's first task imports the route's modules, holding the GIL for seconds
        # on a loaded machine: its heartbeats would stop for longer than the short TIMEOUT.
        client.run(importlib.import_module, dlm.__name__)
        yield client, scheduler, workers
    finally:
        for process in started:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGCONT)
            process.kill()
            process.wait(timeout=30)
        if client is not None:
            with contextlib.suppress(Exception):
                client.close(timeout=5)


def test_a_task_that_kills_its_workers_ends_with_a_clear_error(job, tmp_path, monkeypatch):
    _, answers = job

    def dies(path, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(file_votes, "file_answers", dies)
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = local_cluster()
    with cluster, Client(cluster) as client:
        with pytest.raises(ClusterError, match=r"was running on 1 workers that died"):
            fit_and_label(answers, tmp_path / "labels", client, worker_timeout=30, **OPTIONS)


def test_the_local_cluster_binds_no_fixed_port():
    with warnings.catch_warnings(record=True) as caught, dask_client(n_workers=1) as client:
        warnings.simplefilter("always")  # for every thread: the scheduler warns in its own
        scheduler = client.cluster.scheduler
        http = [s.getsockname() for s in scheduler.http_server._sockets.values()]
        assert all(host == "127.0.0.1" and port not in (0, 8787) for host, port in http)
        assert scheduler.port not in (0, 8786)
    assert not [w for w in caught if "already in use" in str(w.message)]


def test_a_stopped_worker_is_dropped_and_its_work_redone(job, tmp_path, monkeypatch, processes):
    expected, answers = job
    client, _, workers = processes
    started = tmp_path / "started"
    monkeypatch.setattr(file_votes, "file_answers", waiting_votes(started, first_only=True))
    signal_when_started(started, lambda: [int(started.read_text())], signal.SIGSTOP)
    began = time.monotonic()
    fit_and_label(answers, tmp_path / "labels", client, worker_timeout=TIMEOUT, **OPTIONS)
    assert time.monotonic() - began < TIMEOUT + 20
    stopped = int(started.read_text())
    assert stopped in [w.pid for w in workers]
    assert stopped not in client.run(os.getpid).values()
    labels = pd.read_parquet(tmp_path / "labels").set_index("tweet_id").sort_index()
    np.testing.assert_allclose(labels, expected, rtol=0, atol=1e-12)


LOSSES = {
    "every worker killed": (
        False,
        signal.SIGKILL,
        f"has had no worker for {TIMEOUT:g} s: every worker was lost",
    ),
    "every worker stopped": (
        False,
        signal.SIGSTOP,
        f"has answered for {TIMEOUT:g} s .* every worker was lost",
    ),
    "scheduler stopped": (
        True,
        signal.SIGSTOP,
        rf"scheduler at tcp://127\.0\.0\.1:\d+ did not answer within {TIMEOUT:g} s",
    ),
    "scheduler killed": (
        True,
        signal.SIGKILL,
        r"scheduler at tcp://127\.0\.0\.1:\d+ (did not|was lost)",
    ),
}


@pytest.mark.parametrize("loss", LOSSES)
def test_a_lost_cluster_ends_with_a_clear_error_within_the_timeout(
    job, tmp_path, monkeypatch, processes, loss
):
    _, answers = job
    client, scheduler, workers = processes
    scheduler_lost, sig, message = LOSSES[loss]
    lost = [scheduler] if scheduler_lost else workers
    started = tmp_path / "started"
    monkeypatch.setattr(file_votes, "file_answers", waiting_votes(started, first_only=True))
    signal_when_started(started, lambda: [p.pid for p in lost], sig)
    began = time.monotonic()
    with pytest.raises(ClusterError, match=message):
        fit_and_label(answers, tmp_path / "labels", client, worker_timeout=TIMEOUT, **OPTIONS)
    assert time.monotonic() - began < TIMEOUT + 10
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scheduler.json", "started"]


#: Dask's memory settings under which a worker pauses at once (its memory use is above 1% of its
#: limit), and is never spilled to disk, restarted or killed for memory.
PAUSE_AT_ONCE = {
    "distributed.worker.memory.pause": 0.01,
    "distributed.worker.memory.target": False,
    "distributed.worker.memory.spill": False,
    "distributed.worker.memory.terminate": False,
}


def statuses(client: Client) -> list[str]:
    """The status of each worker, as the scheduler knows it."""

    def status(dask_scheduler=None) -> list[str]:
        return [w.status.name for w in dask_scheduler.workers.values()]

    return client.run_on_scheduler(status)


def test_workers_paused_for_memory_end_the_fit_with_a_clear_error(job, tmp_path):
    _, answers = job
    with dask.config.set(PAUSE_AT_ONCE):
        cluster = local_cluster(n_workers=1, memory_limit="1GB")
    errors = []

    def fit() -> None:
        try:
            fit_and_label(answers, tmp_path / "labels", client, worker_timeout=TIMEOUT, **OPTIONS)
        except Exception as error:  # checked below, in the test's thread
            errors.append(error)

    with cluster, Client(cluster) as client:
        deadline = time.monotonic() + 30
        while statuses(client) != ["paused"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert statuses(client) == ["paused"]
        began = time.monotonic()
        thread = threading.Thread(target=fit, daemon=True)
        thread.start()
        thread.join(timeout=TIMEOUT + 20)
        assert not thread.is_alive(), "the fit still waits on a paused worker"
    assert time.monotonic() - began < TIMEOUT + 20
    assert len(errors) == 1 and type(errors[0]) is ClusterError, errors
    assert "paused by Dask's memory monitor for 3 s" in str(errors[0])
    assert not (tmp_path / "labels").exists()


def test_a_callers_own_timeout_goes_through_gather(client):
    def alarm(signum, frame):
        raise TimeoutError("the caller's own alarm")

    previous = signal.signal(signal.SIGALRM, alarm)
    try:
        future = client.submit(time.sleep, 5, pure=False)
        began = time.monotonic()
        signal.setitimer(signal.ITIMER_REAL, 1.2)
        with pytest.raises(TimeoutError, match="the caller's own alarm"):
            gather(client, [future], worker_timeout=60)
        assert time.monotonic() - began < 4
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
