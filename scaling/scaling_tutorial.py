# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Scaling up: the same pipeline on a crowdsourcing job of real size
#
# The tutorial builds the crowd part of its label matrix with one Python LF call per worker per tweet.
# With 136 LFs and 237 tweets that is instant; with 1,000 workers (2,000 LFs) and 100,000 tweets it is 200 million calls.
# This notebook measures the routes that scale, on a synthetic job with the same shape as the real one:
#
# 1. the crowd label matrix built straight from the answers table, against the per-worker LFs;
# 2. the text LFs spread over processes with [Snorkel](https://snorkel.readthedocs.io/)'s `DaskLFApplier`, against `PandasLFApplier`;
# 3. Snorkel's `LabelModel` ([source](https://github.com/snorkel-team/snorkel/blob/v0.10.0/snorkel/labeling/model/label_model.py), [paper](https://arxiv.org/abs/1810.02840)) against `FastLabelModel`, the same model computed from the answers table;
# 4. the label model on a [Dask](https://distributed.dask.org/) cluster, from answers stored as Parquet to labels stored as Parquet.
#
# The parameters below set the job's size; `benchmarks/scaling_benchmark.py` runs the same steps at full size (1,000,000 answers), and this folder's [README](README.md) shows how the label models grow with the job.

# %% tags=["parameters"]
n_tasks = 20_000  # tweets
n_workers = 200
answers_per_task = 10
lf_route_sample = 200  # tweets to time the per-worker LF route on, then extrapolate
text_sample = 2_000  # tweets to apply the text LFs to, on one process and with Dask
dask_workers = 2
metrics_path = None  # a file name here makes the notebook write its figures as JSON

# %% [markdown]
# ## A synthetic crowd job
#
# Each tweet is answered by `answers_per_task` distinct workers; each worker is right with its own accuracy (55% to 95%) and otherwise picks one of the other four answers.
# The texts are short templates with weather and sentiment words, and a few tweets have no text at all, as real data sometimes do.

# %%
from scaling import steps
from scaling.synthetic_crowd import synthetic_crowd

tweets, crowd_answers = synthetic_crowd(n_tasks, n_workers, answers_per_task, seed=0)
print(
    f"{len(crowd_answers):,} answers from {crowd_answers.worker_id.nunique():,} workers",
    f"on {len(tweets):,} tweets",
)
tweets.head()

# %% [markdown]
# ## The crowd label matrix, two ways
#
# `crowd_label_matrix` (in `crowdsourcing/crowd_matrix.py`) places every answer in its cell with array indexing: one pass over the answers, no Python call per tweet.
# It stores the matrix as int8, an eighth of the int64 that Snorkel's appliers return, with the same values.

# %%
vectorized, L_crowd, workers = steps.vectorized(crowd_answers, tweets)
print(f"{L_crowd.shape[0]:,} x {L_crowd.shape[1]:,} label matrix in {vectorized['seconds']:.3f} s")

# %% [markdown]
# The LF route builds a positive and a negative LF per worker, as the tutorial does (`worker_lfs` in `scaling/synthetic_lfs.py`), and applies them with `PandasLFApplier`.
# It is timed on a random sample of tweets and extrapolated to all of them; on that sample its matrix must equal the vectorized one, or the step fails.

# %%
per_worker = steps.lf_route(crowd_answers, tweets, workers, L_crowd, lf_route_sample)
print(
    f"{per_worker['measured_tweets']:,} tweets in {per_worker['measured_seconds']:.2f} s, "
    f"so about {per_worker['seconds']:,.0f} s for all {len(tweets):,}: "
    f"{per_worker['seconds'] / vectorized['seconds']:,.0f} times the vectorized build"
)

# %% [markdown]
# ## Text LFs on several processes
#
# The text LFs (`scaling/synthetic_lfs.py`) threshold [TextBlob](https://textblob.readthedocs.io/)'s polarity and [VADER](https://github.com/cjhutto/vaderSentiment)'s compound score, so they are real Python work, and the work is independent per tweet.
# `DaskLFApplier` splits the tweets into partitions and labels them on the workers of a [`dask.distributed`](https://distributed.dask.org/) cluster; here a local one with `dask_workers` processes, started by the code itself.
#
# Two details make LFs fit for this.
# Dask first calls the LFs on placeholder rows to learn the output's type, and those rows have no text: every LF abstains on a missing text instead of failing.
# And the preprocessors store their scores as entries of the row, not as attributes, which a pandas row loses when it is pickled for a worker.
# The memo caches are emptied before each run, so neither applier reuses the other's work.

