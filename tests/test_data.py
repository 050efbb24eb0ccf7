"""Unit tests of the loader on small CSVs that the tests write themselves."""

from __future__ import annotations

import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from conftest import hashes_of
from crowdsourcing.data import (
    ANSWERS_FILE,
    GOLD_FILE,
    DataError,
    answer_mapping,
    answers_on,
    fetch_files,
    load_data,
    read_sources,
    split_data,
)


def load_small(folder: Path, seed: int = 123):
    """The loader's pipeline on a small mirror, with that mirror's own checksums."""
    return split_data(*read_sources(fetch_files(folder, hashes=hashes_of(folder))), seed=seed)


def test_answer_mapping():
    assert answer_mapping == {
        "I can't tell": -1,
        "Negative": 0,
        "Positive": 1,
        "Neutral / author is just sharing information": 2,
        "Tweet not related to weather condition": 3,
    }


def test_split_sizes_columns_and_disjointness(sources):
    crowd, train, dev, test = load_small(sources)
    assert (len(train), len(dev), len(test)) == (100, 50, 50)
    assert list(train.columns) == ["tweet_id", "tweet_text"]
    assert list(dev.columns) == list(test.columns) == ["tweet_id", "tweet_text", "sentiment"]
    for df in (train, dev, test):
        assert df.index.name == "tweet_id" and (df.index == df.tweet_id).all()
    assert set(dev.sentiment) | set(test.sentiment) <= {0, 1}
    ids = [set(df.index) for df in (train, dev, test)]
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])
    assert list(crowd.columns) == ["worker_id", "answer"] and crowd.index.name == "tweet_id"


def test_only_confident_positive_or_negative_tweets_are_kept(sources):
    gold = pd.read_csv(sources / GOLD_FILE).set_index("tweet_id")
    _, train, dev, test = load_small(sources)
    kept = gold.loc[pd.concat([train, dev, test]).index]
    assert (kept.correct_category_conf == 1).all()
    assert set(kept.sentiment) <= {"Positive", "Negative"}
    gold_labels = kept.loc[dev.index, "sentiment"].map(answer_mapping)
    assert (gold_labels == dev.sentiment).all()


def test_which_crowd_answers_are_removed(sources):
    crowd, train, dev, test = load_small(sources)
    with_answers = set(crowd.index)
    assert not with_answers & set(test.index)
    assert not with_answers & set(dev.index[:25])
    assert set(dev.index[25:]) <= with_answers
    assert not with_answers & set(train.index[:93])
    assert set(train.index[93:]) <= with_answers
    assert with_answers <= set(train.index) | set(dev.index)


def test_answers_are_mapped_to_integers(sources):
    crowd, *_ = load_small(sources)
    raw = pd.read_csv(sources / ANSWERS_FILE)
    raw = raw[raw.tweet_id.isin(crowd.index)]
    merged = crowd.reset_index().merge(raw, on=["tweet_id", "worker_id"])
    assert len(merged) == len(crowd)
    assert (merged.emotion.map(answer_mapping) == merged.answer).all()
    assert crowd.answer.dtype.kind == "i" and -1 in set(crowd.answer)


def test_each_tweets_answers_keep_their_file_order(sources):
    """Answers are grouped by tweet without reordering them: a worker's last answer stays last."""
    raw = pd.read_csv(sources / ANSWERS_FILE).sample(frac=1, random_state=0)
    raw["emotion"] = "Positive"
    grouped = answers_on(raw, pd.Index(raw.tweet_id.unique()))
    assert list(grouped.index.unique()) == list(raw.tweet_id.unique()), "first appearance order"
    for tweet, rows in grouped.groupby(level=0, sort=False):
        assert list(rows.worker_id) == list(raw.worker_id[raw.tweet_id == tweet]), tweet


def test_split_is_deterministic_and_depends_on_seed(sources):
    first, again, other = load_small(sources), load_small(sources), load_small(sources, seed=7)
    for a, b in zip(first, again, strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert list(first[2].index) != list(other[2].index)


def test_split_follows_unit_id_order_not_file_order(sources):
    gold, answers = read_sources(fetch_files(sources, hashes=hashes_of(sources)))
    shuffled = gold.sample(frac=1, random_state=1)
    for a, b in zip(split_data(gold, answers), split_data(shuffled, answers), strict=True):
        pd.testing.assert_frame_equal(a, b)


def test_works_from_any_working_directory(sources, tmp_path, monkeypatch):
    expected = load_small(sources)
    elsewhere = tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    monkeypatch.chdir(elsewhere)
    for a, b in zip(expected, load_small(Path(os.path.relpath(sources, elsewhere))), strict=True):
        pd.testing.assert_frame_equal(a, b)


def test_local_mirror_is_checked_against_the_published_checksums(sources):
    with pytest.raises(DataError, match=f"{GOLD_FILE} has SHA-256 .* expected 3d89efbd"):
        load_data(data_dir=sources)


def test_local_mirror_missing_file_names_it(sources, monkeypatch):
    (sources / ANSWERS_FILE).unlink()
    monkeypatch.setenv("WEATHER_SENTIMENT_DIR", str(sources))
    with pytest.raises(DataError, match=f"{ANSWERS_FILE} does not exist.*WEATHER_SENTIMENT_DIR"):
        fetch_files(hashes=dict.fromkeys([GOLD_FILE, ANSWERS_FILE]))


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda path: path.mkdir(), "is not a file"),
        (lambda path: path.symlink_to(path.with_name("gone.csv")), "is a symlink to nothing"),
        (lambda path: path.symlink_to(path), "is a symlink to nothing \\(or to itself\\)"),
    ],
    ids=["folder", "dangling symlink", "self-looping symlink"],
)
def test_local_mirror_file_that_is_no_file_is_named(sources, make, problem):
    (sources / ANSWERS_FILE).unlink()
    make(sources / ANSWERS_FILE)
    with pytest.raises(DataError, match=f"{ANSWERS_FILE} {problem}.*WEATHER_SENTIMENT_DIR"):
        fetch_files(sources, hashes=dict.fromkeys([GOLD_FILE, ANSWERS_FILE]))


