"""Shared fixtures: small Weather Sentiment-like CSVs written by the tests, the real data, and
executing a notebook with papermill."""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import json
import os
import re
from pathlib import Path

import jupytext
import nbformat
import numpy as np
import pandas as pd
import papermill
import pytest
from dask.distributed import Client, LocalCluster

from crowdsourcing.budget import TEST, run_budget_splits
from crowdsourcing.data import (
    ANSWERS_FILE,
    GOLD_FILE,
    DataError,
    answer_mapping,
    fetch_files,
)
from scaling.cluster import local_cluster

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "crowdsourcing" / "crowdsourcing.ipynb"
SCALING_TUTORIAL = ROOT / "scaling" / "scaling_tutorial.ipynb"
_spec = importlib.util.spec_from_file_location(
    "sync_notebooks", ROOT / "tools" / "sync_notebooks.py"
)
sync_notebooks = importlib.util.module_from_spec(_spec)  # tools/sync_notebooks.py, for the tests
_spec.loader.exec_module(sync_notebooks)
ANSWERS = list(answer_mapping)


def make_sources(folder: Path, n_confident: int = 200, n_other: int = 40, seed: int = 0) -> None:
    """Write small gold and answer CSVs: `n_confident` usable tweets, `n_other` to filter out."""
    rng = np.random.default_rng(seed)
    n = n_confident + n_other
    tweet_ids = rng.choice(np.arange(10_000, 99_999), size=n, replace=False)
    confident = np.arange(n) < n_confident
    sentiment = np.where(rng.random(n) < 0.5, "Positive", "Negative").astype(object)
    # Half of the other tweets are not confident, half are confident but neutral.
    other = np.flatnonzero(~confident)
    sentiment[other[1::2]] = "Neutral / author is just sharing information"
    conf = np.ones(n)
    conf[other[::2]] = 0.6
    gold = pd.DataFrame(
        {
            "_unit_id_": rng.permutation(n) + 1000,
            "golden": True,
            "correct_category_conf": conf,
            "sentiment": sentiment,
            "tweet_id": tweet_ids,
            "tweet_body": [f"tweet number {i}, about the weather" for i in range(n)],
        }
    )
    workers = np.arange(1, 13)
    answers = pd.DataFrame(
        [
            {"worker_id": w, "emotion": ANSWERS[(i + w) % len(ANSWERS)], "tweet_id": t}
            for i, t in enumerate(tweet_ids)
            for w in rng.choice(workers, size=5, replace=False)
        ]
    )
    answers.insert(0, "_unit_id_", np.arange(len(answers)))
    folder.mkdir(parents=True, exist_ok=True)
    gold.to_csv(folder / GOLD_FILE, index=False)
    answers.to_csv(folder / ANSWERS_FILE, index=False)


def hashes_of(folder: Path) -> dict[str, str]:
    """SHA-256 of the two source files in `folder`."""
    hashes = {}
    for name in (GOLD_FILE, ANSWERS_FILE):
        with open(folder / name, "rb") as f:
            hashes[name] = hashlib.file_digest(f, "sha256").hexdigest()
    return hashes


