"""Scaling benchmark: the crowd label matrix, text LFs and LabelModel on a synthetic crowd job.

    python benchmarks/scaling.py                       # full size: 1,000,000 answers
    python benchmarks/scaling.py --tasks 20000 --workers 200 --json build/scaling.json

Steps (seconds and peak memory each, printed as a table, optionally written as JSON):
1. the crowd part of the label matrix, vectorized, for all tasks;
2. the same through per-worker LFs and PandasLFApplier, timed on a sample and extrapolated;
3. the text LFs with PandasLFApplier and with DaskLFApplier on a local cluster, same tweets;
4. a LabelModel fitted on the vectorized crowd matrix.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "crowdsourcing"))

import scaling_benchmark as steps  # noqa: E402
from synthetic_crowd import synthetic_crowd  # noqa: E402


def run(args: argparse.Namespace) -> dict:
    """All steps; returns the parameters, one record per step and the derived ratios."""
    tweets, crowd = synthetic_crowd(args.tasks, args.workers, args.answers_per_task, args.seed)
    vectorized, L, workers = steps.vectorized(crowd, tweets)
    per_worker = steps.lf_route(crowd, tweets, workers, L, args.lf_route_sample)
    text_sample = tweets.iloc[: args.text_sample]
    pandas_record, L_text = steps.text_lfs_pandas(text_sample)
    dask_record = steps.text_lfs_dask(text_sample, args.dask_workers, L_text)
    label_model, _ = steps.label_model_fit(L)
    records = [vectorized, per_worker, pandas_record, dask_record, label_model]
    return {
        "parameters": vars(args) | {"answers": len(crowd), "lfs": L.shape[1]},
        "steps": records,
        "vectorized_speedup": per_worker["seconds"] / vectorized["seconds"],
        "dask_speedup": pandas_record["seconds"] / dask_record["seconds"],
    }


def print_table(result: dict) -> None:
    """The steps as a fixed-width table, then the ratios."""
    print(f"{'step':<46}{'tweets':>9}{'seconds':>10}{'peak MiB':>10}{'tweets/s':>12}")
    for r in result["steps"]:
        print(
            f"{r['step']:<46}{r['tweets']:>9}{r['seconds']:>10.2f}"
            f"{r['peak_mib']:>10.0f}{r['tweets_per_second']:>12.0f}"
        )
    print(f"vectorized builder vs per-worker LFs: {result['vectorized_speedup']:,.0f}x faster")
    print(f"DaskLFApplier vs PandasLFApplier:     {result['dask_speedup']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000, help="tweets (default 100,000)")
    parser.add_argument("--workers", type=int, default=1_000, help="crowd workers (default 1,000)")
    parser.add_argument("--answers-per-task", type=int, default=10, help="default 10")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--lf-route-sample", type=int, default=200, help="tweets to time the LF route on"
    )
    parser.add_argument(
        "--text-sample", type=int, default=20_000, help="tweets to apply the text LFs to"
    )
    parser.add_argument("--dask-workers", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    result = run(args)
    print_table(result)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