# %%
import os

text_tweets = tweets.iloc[:text_sample]
pandas_record, L_text = steps.text_lfs_pandas(text_tweets)
dask_record = steps.text_lfs_dask(text_tweets, dask_workers, expected=L_text)
print(f"Same matrix from both appliers: {L_text.shape[0]:,} tweets x {L_text.shape[1]} LFs")
print(f"PandasLFApplier: {pandas_record['tweets_per_second']:,.0f} tweets/s")
print(
    f"DaskLFApplier:   {dask_record['tweets_per_second']:,.0f} tweets/s"
    f" on {dask_workers} worker processes "
    f"(cluster start-up {dask_record['cluster_start_seconds']:.1f} s, not included), "
    f"{pandas_record['seconds'] / dask_record['seconds']:.2f} times as fast,"
    f" on a machine with {os.cpu_count()} cores"
)

# %% [markdown]
# The gain is bounded by the number of worker processes and by the cores they share, less the cost of shipping partitions; on a cluster of many machines the same code scales with the workers.
#
# ## The label model on the whole job
#
# Snorkel 0.10's `LabelModel` turns the label matrix into a dense one-hot matrix of tweets × (LFs · classes) floats, multiplies it by itself to get the overlap matrix O, and in every training step computes a loss over all (LFs · classes)² entries of O.
# Its cost therefore grows with tweets times LFs squared, the wall that Snorkel's users report with many LFs or many rows ([#1656](https://github.com/snorkel-team/snorkel/issues/1656), [#1634](https://github.com/snorkel-team/snorkel/issues/1634), [#1537](https://github.com/snorkel-team/snorkel/issues/1537)).
#
# `FastLabelModel` (`scaling/fast_label_model.py`) is the same model: it subclasses `LabelModel` and keeps its objective, initialization, optimizer, learning-rate schedule, clamping and symmetry breaking.
# It builds a sparse one-hot matrix straight from the answers table (one stored entry per vote), O from it with one sparse product, and, because independent LFs make the loss's mask remove only each LF's own block, the loss and its gradient from one product of O with the (LFs · classes) × classes parameters per step.
# Both models are fitted below with the tutorial's options, and the probabilities they give each tweet are compared.

# %%
label_model_records, fast_model, prob_diff = steps.label_models(
    crowd_answers, tweets, workers, L_crowd
)
snorkel_fit, fast_fit = label_model_records
accuracy = (
    fast_model.predict(L_crowd, tie_break_policy="random") == tweets.sentiment.to_numpy()
).mean()
print(f"LabelModel:     {snorkel_fit['seconds']:.2f} s, peak {snorkel_fit['peak_mib']:,.0f} MiB")
print(
    f"FastLabelModel: {fast_fit['seconds']:.2f} s, peak {fast_fit['peak_mib']:,.0f} MiB,"
    " answers table included: "
    f"{snorkel_fit['seconds'] / fast_fit['seconds']:,.0f} times as fast"
)
print(
    f"Largest difference between their probabilities: {prob_diff:.1e} "
    f"({'within' if prob_diff <= 1e-5 else 'NOT within'} the 1e-5 that the tests require)"
)
print(f"Accuracy of the fast model's labels against the synthetic truth: {accuracy:.3f}")

# %% [markdown]
# ## The label model on Dask
#
# The fit needs only O, whose size is (LFs · classes)², not the answers.
# `scaling/dask_label_model.py` reads answers stored as Parquet, each file holding whole tweets, sums every file's part of O on a Dask cluster, fits `FastLabelModel` on the sum, and writes each file's probabilistic labels back as Parquet.
# The step below writes this job's answers to a temporary folder, then times the route from there, cluster start-up included, and checks its labels against the fast model fitted in this process.
# `dask_client(address=...)` in `scaling/cluster.py` runs the same code on a cluster of your own.

# %%
dask_route = steps.dask_route(len(crowd_answers), n_workers, answers_per_task, dask_workers, seed=0)
print(
    f"{dask_route['answers']:,} answers on disk to {dask_route['tweets']:,} tweets' labels"
    " on disk in "
    f"{dask_route['seconds']:.1f} s, peak {dask_route['peak_mib']:,.0f} MiB over all processes; "
    f"largest difference from the labels of one process: {dask_route['max_abs_prob_diff']:.1e}"
)

