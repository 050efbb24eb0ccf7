"""The scaling part: its LFs, Dask against pandas, synthetic data, measurement, and its notebook."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import numpy as np
import pandas as pd
import pytest
from snorkel.labeling import PandasLFApplier

from conftest import (
    SCALING_TUTORIAL,
    assert_fresh_run_shows_the_stored,
    assert_in_sync,
    assert_stored_executed_and_tidy,
    assert_tidy,
    code_cells,
    execute,
    same_figures,
)
from crowdsourcing.embeddings import embed_texts
from crowdsourcing.votes import crowd_label_matrix, frequent_workers
from scaling.answers import write_answers
from scaling.cluster import dask_client
from scaling.dask_label_model import fit_and_label
from scaling.dask_lfs import apply_with_dask
from scaling.end_model import (
    Partition,
    accuracy_on_partitions,
    cached_encoder,
    embed_partitions,
    held_out,
    new_classifier,
    soft_label_rows,
    train_on_partitions,
    train_step,
    write_tweets,
)
from scaling.measure import Stopwatch, measure
from scaling.report import (
    applier_comparison,
    break_even,
    class_vote_counts,
    per_tweet,
    versus_majority,
)
from scaling.steps import FIT_OPTIONS
from scaling.synthetic_crowd import synthetic_crowd
from scaling.synthetic_lfs import TEXT_LFS, reset_caches, warm_up, worker_lfs


def test_text_lfs_abstain_on_missing_text():
    rows = pd.DataFrame({"tweet_id": [1, 2, 3], "tweet_text": [None, float("nan"), pd.NA]})
    L = PandasLFApplier(TEXT_LFS).apply(rows, progress_bar=False)
    assert (L == -1).all()


def test_text_lfs_vote_on_text():
    rows = pd.DataFrame(
        {"tweet_id": [1, 2], "tweet_text": ["I love this sunny day", "I hate this depressing rain"]}
    )
    warm_up()  # runs the LFs once and empties their caches: the votes below are fresh
    L = PandasLFApplier(TEXT_LFS).apply(rows, progress_bar=False)
    votes = pd.DataFrame(L, columns=[lf.name for lf in TEXT_LFS])
    assert votes.loc[0, "polarity_positive"] == 1 and votes.loc[0, "vader_positive"] == 1
    assert votes.loc[1, "polarity_negative"] == 0 and votes.loc[1, "vader_negative"] == 0


@pytest.mark.slow
def test_dask_applier_gives_the_pandas_matrix():
    tweets, _ = synthetic_crowd(n_tasks=300, n_workers=20, answers_per_task=3, seed=5)
    tweets.iloc[[3, 50], tweets.columns.get_loc("tweet_text")] = None  # gaps, as real data have
    reset_caches()
    expected = PandasLFApplier(TEXT_LFS).apply(tweets, progress_bar=False)
    reset_caches()
    with dask_client(n_workers=2) as client:
        actual = apply_with_dask(TEXT_LFS, tweets, client)
    np.testing.assert_array_equal(actual, expected)
    assert (expected[[3, 50]] == -1).all() and (expected != -1).any()


def test_synthetic_crowd_shape_and_determinism():
    tweets, crowd = synthetic_crowd(n_tasks=500, n_workers=40, answers_per_task=7, seed=3)
    assert len(tweets) == 500 and len(crowd) == 3500
    assert list(crowd.columns) == ["worker_id", "answer"] and crowd.index.name == "tweet_id"
    pairs = crowd.reset_index()[["tweet_id", "worker_id"]]
    assert not pairs.duplicated().any(), "each task's workers are distinct"
    assert set(crowd.answer) <= {-1, 0, 1, 2, 3} and crowd.worker_id.nunique() <= 40
    agree = crowd.answer.to_numpy() == np.repeat(tweets.sentiment.to_numpy(), 7)
    assert 0.6 < agree.mean() < 0.9
    again, crowd_again = synthetic_crowd(n_tasks=500, n_workers=40, answers_per_task=7, seed=3)
    pd.testing.assert_frame_equal(crowd, crowd_again)
    pd.testing.assert_frame_equal(tweets, again)
    with pytest.raises(ValueError):
        synthetic_crowd(n_tasks=5, n_workers=3, answers_per_task=4)


def test_a_fifth_of_the_synthetic_texts_carry_no_sentiment_word():
    tweets, _ = synthetic_crowd(n_tasks=5_000, n_workers=40, answers_per_task=3, seed=0)
    neutral = ("forecast says", "update on", "news about", "they talk about")
    share = tweets.tweet_text.dropna().str.startswith(neutral).mean()
    assert share == pytest.approx(0.2, abs=0.02)


def test_vectorized_builder_equals_lf_route_on_synthetic_data():
    tweets, crowd = synthetic_crowd(n_tasks=300, n_workers=30, answers_per_task=5, seed=1)
    workers = frequent_workers(crowd)
    expected = PandasLFApplier(worker_lfs(crowd, workers)).apply(tweets, progress_bar=False)
    np.testing.assert_array_equal(crowd_label_matrix(crowd, tweets.index, workers), expected)


def test_measure_times_and_sees_memory():
    m = measure(lambda: np.ones(64 * 2**20 // 8))  # 64 MiB, held by the result
    assert m.result.sum() == 64 * 2**20 // 8
    assert m.seconds > 0 and m.peak_mib >= 60


def test_measure_samples_memory_once_more_at_the_end():
    """With no sample during the step, the sample after it still sees what the step holds."""
    m = measure(lambda: np.ones(64 * 2**20 // 8), interval=60)
    assert m.peak_mib >= 60


def test_measure_counts_child_processes_when_asked():
    child = "import time; b = bytearray(200 * 2**20); time.sleep(0.5)"
    seen = measure(lambda: subprocess.run([sys.executable, "-c", child], check=True), True)
    assert seen.peak_mib >= 190
    # A grandchild (the child's own child) counts too.
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}])"
    seen = measure(lambda: subprocess.run([sys.executable, "-c", parent], check=True), True)
    assert seen.peak_mib >= 190


# The end model's held-out accuracy depends on the CPU: torch's float32 kernels round differently
# with AVX-512 than with AVX2, and 2 of the 200 held-out tweets change sides (0.890 on an AVX-512
# machine, 0.900 there with ATEN_CPU_CAPABILITY=avx2). Its figures may differ by 3 tweets of 200.
CPU_DEPENDENT = "Accuracy on the held-out tweets"
TOLERANCE = 3 / 200


def test_same_outputs_allows_the_end_model_a_few_tweets():
    stored = f"{CPU_DEPENDENT} against the synthetic truth: 0.900\nOf 1,000 tweets"
    assert same_figures(stored.replace("0.900", "0.890"), stored, TOLERANCE)
    assert not same_figures(stored.replace("0.900", "0.880"), stored, TOLERANCE)
    assert not same_figures(stored.replace("1,000", "1,001"), stored, TOLERANCE)
    assert not same_figures("Labels of 5,000 tweets: 0.890", "Labels of 5,000 tweets: 0.900")


@pytest.mark.slow
def test_notebook_runs_with_other_parameters(tmp_path):
    """Smaller than its defaults, to keep the test quick; its steps raise if two routes disagree."""
    nb, metrics = execute(
        SCALING_TUTORIAL,
        tmp_path,
        n_tasks=3000,
        n_workers=80,
        answers_per_task=10,
        lf_route_sample=100,
        text_sample=300,
        end_model_tweets=500,
    )
    assert_tidy(nb)
    assert metrics["answers"] == 30_000
    assert all(seconds > 0 for seconds in metrics["laps"].values())
    assert metrics["vectorized_speedup"] > 1 and metrics["dask_speedup"] > 0
    assert metrics["label_model"]["max_abs_prob_diff"] <= 1e-5
    assert metrics["label_model_accuracy"] > 0.9
    assert metrics["dask_label_model_max_abs_prob_diff"] < 1e-6
    assert metrics["end_model"]["tweets"] == 500 and metrics["end_model"]["accuracy"] > 0.75


@pytest.mark.slow
def test_fresh_run_shows_what_the_stored_notebook_shows(tmp_path):
    """Outputs other than timings (tagged cells) are the same on every run, on any CPU."""
    fresh, metrics = execute(SCALING_TUTORIAL, tmp_path)
    assert_tidy(fresh)
    assert_fresh_run_shows_the_stored(fresh, SCALING_TUTORIAL, TOLERANCE, only_in=CPU_DEPENDENT)
    assert metrics["parameters"]["answers_per_task"] == 20
    assert metrics["end_model"]["accuracy"] > 0.8


def test_stored_notebook_is_executed_and_tidy():
    assert "answers_per_task = 20" in assert_stored_executed_and_tidy(SCALING_TUTORIAL)


def test_notebook_cells_hold_the_calls_to_copy():
    """The calls a reader would copy are in the cells, not hidden in helper modules."""
    source = "\n".join(c.source for c in code_cells(nbformat.read(SCALING_TUTORIAL, 4)))
    for call in (
        "crowd_label_matrix(",
        "dask_client(",
        "DaskLFApplier(TEXT_LFS).apply(",
        "FastLabelModel(",
        ".fit(votes",
        "crowd_votes(",
        "fit_and_label(",
        "embed_partitions(",
        "train_on_partitions(",
    ):
        assert call in source, call


def test_notebook_and_paired_script_are_in_sync():
    assert_in_sync(SCALING_TUTORIAL, SCALING_TUTORIAL.with_suffix(".py"))


def test_stopwatch_laps(monkeypatch):
    """Each lap runs from the last lap or restart: at 1, 3, 4 s laps, after a restart at 10, 15."""
    times = iter([0.0, 1.0, 3.0, 4.0, 10.0, 15.0])
    monkeypatch.setattr("scaling.measure.time.perf_counter", lambda: next(times))
    clock = Stopwatch()
    assert [clock.lap("a"), clock.lap("b"), clock.lap("c")] == [1.0, 2.0, 1.0]
    clock.restart()
    assert clock.lap("d") == 5.0 and clock.laps == {"a": 1.0, "b": 2.0, "c": 1.0, "d": 5.0}


def test_applier_comparison_says_when_dask_pays_off():
    # 1,000 tweets: pandas 10 ms each, Dask 5 ms each, 3 s start-up: pays off from 600 tweets.
    assert break_even(3.0, 0.010, 0.005) == pytest.approx(600)
    assert break_even(3.0, 0.005, 0.010) is None
    assert break_even(3.0, 0.010, 0.010) is None, "equally fast per tweet: never"
    text = applier_comparison(10.0, 5.0, 3.0, 1_000, 2)
    assert "faster than pandas" in text and "from about 600 tweets" in text
    text = applier_comparison(4.0, 2.0, 3.0, 1_000, 2)
    assert "slower than pandas" in text and "from about 1,500 tweets" in text
    assert "never pays" in applier_comparison(4.0, 5.0, 3.0, 1_000, 2)


def test_per_tweet_names_the_slowest_step_from_the_figures():
    text = per_tweet([("text LFs", 1.7, 500), ("fit", 0.5, 5_000), ("embeddings", 3.1, 1_000)])
    assert text.splitlines() == [
        "Wall-clock time per tweet on the cluster:"
        " text LFs 3.40 ms; embeddings 3.10 ms; fit 0.10 ms",
        "The slowest per tweet here is text LFs, 1.1 times the next",
    ]


def test_class_votes_are_counted_per_tweet():
    answers = pd.DataFrame(
        {"answer": [1, 0, 2, 1, 1, -1, 3, 0, 1, 0]},
        index=pd.Index([1, 1, 1, 2, 2, 3, 3, 4, 5, 5], name="tweet_id"),
    )
    # 1: two that disagree (and a no-vote); 2: two that agree; 3: none; 4: one; 5: two that
    # disagree; 6: no answer at all.
    assert class_vote_counts(answers, pd.Index([1, 2, 3, 4, 5, 6])) == (
        "Of the 6 tweets, 2 get no class vote, 1 a single one and 2 two that disagree"
    )


def test_versus_majority_counts_tweets():
    assert versus_majority(0.96, 0.951, 5_000).endswith("(45 more of the 5,000 tweets right)")
    assert "(5 fewer of the 500" in versus_majority(0.89, 0.9, 500)
    assert "(the same number of" in versus_majority(1.0, 1.0, 5_000)
    # Accuracies are counts over the tweets: 4,001 and 4,000 right differ by 0.99999... in floats.
    assert "(1 more of the 5,000" in versus_majority(4_001 / 5_000, 4_000 / 5_000, 5_000)


# The end model


def test_soft_label_rows_weigh_each_class_by_its_probability():
    X = np.arange(6.0).reshape(3, 2)
    p_1 = np.array([0.0, 0.25, 1.0])
    rows, y, weight = soft_label_rows(X, p_1)
    np.testing.assert_array_equal(rows, np.vstack([X, X]))
    np.testing.assert_array_equal(y, [0, 0, 0, 1, 1, 1])
    np.testing.assert_allclose(weight, [1.0, 0.75, 0.0, 0.0, 0.25, 1.0])


def _part(X: np.ndarray, p_1: np.ndarray, truth=None) -> Partition:
    """A partition with nothing held out (unless truth is given: then every row is)."""
    test = np.full(len(X), truth is not None)
    return Partition(X, p_1, test, truth)


def test_sgd_on_soft_labels_learns_probabilities_not_hard_labels():
    """Probabilities of 0.8 everywhere teach 0.8, where the rounded labels would teach 1."""
    X = np.random.default_rng(0).normal(size=(2_000, 5))
    model = new_classifier(seed=0)
    for _ in range(5):
        model = train_step(model, _part(X, np.full(len(X), 0.8)))
    assert model.predict_proba(X)[:, 1].mean() == pytest.approx(0.8, abs=0.05)


def test_sgd_on_soft_labels_agrees_with_weighted_logistic_regression():
    """Partition-wise SGD minimizes the same weighted log loss as an exact solver."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(1)
    X = rng.normal(size=(3_000, 4))
    p_1 = 1 / (1 + np.exp(-(X @ np.array([2.0, -1.0, 0.5, 0.0]))))
    model = new_classifier(seed=0)
    for _ in range(10):  # ten passes over six partitions
        for start in range(0, 3_000, 500):
            model = train_step(model, _part(X[start : start + 500], p_1[start : start + 500]))
    rows, y, weight = soft_label_rows(X, p_1)
    # SGD's alpha is per row of the mean loss; LogisticRegression's C multiplies the summed loss.
    reference = LogisticRegression(C=1 / (model.alpha * len(rows)))
    reference.fit(rows, y, sample_weight=weight)
    assert (model.predict(X) == reference.predict(X)).mean() > 0.99
    np.testing.assert_allclose(
        model.predict_proba(X)[:, 1], reference.predict_proba(X)[:, 1], atol=0.06
    )


