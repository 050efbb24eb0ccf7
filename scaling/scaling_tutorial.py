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
# The tutorial builds its label matrix with one Python LF call per worker per tweet, fits Snorkel's `LabelModel` on it, embeds the tweets and trains a classifier, all in one process.
# On the real job's few hundred tweets that takes seconds; with 1,000 workers (2,000 LFs) and a million tweets the LF calls alone would take hours, and Snorkel's fit about 50 GB of memory.
# This notebook runs the whole job again with the calls that scale, on a synthetic job with the real job's density of 20 answers per tweet:
#
# 1. the crowd label matrix built straight from the answers table with `crowd_label_matrix`;
# 2. text LFs spread over processes with [Snorkel](https://snorkel.readthedocs.io/)'s `DaskLFApplier`, on a local [Dask](https://distributed.dask.org/) cluster from `dask_client()`;
# 3. `FastLabelModel`, Snorkel's `LabelModel` ([source](https://github.com/snorkel-team/snorkel/blob/v0.10.0/snorkel/labeling/model/label_model.py), [paper](https://arxiv.org/abs/1810.02840)) computed from the answers table, and compared with a majority vote;
# 4. `fit_and_label`, the label model on the cluster, from answers stored as Parquet to labels stored as Parquet;
# 5. the end model: sentence embeddings computed on the workers and a classifier trained on the probabilistic labels one partition at a time.
#
# Each step is timed against the tutorial's way where there is one; the timers and the figure live in `scaling/measure.py` and `scaling/report.py`.
# `benchmarks/scaling_benchmark.py` runs the same steps at full size, and this folder's [README](README.md) reports its figures and what they mean for a million tweets and more.

# %% tags=["parameters"]
n_tasks = 5_000  # tweets
n_workers = 200  # crowd workers
answers_per_task = 20  # as in the real job
few_answers = 3  # answers per tweet kept to compare the label model with a majority vote
lf_route_sample = 100  # tweets to time the per-worker LF route on, then extrapolate
text_sample = 500  # tweets to apply the text LFs to, on one process and with Dask
end_model_tweets = 1_000  # tweets to embed and train the end model on
dask_workers = 2  # local worker processes
metrics_path = None  # a file name here makes the notebook write its figures as JSON

# %% [markdown]
# The next cell checks the parameters: a value the notebook cannot use stops it there, before any work, with a sentence that names the parameter and what it accepts.

# %%
from crowdsourcing.parameters import count, output_file

n_tasks, n_workers = count("n_tasks", n_tasks), count("n_workers", n_workers)
answers_per_task = count("answers_per_task", answers_per_task, most=("n_workers", n_workers))
few_answers = count("few_answers", few_answers, most=("answers_per_task", answers_per_task))
lf_route_sample = count("lf_route_sample", lf_route_sample, most=("n_tasks", n_tasks))
text_sample = count("text_sample", text_sample, most=("n_tasks", n_tasks))
end_model_tweets = count("end_model_tweets", end_model_tweets, most=("n_tasks", n_tasks))
dask_workers = count("dask_workers", dask_workers)
metrics_path = output_file("metrics_path", metrics_path)  # resolved here, in this folder

# %% [markdown]
# ## A synthetic crowd job
#
# Each tweet is answered by `answers_per_task` distinct workers; each worker is right with its own accuracy (55% to 95%) and otherwise picks one of the other four answers.
# So a wrong answer is the other class only one time in four; the other three times it is a no-vote ("I can't tell", "Neutral", "not about the weather").
# Workers answer independently of each other, and their errors are uniform: no two workers share a bias, and no tweet is harder than another.
# That is exactly what the label model assumes of its LFs, so this crowd is the label model's best case; a real crowd, whose workers copy each other or stumble on the same tweets, gives it less.
# The texts are short templates with weather and sentiment words (a fifth of them with no sentiment word), and a few tweets have no text at all, as real data sometimes do.
# The `sentiment` column is the synthetic truth: no step below trains on it, and the last ones are scored against it.

# %%
from scaling.synthetic_crowd import synthetic_crowd

