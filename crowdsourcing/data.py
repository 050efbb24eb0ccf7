"""Load the Weather Sentiment tweets and their crowd answers, split as in the reference tutorial.

The two CrowdFlower CSVs are downloaded once from a pinned URL, checked against their SHA-256
and cached; ``WEATHER_SENTIMENT_DIR`` (or ``data_dir=``) points at a folder that already holds
them, in which case nothing is downloaded and nothing is written.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pooch
import requests

__all__ = [
    "DataError",
    "answer_mapping",
    "answers_on",
    "fetch_files",
    "labelled_tweets",
    "load_data",
    "load_sources",
    "read_sources",
    "split_data",
]

#: The crowd's five possible answers, as integers (-1 is Snorkel's "abstain").
answer_mapping: dict[str, int] = {
    "I can't tell": -1,
    "Negative": 0,
    "Positive": 1,
    "Neutral / author is just sharing information": 2,
    "Tweet not related to weather condition": 3,
}

GOLD_FILE = "weather-evaluated-agg-DFE.csv"
ANSWERS_FILE = "weather-non-agg-DFE.csv"
#: SHA-256 of each source file, as published in snorkel-team/snorkel.
SHA256: dict[str, str] = {
    GOLD_FILE: "3d89efbdb70b5c6712ad66595e32209b9b69ccea373f3d57343908ea6c45752c",
    ANSWERS_FILE: "a7e0527d10fe395027b9bf607ccd1c91d6f0bc586781e48d4151be02f2a5b6f8",
}
BASE_URL = (
    "https://raw.githubusercontent.com/snorkel-team/snorkel/"
    "f958365e4d8aa13a926a7e3a4505cff13f3bbeed/tutorials/crowdsourcing/data/"
)
ENV_DIR = "WEATHER_SENTIMENT_DIR"
ENV_CACHE = "WEATHER_SENTIMENT_CACHE"

GOLD_COLUMNS = ("_unit_id_", "correct_category_conf", "sentiment", "tweet_id", "tweet_body")
ANSWER_COLUMNS = ("worker_id", "emotion", "tweet_id")

# Split sizes of the reference tutorial, and how many tweets of each split keep crowd answers.
N_DEV, N_TEST = 50, 50
N_DEV_WITHOUT_CROWD, N_TRAIN_WITHOUT_CROWD = 25, 93


class DataError(RuntimeError):
    """The source files could not be found, fetched, verified or read."""


def _why_not_a_file(path: Path) -> str:
    """Why `path`, which is not a readable regular file, cannot be read, in a few words."""
    if path.is_symlink():
        return "is a symlink to nothing (or to itself)"
    return "is not a file" if path.exists() else "does not exist"


def _local_files(folder: Path, hashes: Mapping[str, str | None]) -> dict[str, Path]:
    """Check that a local mirror holds every file with the expected hash; write nothing."""
    paths = {}
    for name, expected in hashes.items():
        path = folder / name
        if not path.is_file():
            raise DataError(
                f"{path} {_why_not_a_file(path)}. {ENV_DIR} (or data_dir) must name a folder that "
                f"holds both {GOLD_FILE} and {ANSWERS_FILE}; unset it to download them."
            )
        try:
            with open(path, "rb") as f:
                actual = hashlib.file_digest(f, "sha256").hexdigest()
        except OSError as err:
            raise DataError(f"Cannot read {path}: {err}. Check its permissions.") from err
        if expected is not None and actual != expected:
            raise DataError(
                f"{path} has SHA-256 {actual}, expected {expected}. The file is corrupt or "
                "not the published version: replace it with a fresh copy."
            )
        paths[name] = path
    return paths


def _download(name: str, expected: str | None, cache: Path, base_url: str) -> Path:
    """Download one file into the cache (atomically, verified), unless a verified copy is there."""
    url = base_url + name
    downloader = pooch.HTTPDownloader(progressbar=False, timeout=30)
    try:
        return Path(pooch.retrieve(url, expected, fname=name, path=cache, downloader=downloader))
    except ValueError as err:  # pooch's checksum mismatch
        raise DataError(
            f"The download of {name} from {url} did not match its SHA-256 ({err}). "
            "Nothing was kept. Try again later, or put a verified copy in a folder and set "
            f"{ENV_DIR} to it."
        ) from err
    except requests.RequestException as err:  # pooch downloads with requests; also OSErrors
        raise DataError(
            f"Could not download {name} from {url}: {err}. Check the network connection, or "
            f"download both CSVs yourself and set {ENV_DIR} to the folder that holds them."
        ) from err
    except OSError as err:  # the cache: not a folder, not writable, full
        raise DataError(
            f"Could not store {name} in the cache folder {cache}: {err}. Set {ENV_CACHE} to a "
            f"folder you can write to, or download both CSVs yourself and set {ENV_DIR} to the "
            "folder that holds them."
        ) from err


def fetch_files(
    data_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    hashes: Mapping[str, str | None] = SHA256,
    base_url: str = BASE_URL,
) -> dict[str, Path]:
    """Paths of the two verified source files: from a local folder, the cache, or a download."""
    folder = data_dir if data_dir is not None else os.environ.get(ENV_DIR)
    if folder:
        return _local_files(Path(folder).expanduser().resolve(), hashes)
    cache = Path(cache_dir or os.environ.get(ENV_CACHE) or pooch.os_cache("weather-sentiment"))
    return {name: _download(name, expected, cache, base_url) for name, expected in hashes.items()}


def _read_csv(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    """Read a CSV, requiring the given columns, with errors that name the file."""
    try:
        df = pd.read_csv(path)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise DataError(f"Cannot read {path} as CSV: {err}. Replace it with a fresh copy.") from err
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(
            f"{path} lacks the column(s) {missing}; it has {list(df.columns)}. "
            "It is not the Weather Sentiment file this tutorial expects."
        )
    return df


def read_sources(paths: Mapping[str, Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The gold table (one row per tweet) and the answers table (one row per crowd answer)."""
    gold = _read_csv(paths[GOLD_FILE], GOLD_COLUMNS)
    answers = _read_csv(paths[ANSWERS_FILE], ANSWER_COLUMNS)
    unknown = set(answers["emotion"].dropna()) - set(answer_mapping)
    if unknown:
        raise DataError(f"{paths[ANSWERS_FILE]} has unknown answers {sorted(unknown)}.")
    return gold, answers


