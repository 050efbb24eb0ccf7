"""A dask.distributed client: on a local cluster this starts, or on a scheduler the user names."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from dask.distributed import Client, LocalCluster

__all__ = ["dask_client"]

#: The scheduler's HTTP server (its dashboard, if bokeh is installed): localhost, a free port.
#: `dashboard_address=None` does not turn it off; it then binds port 8787, or warns if taken.
DASHBOARD_ADDRESS = "127.0.0.1:0"


@contextmanager
def dask_client(n_workers: int = 2, address: str | None = None) -> Iterator[Client]:
    """A client of `address`'s scheduler, else of `n_workers` single-threaded local processes.

    The local cluster binds no fixed port: the scheduler and its HTTP server take free ones.
    """
    if address:
        with Client(address) as client:
            yield client
        return
    cluster = LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=DASHBOARD_ADDRESS,
        silence_logs=logging.ERROR,
    )
    try:
        with Client(cluster) as client:
            yield client
    finally:
        cluster.close()
