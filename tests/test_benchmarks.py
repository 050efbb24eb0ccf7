"""The benchmarks' own steps (benchmarks/scaling_steps.py, end_model_band.py), at small sizes."""

from __future__ import annotations

# benchmarks/ is on pytest's pythonpath (pyproject.toml), as the scripts' own folder is for them.
import label_model_memory
import pytest
import scaling_benchmark
import scaling_steps
from scaling_steps import end_model_route


@pytest.mark.slow
def test_end_model_route_reports_every_step():
    """The benchmark's `end_model` entry, at a small size, with a few texts for the comparison."""
    texts = ["what a lovely sunny morning", "rain rain rain, go away!", "snow"] * 20
    result = end_model_route(
        n_tweets=300, n_workers=40, answers_per_task=10, epochs=3, real_texts=texts
    )
    assert result["tweets"] == 300 and result["cores"] >= 1 and result["real_tweets"] == 60
    for key in (
        "synthetic_embed_tweets_per_s",
        "embed_tweets_per_s_per_core",
        "single_process_tweets_per_s",
        "seconds",
        "peak_mib",
    ):
        assert result[key] > 0, key
    ratio = result["embed_tweets_per_s_per_core"] / result["single_process_tweets_per_s"]
    assert result["embed_ratio"] == pytest.approx(ratio)
    assert [len(s) for s in result["embed_seconds"].values()] == [3, 3]
    names = [r["step"] for r in result["steps"]]
    assert names[0] == "cluster start-up" and "embeddings" in names and len(names) == 6
    assert result["seconds"] == pytest.approx(sum(r["seconds"] for r in result["steps"]))
    assert 0.7 < result["accuracy"] <= result["label_model_accuracy"]
    assert 3 < result["synthetic_mean_tokens"] < 12 and 3 < result["real_mean_tokens"] < 12


def test_benchmark_writes_the_embedding_figures_at_the_top(monkeypatch, tmp_path):
    """`--steps end_model --json F` puts the real tweets' figures at the top of F too."""
    figures = {"embed_tweets_per_s_per_core": 90.0, "single_process_tweets_per_s": 100.0}
    figures["embed_ratio"] = 0.9
    monkeypatch.setattr(scaling_steps, "end_model_route", lambda *a, **k: dict(figures))
    monkeypatch.setattr(scaling_benchmark, "real_texts", lambda: ["a tweet"])
    args = scaling_benchmark.parse_args(["--steps", "end_model", "--json", str(tmp_path / "f")])
    result = scaling_benchmark.run(args)
    assert {k: result[k] for k in figures} == figures == result["end_model"]


@pytest.mark.slow
def test_crowd_memory_rows_come_from_a_fresh_process():
    """benchmarks/label_model_memory.py at a tiny size: one row per crowd, its O's layout."""
    row = label_model_memory.in_fresh_process(n_workers=60, n_answers=3_000, per_task=10)
    assert row["workers"] == 60 and row["answers"] == 3_000 and row["sparse"] is False
    assert 0 < row["nonzero_counts"] <= row["lfs"] ** 2
    assert row["seconds"] > 0 and row["process_peak_mib"] > row["fit_peak_mib"] >= 0


def test_the_band_script_adds_only_the_positive_or_negative_tweets_not_confidently_labelled():
    import pandas as pd
    from end_model_band import extra_tweets

    gold = pd.DataFrame(
        {
            "tweet_id": [1, 2, 3, 4],
            "tweet_body": ["sunny!", "rain again", "cold", "meh"],
            "sentiment": ["Positive", "Negative", "Negative", "Neutral / author is just sharing"],
            "correct_category_conf": [1.0, 0.6, 0.7, 0.5],
        }
    )
    extra = extra_tweets(gold)
    assert list(extra.index) == [2, 3] and list(extra.sentiment) == [0, 0]