@pytest.fixture
def sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with small source CSVs; the real-data variable is unset for the test."""
    monkeypatch.delenv("WEATHER_SENTIMENT_DIR", raising=False)
    folder = tmp_path / "mirror"
    make_sources(folder)
    return folder


@pytest.fixture
def unwritable_folder(tmp_path: Path) -> Path:
    """A folder that refuses new files: read-only permissions, or for root (whom permissions do
    not stop) /sys, which refuses new files to everyone."""
    if os.geteuid() == 0:
        return Path("/sys")
    folder = tmp_path / "read-only"
    folder.mkdir(mode=0o555)
    return folder


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """The folder of the verified real CSVs: WEATHER_SENTIMENT_DIR, else the download cache.

    Without either (no mirror and no network) the tests that need it are skipped with the reason,
    except under CI, where the mirror must be there and its absence fails.
    """
    try:
        paths = fetch_files()
    except DataError as err:
        if os.environ.get("CI"):
            pytest.fail(f"CI must provide the real data: {err}")
        pytest.skip(f"the real Weather Sentiment CSVs are not available: {err}")
    return paths[GOLD_FILE].parent


# The fast subset (-m "not slow") starts no Dask cluster. A test is marked slow at collection when
# its code, or that of a fixture it uses, starts one; any other test that starts one fails.
CLUSTER_CALL = re.compile(r"\b(?:dask_client|local_cluster|LocalCluster|Client)\(")


def _starts_a_cluster(item: pytest.Item) -> bool:
    """Whether `item`'s function or one of its fixtures' functions calls a cluster starter."""
    functions = [getattr(item, "function", None)]
    info = getattr(item, "_fixtureinfo", None)
    for definitions in info.name2fixturedefs.values() if info else []:
        functions += [definition.func for definition in definitions]
    for function in functions:
        try:
            if CLUSTER_CALL.search(inspect.getsource(function)):
                return True
        except (OSError, TypeError):  # a built-in fixture, or no function
            continue
    return False


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark slow every test that starts a Dask cluster, itself or through a fixture."""
    for item in items:
        if item.get_closest_marker("slow") is None and _starts_a_cluster(item):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def no_cluster_unless_slow(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """Fail a test not marked slow that starts a LocalCluster anyway (through a helper)."""
    if request.node.get_closest_marker("slow") is None:

        def refuse(*args, **kwargs) -> None:
            pytest.fail(f"{request.node.nodeid} starts a Dask cluster: mark it slow")

        monkeypatch.setattr(LocalCluster, "__init__", refuse)


@pytest.fixture(scope="module")
def client():
    """A client of a local cluster of two single-threaded worker processes (one per module)."""
    with local_cluster(n_workers=2) as cluster, Client(cluster) as client:
        yield client


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


def execute(notebook: Path, out_dir: Path, **parameters):
    """Execute `notebook` with papermill in its folder; return it and the metrics it wrote."""
    metrics_path = out_dir / "metrics.json"
    nb = papermill.execute_notebook(
        str(notebook),
        str(out_dir / notebook.name),
        parameters={"metrics_path": str(metrics_path), **parameters},
        cwd=str(notebook.parent),
        kernel_name="python3",
        progress_bar=False,
        kernel_manager_class=sync_notebooks.LocalKernelManager,  # no TCP port, no TCP warning
    )
    return nb, json.loads(metrics_path.read_text())


def assert_tidy(nb) -> None:
    """No error, stderr, warning, nan or number with more than three decimals in any output."""
    for cell in code_cells(nb):
        for out in cell.outputs:
            assert out.output_type != "error", cell.source
            assert out.get("name") != "stderr", f"stderr output in: {cell.source[:80]}"
        text = visible_text(cell)
        assert "Warning" not in text, cell.source[:80]
        assert not re.search(r"\bnan\b", text, re.IGNORECASE), f"nan in: {cell.source[:80]}"
        assert not re.search(r"\b\d+\.\d{4,}\b", text), f"long number in: {cell.source[:80]}"


#: Any number as a notebook prints it: a sign, thousands separators, decimals.
NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?")


def _close(a: str, b: str, tolerance: float) -> bool:
    """Whole numbers equal; decimals (either one) within `tolerance`."""
    if "." not in a + b:
        return a == b
    return abs(float(a.replace(",", "")) - float(b.replace(",", ""))) <= tolerance


def same_figures(fresh: str, stored: str, tolerance: float = 0.0) -> bool:
    """The same text around the numbers, whole numbers equal, decimals within `tolerance`."""
    if NUMBER.sub("#", fresh) != NUMBER.sub("#", stored):
        return False
    pairs = zip(NUMBER.findall(fresh), NUMBER.findall(stored), strict=True)
    return all(_close(a, b, tolerance) for a, b in pairs)


def assert_fresh_run_shows_the_stored(
    fresh, notebook: Path, tolerance: float, only_in: str | None = None
) -> None:
    """`fresh`, an execution of `notebook`, runs the stored code and shows the stored outputs in
    every cell not tagged timings; decimals may differ by `tolerance`, only in the cells whose
    stored text contains `only_in` when that is given."""
    stored = nbformat.read(notebook, as_version=4)
    assert [c.source for c in code_cells(fresh)] == [c.source for c in code_cells(stored)]
    for fresh_cell, stored_cell in zip(code_cells(fresh), code_cells(stored), strict=True):
        if sync_notebooks.TIMINGS in stored_cell.metadata.get("tags", []):
            continue
        fresh_text, stored_text = visible_text(fresh_cell), visible_text(stored_cell)
        allowed = tolerance if only_in is None or only_in in stored_text else 0.0
        assert same_figures(fresh_text, stored_text, allowed), (fresh_text, stored_text)


def assert_stored_executed_and_tidy(notebook: Path) -> str:
    """The stored `notebook` was executed in order and is tidy, and its first code cell is the
    parameters cell, writing no metrics by default; returns that cell's source."""
    stored = nbformat.read(notebook, as_version=4)
    cells = code_cells(stored)
    assert [c.execution_count for c in cells] == list(range(1, len(cells) + 1))
    assert_tidy(stored)
    assert "parameters" in cells[0].metadata.get("tags", [])
    assert "metrics_path = None" in cells[0].source
    return cells[0].source


def assert_in_sync(notebook: Path, paired: Path) -> None:
    """The stored `notebook` and its `paired` script hold the same code and markdown cells."""
    stored, script = nbformat.read(notebook, as_version=4), jupytext.read(paired)
    assert [c.source for c in code_cells(script)] == [c.source for c in code_cells(stored)]
    assert [c.source for c in script.cells if c.cell_type == "markdown"] == [
        c.source for c in stored.cells if c.cell_type == "markdown"
    ]


def parameters_checked(paired: Path, **parameters) -> dict:
    """Run the paired script's parameters cell, then `parameters` as papermill injects them,
    then the cell after, which checks them; return the names they define."""
    cells = code_cells(jupytext.read(paired))
    namespace: dict = {}
    exec(cells[0].source, namespace)
    namespace.update(parameters)
    exec(cells[1].source, namespace)
    return namespace


def flip_test_labels(gold: pd.DataFrame, answers: pd.DataFrame, test_ids: pd.Index):
    """The input tables with Positive and Negative swapped for the given tweets, everywhere."""
    swap = {"Positive": "Negative", "Negative": "Positive"}
    gold, answers = gold.copy(), answers.copy()
    in_gold, in_answers = gold.tweet_id.isin(test_ids), answers.tweet_id.isin(test_ids)
    gold.loc[in_gold, "sentiment"] = gold.loc[in_gold, "sentiment"].replace(swap)
    answers.loc[in_answers, "emotion"] = answers.loc[in_answers, "emotion"].replace(swap)
    return gold, answers


def assert_test_labels_play_no_part(pipeline, data: dict, seed: int) -> None:
    """Flipping split `seed`'s test labels in every input table of `data` changes none of the
    labels and predictions `pipeline` returns through `run_budget_splits`, while the right/wrong
    flag of every test prediction flips."""
    gold, answers = data["gold"], data["answers"]
    table = run_budget_splits([seed], pipeline, **data)
    test = table.role == TEST
    flipped_gold, flipped_answers = flip_test_labels(gold, answers, table.tweet_id[test])
    flipped = run_budget_splits(
        [seed], pipeline, **{**data, "gold": flipped_gold, "answers": flipped_answers}
    )
    pd.testing.assert_frame_equal(flipped.drop(columns="correct"), table.drop(columns="correct"))
    np.testing.assert_array_equal(flipped.correct[test], ~table.correct[test])
    np.testing.assert_array_equal(flipped.correct[~test], table.correct[~test])
