"""Scaling benchmark: crowd label matrix, text LFs and label models on a synthetic crowd job.

    python benchmarks/scaling_benchmark.py --json build/scaling.json     # full size, all steps
    python benchmarks/scaling_benchmark.py --steps none --dask-answers 10000000  # Dask route only
    python benchmarks/scaling_benchmark.py --steps end_model --json build/end_model.json

Steps (seconds and peak memory each, printed as a table, optionally written as JSON):
1. the crowd part of the label matrix, vectorized, for all tasks;
2. the same through per-worker LFs and PandasLFApplier, timed on a sample and extrapolated;
3. the text LFs with PandasLFApplier and with DaskLFApplier on a local cluster, same tweets;
4. Snorkel's LabelModel on the label matrix, and FastLabelModel from the answers table
   (`label_model` in the JSON: both timings and the largest difference of their probabilities);
5. with --dask-answers N: the label model on Dask, Parquet answers to Parquet labels
   (`dask_label_model`; peak memory counts every process of the cluster), after the same on
   N/10 answers in this run (its figures as `baseline`; --no-dask-baseline skips it), each
   after a Dask pass that only reads every answer once (`read_pass_seconds`, and the route's
   `seconds_over_read_pass`).
`--steps label_model` runs only steps 1 and 4; `--steps none` only step 5.
`--steps end_model` runs the whole job on Dask instead (`end_model` in the JSON): Parquet answers
to labels, MiniLM embeddings per partition on the workers, a classifier trained partition by
partition on the probabilistic labels, its accuracy on held-out tweets against the synthetic
truth; each step's seconds and peak memory over all processes. With the Weather Sentiment data,
the real tweets (longer than the synthetic ones) are then embedded on the workers and in this
process on one thread, alternately: `embed_tweets_per_s_per_core`, `single_process_tweets_per_s`
and their ratio `embed_ratio`, in `end_model` and at the top of the JSON.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import scaling_steps

from crowdsourcing.data import DataError, load_sources
from scaling import steps
from scaling.synthetic_crowd import synthetic_crowd

#: The end-model route's embedding figures on the real tweets, also at the top of the JSON.
EMBED_KEYS = ("embed_tweets_per_s_per_core", "single_process_tweets_per_s", "embed_ratio")


def run(args: argparse.Namespace) -> dict:
    """The chosen steps; returns the parameters, one record per step and the derived figures."""
    result: dict = {"parameters": vars(args)}
    if args.steps == "end_model":
        result["end_model"] = scaling_steps.end_model_route(
            args.tasks, args.workers, args.answers_per_task, args.dask_workers,
            args.scheduler, args.seed, real_texts=real_texts(),
        )  # fmt: skip
        result |= {k: result["end_model"][k] for k in EMBED_KEYS if k in result["end_model"]}
    elif args.steps != "none":
        tweets, crowd = synthetic_crowd(args.tasks, args.workers, args.answers_per_task, args.seed)
        vectorized, L, workers = scaling_steps.vectorized(crowd, tweets)
        result["parameters"] |= {"answers": len(crowd), "lfs": L.shape[1]}
        records = [vectorized]
        if args.steps == "all":
            records += lf_and_text_steps(args, crowd, tweets, workers, vectorized, L, result)
        label_models, _, difference = steps.label_models(crowd, tweets, workers, L)
        snorkel, fast = ({"seconds": r["seconds"], "peak_mib": r["peak_mib"]} for r in label_models)
        result["label_model"] = {"snorkel": snorkel, "fast": fast, "max_abs_prob_diff": difference}
        result["steps"] = records + label_models
    if args.dask_answers:
        result["dask_label_model"] = dask_route_and_baseline(args)
    return result


def real_texts() -> list[str] | None:
    """The real gold tweets' texts, twice over (2,000 texts), or None without the data."""
    try:
        gold, _ = load_sources()
    except DataError as err:
        print(f"No real tweets to time the embeddings on: {err}")
        return None
    return gold["tweet_body"].dropna().astype(str).tolist() * 2


