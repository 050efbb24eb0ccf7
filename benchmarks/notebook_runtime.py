"""Wall time and peak memory of executing the tutorial notebooks with nbconvert.

Run from anywhere, with the data cached or WEATHER_SENTIMENT_DIR set:

    python benchmarks/notebook_runtime.py [--repeat 3] [--json results.json] [notebook ...]

Wall time is that of the whole `jupyter nbconvert --execute` command (kernel start included);
peak memory is the largest resident set among its processes (the kernel, in practice).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = {
    "crowdsourcing": ROOT / "crowdsourcing" / "crowdsourcing_tutorial.ipynb",
    "scaling": ROOT / "scaling" / "scaling_tutorial.ipynb",
}


def run_once(notebook: Path) -> tuple[float, float]:
    """Execute `notebook` in a fresh nbconvert process: (seconds, peak MiB of that process tree)."""
    with tempfile.TemporaryDirectory() as out:
        # A child process per run, so that RUSAGE_CHILDREN's peak belongs to this run alone.
        probe = (
            "import resource, subprocess, sys, time\n"
            "t = time.perf_counter()\n"
            "subprocess.run(sys.argv[1:], check=True, capture_output=True)\n"
            "print(time.perf_counter() - t, "
            "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)\n"
        )
        cmd = [
            sys.executable, "-c", probe,
            sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
            "--output-dir", out, str(notebook),
        ]  # fmt: skip
        seconds, mib = subprocess.run(
            cmd, check=True, capture_output=True, text=True
        ).stdout.split()
    return float(seconds), float(mib)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help=f"any of {list(NOTEBOOKS)} (default: all)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per notebook (default 3)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    unknown = set(args.notebooks) - set(NOTEBOOKS)
    if unknown:
        parser.error(f"unknown notebook(s) {sorted(unknown)}; choose from {list(NOTEBOOKS)}")

    results = {}
    print(f"{'notebook':<16}{'run':>4}{'wall s':>9}{'peak MiB':>10}")
    for name in args.notebooks or NOTEBOOKS:
        runs = []
        for i in range(args.repeat):
            seconds, mib = run_once(NOTEBOOKS[name])
            runs.append({"seconds": round(seconds, 2), "peak_mib": round(mib)})
            print(f"{name:<16}{i + 1:>4}{seconds:>9.2f}{mib:>10.0f}")
        results[name] = {
            "runs": runs,
            "median_seconds": sorted(r["seconds"] for r in runs)[len(runs) // 2],
            "max_peak_mib": max(r["peak_mib"] for r in runs),
        }
        print(f"{name:<16}{'med':>4}{results[name]['median_seconds']:>9.2f}"
              f"{results[name]['max_peak_mib']:>10.0f}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