def labelled_tweets(gold: pd.DataFrame) -> pd.DataFrame:
    """The confident positive/negative tweets in ``_unit_id_`` order: id, text, sentiment (0/1)."""
    gold = gold.sort_values("_unit_id_", kind="stable")
    confident = gold[
        (gold["correct_category_conf"] == 1) & gold["sentiment"].isin(["Positive", "Negative"])
    ]
    return pd.DataFrame(
        {
            "tweet_id": confident["tweet_id"].to_numpy(),
            "tweet_text": confident["tweet_body"].to_numpy(),
            "sentiment": confident["sentiment"].map(answer_mapping).to_numpy(),
        }
    ).set_index("tweet_id", drop=False)


def answers_on(answers: pd.DataFrame, tweet_ids: pd.Index) -> pd.DataFrame:
    """The crowd answers on `tweet_ids` as integers (`worker_id`, `answer`), indexed by tweet id.

    Each tweet's answers stay together, tweets in the order they first appear in the file.
    """
    kept = answers[answers["tweet_id"].isin(tweet_ids)]
    kept = kept.iloc[pd.factorize(kept["tweet_id"])[0].argsort(kind="stable")]
    return pd.DataFrame(
        {
            "worker_id": kept["worker_id"].to_numpy(),
            "answer": kept["emotion"].map(answer_mapping).astype(int).to_numpy(),
        },
        index=pd.Index(kept["tweet_id"].to_numpy(), name="tweet_id"),
    )


def split_data(
    gold: pd.DataFrame, answers: pd.DataFrame, seed: int = 123
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Split the confident positive/negative tweets into train/dev/test and hide crowd answers.

    Returns ``(crowd_answers, df_train, df_dev, df_test)``, each indexed by ``tweet_id``.
    """
    tweets = labelled_tweets(gold).sample(frac=1, random_state=seed)
    df_dev = tweets.iloc[:N_DEV]
    df_test = tweets.iloc[N_DEV : N_DEV + N_TEST]
    df_train = tweets.iloc[N_DEV + N_TEST :].drop(columns="sentiment")

    hidden = pd.Index(df_dev.index[:N_DEV_WITHOUT_CROWD]).append(
        [df_test.index, df_train.index[:N_TRAIN_WITHOUT_CROWD]]
    )
    kept = tweets.index[~tweets.index.isin(hidden)]
    crowd_answers = answers_on(answers, kept)
    return crowd_answers, df_train, df_dev, df_test


def load_sources(
    data_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fetch and read the data, unsplit: ``(gold, answers)``, to split with `split_data`."""
    return read_sources(fetch_files(data_dir, cache_dir))


def load_data(
    seed: int = 123,
    data_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Fetch, read and split the data: ``(crowd_answers, df_train, df_dev, df_test)``."""
    return split_data(*load_sources(data_dir, cache_dir), seed)