tweets, crowd_answers = synthetic_crowd(n_tasks, n_workers, answers_per_task, seed=0)
print(
    f"{len(crowd_answers):,} answers from {crowd_answers.worker_id.nunique():,} workers",
    f"on {len(tweets):,} tweets of {tweets.tweet_text.str.split().str.len().mean():.1f} words",
)
tweets.head()

# %% [markdown]
# ## The crowd label matrix from the answers table
#
# `crowd_label_matrix` places every answer in its cell with array indexing: one pass over the answers, no Python call per tweet.
# Its columns are a "positive" and a "negative" LF for each worker with more than 10 answers, as in the tutorial, and it stores them as int8, an eighth of the int64 that Snorkel's appliers return, with the same values.

# %%
from crowdsourcing.votes import crowd_label_matrix, frequent_workers
from scaling.measure import Stopwatch

clock = Stopwatch()  # wall time between laps, for the figure at the end
workers = frequent_workers(crowd_answers)
L_crowd = crowd_label_matrix(crowd_answers, tweets.index, workers)
clock.lap("crowd label matrix, vectorized")
print(f"{L_crowd.shape[0]:,} tweets x {L_crowd.shape[1]:,} LFs, {L_crowd.nbytes / 2**20:.1f} MiB")

# %% [markdown]
# The tutorial's route builds the same two LFs per worker as Python functions and applies them with `PandasLFApplier`.
# `steps.lf_route` times it on a random sample of tweets, checks that its rows equal the vectorized matrix's, and extrapolates to all tweets.

# %% tags=["timings"]
from scaling import steps

per_worker = steps.lf_route(crowd_answers, tweets, workers, L_crowd, lf_route_sample)
vectorized_s = clock.laps["crowd label matrix, vectorized"]
print(
    f"Per-worker LFs: {per_worker['measured_tweets']:,} tweets in"
    f" {per_worker['measured_seconds']:.2f} s, so about {per_worker['seconds']:,.0f} s for all"
    f" {len(tweets):,}; the vectorized build took {vectorized_s:.3f} s,"
    f" {per_worker['seconds'] / vectorized_s:,.0f} times less"
)

# %% [markdown]
# Both routes give the same rows (`lf_route` raises otherwise); the line above says how much less time the vectorized build takes on this machine.
#
# ## Text LFs on several processes with DaskLFApplier
#
# The text LFs (`scaling/synthetic_lfs.py`) threshold [TextBlob](https://textblob.readthedocs.io/)'s polarity and [VADER](https://github.com/cjhutto/vaderSentiment)'s compound score: real Python work per tweet, independent from tweet to tweet.
# First the tutorial's way, on one process:

# %%
from snorkel.labeling import PandasLFApplier

from scaling.synthetic_lfs import TEXT_LFS, reset_caches, warm_up

text_tweets = tweets.iloc[:text_sample]
warm_up()  # TextBlob loads its lexicon on first use: done here, before the clock starts
clock.restart()
L_text = PandasLFApplier(TEXT_LFS).apply(text_tweets, progress_bar=False)
clock.lap("text LFs, PandasLFApplier")
print(f"{L_text.shape[0]:,} tweets x {L_text.shape[1]} text LFs")

# %% [markdown]
# `dask_client()` (in `scaling/cluster.py`) starts a local cluster of `dask_workers` single-threaded worker processes and returns a client of it; `dask_client(address="tcp://...")` connects to a cluster of your own instead.
# The cluster stays up for the rest of the notebook: an `ExitStack` keeps its context open across cells, and `cluster.close()` at the end stops it.
# `DaskLFApplier` takes a Dask DataFrame and labels its partitions on the workers.
#
# Three details make LFs fit for this.
# Dask first calls the LFs on placeholder rows to learn the output's type, and those rows have no text: every LF abstains on a missing text instead of failing.
# The preprocessors store their scores as entries of the row, not as attributes, which a pandas row loses when it is pickled for a worker.
# And memoizing preprocessors keep their cache when they are pickled: shipped after the pandas run, the LFs would carry all its cached rows to every partition, which made the Dask run three to four times slower when we tried it, so `reset_caches()` empties the caches first.
# `warm_up` runs the LFs once, so that TextBlob's lexicon is loaded before the clock starts; on the workers it is part of the start-up.

# %%
from contextlib import ExitStack

import numpy as np
from dask import dataframe as dd
from snorkel.labeling.apply.dask import DaskLFApplier

