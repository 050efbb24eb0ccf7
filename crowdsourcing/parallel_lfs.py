"""Apply labeling functions in parallel with Snorkel's DaskLFApplier on a local Dask cluster."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd
from dask import dataframe as dd
from dask.distributed import Client, LocalCluster
from snorkel.labeling import LabelingFunction
from snorkel.labeling.apply.dask import DaskLFApplier

__all__ = ["apply_with_dask", "local_cluster"]


@contextmanager
def local_cluster(n_workers: int = 2) -> Iterator[Client]:
    """A client of `n_workers` single-threaded worker processes on this machine (no dashboard)."""
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


def apply_with_dask(
    lfs: Sequence[LabelingFunction],
    df: pd.DataFrame,
    client: Client,
    partitions_per_worker: int = 2,
) -> np.ndarray:
    """The label matrix of `lfs` on `df`, computed partition by partition on the cluster."""
    n_workers = len(client.scheduler_info()["workers"])
    ddf = dd.from_pandas(df, npartitions=max(1, n_workers * partitions_per_worker), sort=False)
    return DaskLFApplier(lfs).apply(ddf, scheduler=client)