def test_train_step_leaves_its_input_alone_and_skips_empty_partitions():
    X = np.random.default_rng(2).normal(size=(50, 3))
    start = new_classifier(seed=0)
    trained = train_step(start, _part(X, np.full(50, 0.9)))
    assert not hasattr(start, "coef_") and hasattr(trained, "coef_")
    assert train_step(trained, _part(X[:0], np.zeros(0))) is trained


def test_held_out_tweets_are_one_in_five_by_id():
    ids = np.arange(10_000_000, 10_001_000)
    assert held_out(ids).mean() == pytest.approx(0.2)
    np.testing.assert_array_equal(held_out(ids[::-1]), held_out(ids)[::-1])


def test_embeddings_on_one_thread_equal_those_on_every_core():
    texts = ["I love the sun", "", "ugh, this rain again, all day long", "update on the snow"]
    tokenizer, model = cached_encoder()
    np.testing.assert_allclose(
        embed_texts(texts, tokenizer, model, threads=1),
        embed_texts(texts, tokenizer, model),
        atol=1e-5,
    )


@pytest.mark.slow
def test_end_model_on_dask_learns_from_the_labels(tmp_path):
    """A few hundred tweets end to end on a local cluster: labels, embeddings, classifier."""
    tweets, crowd = synthetic_crowd(n_tasks=400, n_workers=40, answers_per_task=10, seed=4)
    write_answers(crowd, tmp_path / "answers", tweets_per_file=150)
    write_tweets(tweets, tmp_path / "tweets", tweets_per_file=100)
    with dask_client(n_workers=2) as client:
        fit_and_label(tmp_path / "answers", tmp_path / "labels", client, **FIT_OPTIONS)
        parts = embed_partitions(tmp_path / "tweets", tmp_path / "labels", client)
        model = train_on_partitions(parts, client, epochs=5)
        accuracy = accuracy_on_partitions(model, parts, client)
        label_accuracy = accuracy_on_partitions(None, parts, client)
        sizes = client.gather(client.map(lambda p: len(p.X), parts))
    assert sum(sizes) == 400 and len(parts) >= 4
    # A fifth of the texts carry no sentiment word, so about 0.9 is the most the text allows.
    assert 0.75 < accuracy <= label_accuracy
