"""Integration tests on the real CSVs (WEATHER_SENTIMENT_DIR or the download cache)."""

from __future__ import annotations

import pytest

from crowdsourcing.data import load_data


@pytest.fixture(scope="module")
def reference_split(real_data_dir):
    return load_data(seed=123, data_dir=real_data_dir)


def test_reference_split_sizes_and_first_dev_tweets(reference_split):
    crowd, train, dev, test = reference_split
    assert (len(train), len(dev), len(test)) == (187, 50, 50)
    assert list(dev.index[:5]) == [79197834, 80059939, 79196441, 84047300, 83255121]


def test_reference_crowd_answers(reference_split):
    crowd, *_ = reference_split
    assert len(crowd) == 2380 and crowd.index.nunique() == 119
    counts = crowd.groupby("worker_id").size()
    assert (counts > 10).sum() == 68


def test_load_data_from_another_directory(real_data_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WEATHER_SENTIMENT_DIR", str(real_data_dir))
    crowd, train, dev, test = load_data()
    assert len(crowd) == 2380 and len(dev) == 50
