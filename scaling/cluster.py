"""A dask.distributed client: on a local cluster this starts, or on a scheduler the user names."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from dask.distributed import Client, LocalCluster

__all__ = ["dask_client"]


@contextmanager
def dask_client(n_workers: int = 2, address: str | None = None) -> Iterator[Client]:
    """A client of `address`'s scheduler, else of `n_workers` single-threaded local processes."""
    if address:
        with Client(address) as client:
            yield client
        return
    cluster = LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    try:
        with Client(cluster) as client:
            yield client
    finally:
        cluster.close()
