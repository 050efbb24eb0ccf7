"""The benchmarks' own steps (benchmarks/scaling_steps.py), at small sizes."""

from __future__ import annotations

import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from scaling_steps import end_model_route  # noqa: E402


@pytest.mark.slow
def test_end_model_route_reports_every_step():
    """The benchmark's `end_model` entry, at a small size."""
    result = end_model_route(n_tweets=300, n_workers=40, answers_per_task=10, epochs=3)
    assert result["tweets"] == 300 and result["cores"] >= 1
    for key in ("embed_tweets_per_s", "embed_tweets_per_s_per_core", "seconds", "peak_mib"):
        assert result[key] > 0, key
    names = [r["step"] for r in result["steps"]]
    assert names[0] == "cluster start-up" and "embeddings" in names and len(names) == 6
    assert result["seconds"] == pytest.approx(sum(r["seconds"] for r in result["steps"]))
    assert 0.7 < result["accuracy"] <= result["label_model_accuracy"]
    assert 3 < result["mean_tokens"] < 12
