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
# This notebook measures the two routes that scale, on a synthetic job with the same shape as the real one:
#
# 1. the crowd label matrix built straight from the answers table, against the per-worker LFs;
# 2. the text LFs spread over processes with Snorkel's `DaskLFApplier`, against `PandasLFApplier`;
# 3. the `LabelModel` fitted on the result.
#
# The default size runs in well under a minute; `benchmarks/scaling.py` runs the same steps at full size (1,000,000 answers).

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
import pandas as pd

import scaling_benchmark as steps
from synthetic_crowd import synthetic_crowd

tweets, crowd_answers = synthetic_crowd(n_tasks, n_workers, answers_per_task, seed=0)
print(
    f"{len(crowd_answers):,} answers from {crowd_answers.worker_id.nunique():,} workers on {len(tweets):,} tweets"
)
tweets.head()

# %% [markdown]
# ## The crowd label matrix, two ways
#
# `crowd_label_matrix` places every answer in its cell with array indexing: one pass over the answers, no Python call per tweet.
# It stores the matrix as int8, an eighth of the int64 that Snorkel's appliers return, with the same values.

# %%
import label_matrix
from show import show_source

show_source(label_matrix, "crowd_label_matrix")

# %%
vectorized, L_crowd, workers = steps.vectorized(crowd_answers, tweets)
print(f"{L_crowd.shape[0]:,} x {L_crowd.shape[1]:,} label matrix in {vectorized['seconds']:.2f} s")

# %% [markdown]
# The LF route builds a positive and a negative LF per worker, as the tutorial does, and applies them with `PandasLFApplier`.
# It is timed on a random sample of tweets and extrapolated to all of them; on that sample its matrix must equal the vectorized one, or the step fails.

# %%
per_worker = steps.lf_route(crowd_answers, tweets, workers, L_crowd, lf_route_sample)
print(
    f"{per_worker['measured_tweets']} tweets in {per_worker['measured_seconds']:.2f} s, "
    f"so about {per_worker['seconds']:.0f} s for all {len(tweets):,}: "
    f"{per_worker['seconds'] / vectorized['seconds']:,.0f} times the vectorized build"
)

# %% [markdown]
# ## Text LFs on several processes
#
# The text LFs call TextBlob and VADER on every tweet, so they are real Python work, and the work is independent per tweet.
# `DaskLFApplier` splits the tweets into partitions and labels them on the workers of a `dask.distributed` cluster; here a local one with one process per core, started by the code itself.
#
# Two details make the tutorial's LFs fit for this.
# Dask first calls the LFs on placeholder rows to learn the output's type, and those rows have no text: every LF abstains on a missing text instead of failing.
# And the preprocessors store their scores as entries of the row, not as attributes, which a pandas row loses when it is pickled for a worker.
# The memo caches are emptied before each run, so neither applier reuses the other's work.

# %%
text_tweets = tweets.iloc[:text_sample]
pandas_record, L_text = steps.text_lfs_pandas(text_tweets)
dask_record = steps.text_lfs_dask(text_tweets, dask_workers, expected=L_text)
print(f"Same matrix from both appliers: {L_text.shape[0]:,} tweets x {L_text.shape[1]} LFs")
print(f"PandasLFApplier: {pandas_record['tweets_per_second']:,.0f} tweets/s")
print(
    f"DaskLFApplier:   {dask_record['tweets_per_second']:,.0f} tweets/s on {dask_workers} workers "
    f"(cluster start-up {dask_record['cluster_start_seconds']:.1f} s, not included)"
)

# %% [markdown]
# On two cores the gain is bounded by two, less the cost of shipping partitions; on a cluster of many machines the same code scales with the workers.
#
# ## The label model on the whole job
#
# The `LabelModel` works on the label matrix alone, so its cost grows with tweets times LFs squared.
# On synthetic data we know the truth, so we can also see that it recovers it.

# %%
label_model_record, label_model = steps.label_model_fit(L_crowd)
accuracy = (
    label_model.predict(L_crowd, tie_break_policy="random") == tweets.sentiment.to_numpy()
).mean()
print(
    f"Fitted in {label_model_record['seconds']:.1f} s; accuracy against the synthetic truth: {accuracy:.3f}"
)

# %% [markdown]
# ## All steps

# %%
import matplotlib.pyplot as plt
from IPython.display import display

records = [vectorized, per_worker, pandas_record, dask_record, label_model_record]
table = pd.DataFrame(records).set_index("step")[
    ["tweets", "seconds", "peak_mib", "tweets_per_second"]
]
display(table.round(2))

fig, ax = plt.subplots(figsize=(8, 3))
ax.barh(table.index[::-1], table["seconds"][::-1], color=["C2", "C2", "C1", "C0", "C0"])
ax.set_xscale("log")
ax.set(
    xlabel="seconds (log scale)", title=f"{len(crowd_answers):,} answers, {len(tweets):,} tweets"
)
fig.tight_layout()
plt.show()

# %%
import json
from pathlib import Path

metrics = {
    "parameters": {"tasks": n_tasks, "workers": n_workers, "answers_per_task": answers_per_task},
    "answers": len(crowd_answers),
    "steps": records,
    "vectorized_speedup": per_worker["seconds"] / vectorized["seconds"],
    "dask_speedup": pandas_record["seconds"] / dask_record["seconds"],
    "label_model_accuracy": float(accuracy),
}
if metrics_path:
    Path(metrics_path).write_text(json.dumps(metrics, indent=2))

# %% [markdown]
# ## What this means for your data
#
# - Build the crowd part of the label matrix from the answers table; keep per-worker LFs for teaching and for checking, as done here on a sample.
# - Text LFs are ordinary Python; `DaskLFApplier` spreads them over processes or machines without changing them, as long as they cope with missing text and keep their state picklable.
# - The `LabelModel` is the step that grows fastest: it is quadratic in the number of LFs, so at a million answers it dominates (see `benchmarks/scaling.py` at full size).
#
# The timings in this notebook vary from run to run; the tests check the matrices' equality and the JSON's shape, not the seconds.