# %% [markdown]
# Which one to use:
# Snorkel's `LabelModel` is the reference, and the one to reach for when the label matrix is small or the LFs have dependencies, which `FastLabelModel` does not model (it raises an error for options it cannot honour).
# `FastLabelModel` gives the same labels for independent LFs, which crowd workers are assumed to be, and fits from a table of answers without a dense matrix, so it is the choice once a job has thousands of LFs or hundreds of thousands of items on one machine.
# The Dask route adds the start-up of a cluster, so it pays off only when the answers do not fit in one process's memory, or already live as Parquet files on a cluster's storage.
#
# ## All steps

# %%
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from crowdsourcing.figures import show

records = [vectorized, per_worker, pandas_record, dask_record, snorkel_fit, fast_fit]
table = pd.DataFrame(records).set_index("step")[
    ["tweets", "seconds", "peak_mib", "tweets_per_second"]
]
display(table.astype({"tweets_per_second": int}).round({"seconds": 3, "peak_mib": 1}))

pairs = [  # (comparison, the tutorial's way, the way that scales)
    (f"crowd label matrix\n{len(tweets):,} tweets", per_worker, vectorized),
    (f"text LFs\n{len(text_tweets):,} tweets", pandas_record, dask_record),
    (f"label model fit\n{len(tweets):,} tweets", snorkel_fit, fast_fit),
]
fig, ax = plt.subplots(figsize=(8, 3.5))
for row, (_, taught, scaled) in enumerate(pairs):
    ax.barh(row - 0.2, taught["seconds"], height=0.4, color="C0")
    ax.barh(row + 0.2, scaled["seconds"], height=0.4, color="C1")
ax.set_yticks(range(len(pairs)), [name for name, _, _ in pairs])
ax.invert_yaxis()
ax.set_xscale("log")
ax.set(
    xlabel="seconds (log scale)",
    title=f"Each step two ways, on a job of {len(crowd_answers):,} answers",
)
ax.legend(
    [
        "one process, as the tutorial does it",
        "the route that scales (vectorized, Dask, FastLabelModel)",
    ],
    loc="upper center",
    bbox_to_anchor=(0.5, -0.22),
    ncol=2,
    frameon=False,
)
fig.tight_layout()
show(
    fig,
    "Bar chart of seconds per step, log scale, two bars per step. "
    + "; ".join(
        f"{name.splitlines()[0]} ({name.splitlines()[1]}): {taught['seconds']:.3f} s one process,"
        f" {scaled['seconds']:.3f} s the scaling route"
        for name, taught, scaled in pairs
    ),
)

# %% [markdown]
# ## What this means for your data
#
# - Build the crowd part of the label matrix from the answers table; keep per-worker LFs for teaching and for checking, as done here on a sample.
# - Text LFs are ordinary Python; `DaskLFApplier` spreads them over processes or machines without changing them, as long as they cope with missing text and keep their state picklable.
# - Snorkel's `LabelModel` grows with tweets times LFs squared; `FastLabelModel` fits the same model from the answers table in a time that grows with the answers and with LFs squared only through O, and the Dask route takes that to answers that live on a cluster.
#
# The timings in this notebook vary from run to run; the tests check the matrices' and models' equality and the JSON's shape, not the seconds.

# %%
import json
from pathlib import Path

metrics = {
    "parameters": {"tasks": n_tasks, "workers": n_workers, "answers_per_task": answers_per_task},
    "answers": len(crowd_answers),
    "steps": records,
    "vectorized_speedup": per_worker["seconds"] / vectorized["seconds"],
    "dask_speedup": pandas_record["seconds"] / dask_record["seconds"],
    "label_model": {
        "snorkel": {"seconds": snorkel_fit["seconds"], "peak_mib": snorkel_fit["peak_mib"]},
        "fast": {"seconds": fast_fit["seconds"], "peak_mib": fast_fit["peak_mib"]},
        "max_abs_prob_diff": prob_diff,
    },
    "dask_label_model": dask_route,
    "label_model_accuracy": float(accuracy),
}
if metrics_path:
    Path(metrics_path).write_text(json.dumps(metrics, indent=2))