from scaling.cluster import dask_client

cluster = ExitStack()  # closes the client and stops the local cluster on cluster.close()
clock.restart()
client = cluster.enter_context(dask_client(n_workers=dask_workers))
client.run(warm_up)  # each worker imports the LFs' libraries and loads TextBlob's lexicon
clock.lap("local cluster start-up")
reset_caches()  # the LFs are pickled for the workers: without the results cached above
text_ddf = dd.from_pandas(text_tweets, npartitions=2 * dask_workers)
L_text_dask = DaskLFApplier(TEXT_LFS).apply(text_ddf, scheduler=client)
clock.lap("text LFs, DaskLFApplier")
print("Same label matrix as PandasLFApplier's:", np.array_equal(L_text_dask, L_text))

# %% [markdown]
# What that cost, with the cluster's start-up counted:

# %% tags=["timings"]
import os

from scaling.report import applier_comparison

print(
    applier_comparison(
        clock.laps["text LFs, PandasLFApplier"],
        clock.laps["text LFs, DaskLFApplier"],
        clock.laps["local cluster start-up"],
        len(text_tweets),
        dask_workers,
    )
)
print(f"This machine has {os.cpu_count()} cores, shared by the workers and this process.")

# %% [markdown]
# The start-up includes what each worker does once: importing Snorkel, TextBlob and VADER and loading their lexicons.
# On one machine the gain over pandas cannot exceed the number of cores, and the start-up is paid before any tweet is labelled, so on a few hundred or thousand tweets Dask can be slower than pandas; the last line above says whether, and from how many tweets, it pays off here.
# The workers share the cores counted on the last line with this process, and with any other program running.
# The start-up is paid once per cluster, and this notebook reuses the cluster for every step below; on a cluster of many machines the same code runs on all their cores.
#
# ## The label model from the answers table
#
# Snorkel 0.10's `LabelModel` turns the label matrix into a dense one-hot matrix of tweets × (LFs · classes) floats and, in every training step, computes a loss over all (LFs · classes)² entries of the overlap matrix O.
# So its memory grows with tweets times LFs, and its time mostly with the square of the LFs: this folder's README measures its fit with 2,000 LFs at 109 s on 100,000 answers and 135 s on ten times as many ([#1656](https://github.com/snorkel-team/snorkel/issues/1656), [#1634](https://github.com/snorkel-team/snorkel/issues/1634), [#1537](https://github.com/snorkel-team/snorkel/issues/1537)).
# `FastLabelModel` (`crowdsourcing/label_model.py`) subclasses it and keeps its objective, initialization, optimizer and schedule; it builds a sparse one-hot matrix straight from the answers table with `crowd_votes`, and O from it with one sparse product.
# It is fitted here with the tutorial's options (`steps.FIT_OPTIONS`), and its labels are compared with the crowd's majority vote (Snorkel's `MajorityLabelVoter`).
# As in the tutorial, both take no decision where the classes tie (their `predict` abstains), and a tweet left without a decision counts as wrong.

# %%
from snorkel.labeling.model import MajorityLabelVoter

from crowdsourcing.label_model import FastLabelModel
from crowdsourcing.votes import crowd_votes
from scaling.report import class_vote_counts, versus_majority
from scaling.steps import FIT_OPTIONS

votes = crowd_votes(crowd_answers, tweets.index, workers)
label_model = FastLabelModel(cardinality=2, verbose=False)
label_model.fit(votes, progress_bar=False, **FIT_OPTIONS)
probs = label_model.predict_proba(votes)
truth = tweets.sentiment.to_numpy()
label_accuracy = (label_model.predict(votes) == truth).mean()
majority = MajorityLabelVoter().predict(L_crowd)  # abstains on a tie, as in the tutorial
print(f"Accuracy against the synthetic truth, {answers_per_task} answers per tweet:")
print(versus_majority(label_accuracy, (majority == truth).mean(), len(tweets)))

# %% [markdown]
# With this many answers per tweet, mostly from workers who are right more often than not, even a majority vote gets (nearly) every tweet right, as the line above shows: this job cannot show what the label model adds.
# Real jobs often collect fewer answers per tweet.
# Here are the same tweets with only the first `few_answers` answers of each; the first line below counts the tweets that get no class vote, a single one, or two that disagree.