def dask_route_and_baseline(args: argparse.Namespace) -> dict:
    """Step 5 at --dask-answers, after the same at a tenth of them unless --no-dask-baseline;
    the baseline's figures and the ratio of times go into the record as `baseline`."""
    options = (args.workers, args.answers_per_task, args.dask_workers, args.scheduler, args.seed)
    if not args.dask_baseline:
        return scaling_steps.dask_route(args.dask_answers, *options)
    baseline = scaling_steps.dask_route(args.dask_answers // 10, *options)
    record = scaling_steps.dask_route(args.dask_answers, *options)
    record["baseline"] = {
        k: baseline[k] for k in ("answers", "seconds", "peak_mib", "load_average")
    }
    record["seconds_over_baseline"] = record["seconds"] / baseline["seconds"]
    return record


def lf_and_text_steps(args, crowd, tweets, workers, vectorized, L, result: dict) -> list[dict]:
    """Steps 2 and 3; adds their speed-ups to `result`."""
    per_worker = steps.lf_route(crowd, tweets, workers, L, args.lf_route_sample)
    text_sample = tweets.iloc[: args.text_sample]
    pandas_record, L_text = scaling_steps.text_lfs_pandas(text_sample)
    dask_record = scaling_steps.text_lfs_dask(text_sample, args.dask_workers, L_text)
    result["vectorized_speedup"] = per_worker["seconds"] / vectorized["seconds"]
    result["dask_speedup"] = pandas_record["seconds"] / dask_record["seconds"]
    return [per_worker, pandas_record, dask_record]


def print_table(result: dict) -> None:
    """The steps as a fixed-width table, then the derived figures."""
    if result.get("steps"):
        print(f"{'step':<46}{'tweets':>9}{'seconds':>10}{'peak MiB':>10}{'tweets/s':>12}")
    for r in result.get("steps", []):
        print(
            f"{r['step']:<46}{r['tweets']:>9}{r['seconds']:>10.2f}"
            f"{r['peak_mib']:>10.0f}{r['tweets_per_second']:>12.0f}"
        )
    if "vectorized_speedup" in result:
        print(f"vectorized builder vs per-worker LFs: {result['vectorized_speedup']:,.0f}x faster")
        print(f"DaskLFApplier vs PandasLFApplier:     {result['dask_speedup']:.2f}x")
    if "label_model" in result:
        lm = result["label_model"]
        speedup = lm["snorkel"]["seconds"] / lm["fast"]["seconds"]
        print(
            f"FastLabelModel vs LabelModel: {speedup:,.0f}x faster, "
            f"probabilities differ by at most {lm['max_abs_prob_diff']:.1e}"
        )
    if "end_model" in result:
        print_end_model(result["end_model"])
    if "dask_label_model" in result:
        d = result["dask_label_model"]
        print(
            f"Dask route: {d['answers']:,} answers to {d['tweets']:,} tweets' labels in "
            f"{d['seconds']:.1f} s, peak {d['peak_mib']:,.0f} MiB over all processes, "
            f"{d['max_abs_prob_diff']:.1e} from one process on {d['checked_tweets']:,} tweets"
        )
        print(
            f"  a Dask pass that only reads every answer once: {d['read_pass_seconds']:.1f} s, "
            f"so the route takes {d['seconds_over_read_pass']:.1f}x a read"
        )
    if "baseline" in result.get("dask_label_model", {}):
        d = result["dask_label_model"]
        print(
            f"  a tenth of the answers ({d['baseline']['answers']:,}) in the same run: "
            f"{d['baseline']['seconds']:.1f} s, so {d['seconds_over_baseline']:.1f}x the time"
        )


def print_end_model(e: dict) -> None:
    """The end-model route's steps, throughput and accuracies."""
    print(f"{'end-model route step':<40}{'seconds':>10}{'peak MiB':>10}")
    for r in e["steps"]:
        print(f"{r['step']:<40}{r['seconds']:>10.2f}{r['peak_mib']:>10.0f}")
    print(
        f"{e['tweets']:,} tweets in {e['seconds']:.1f} s, peak {e['peak_mib']:,.0f} MiB over all"
        f" processes; embeddings {e['synthetic_embed_tweets_per_s']:,.0f} tweets/s on"
        f" {e['cores']} cores ({e['synthetic_embed_tweets_per_s_per_core']:,.0f} per core,"
        f" {e['synthetic_mean_tokens']:.1f} tokens each)"
    )
    if "embed_ratio" in e:
        print(
            f"real tweets ({e['real_tweets']:,}, {e['real_mean_tokens']:.1f} tokens each):"
            f" {e['embed_tweets_per_s_per_core']:,.0f} tweets/s per core on the workers,"
            f" {e['single_process_tweets_per_s']:,.0f} in one process on one thread:"
            f" {e['embed_ratio']:.2f}x (load average {e['embed_load_average'][0]:.2f})"
        )
    print(
        f"accuracy on held-out tweets: end model {e['accuracy']:.3f},"
        f" label model {e['label_model_accuracy']:.3f}"
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line's options (`argv`, else sys.argv's)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000, help="tweets (default 100,000)")
    parser.add_argument("--workers", type=int, default=1_000, help="crowd workers (default 1,000)")
    parser.add_argument(
        "--answers-per-task", type=int, default=20, help="default 20, as in the real job"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--steps", choices=["all", "label_model", "none", "end_model"], default="all"
    )
    parser.add_argument(
        "--lf-route-sample", type=int, default=200, help="tweets to time the LF route on"
    )
    parser.add_argument(
        "--text-sample", type=int, default=20_000, help="tweets to apply the text LFs to"
    )
    parser.add_argument("--dask-workers", type=int, default=2, help="local Dask worker processes")
    parser.add_argument("--dask-answers", type=int, help="run the Dask route on this many answers")
    parser.add_argument(
        "--dask-baseline",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="first run the Dask route on a tenth of --dask-answers, to compare (default: yes)",
    )
    parser.add_argument(
        "--scheduler", help="a Dask scheduler address to use instead of a local one"
    )
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    result = run(args)
    print_table(result)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
