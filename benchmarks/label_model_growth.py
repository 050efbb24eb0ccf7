"""How the label models grow with the answers: seconds and peak memory, as a table and a plot.

    python benchmarks/label_model_growth.py --json build/growth.json --plot scaling/growth.png

Each size runs in a fresh process of scaling_benchmark.py (1,000 workers, --answers-per-task
answers per tweet, 20 by default): Snorkel's LabelModel and FastLabelModel at each of --answers
(none with a bare --answers), the Dask route (Parquet to Parquet, all processes counted) at each
of --dask-answers. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

BENCHMARK = Path(__file__).with_name("scaling_benchmark.py")
ROUTES = {"snorkel": "Snorkel LabelModel", "fast": "FastLabelModel", "dask": "Dask route"}


def run_benchmark(*options: str) -> dict:
    """One run of the scaling benchmark in a fresh process; its JSON."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "result.json"
        subprocess.run(
            [sys.executable, str(BENCHMARK), *options, "--json", str(out)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return json.loads(out.read_text())


def growth(answers: list[int], dask_answers: list[int], per_task: int) -> list[dict]:
    """Rows of (route, answers, seconds, peak_mib)."""
    rows = []
    density = ("--answers-per-task", str(per_task))
    for n in answers:
        result = run_benchmark("--steps", "label_model", "--tasks", str(n // per_task), *density)
        for route in ("snorkel", "fast"):
            rows.append({"route": route, "answers": n, **result["label_model"][route]})
    for n in dask_answers:
        options = ("--steps", "none", "--dask-answers", str(n), "--no-dask-baseline", *density)
        route = run_benchmark(*options)["dask_label_model"]
        rows.append(
            {
                "route": "dask",
                "answers": n,
                "seconds": route["seconds"],
                "peak_mib": route["peak_mib"],
            }
        )
    return rows


def markdown_table(rows: list[dict]) -> str:
    """The rows as a Markdown table."""
    lines = ["| route | answers | seconds | peak MiB |", "| --- | ---: | ---: | ---: |"]
    lines += [
        f"| {ROUTES[r['route']]} | {r['answers']:,} | {r['seconds']:.2f} | {r['peak_mib']:,.0f} |"
        for r in rows
    ]
    return "\n".join(lines)


def plot(rows: list[dict], path: Path, per_task: int) -> None:
    """Seconds and peak memory against answers, log-log, one line per route."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for route, label in ROUTES.items():
        mine = [r for r in rows if r["route"] == route]
        for ax, key in zip(axes, ("seconds", "peak_mib"), strict=True):
            ax.plot([r["answers"] for r in mine], [r[key] for r in mine], "o-", label=label)
    seconds = "seconds (fit; Dask route: Parquet to Parquet)"
    for ax, ylabel in zip(axes, (seconds, "peak memory (MiB), all processes"), strict=True):
        xlabel = f"answers ({per_task} per tweet, 1,000 workers)"
        ax.set(xscale="log", yscale="log", xlabel=xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(True, which="major", alpha=0.3)
    axes[0].legend()
    fig.suptitle("Label model cost as the crowd job grows")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, nargs="*", default=[100_000, 300_000, 1_000_000])
    parser.add_argument(
        "--dask-answers",
        type=int,
        nargs="+",
        default=[100_000, 1_000_000, 10_000_000, 30_000_000, 100_000_000],
    )
    parser.add_argument("--answers-per-task", type=int, default=20, help="default 20")
    parser.add_argument("--json", type=Path, help="write the rows to this file")
    parser.add_argument("--plot", type=Path, help="write the plot (PNG) to this file")
    args = parser.parse_args()
    rows = growth(args.answers, args.dask_answers, args.answers_per_task)
    print(markdown_table(rows))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2))
    if args.plot:
        plot(rows, args.plot, args.answers_per_task)


if __name__ == "__main__":
    main()