# %%
few = crowd_answers.groupby(level="tweet_id").head(few_answers)
few_workers = frequent_workers(few)
few_votes = crowd_votes(few, tweets.index, few_workers)
few_model = FastLabelModel(cardinality=2, verbose=False)
few_model.fit(few_votes, progress_bar=False, **FIT_OPTIONS)
few_accuracy = (few_model.predict(few_votes) == truth).mean()
L_few = crowd_label_matrix(few, tweets.index, few_workers)
few_majority = MajorityLabelVoter().predict(L_few)
print(class_vote_counts(few, tweets.index))
print(f"Accuracy against the synthetic truth, {few_answers} answers per tweet:")
print(versus_majority(few_accuracy, (few_majority == truth).mean(), len(tweets)))

# %% [markdown]
# A majority vote counts every worker alike and abstains on a tie; the label model estimates each worker's accuracy from how often they agree with the others, and settles a disagreement in favour of the workers it trusts more.
# The last line says what that is worth on this sparser job.
# It is the label model's best case: these workers are independent and err uniformly, as it assumes, so on a real crowd expect less; the tutorial measures it on real answers.
#
# `steps.label_models` fits Snorkel's `LabelModel` on the dense matrix and `FastLabelModel` from the answers table again, each timed with its peak memory, and compares their probabilities.

# %% tags=["timings"]
(snorkel_fit, fast_fit), _, prob_diff = steps.label_models(crowd_answers, tweets, workers, L_crowd)
print(f"LabelModel:     {snorkel_fit['seconds']:.2f} s, peak {snorkel_fit['peak_mib']:,.0f} MiB")
print(
    f"FastLabelModel: {fast_fit['seconds']:.2f} s, peak {fast_fit['peak_mib']:,.0f} MiB,"
    f" answers table included: {snorkel_fit['seconds'] / fast_fit['seconds']:,.0f} times as fast"
)
print(
    f"Largest difference between their probabilities: {prob_diff:.1e} "
    f"({'within' if prob_diff <= 1e-5 else 'NOT within'} the 1e-5 that the tests require)"
)

# %% [markdown]
# The last line compares the two models' probabilities; the first two say what the sparse route saves in time and memory on this machine.
# Snorkel's `LabelModel` stays the reference.
# Both models assume the LFs independent of each other given the true class (Snorkel 0.10's builds its model with no dependency between LFs), and `FastLabelModel` raises an error for options it cannot honour.
#
# ## The label model on the cluster: Parquet in, Parquet out
#
# The fit needs only O, whose size is (LFs · classes)², not the answers.
# `fit_and_label` (`scaling/dask_label_model.py`) reads answers stored as Parquet, each file holding all answers of its tweets, checks each file, sums every file's part of O on the workers, fits `FastLabelModel` on the sum in this process, and writes each file's probabilistic labels as Parquet.
# Its output folder must not exist yet: the labels appear there only once all of them are written.

# %%
import tempfile
from pathlib import Path

import pandas as pd

from scaling.answers import write_answers
from scaling.dask_label_model import fit_and_label

job = Path(cluster.enter_context(tempfile.TemporaryDirectory()))  # removed on cluster.close()
write_answers(crowd_answers, job / "answers", tweets_per_file=2_000)
clock.restart()
fit_and_label(job / "answers", job / "labels", client, **FIT_OPTIONS)
clock.lap("label model on the cluster, Parquet to Parquet")
labels = pd.read_parquet(job / "labels").set_index("tweet_id").loc[tweets.index]
largest = np.abs(labels[["p_0", "p_1"]].to_numpy() - probs).max()
print(
    f"Labels of {len(labels):,} tweets, the same as those fitted in this process"
    if largest < 1e-6
    else f"Labels differ from those fitted in this process by up to {largest:.1e}"
)

