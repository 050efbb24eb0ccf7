"""Shared fixtures: small Weather Sentiment-like CSVs written by the tests, and the real data."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from checksums import sha256_file
from data import ANSWERS_FILE, GOLD_FILE, DataError, answer_mapping, fetch_files

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "crowdsourcing"
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
    return {name: sha256_file(folder / name) for name in (GOLD_FILE, ANSWERS_FILE)}


@pytest.fixture
def sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with small source CSVs; the real-data variable is unset for the test."""
    monkeypatch.delenv("WEATHER_SENTIMENT_DIR", raising=False)
    folder = tmp_path / "mirror"
    make_sources(folder)
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
