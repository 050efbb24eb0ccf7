"""A dask.distributed client, and waiting on its work without hanging on a lost cluster.

`dask_client` starts a local cluster, or reaches a scheduler the user names. `gather` waits for
futures while it checks, every `POLL_SECONDS`, that the scheduler answers and that each worker
has sent a heartbeat within `worker_timeout` seconds: a worker that stopped responding (hung,
or stopped with SIGSTOP) is removed from the cluster so that its tasks run elsewhere, and a
cluster left without any live worker, or whose scheduler does not answer, ends the wait with
a `ClusterError` within `worker_timeout`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import CancelledError
from contextlib import contextmanager
from typing import Any

from dask.distributed import Client, Future, LocalCluster, wait
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

    Raises `ClusterError` when the scheduler does not answer, or no worker has been alive, for
    `worker_timeout` seconds, or when a task was running on every one of several workers that
    died (Dask's `KilledWorker`). Workers silent for `worker_timeout` seconds are removed.
    """
    futures = list(futures)
    alone_since: float | None = None
    cancel = True
    try:
        while True:
            try:
                wait(futures, timeout=POLL_SECONDS)
                break
            except TimeoutError:
                if any(f.status == "error" for f in futures):
                    break
                alone_since = _check_cluster(client, alone_since, worker_timeout)
        if any(f.cancelled() for f in futures):
            _check_cluster(client, None, worker_timeout)
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


def _check_cluster(client: Client, alone_since: float | None, timeout: float) -> float | None:
    """When the cluster was first seen without live workers (None if it has some).

    Removes workers silent for `timeout` seconds; raises `ClusterError` if that leaves none, if
    the cluster has had none for `timeout` seconds, or if the scheduler does not answer.
    """
    try:
        live, removed = client.run_on_scheduler(
            _remove_silent_workers(), timeout, callback_timeout=timeout
        )
    except (TimeoutError, OSError, CommClosedError, CancelledError) as error:
        raise SchedulerLost(
            f"The scheduler at {_address(client)} did not answer within {timeout:g} s "
            f"({type(error).__name__}): it was lost, so the run stops."
        ) from error
    if live:
        return None
    if removed:
        raise ClusterError(
            f"No worker of the cluster at {_address(client)} has answered for {timeout:g} s "
            f"(removed {', '.join(removed)}): every worker was lost, so the run stops."
        )
    now = time.monotonic()
    if alone_since is not None and now - alone_since > timeout:
        raise ClusterError(
            f"The cluster at {_address(client)} has had no worker for "
            f"{timeout:g} s: every worker was lost, so the run stops."
        )
    return now if alone_since is None else alone_since


def _remove_silent_workers() -> Callable:
    """A function for the scheduler (sent by value, it needs no import of this module) that
    removes the workers without a heartbeat for `timeout` seconds; returns how many are left
    and the addresses removed."""

    async def remove(timeout: float, dask_scheduler: Any = None) -> tuple[int, list[str]]:
        from distributed.metrics import time as now

        silent = [
            address
            for address, worker in dask_scheduler.workers.items()
            if now() - worker.last_seen > timeout
        ]
        for address in silent:
            await dask_scheduler.remove_worker(address, stimulus_id="silent-worker", close=True)
        return len(dask_scheduler.workers), silent

    return remove


def _address(client: Client) -> str:
    """The scheduler's address, as the client knows it."""
    return str(getattr(client.scheduler, "address", None) or "(unknown)")
