"""Measure one step of a pipeline: wall time, and the peak resident memory it added.

Memory is sampled while the step runs, so it counts NumPy, pandas and torch allocations alike:
this process's resident set every millisecond, or with ``children=True`` that of this process
and all its descendants (e.g. a local Dask cluster's workers) every 10 ms.
`Stopwatch` only times: a notebook cell calls `lap(name)` after each step it wants timed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psutil

__all__ = ["Measurement", "Stopwatch", "measure"]


def _rss_bytes(process: psutil.Process, children: bool) -> int:
    """Resident set size of `process`, plus its descendants' if `children`."""
    tree = [process, *process.children(recursive=True)] if children else [process]
    total = 0
    for p in tree:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:  # ended between listing and reading
            pass
    return total


@dataclass
class Measurement:
    """What `measure` saw of one call."""

    seconds: float
    peak_mib: float  # peak resident memory above what was held when the step began
    result: Any = None


def measure(
    step: Callable[[], Any], children: bool = False, interval: float | None = None
) -> Measurement:
    """Run `step()` once, timing it and sampling memory every `interval` seconds (default 10 ms
    with `children`, else 1 ms) in a background thread."""
    process = psutil.Process()
    start_rss = peak = _rss_bytes(process, children)
    interval = interval or (0.01 if children else 0.001)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(interval):
            peak = max(peak, _rss_bytes(process, children))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    try:
        result = step()
    finally:
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
    peak = max(peak, _rss_bytes(process, children))
    return Measurement(seconds, (peak - start_rss) / 2**20, result)


class Stopwatch:
    """Wall time between laps: `restart()`, run a step, `lap(name)`; `laps` keeps every lap."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self.restart()

    def restart(self) -> None:
        """Start timing the next lap now."""
        self._started = time.perf_counter()

    def lap(self, name: str) -> float:
        """Seconds since the last lap (or restart), stored under `name`; the next lap starts."""
        now = time.perf_counter()
        self.laps[name] = now - self._started
        self._started = now
        return self.laps[name]
