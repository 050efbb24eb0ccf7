"""Measure one step of a pipeline: wall time, and the peak resident memory it added.

Memory is sampled from /proc/self/statm (Linux) every millisecond while the step runs, so it
counts NumPy, pandas and torch allocations alike; work done in other processes (Dask workers)
is not counted.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Measurement", "measure"]

_PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss_bytes() -> int:
    """Resident set size of this process."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE


@dataclass
class Measurement:
    """What `measure` saw of one call."""

    seconds: float
    peak_mib: float  # peak resident memory above what the process held when the step began
    result: Any = None


def measure(step: Callable[[], Any]) -> Measurement:
    """Run `step()` once, timing it and sampling memory in a background thread."""
    start_rss = peak = _rss_bytes()
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.001):
            peak = max(peak, _rss_bytes())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    try:
        result = step()
    finally:
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
    peak = max(peak, _rss_bytes())
    return Measurement(seconds, (peak - start_rss) / 2**20, result)
