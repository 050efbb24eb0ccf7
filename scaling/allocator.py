"""The Dask workers' memory allocator: glibc's thresholds as in a process of its own.

Imports nothing but the standard library, so that every kind of worker task can call it.
"""

from __future__ import annotations

import ctypes
import functools
import os

__all__ = ["keep_freed_memory"]

#: glibc's `mallopt` parameters, and the values of its own dynamic defaults' upper end.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD, TRIM_THRESHOLD = 32 * 2**20, 64 * 2**20


@functools.cache
def keep_freed_memory() -> bool:
    """Let glibc keep freed memory for reuse in this process if MALLOC_TRIM_THRESHOLD_ is set.

    Dask's nanny sets it to 64 KiB in every worker, which also fixes glibc's threshold for
    mapping memory: every array over 128 KiB is then mapped and unmapped, and its pages faulted
    in again, each time: the encoder's tensors on each batch (12 times the page faults, a
    quarter more CPU time per tweet), an answers file's columns (a third more time to read and
    check it). This sets both thresholds to the top of glibc's own dynamic range (32 MiB
    mapped, 64 MiB kept), as in a process without the variable. True if it did.
    """
    if "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc: the variable does not apply either
        return False
    return bool(
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