# %% [markdown]
# So the cluster gives the labels that one process gives, while the answers never meet in one process: each worker reads its files, and only their overlap counts travel.
#
# ## The end model at scale
#
# The tutorial's end model is a logistic regression on MiniLM sentence embeddings of the tweets (`crowdsourcing/embeddings.py`), trained on the label model's probabilities.
# `scaling/end_model.py` does the same without gathering the tweets in one process:
#
# - `embed_partitions` joins the tweets (stored as Parquet) with their labels by `tweet_id` and embeds each partition on the worker that holds it, with an encoder loaded once per worker; the embeddings stay on the workers.
# - `train_on_partitions` trains scikit-learn's `SGDClassifier` with log loss, a logistic regression, by `partial_fit` on one partition after the other, a few passes over all of them; each tweet appears twice, once per class, weighted by the label model's probability of that class, and only the classifier moves between workers.
# - One tweet in five, chosen by id, is held out of training, and `accuracy_on_partitions` scores the classifier on those against the synthetic truth, on the workers.
#
# Each worker runs torch on one thread: the cluster already runs one task per worker process, and more threads per process would compete for the same cores.

# %%
from dask.distributed import wait

from scaling.end_model import (
    accuracy_on_partitions,
    embed_partitions,
    load_encoder_on_workers,
    train_on_partitions,
    write_tweets,
)

write_tweets(tweets.iloc[:end_model_tweets], job / "tweets", tweets_per_file=200)
clock.restart()
load_encoder_on_workers(client)
clock.lap("MiniLM loaded on each worker")
parts = embed_partitions(job / "tweets", job / "labels", client)
wait(parts)
clock.lap("embeddings, on the workers")
classifier = train_on_partitions(parts, client, epochs=5)
clock.lap("classifier, partial_fit per partition")
end_accuracy = accuracy_on_partitions(classifier, parts, client)
held_out_label_accuracy = accuracy_on_partitions(None, parts, client)
sizes = client.gather(client.map(lambda part: len(part.X), parts))
print(f"{len(parts)} partitions of embeddings, on the workers, of {sizes} tweets")
print(f"Accuracy on the held-out tweets against the synthetic truth: {end_accuracy:.3f}")
print(f"The label model's labels of the same tweets: {held_out_label_accuracy:.3f}")

# %% [markdown]
# The join of the tweets with their labels cuts a partition wherever a file of tweets (200 tweets each) or of labels (2,000 each) begins or ends, so besides one partition per file of tweets it makes small or empty ones at the seams, as the sizes above show; an empty one costs a task and nothing else.
#
# The classifier sees only the text, and a fifth of the synthetic texts carry no sentiment word, so on those it can do no better than a coin: its accuracy stays near 0.9, where the label model, which reads every tweet's answers, is almost always right.
# On a CPU with other vector instructions (AVX2 against AVX-512) it can differ by a tweet or two of those held out, because torch's float32 arithmetic rounds differently there.
# The end model's worth is elsewhere: it labels tweets that no one has answered, which the label model cannot.
#
# What the embeddings cost:

# %% tags=["timings"]
from scaling.report import per_tweet

embed_s = clock.laps["embeddings, on the workers"]
cores = min(dask_workers, os.cpu_count())
print(
    f"{end_model_tweets:,} tweets embedded in {embed_s:.1f} s on {cores} cores:"
    f" {end_model_tweets / embed_s / cores:,.0f} tweets per second per core"
)
fit_and_label_s = clock.laps["label model on the cluster, Parquet to Parquet"]
print(
    per_tweet(
        [
            ("text LFs (DaskLFApplier)", clock.laps["text LFs, DaskLFApplier"], len(text_tweets)),
            ("fit_and_label", fit_and_label_s, len(tweets)),
            ("embeddings", embed_s, end_model_tweets),
        ]
    )
)

# %% [markdown]
# The last lines say which step that scales costs most per tweet on this machine, at this notebook's sizes.
# The text LFs and the embeddings read every word of every tweet, and these synthetic tweets are a few words long (the synthetic crowd's cell prints their mean), where real tweets run up to 140 characters, so on real tweets both cost more per tweet than here.
# The README measures embeddings on real tweets, projects a million and a hundred million of them from that throughput, and says where a GPU or more machines are needed.
#
# ## Where the seconds went

# %% tags=["timings"]
from crowdsourcing.display import show
from scaling.report import timings_figure

n, n_text, n_end = f"{len(tweets):,}", f"{len(text_tweets):,}", f"{end_model_tweets:,}"

