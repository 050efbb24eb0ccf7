"""How FastLabelModel's memory grows with the crowd: its fit from overlap counts (the part the
Dask route runs in the calling process) for crowds of growing size at a fixed number of answers.

    .tox/tutorial/bin/python benchmarks/label_model_memory.py --json build/crowd_memory.json

Each crowd size runs in a fresh process: a synthetic job of --answers answers (20 per tweet),
its overlap counts, then `FastLabelModel.fit_counts` with the tutorial's options on one torch
thread, timed, with the peak memory it added to the process (`fit_peak_mib`) and the process's
peak resident memory (`process_peak_mib`, Python, pandas and torch included). Prints a Markdown
table.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from pathlib import Path


def one(n_workers: int, n_answers: int, per_task: int) -> dict:
    """The fit's figures for one crowd, in this process."""
    import torch

    from crowdsourcing.label_model import FastLabelModel
    from crowdsourcing.votes import crowd_votes, frequent_workers, overlap_counts
    from scaling.measure import measure
    from scaling.steps import FIT_OPTIONS
    from scaling.synthetic_crowd import synthetic_crowd

    torch.set_num_threads(1)
    tweets, crowd = synthetic_crowd(n_answers // per_task, n_workers, per_task, seed=0)
    workers = frequent_workers(crowd)
    counts = overlap_counts(crowd_votes(crowd, tweets.index, workers))
    del crowd
    model = FastLabelModel(cardinality=2, verbose=False)
    fit = measure(lambda: model.fit_counts(counts, len(tweets), progress_bar=False, **FIT_OPTIONS))
    return {
        "workers": n_workers,
        "lfs": 2 * len(workers),
        "answers": n_answers,
        "nonzero_counts": int(counts.nnz),
        "sparse": model.O.layout == torch.sparse_csr,
        "seconds": fit.seconds,
        "fit_peak_mib": fit.peak_mib,
        "process_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def in_fresh_process(n_workers: int, n_answers: int, per_task: int) -> dict:
    """`one(...)` in a new Python process, so that no earlier size's memory is reused."""
    options = ["--one", str(n_workers), "--answers", str(n_answers), "--per-task", str(per_task)]
    run = subprocess.run(
        [sys.executable, __file__, *options], check=True, capture_output=True, text=True
    )
    return json.loads(run.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[500, 1_000, 2_000, 4_000, 8_000])
    parser.add_argument("--answers", type=int, default=200_000)
    parser.add_argument("--per-task", type=int, default=20, help="answers per tweet")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.answers, args.per_task)))
        return
    rows = [in_fresh_process(n, args.answers, args.per_task) for n in args.workers]
    print("| workers | LFs | nonzero counts | O | fit s | fit peak MiB | process peak MiB |")
    print("|---:|---:|---:|:--|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['workers']:,} | {r['lfs']:,} | {r['nonzero_counts']:,} |"
            f" {'sparse' if r['sparse'] else 'dense'} | {r['seconds']:.1f} |"
            f" {r['fit_peak_mib']:,.0f} | {r['process_peak_mib']:,.0f} |"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
