"""The notebooks' parameter checks: what each accepts, and one sentence naming what it refuses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import SCALING_TUTORIAL, TUTORIAL, parameters_checked
from crowdsourcing.parameters import (
    ParameterError,
    choice,
    count,
    output_file,
    seed,
    text,
)


@pytest.mark.parametrize("value", [1, 20, np.int64(3)])
def test_a_count_accepts_integers_from_its_minimum(value):
    assert count("n_splits", value) == value and type(count("n_splits", value)) is int


@pytest.mark.parametrize(
    ("value", "shown"),
    [("3", "'3' (str)"), (1.5, "1.5 (float)"), (2.0, "2.0 (float)"), (True, "True (bool)")]
    + [(0, "0 (int)"), (-1, "-1 (int)"), (None, "None (NoneType)")],
)
def test_a_count_refuses_anything_else_in_a_sentence_naming_it(value, shown):
    message = f"n_splits must be an integer of at least 1, not {shown}."
    with pytest.raises(ParameterError) as caught:
        count("n_splits", value)
    assert str(caught.value) == message


def test_a_count_can_start_elsewhere():
    assert count("lf_route_sample", 0, minimum=0) == 0
    with pytest.raises(ParameterError, match="^dask_workers must be an integer of at least 2,"):
        count("dask_workers", 1, minimum=2)


def test_a_parameter_error_is_a_value_error():
    assert issubclass(ParameterError, ValueError)


def test_a_count_can_be_bounded_by_another_parameter():
    assert count("few_answers", 3, most=("answers_per_task", 3)) == 3
    for value in (4, 0, "2"):
        with pytest.raises(ParameterError) as caught:
            count("few_answers", value, most=("answers_per_task", 3))
        assert str(caught.value) == (
            f"few_answers must be an integer from 1 to answers_per_task (3), "
            f"not {value!r} ({type(value).__name__})."
        )


@pytest.mark.parametrize("value", [0, 123, 2**32 - 1, np.uint32(7)])
def test_a_seed_accepts_what_numpy_and_pandas_accept(value):
    assert seed("split_seed", value) == value
    np.random.default_rng(value)
    np.random.RandomState(value)  # pandas' random_state: the narrower of the two


@pytest.mark.parametrize("value", ["abc", "7", 7.0, -1, 2**32, False])
def test_a_seed_refuses_the_rest(value):
    with pytest.raises(ParameterError, match=r"^split_seed must be an integer seed from 0 to "):
        seed("split_seed", value)


def test_text_refuses_empty_and_non_strings():
    assert text("embedding_model", "all-MiniLM-L6-v2") == "all-MiniLM-L6-v2"
    for value in ("", "  ", None, 3):
        with pytest.raises(ParameterError, match="^embedding_model must be a non-empty string"):
            text("embedding_model", value)


def test_a_choice_lists_its_options():
    options = ("all-MiniLM-L6-v2", "bert-base-uncased")
    assert choice("embedding_model", "bert-base-uncased", options) == "bert-base-uncased"
    with pytest.raises(ParameterError) as caught:
        choice("embedding_model", "MiniLM", options)
    assert str(caught.value) == (
        "embedding_model must be one of 'all-MiniLM-L6-v2', 'bert-base-uncased', "
        "not 'MiniLM' (str)."
    )
    with pytest.raises(ParameterError, match="not 1 \\(int\\)"):
        choice("embedding_model", 1, options)


def test_no_output_file_is_none():
    assert output_file("metrics_path", None) is None


def test_an_output_file_is_resolved_where_the_parameters_are_checked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = output_file("metrics_path", "metrics.json")
    assert path == tmp_path / "metrics.json" and path.is_absolute()
    assert list(tmp_path.iterdir()) == [], "the write probe leaves nothing behind"
    assert output_file("metrics_path", tmp_path / "m.json") == tmp_path / "m.json"
    (tmp_path / "old.json").write_text("{}")
    assert output_file("metrics_path", str(tmp_path / "old.json")) == tmp_path / "old.json"


def test_an_output_file_in_a_missing_folder_is_refused(tmp_path):
    with pytest.raises(ParameterError) as caught:
        output_file("metrics_path", tmp_path / "missing" / "metrics.json")
    assert str(caught.value) == (
        f"metrics_path must be a file in an existing folder, and {tmp_path / 'missing'} is not one."
    )


def test_an_output_file_under_a_file_is_refused(tmp_path):
    (tmp_path / "a_file").write_text("")
    with pytest.raises(ParameterError, match="in an existing folder, and .*a_file is not one"):
        output_file("metrics_path", tmp_path / "a_file" / "metrics.json")


def test_an_output_file_that_is_a_folder_is_refused(tmp_path):
    with pytest.raises(ParameterError, match=f"^metrics_path must be a file path, and {tmp_path}"):
        output_file("metrics_path", tmp_path)


@pytest.mark.parametrize("value", ["", " ", 3, ["metrics.json"]])
def test_an_output_file_must_be_a_path(value):
    with pytest.raises(ParameterError, match="^metrics_path must be None or a file path, not "):
        output_file("metrics_path", value)


def test_an_output_file_in_an_unwritable_folder_is_refused(unwritable_folder):
    with pytest.raises(ParameterError) as caught:
        output_file("metrics_path", unwritable_folder / "metrics.json")
    assert str(caught.value).startswith(
        f"metrics_path must be a file in a folder this process can write to, and "
        f"{unwritable_folder} refuses a new file ("
    )


def test_the_checks_import_nothing_heavy():
    """The module loads on its own, without torch, pandas or numpy."""
    code = (
        "import importlib.util, sys\n"
        "spec = importlib.util.spec_from_file_location('p', sys.argv[1])\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "print(sorted({'torch', 'numpy', 'pandas', 'snorkel'} & set(sys.modules)))\n"
    )
    module = Path(__file__).resolve().parents[1] / "crowdsourcing" / "parameters.py"
    out = subprocess.run([sys.executable, "-c", code, module], capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stderr


#: The paired scripts whose second code cell checks the parameters of the first.
CHECKING_NOTEBOOKS = [SCALING_TUTORIAL.with_suffix(".py"), TUTORIAL.with_suffix(".pct.py")]


@pytest.mark.parametrize("paired", CHECKING_NOTEBOOKS, ids=lambda p: p.name)
def test_the_cell_after_the_parameters_checks_them(paired, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert parameters_checked(paired)["metrics_path"] is None
    assert parameters_checked(paired, metrics_path="m.json")["metrics_path"] == tmp_path / "m.json"
    with pytest.raises(ParameterError, match="^metrics_path must be a file in an existing folder"):
        parameters_checked(paired, metrics_path=str(tmp_path / "missing" / "m.json"))


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("n_tasks", "3", "n_tasks must be an integer of at least 1, not '3' (str)."),
        ("n_tasks", 0, "n_tasks must be an integer of at least 1, not 0 (int)."),
        ("dask_workers", 1.5, "dask_workers must be an integer of at least 1, not 1.5 (float)."),
        ("few_answers", 21, "few_answers must be an integer from 1 to answers_per_task (20)"),
        ("answers_per_task", 201, "answers_per_task must be an integer from 1 to n_workers (200)"),
        ("end_model_tweets", 5_001, "end_model_tweets must be an integer from 1 to n_tasks (5000)"),
    ],
)
def test_the_scaling_notebook_refuses_in_its_second_cell(name, value, message):
    with pytest.raises(ParameterError) as caught:
        parameters_checked(SCALING_TUTORIAL.with_suffix(".py"), **{name: value})
    assert str(caught.value).startswith(message)