ONE, SCALED, START = (
    "one process, as the tutorial does it",
    "the route that scales",
    "start-up, once per cluster",
)
bars = [
    (f"crowd matrix, per-worker LFs, extrapolated ({n})", per_worker["seconds"], ONE),
    (f"crowd matrix, vectorized ({n})", vectorized_s, SCALED),
    (f"text LFs, PandasLFApplier ({n_text})", clock.laps["text LFs, PandasLFApplier"], ONE),
    ("local cluster start-up", clock.laps["local cluster start-up"], START),
    (f"text LFs, DaskLFApplier ({n_text})", clock.laps["text LFs, DaskLFApplier"], SCALED),
    (f"LabelModel fit, Snorkel ({n})", snorkel_fit["seconds"], ONE),
    (f"FastLabelModel, answers to fit ({n})", fast_fit["seconds"], SCALED),
    (f"fit_and_label on the cluster ({n})", fit_and_label_s, SCALED),
    ("MiniLM loaded on each worker", clock.laps["MiniLM loaded on each worker"], START),
    (f"embeddings ({n_end})", embed_s, SCALED),
    (
        f"classifier, partial_fit per partition ({n_end})",
        clock.laps["classifier, partial_fit per partition"],
        SCALED,
    ),
]
show(*timings_figure(bars, "Seconds per step (tweets per step in brackets)"))

# %% [markdown]
# Read the figure from the top: each blue bar is the tutorial's way, the orange bars below it the calls that replace it on the same tweets, and grey bars are paid once per cluster, whatever the job's size.
# The vectorized matrix and `FastLabelModel` need no cluster, so where their orange bar is shorter than the blue one above it they win at this size already.
# The Dask steps pay the grey bars too, so they win only on a job large enough, and only if they are faster per tweet than one process: the comparison of the text LFs above says whether they are on this machine.
# The orange bars that grow with every tweet's text, the text LFs and the embeddings, are the ones to plan a large job by.
#
# ## What this means for your data
#
# - Build the crowd part of the label matrix from the answers table; keep per-worker LFs for teaching and for checking, as done here on a sample.
# - Text LFs are ordinary Python; `DaskLFApplier` spreads them over processes or machines without changing them, as long as they cope with missing text and keep their state picklable.
# - Fit the label model with `FastLabelModel` from the answers table on one machine, or with `fit_and_label` on a cluster once the answers live in Parquet files there.
# - Embed and train per partition on the workers: the embeddings never meet in one process, and the classifier learns from the probabilistic labels as weights.
#
# The timings and the figure vary from run to run; every other output is the same on every run, and on another machine the end model's held-out accuracy can also differ, by a tweet or two (see above).
# The tests check the matrices', models' and labels' equality, the accuracies and the JSON's shape, not the seconds.

# %%
cluster.close()

# %%
import json

metrics = {
    "parameters": {"tasks": n_tasks, "workers": n_workers, "answers_per_task": answers_per_task},
    "answers": len(crowd_answers),
    "laps": clock.laps,
    "vectorized_speedup": per_worker["seconds"] / vectorized_s,
    "dask_speedup": clock.laps["text LFs, PandasLFApplier"] / clock.laps["text LFs, DaskLFApplier"],
    "label_model": {
        "snorkel": {"seconds": snorkel_fit["seconds"], "peak_mib": snorkel_fit["peak_mib"]},
        "fast": {"seconds": fast_fit["seconds"], "peak_mib": fast_fit["peak_mib"]},
        "max_abs_prob_diff": prob_diff,
    },
    "label_model_accuracy": float(label_accuracy),
    "majority_vote_accuracy": float((majority == truth).mean()),
    "few_answers": {
        "answers_per_task": few_answers,
        "label_model_accuracy": float(few_accuracy),
        "majority_vote_accuracy": float((few_majority == truth).mean()),
    },
    "dask_label_model_max_abs_prob_diff": float(largest),
    "end_model": {
        "tweets": end_model_tweets,
        "partitions": len(parts),
        "accuracy": end_accuracy,
        "label_model_accuracy": held_out_label_accuracy,
        "embed_tweets_per_s_per_core": end_model_tweets / embed_s / cores,
    },
}
if metrics_path:
    Path(metrics_path).write_text(json.dumps(metrics, indent=2))
