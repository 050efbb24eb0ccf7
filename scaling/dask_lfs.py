"""Apply labeling functions in parallel with Snorkel's DaskLFApplier on a Dask cluster."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from dask import dataframe as dd
from dask.distributed import Client
from snorkel.labeling import LabelingFunction
from snorkel.labeling.apply.dask import DaskLFApplier

__all__ = ["apply_with_dask"]


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
