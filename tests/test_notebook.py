"""The tutorial notebook: runs cleanly, shows the reference's figures, matches its stored copy."""

from __future__ import annotations

import json
import re

import jupytext
import nbformat
import papermill
import pytest

from conftest import NOTEBOOK_DIR

NOTEBOOK = NOTEBOOK_DIR / "crowdsourcing.ipynb"
PAIRED = NOTEBOOK_DIR / "crowdsourcing.py"
SCALING = NOTEBOOK_DIR / "scaling.ipynb"
ALL_NOTEBOOKS = [NOTEBOOK, SCALING]

# Rows of the two LF summary tables as the reference tutorial printed them on dev
# (its worker LFs were named worker_<id>; here each class has its own name).
REFERENCE_ROWS = [
    ("worker_6340330_pos", "0 [1] 0.04 0.04 0.04 2 0 1.000000"),
    ("worker_6344001_pos", "1 [1] 0.04 0.04 0.04 2 0 1.000000"),
    ("worker_6346694_pos", "2 [1] 0.12 0.12 0.10 5 1 0.833333"),
    ("worker_6363996_pos", "3 [1] 0.04 0.04 0.02 2 0 1.000000"),
    ("worker_6371053_pos", "4 [1] 0.06 0.06 0.06 2 1 0.666667"),
    ("polarity_positive", "0 [1] 0.30 0.16 0.12 15 0 1.000000"),
    ("polarity_negative", "1 [0] 0.10 0.10 0.04 5 0 1.000000"),
    ("polarity_negative_2", "2 [0] 0.70 0.40 0.32 26 9 0.742857"),
    ("worker_6340330_pos", "3 [1] 0.04 0.04 0.04 2 0 1.000000"),
]


def code_cells(nb) -> list:
    """Code cells, without the cell papermill injects for parameters."""
    return [
        c
        for c in nb.cells
        if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])
    ]


def visible_text(cell) -> str:
    """What a reader sees of a cell's outputs as plain text."""
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif "data" in out:
            parts.append(out.data.get("text/plain", ""))
    return "".join(parts)


def execute(notebook, out_dir, **parameters):
    """Execute `notebook` with papermill in its folder; return it and the metrics it wrote."""
    metrics_path = out_dir / "metrics.json"
    nb = papermill.execute_notebook(
        str(notebook),
        str(out_dir / notebook.name),
        parameters={"metrics_path": str(metrics_path), **parameters},
        cwd=str(NOTEBOOK_DIR),
        kernel_name="python3",
        progress_bar=False,
    )
    return nb, json.loads(metrics_path.read_text())


@pytest.fixture(scope="module")
def executed(real_data_dir, tmp_path_factory):
    """A fresh execution of the tutorial notebook (with the real data) and its metrics."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WEATHER_SENTIMENT_DIR", str(real_data_dir))
        return execute(NOTEBOOK, tmp_path_factory.mktemp("notebook"))


def test_scaling_notebook_runs_with_its_defaults(tmp_path):
    """Its steps raise if the two crowd routes or the two appliers disagree; timings vary."""
    nb, metrics = execute(SCALING, tmp_path)
    assert metrics["answers"] == 200_000
    steps = {s["step"]: s for s in metrics["steps"]}
    assert len(steps) == 5 and all(s["seconds"] > 0 for s in steps.values())
    assert steps["crowd matrix, vectorized"]["tweets"] == 20_000
    assert metrics["vectorized_speedup"] > 1 and metrics["dask_speedup"] > 0
    assert metrics["label_model_accuracy"] > 0.95


def test_key_figures(executed):
    _, metrics = executed
    assert metrics["n_workers"] == 68
    assert metrics["crowd_coverage_train"] == 0.5026737967914439
    assert metrics["crowd_coverage_dev"] == 0.5
    assert metrics["coverage_train"] == metrics["coverage_dev"] == 1.0
    assert round(metrics["label_model_dev_acc"], 3) == 0.920
    assert 0.5 <= metrics["end_model_test_acc"] <= 1.0


def test_stronger_pipeline_figures(executed):
    _, metrics = executed
    stronger, splits = metrics["stronger"], metrics["splits"]
    assert stronger["label_model_dev_acc"] >= 0.96
    low, high = stronger["end_model_test_ci95"]
    assert low <= stronger["end_model_test_acc"] <= high
    assert stronger["end_model"].endswith(("hard labels", "soft labels"))
    assert splits["n"] == 20
    for key in ("label_model_dev_acc", "majority_vote_dev_acc", "end_model_test_acc"):
        assert set(splits[key]) == {"mean", "std"} and 0 < splits[key]["std"] < 0.1
    assert splits["gold_ceiling_test_acc"]["mean"] > 0.85
    assert splits["label_model_dev_acc"]["mean"] >= 0.93
    assert splits["end_model_test_acc"]["mean"] >= 0.87


def test_no_test_labels_are_read_while_developing():
    """Between the start of the second part and the final evaluation, no code reads test labels."""
    text = PAIRED.read_text()
    developing = text[text.index("# # Beyond the reference") : text.index("# ## Final evaluation")]
    for reads_test_labels in ("Y_test", "y_test", "test_accuracy(", "df_test.sentiment"):
        assert reads_test_labels not in developing


def test_lf_summaries_match_the_reference(executed):
    nb, _ = executed
    text = "\n".join(visible_text(c) for c in code_cells(nb))
    for name, row in REFERENCE_ROWS:
        pattern = re.escape(name) + r"\s+" + r"\s+".join(map(re.escape, row.split()))
        assert re.search(pattern, text), f"no row {name} {row}"
    assert re.search(r"79197834\s+79197834.*\n.*80059939\s+80059939", text)


def test_fresh_run_shows_what_the_stored_notebook_shows(executed):
    fresh, _ = executed
    stored = nbformat.read(NOTEBOOK, as_version=4)
    assert [c.source for c in code_cells(fresh)] == [c.source for c in code_cells(stored)]
    for fresh_cell, stored_cell in zip(code_cells(fresh), code_cells(stored), strict=True):
        assert visible_text(fresh_cell) == visible_text(stored_cell), fresh_cell.source


@pytest.mark.parametrize("notebook", ALL_NOTEBOOKS, ids=lambda p: p.name)
def test_stored_notebook_is_executed_and_tidy(notebook):
    stored = nbformat.read(notebook, as_version=4)
    cells = code_cells(stored)
    assert [c.execution_count for c in cells] == list(range(1, len(cells) + 1))
    for cell in cells:
        for out in cell.outputs:
            assert out.output_type != "error", cell.source
            assert out.get("name") != "stderr", f"stderr output in: {cell.source[:80]}"
    parameters = [c for c in cells if "parameters" in c.metadata.get("tags", [])]
    assert parameters and parameters[0] is cells[0]
    assert "metrics_path = None" in parameters[0].source


@pytest.mark.parametrize("notebook", ALL_NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_and_paired_script_are_in_sync(notebook):
    stored = nbformat.read(notebook, as_version=4)
    paired = jupytext.read(notebook.with_suffix(".py"))
    assert [c.source for c in code_cells(paired)] == [c.source for c in code_cells(stored)]
    assert [c.source for c in paired.cells if c.cell_type == "markdown"] == [
        c.source for c in stored.cells if c.cell_type == "markdown"
    ]
