"""The metrics JSON is written whole or not at all, and only where asked."""

from __future__ import annotations

import json

import pytest

from crowdsourcing.metrics import write_metrics


def test_metrics_are_written_as_json_with_no_partial_file_left(tmp_path):
    path = tmp_path / "metrics.json"
    write_metrics(path, {"a": 1.5, "b": {"c": [1, 2]}})
    assert json.loads(path.read_text()) == {"a": 1.5, "b": {"c": [1, 2]}}
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_a_failed_write_leaves_the_earlier_file(tmp_path):
    path = tmp_path / "metrics.json"
    write_metrics(path, {"a": 1})
    with pytest.raises(TypeError):
        write_metrics(path, {"a": object()})
    assert json.loads(path.read_text()) == {"a": 1}


def test_a_write_cut_short_leaves_the_earlier_file(tmp_path, monkeypatch):
    """A disk that fills up mid-write: the earlier file stays whole, the new text never lands."""
    path = tmp_path / "metrics.json"
    write_metrics(path, {"a": 1})

    def cut_short(self, text: str) -> None:
        with open(self, "w") as f:
            f.write(text[:3])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(type(path), "write_text", cut_short)
    with pytest.raises(OSError, match="No space left"):
        write_metrics(path, {"a": 2, "b": 3})
    monkeypatch.undo()
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"], "no partial file left"


def test_no_path_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_metrics(None, {"a": 1})
    assert list(tmp_path.iterdir()) == []


def test_a_folder_as_path_is_refused_and_leaves_nothing_behind(tmp_path):
    (tmp_path / "metrics.json").mkdir()
    with pytest.raises(IsADirectoryError, match="is a folder"):
        write_metrics(tmp_path / "metrics.json", {"a": 1})
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_a_value_json_cannot_hold_leaves_no_partial_file(tmp_path):
    """NaN is no JSON; the write fails whole, with no partial file beside the target."""
    with pytest.raises(ValueError):
        write_metrics(tmp_path / "metrics.json", {"a": float("nan")})
    assert list(tmp_path.iterdir()) == []


def test_infinities_are_stored_as_null():
    from crowdsourcing.metrics import _plain

    assert _plain({"ratio": float("inf"), "ci95": [0.5, float("inf")]}) == {
        "ratio": None,
        "ci95": [0.5, None],
    }
