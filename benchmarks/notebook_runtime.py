"""Wall time and peak memory of executing the tutorial notebooks with nbconvert.

Run from anywhere, with the data cached or WEATHER_SENTIMENT_DIR set:

    python benchmarks/notebook_runtime.py [--repeat 3] [--json results.json] [notebook ...]

A notebook is named (`crowdsourcing`, `scaling`) or given as a path. A path into another checkout
of this project (an older revision, say, from `git worktree add`) runs with that checkout's helper
packages first on the import path, so two revisions can be timed side by side in one run; the
runs alternate between the notebooks, so a change in the machine's load hits all of them alike.

Wall time is that of the whole `jupyter nbconvert --execute` command (kernel start included);
peak memory is the largest resident set among its processes (the kernel, in practice).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = {
    "crowdsourcing": ROOT / "crowdsourcing" / "crowdsourcing.ipynb",
    "scaling": ROOT / "scaling" / "scaling_tutorial.ipynb",
}


def checkout_of(notebook: Path) -> Path:
    """The top folder of the git checkout that holds `notebook`."""
    top = subprocess.run(["git", "-C", str(notebook.parent), "rev-parse", "--show-toplevel"],
                         check=True, capture_output=True, text=True).stdout.strip()  # fmt: skip
    return Path(top).resolve()


def run_once(notebook: Path) -> tuple[float, float]:
    """Execute `notebook` in a fresh nbconvert process: (seconds, peak MiB of that process tree)."""
    env = dict(os.environ)
    if checkout_of(notebook) != ROOT:
        env["PYTHONPATH"] = os.pathsep.join([str(checkout_of(notebook)), env.get("PYTHONPATH", "")])
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
            cmd, check=True, capture_output=True, text=True, env=env
        ).stdout.split()
    return float(seconds), float(mib)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "notebooks", nargs="*", help=f"any of {list(NOTEBOOKS)}, or a path (default: all named)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per notebook (default 3)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    notebooks = {}
    for name in args.notebooks or NOTEBOOKS:
        path = NOTEBOOKS.get(name) or Path(name).resolve()
        if not path.is_file():
            parser.error(f"{name} is neither a file nor one of {list(NOTEBOOKS)}")
        notebooks[name] = path

    runs: dict[str, list[dict]] = {name: [] for name in notebooks}
    width = max(16, *(len(name) + 2 for name in notebooks))
    print(f"{'notebook':<{width}}{'run':>4}{'wall s':>9}{'peak MiB':>10}")
    for i in range(args.repeat):
        for name, path in notebooks.items():
            seconds, mib = run_once(path)
            runs[name].append({"seconds": round(seconds, 2), "peak_mib": round(mib)})
            print(f"{name:<{width}}{i + 1:>4}{seconds:>9.2f}{mib:>10.0f}")
    results = {}
    for name, done in runs.items():
        results[name] = {
            "runs": done,
            "median_seconds": sorted(r["seconds"] for r in done)[len(done) // 2],
            "max_peak_mib": max(r["peak_mib"] for r in done),
        }
        print(f"{name:<{width}}{'med':>4}{results[name]['median_seconds']:>9.2f}"
              f"{results[name]['max_peak_mib']:>10.0f}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