def test_local_mirror_is_never_written(sources):
    before = {p.name: p.stat().st_mtime_ns for p in sources.iterdir()}
    load_small(sources)
    assert {p.name: p.stat().st_mtime_ns for p in sources.iterdir()} == before


def test_missing_column_is_named(sources):
    gold = pd.read_csv(sources / GOLD_FILE).drop(columns="correct_category_conf")
    gold.to_csv(sources / GOLD_FILE, index=False)
    with pytest.raises(DataError, match=f"{GOLD_FILE} lacks the column.*correct_category_conf"):
        load_small(sources)


@pytest.mark.parametrize("content", [b"", b"\xff\xfe\x00\x81 not text \x00\xff"])
def test_unreadable_file_is_named(sources, content):
    (sources / ANSWERS_FILE).write_bytes(content)
    with pytest.raises(DataError, match=f"Cannot read .*{ANSWERS_FILE}"):
        load_small(sources)


def test_unknown_answer_is_reported(sources):
    answers = pd.read_csv(sources / ANSWERS_FILE)
    answers.loc[0, "emotion"] = "Very happy"
    answers.to_csv(sources / ANSWERS_FILE, index=False)
    with pytest.raises(DataError, match="unknown answers.*Very happy"):
        load_small(sources)


# Downloads, against a small HTTP server on this machine's loopback address.


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves the files of `root`; `mode` makes it truncate or corrupt them."""

    root: Path
    mode = "ok"
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (the name http.server expects)
        type(self).requests.append(self.path)
        path = self.root / self.path.lstrip("/")
        if not path.is_file():
            self.send_error(404)
            return
        body = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.mode == "truncated":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.close()
        elif self.mode == "corrupt":
            self.wfile.write(body[:-1] + b"!")
        else:
            self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server(sources: Path) -> Iterator[type[_Handler]]:
    """A loopback HTTP server over the small sources; yields its handler class with `url`."""
    handler = type("Handler", (_Handler,), {"root": sources, "requests": [], "mode": "ok"})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    handler.url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield handler
    httpd.shutdown()
    httpd.server_close()


def fetch_from(server, cache: Path, sources: Path) -> dict[str, Path]:
    """Download the small sources from the test server into `cache`."""
    return fetch_files(cache_dir=cache, hashes=hashes_of(sources), base_url=server.url)


def test_download_verifies_caches_and_does_not_repeat(server, sources, tmp_path):
    cache = tmp_path / "cache"
    paths = fetch_from(server, cache, sources)
    assert hashes_of(cache) == hashes_of(sources)
    assert set(paths) == {GOLD_FILE, ANSWERS_FILE} and len(server.requests) == 2
    fetch_from(server, cache, sources)
    assert len(server.requests) == 2, "verified cached files must not be downloaded again"


def test_corrupted_cache_is_downloaded_again(server, sources, tmp_path):
    cache = tmp_path / "cache"
    fetch_from(server, cache, sources)
    (cache / GOLD_FILE).write_text("damaged")
    fetch_from(server, cache, sources)
    assert len(server.requests) == 3 and hashes_of(cache) == hashes_of(sources)


@pytest.mark.parametrize("mode", ["corrupt", "truncated"])
def test_bad_download_fails_clearly_and_leaves_nothing(server, sources, tmp_path, mode):
    server.mode = mode
    cache = tmp_path / "cache"
    with pytest.raises(DataError, match=f"{GOLD_FILE} .*(SHA-256|download)"):
        fetch_from(server, cache, sources)
    assert not cache.exists() or list(cache.iterdir()) == []


def test_missing_remote_file_fails_clearly(server, sources, tmp_path):
    (sources / GOLD_FILE).rename(sources / "elsewhere.csv")
    hashes = {GOLD_FILE: None, ANSWERS_FILE: None}
    with pytest.raises(DataError, match=f"Could not download {GOLD_FILE}.*WEATHER_SENTIMENT_DIR"):
        fetch_files(cache_dir=tmp_path / "cache", hashes=hashes, base_url=server.url)


def test_no_network_and_no_copy_fails_clearly(sources, tmp_path):
    closed_port = "http://127.0.0.1:9/"
    with pytest.raises(DataError, match=f"Could not download {GOLD_FILE}.*network"):
        fetch_files(cache_dir=tmp_path / "cache", hashes=hashes_of(sources), base_url=closed_port)
    assert not any((tmp_path / "cache").glob("*"))


@pytest.mark.parametrize("kind", ["a file", "read-only", "inside read-only"])
def test_an_unusable_cache_is_named_not_the_network(
    server, sources, tmp_path, unwritable_folder, kind
):
    cache = {
        "a file": tmp_path / "cache",
        "read-only": unwritable_folder,
        "inside read-only": unwritable_folder / "cache",
    }[kind]
    if kind == "a file":
        cache.write_text("")
    with pytest.raises(DataError) as caught:
        fetch_from(server, cache, sources)
    message = str(caught.value)
    assert message.startswith(f"Could not store {GOLD_FILE} in the cache folder {cache}: ")
    assert "WEATHER_SENTIMENT_CACHE to a folder you can write to" in message
    assert "network" not in message and server.requests == []
