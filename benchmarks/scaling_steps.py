"""The scaling benchmark's steps that the notebook does not use: the vectorized crowd matrix,
the text LFs with pandas and Dask, the label model on Dask, and the end-model route.

Each step returns a record like `scaling.steps`' (what was done, on how many tweets, seconds,
peak memory in MiB and throughput).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pyarrow.parquet as pq
from dask.distributed import wait
from snorkel.labeling import PandasLFApplier

from crowdsourcing.embeddings import embed_texts
from crowdsourcing.label_model import FastLabelModel
from crowdsourcing.votes import (
    crowd_label_matrix,
    crowd_votes,
    frequent_workers,
    overlap_counts,
    workers_above,
)
from scaling.answer_files import answer_files
from scaling.answer_reading import read_answers
from scaling.answers import write_answers
from scaling.cluster import dask_client
from scaling.dask_label_model import fit_and_label
from scaling.dask_lfs import apply_with_dask
from scaling.end_model import (
    accuracy_on_partitions,
    cached_encoder,
    embed_partitions,
    load_encoder_on_workers,
    train_on_partitions,
    write_tweets,
)
from scaling.measure import measure
from scaling.output_folder import atomic_folder, write_part
from scaling.steps import FIT_OPTIONS, _record
from scaling.synthetic_crowd import synthetic_crowd, write_synthetic_answers
from scaling.synthetic_lfs import TEXT_LFS, reset_caches

__all__ = ["dask_route", "end_model_route", "text_lfs_dask", "text_lfs_pandas", "vectorized"]

#: Tweets per Parquet file of the Dask route's answers (two million answers at 20 per tweet).
TWEETS_PER_FILE = 100_000


#: Tweets per Parquet file (so per partition) in the end-model route: enough partitions to keep
#: every worker busy at 100,000 tweets, 7.7 MB of embeddings each.
END_MODEL_TWEETS_PER_FILE = 5_000


#: Real tweets per Parquet file when their embedding is timed: 8 files for 2,000 tweets, so
#: 4 per worker on 2 workers.
REAL_TWEETS_PER_FILE = 250
#: Seconds between memory samples in the end-model route: its steps last seconds to minutes, and
#: listing every process of the cluster each 10 ms took as much CPU as a worker on 2 cores.
SLOW_SAMPLING = 0.2


def vectorized(crowd: pd.DataFrame, tweets: pd.DataFrame) -> tuple[dict, np.ndarray, list[int]]:
    """Build the crowd label matrix for all tweets straight from the answers table."""
    m = measure(lambda: _build(crowd, tweets.index))
    L, workers = m.result
    record = _record(
        "crowd matrix, vectorized", len(tweets), m.seconds, m.peak_mib, answers=len(crowd)
    )
    return record, L, workers


def _build(crowd: pd.DataFrame, tweet_ids: pd.Index) -> tuple[np.ndarray, list[int]]:
    workers = frequent_workers(crowd)
    return crowd_label_matrix(crowd, tweet_ids, workers), workers


def text_lfs_pandas(tweets: pd.DataFrame) -> tuple[dict, np.ndarray]:
    """The text LFs on one process with PandasLFApplier, memo caches empty."""
    reset_caches()
    m = measure(lambda: PandasLFApplier(TEXT_LFS).apply(tweets, progress_bar=False))
    return _record("text LFs, PandasLFApplier", len(tweets), m.seconds, m.peak_mib), m.result


def text_lfs_dask(tweets: pd.DataFrame, n_workers: int, expected: np.ndarray) -> dict:
    """The text LFs with DaskLFApplier on a local cluster this starts; checks the matrix.

    Starting the cluster and warming its workers up (imports, lexicons loaded on first use) is
    timed apart from the work, as `cluster_start_seconds`.
    """
    started = time.perf_counter()
    with dask_client(n_workers) as client:
        client.run(_warm_up, tweets.head(2))
        start_seconds = time.perf_counter() - started
        reset_caches()
        apply = measure(lambda: apply_with_dask(TEXT_LFS, tweets, client))
    if not np.array_equal(apply.result, expected):
        raise AssertionError("DaskLFApplier and PandasLFApplier disagree")
    step = f"text LFs, DaskLFApplier ({n_workers} workers)"
    return _record(
        step, len(tweets), apply.seconds, apply.peak_mib, cluster_start_seconds=start_seconds
    )


def _warm_up(tweets: pd.DataFrame) -> None:
    """Run the text LFs once in this process, so lazy loading is not timed."""
    PandasLFApplier(TEXT_LFS).apply(tweets, progress_bar=False)


def dask_route(
    n_answers: int,
    n_workers: int,
    answers_per_task: int = 20,
    dask_workers: int = 2,
    address: str | None = None,
    seed: int = 0,
    checked_files: int = 3,
) -> dict:
    """The label model on Dask, end to end: a synthetic job's Parquet answers to Parquet labels.

    The answers are written file by file before the clock starts. Time and peak memory include
    starting the local cluster and count all its processes (`rss_before_mib`: what this process
    held before). A pass on a cluster of its own that only reads every answer once, start-up
    included, is timed first (`read_pass_seconds`; `seconds_over_read_pass` is the route's
    time over it). The model is then fitted again in this process from the same files, read one at
    a time, and its probabilities compared with the labels written for `checked_files` files
    spread over the job (`max_abs_prob_diff` over `checked_tweets`).
    """
    n_tweets = n_answers // answers_per_task
    with tempfile.TemporaryDirectory() as folder:
        answers, labels = Path(folder) / "answers", Path(folder) / "labels"
        write_synthetic_answers(
            answers, n_tweets, n_workers, answers_per_task, seed, tasks_per_file=TWEETS_PER_FILE
        )
        rss_before = psutil.Process().memory_info().rss / 2**20
        read_pass = measure(lambda: _read_pass(answers, dask_workers, address), children=True)
        route = measure(
            lambda: _fit_and_label(answers, labels, dask_workers, address), children=True
        )
        load = os.getloadavg()
        marker = json.loads((labels / "_SUCCESS").read_text())
        checked, difference = _check_labels(answer_files(answers), labels, checked_files)
    return {
        "answers": marker["answers"],
        "tweets": marker["labelled"],
        "workers": n_workers,
        "seconds": route.seconds,
        "peak_mib": route.peak_mib,
        "max_abs_prob_diff": difference,
        "checked_tweets": checked,
        "rss_before_mib": rss_before,
        "load_average": load,
        "read_pass_seconds": read_pass.seconds,
        "seconds_over_read_pass": route.seconds / read_pass.seconds,
    }


def _check_labels(files: list[Path], labels: Path, n_checked: int) -> tuple[int, float]:
    """FastLabelModel fitted in this process from `files`, one at a time; the number of tweets
    of `n_checked` files spread over them, and the largest difference from their labels."""
    answers_per_worker = pd.concat([_answers(f)["worker_id"].value_counts() for f in files])
    per_worker = answers_per_worker.groupby(level=0).sum()
    workers = workers_above(per_worker)
    counts, n_tweets = 0, 0
    for file in files:
        answers = _answers(file)
        tweets = answers.index.unique()
        counts, n_tweets = (
            counts + overlap_counts(crowd_votes(answers, tweets, workers)),
            n_tweets + len(tweets),
        )
    model = FastLabelModel(cardinality=2, verbose=False)
    model.fit_counts(counts, n_tweets, progress_bar=False, **FIT_OPTIONS)
    checked, difference = 0, 0.0
    for i in np.unique(np.linspace(0, len(files) - 1, n_checked).round().astype(int)):
        answers = _answers(files[i])
        tweets = answers.index.unique()
        expected = model.predict_proba(crowd_votes(answers, tweets, workers))
        written = pd.read_parquet(labels / f"part-{i:05d}.parquet").set_index("tweet_id")
        actual = written.loc[tweets, ["p_0", "p_1"]].to_numpy()
        checked, difference = (
            checked + len(tweets),
            max(difference, np.abs(actual - expected).max()),
        )
    return checked, float(difference)


def _answers(file: Path) -> pd.DataFrame:
    """One answers file, indexed by tweet id."""
    return read_answers(file).set_index("tweet_id")


def _read_pass(answers: Path, dask_workers: int, address: str | None) -> int:
    """Start (or reach) the cluster and read every answer once, a task per file: the floor
    that `fit_and_label` is compared with. Returns the number of answers read."""
    with dask_client(dask_workers, address) as client:
        tasks = client.map(_read_every_answer, answer_files(answers), pure=False)
        return sum(client.gather(tasks))


def _read_every_answer(path: Path) -> int:
    """Read one answers file whole; its number of rows."""
    return pq.read_table(path).num_rows


def _fit_and_label(answers: Path, labels: Path, dask_workers: int, address: str | None) -> None:
    """Start (or reach) the cluster, fit on the answers and write the labels."""
    with dask_client(dask_workers, address) as client:
        fit_and_label(answers, labels, client, **FIT_OPTIONS)


def end_model_route(
    n_tweets: int = 100_000,
    n_workers: int = 1_000,
    answers_per_task: int = 20,
    dask_workers: int = 2,
    address: str | None = None,
    seed: int = 0,
    epochs: int = 5,
    real_texts: list[str] | None = None,
) -> dict:
    """A synthetic job's Parquet answers and tweets to a trained end model, on Dask, measured.

    Each step (cluster start-up, label model, loading the encoder on the workers, embeddings,
    training, scoring) has its seconds and peak memory over all processes; writing the job's
    files is not timed; `seconds` is the steps' sum, `peak_mib` the peak over all processes
    above what this process held before. Accuracies are on the held-out tweets, against the
    synthetic truth.
    With `real_texts` (the real tweets, longer than the synthetic ones), the route's embedding
    throughput on them is compared with one process on one thread's, on the same cluster
    (`embedding_comparison`; its figures at the top of the result).
    """
    tweets, crowd = synthetic_crowd(n_tweets, n_workers, answers_per_task, seed)
    with tempfile.TemporaryDirectory() as folder:
        paths = {name: Path(folder) / name for name in ("answers", "tweets", "labels")}
        write_answers(crowd, paths["answers"], tweets_per_file=END_MODEL_TWEETS_PER_FILE)
        write_tweets(tweets, paths["tweets"], END_MODEL_TWEETS_PER_FILE)
        del crowd
        whole = measure(
            lambda: _end_model_steps(paths, dask_workers, address, seed, epochs, real_texts),
            children=True,
            interval=SLOW_SAMPLING,
        )
    records, cores, accuracies, comparison = whole.result
    texts = tweets.tweet_text.dropna().tolist()
    embed = next(r for r in records if r["step"] == "embeddings")
    return {
        "tweets": n_tweets,
        "answers_per_task": answers_per_task,
        "dask_workers": dask_workers,
        "cores": cores,
        **comparison,
        "synthetic_embed_tweets_per_s": embed["tweets_per_second"],
        "synthetic_embed_tweets_per_s_per_core": embed["tweets_per_second"] / cores,
        "synthetic_mean_tokens": mean_tokens(texts[:2_000]),
        "seconds": sum(r["seconds"] for r in records),  # the steps, back to back
        "peak_mib": whole.peak_mib,
        **accuracies,
        "steps": records,
    }


def _end_model_steps(
    paths: dict[str, Path],
    dask_workers: int,
    address: str | None,
    seed: int,
    epochs: int,
    real_texts: list[str] | None,
) -> tuple[list[dict], int, dict, dict]:
    """The measured steps of `end_model_route`, on one cluster, and `embedding_comparison`'s
    figures on `real_texts` (none without them)."""
    n = len(pd.read_parquet(paths["tweets"], columns=["tweet_id"]))
    records = []

    def step(name: str, run, tweets: int = n):
        m = measure(run, children=True, interval=SLOW_SAMPLING)
        records.append(_record(name, tweets, m.seconds, m.peak_mib))
        return m.result

    with ExitStack() as stack:
        client = step(
            "cluster start-up", lambda: stack.enter_context(dask_client(dask_workers, address))
        )
        cores = _cores(client, address)
        step(
            "label model (fit_and_label)",
            lambda: fit_and_label(paths["answers"], paths["labels"], client, **FIT_OPTIONS),
        )
        step("encoder loaded on the workers", lambda: load_encoder_on_workers(client), 0)
        parts = step(
            "embeddings",
            lambda: _computed(embed_partitions(paths["tweets"], paths["labels"], client)),
        )
        model = step(
            "classifier, partial_fit per partition",
            lambda: train_on_partitions(parts, client, epochs, seed),
        )
        accuracy = step("scoring", lambda: accuracy_on_partitions(model, parts, client))
        result = {
            "accuracy": accuracy,
            "label_model_accuracy": accuracy_on_partitions(None, parts, client),
        }
        comparison = embedding_comparison(real_texts, client, cores) if real_texts else {}
    return records, cores, result, comparison


def embedding_comparison(texts: list[str], client, cores: int, repeats: int = 3) -> dict:
    """Tweets per second per core embedding `texts` on the workers, as the route does (Parquet
    files of `REAL_TWEETS_PER_FILE` tweets joined with labels by `embed_partitions`), and in
    this process on one thread (`embed_texts(..., threads=1)`), alternately `repeats` times;
    the medians, their ratio (`embed_ratio`) and the load average at the end.
    """
    tokenizer, model = cached_encoder()
    embed_texts(texts[:64], tokenizer, model, threads=1)  # torch's first-call set-up, untimed
    route, single = [], []
    with tempfile.TemporaryDirectory() as folder:
        tweets, labels = _real_job(texts, Path(folder))
        for _ in range(repeats):
            single.append(_seconds(lambda: embed_texts(texts, tokenizer, model, threads=1)))
            route.append(_seconds(lambda: _computed(embed_partitions(tweets, labels, client))))
    per_core = len(texts) / float(np.median(route)) / cores
    one_thread = len(texts) / float(np.median(single))
    return {
        "embed_tweets_per_s_per_core": per_core,
        "single_process_tweets_per_s": one_thread,
        "embed_ratio": per_core / one_thread,
        "real_tweets": len(texts),
        "real_mean_tokens": mean_tokens(texts),
        "embed_seconds": {"route": route, "single_process": single},
        "embed_load_average": os.getloadavg(),
    }


def _real_job(texts: list[str], folder: Path) -> tuple[Path, Path]:
    """`texts` as the route's tweets and labels files (ids 0, 1, ...; every p_1 one half)."""
    ids = pd.RangeIndex(len(texts), name="tweet_id")
    write_tweets(
        pd.DataFrame({"tweet_text": texts}, index=ids), folder / "tweets", REAL_TWEETS_PER_FILE
    )
    labels = pd.DataFrame({"tweet_id": ids, "p_0": 0.5, "p_1": 0.5})
    with atomic_folder(folder / "labels") as temporary:
        for part, start in enumerate(range(0, len(texts), REAL_TWEETS_PER_FILE)):
            write_part(labels.iloc[start : start + REAL_TWEETS_PER_FILE], temporary, part)
    return folder / "tweets", folder / "labels"


def _seconds(run) -> float:
    """Wall-clock seconds of `run()`, with no sampling thread beside it."""
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def mean_tokens(texts: list[str]) -> float:
    """Mean number of MiniLM tokens per text, [CLS] and [SEP] included."""
    tokenizer, _ = cached_encoder()
    return float(np.mean([len(ids) for ids in tokenizer(texts)["input_ids"]]))


def _computed(futures: list) -> list:
    """`futures`, once all of them are done (their results stay on the workers)."""
    wait(futures)
    return futures


def _cores(client, address: str | None) -> int:
    """Cores the workers compute on: their threads, and at most this machine's cores if local."""
    threads = sum(w["nthreads"] for w in client.scheduler_info()["workers"].values())
    return threads if address else min(threads, os.cpu_count() or 1)
