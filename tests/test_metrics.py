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


def test_no_path_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_metrics(None, {"a": 1})
    assert list(tmp_path.iterdir()) == []
