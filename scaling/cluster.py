"""A dask.distributed client, and waiting on its work without hanging on a lost cluster.

`dask_client` starts a local cluster, or reaches a scheduler the user names. `gather` waits for
futures while it checks, every `POLL_SECONDS`, that the scheduler answers and that each worker
has sent a heartbeat within `worker_timeout` seconds: a worker that stopped responding (hung,
or stopped with SIGSTOP) is removed from the cluster so that its tasks run elsewhere, and a
cluster left without any live worker, with only workers that Dask's memory monitor has paused,
or whose scheduler does not answer, ends the wait with a `ClusterError` within
`worker_timeout`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import CancelledError
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from dask.distributed import Client, Future, LocalCluster
from distributed.comm.core import CommClosedError
from distributed.scheduler import KilledWorker

__all__ = ["ClusterError", "dask_client", "gather"]

#: The scheduler's HTTP server (its dashboard, if bokeh is installed): localhost, a free port.
#: `dashboard_address=None` does not turn it off; it then binds port 8787, or warns if taken.
DASHBOARD_ADDRESS = "127.0.0.1:0"
#: Seconds between checks, while work is unfinished, that the scheduler answers and the
#: workers are alive.
POLL_SECONDS = 0.5


class ClusterError(RuntimeError):
    """The cluster could not finish the work: scheduler or every worker lost, or a task kept
    killing its workers."""


class SchedulerLost(ClusterError):
    """The scheduler does not answer: nothing more can be asked of it, not even to cancel."""


@contextmanager
def dask_client(n_workers: int = 2, address: str | None = None) -> Iterator[Client]:
    """A client of `address`'s scheduler, else of `n_workers` single-threaded local processes.

    The local cluster binds no fixed port: the scheduler and its HTTP server take free ones.
    """
    if address:
        with Client(address) as client:
            yield client
        return
    cluster = local_cluster(n_workers)
    try:
        with Client(cluster) as client:
            yield client
    finally:
        cluster.close()


def local_cluster(n_workers: int = 2, **options: Any) -> LocalCluster:
    """`n_workers` single-threaded worker processes, each with a nanny; no fixed port."""
    return LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=DASHBOARD_ADDRESS,
        silence_logs=logging.ERROR,
        **options,
    )


def gather(client: Client, futures: Sequence[Future], worker_timeout: float) -> list:
    """The futures' results; a task's error is raised as the task raised it, type and message.

    Raises `ClusterError` when the scheduler does not answer, no worker has been alive, or every
    worker has stayed paused by Dask's memory monitor, for `worker_timeout` seconds, or when a
    task was running on every one of several workers that died (Dask's `KilledWorker`). Workers
    silent for `worker_timeout` seconds are removed. Any other exception (a caller's alarm, a
    Ctrl-C) goes through as it is.
    """
    futures = list(futures)
    cancel = True
    try:
        finished = _finished_event(futures)
        watch = _Watch()
        while not finished.wait(POLL_SECONDS):
            _check_cluster(client, watch, worker_timeout)
        if any(f.cancelled() for f in futures):
            _check_cluster(client, _Watch(), worker_timeout)
            raise SchedulerLost(f"The scheduler at {_address(client)} lost the run's tasks.")
        return client.gather(futures)
    except KilledWorker as error:
        raise ClusterError(
            f"Task {error.task} was running on {error.allowed_failures + 1} workers that died "
            "(out of memory?): giving up on it."
        ) from error
    except (CancelledError, CommClosedError) as error:
        cancel = False
        raise SchedulerLost(
            f"The scheduler at {_address(client)} was lost ({type(error).__name__})."
        ) from error
    except SchedulerLost:
        cancel = False
        raise
    finally:
        if cancel and client.status == "running":
            client.cancel([f for f in futures if not f.done()])


def _finished_event(futures: Sequence[Future]) -> threading.Event:
    """An event set once every future is done, or as soon as one has failed."""
    finished, lock, left = threading.Event(), threading.Lock(), [len(futures)]

    def done(future: Future) -> None:
        with lock:
            left[0] -= 1
            if left[0] <= 0 or future.status == "error":
                finished.set()

    if not futures:
        finished.set()
    for future in futures:
        future.add_done_callback(done)
    return finished


@dataclass
class _Watch:
    """Since when (monotonic s) the cluster has had no live worker, and only paused ones."""

    alone_since: float | None = None
    paused_since: float | None = None


def _check_cluster(client: Client, watch: _Watch, timeout: float) -> None:
    """Remove workers silent for `timeout` seconds and update `watch`; raise `ClusterError` if
    that leaves no worker, or if for `timeout` seconds the cluster has had no worker or only
    paused ones, or if the scheduler does not answer."""
    asked = time.monotonic()
    try:
        live, paused, removed = client.run_on_scheduler(
            _remove_silent_workers(), timeout, callback_timeout=timeout
        )
    except TimeoutError as error:
        if time.monotonic() - asked < timeout:
            raise  # not the scheduler's timeout: the caller's own
        raise _lost(client, timeout, error) from error
    except (OSError, CommClosedError, CancelledError) as error:
        raise _lost(client, timeout, error) from error
    now = time.monotonic()
    if removed and not live:
        raise ClusterError(
            f"No worker of the cluster at {_address(client)} has answered for {timeout:g} s "
            f"(removed {', '.join(removed)}): every worker was lost, so the run stops."
        )
    watch.alone_since = None if live else watch.alone_since or now
    watch.paused_since = None if paused < live or not live else watch.paused_since or now
    if watch.alone_since is not None and now - watch.alone_since > timeout:
        raise ClusterError(
            f"The cluster at {_address(client)} has had no worker for "
            f"{timeout:g} s: every worker was lost, so the run stops."
        )
    if watch.paused_since is not None and now - watch.paused_since > timeout:
        raise ClusterError(
            f"Every worker of the cluster at {_address(client)} has been paused by Dask's memory "
            f"monitor for {timeout:g} s: their memory use is above the pause share of their "
            "memory limit, so the run stops; give the workers more memory, or smaller files."
        )


def _lost(client: Client, timeout: float, error: BaseException) -> SchedulerLost:
    """The error that says the scheduler did not answer within `timeout` s."""
    return SchedulerLost(
        f"The scheduler at {_address(client)} did not answer within {timeout:g} s "
        f"({type(error).__name__}): it was lost, so the run stops."
    )


def _remove_silent_workers() -> Callable:
    """A function for the scheduler (sent by value, it needs no import of this module) that
    removes the workers without a heartbeat for `timeout` seconds; returns how many are left,
    how many of those Dask's memory monitor has paused, and the addresses removed."""

    async def remove(timeout: float, dask_scheduler: Any = None) -> tuple[int, int, list[str]]:
        from distributed.metrics import time as now

        silent = [
            address
            for address, worker in dask_scheduler.workers.items()
            if now() - worker.last_seen > timeout
        ]
        for address in silent:
            await dask_scheduler.remove_worker(address, stimulus_id="silent-worker", close=True)
        workers = dask_scheduler.workers.values()
        paused = sum(worker.status.name == "paused" for worker in workers)
        return len(workers), paused, silent

    return remove


def _address(client: Client) -> str:
    """The scheduler's address, as the client knows it."""
    return str(getattr(client.scheduler, "address", None) or "(unknown)")
