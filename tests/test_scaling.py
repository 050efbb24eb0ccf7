"""The scaling part: its LFs, Dask against pandas, synthetic data, measurement, and its notebook."""

from __future__ import annotations

import subprocess
import sys

import jupytext
import nbformat
import numpy as np
import pandas as pd
import pytest
from snorkel.labeling import PandasLFApplier

from conftest import SCALING_TUTORIAL, code_cells, execute, visible_text
from crowdsourcing.crowd_matrix import crowd_label_matrix, frequent_workers
from scaling.cluster import dask_client
from scaling.dask_lfs import apply_with_dask
from scaling.measure import measure
from scaling.synthetic_crowd import synthetic_crowd
from scaling.synthetic_lfs import TEXT_LFS, reset_caches, worker_lfs


def test_text_lfs_abstain_on_missing_text():
    rows = pd.DataFrame({"tweet_id": [1, 2, 3], "tweet_text": [None, float("nan"), pd.NA]})
    L = PandasLFApplier(TEXT_LFS).apply(rows, progress_bar=False)
    assert (L == -1).all()


def test_text_lfs_vote_on_text():
    rows = pd.DataFrame(
        {"tweet_id": [1, 2], "tweet_text": ["I love this sunny day", "I hate this depressing rain"]}
    )
    L = PandasLFApplier(TEXT_LFS).apply(rows, progress_bar=False)
    votes = pd.DataFrame(L, columns=[lf.name for lf in TEXT_LFS])
    assert votes.loc[0, "polarity_positive"] == 1 and votes.loc[0, "vader_positive"] == 1
    assert votes.loc[1, "polarity_negative"] == 0 and votes.loc[1, "vader_negative"] == 0


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


def test_vectorized_builder_equals_lf_route_on_synthetic_data():
    tweets, crowd = synthetic_crowd(n_tasks=300, n_workers=30, answers_per_task=5, seed=1)
    workers = frequent_workers(crowd)
    expected = PandasLFApplier(worker_lfs(crowd, workers)).apply(tweets, progress_bar=False)
    np.testing.assert_array_equal(crowd_label_matrix(crowd, tweets.index, workers), expected)


def test_measure_times_and_sees_memory():
    m = measure(lambda: np.ones(64 * 2**20 // 8))  # 64 MiB, held by the result
    assert m.result.sum() == 64 * 2**20 // 8
    assert m.seconds > 0 and m.peak_mib >= 60


def test_measure_counts_child_processes_when_asked():
    child = "import time; b = bytearray(200 * 2**20); time.sleep(0.5)"
    seen = measure(lambda: subprocess.run([sys.executable, "-c", child], check=True), True)
    assert seen.peak_mib >= 190


def test_notebook_runs_with_other_parameters(tmp_path):
    """Smaller than its defaults, to keep the test quick; its steps raise if two routes disagree."""
    nb, metrics = execute(
        SCALING_TUTORIAL, tmp_path, n_tasks=3000, n_workers=80, lf_route_sample=100, text_sample=300
    )
    assert metrics["answers"] == 30_000
    steps = {s["step"]: s for s in metrics["steps"]}
    assert len(steps) == 6 and all(s["seconds"] > 0 for s in steps.values())
    assert steps["crowd matrix, vectorized"]["tweets"] == 3000
    assert metrics["vectorized_speedup"] > 1 and metrics["dask_speedup"] > 0
    assert metrics["label_model"]["max_abs_prob_diff"] <= 1e-5
    assert metrics["label_model_accuracy"] > 0.9
    for cell in code_cells(nb):
        for out in cell.outputs:
            assert out.get("name") != "stderr", f"stderr output in: {cell.source[:80]}"
        assert "nan" not in visible_text(cell).split(), cell.source


def test_stored_notebook_is_executed_and_tidy():
    cells = code_cells(nbformat.read(SCALING_TUTORIAL, as_version=4))
    assert [c.execution_count for c in cells] == list(range(1, len(cells) + 1))
    for cell in cells:
        for out in cell.outputs:
            assert out.output_type != "error", cell.source
            assert out.get("name") != "stderr", f"stderr output in: {cell.source[:80]}"
    assert "parameters" in cells[0].metadata.get("tags", [])
    assert "metrics_path = None" in cells[0].source


def test_notebook_and_paired_script_are_in_sync():
    stored = nbformat.read(SCALING_TUTORIAL, as_version=4)
    paired = jupytext.read(SCALING_TUTORIAL.with_suffix(".py"))
    assert [c.source for c in code_cells(paired)] == [c.source for c in code_cells(stored)]
    assert [c.source for c in paired.cells if c.cell_type == "markdown"] == [
        c.source for c in stored.cells if c.cell_type == "markdown"
    ]
