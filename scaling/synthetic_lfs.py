"""The scaling tutorial's own LFs for its synthetic tweets: per-worker crowd LFs and text LFs.

The per-worker LFs give the LF route to the crowd label matrix: each votes where the vectorized
builder (`crowdsourcing.votes.crowd_vote_cells`) places its worker's votes, and the tests check
that applying them gives the builder's matrix. The text LFs are real Python work per tweet
(TextBlob, VADER) for the DaskLFApplier demo: they abstain on a tweet without text (Dask infers
types on placeholder rows), and their preprocessors store scores as row entries, which survive
pickling on the way to a Dask worker.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from snorkel.labeling import LabelingFunction, PandasLFApplier, labeling_function
from snorkel.preprocess import preprocessor
from textblob import TextBlob
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from crowdsourcing.votes import ABSTAIN, crowd_lf_names, crowd_vote_cells

__all__ = ["TEXT_LFS", "reset_caches", "warm_up", "worker_lfs"]

_vader = SentimentIntensityAnalyzer()


def _vote(x, votes: dict) -> int:
    """The LF's vote on this tweet, else abstain."""
    return votes.get(x.tweet_id, ABSTAIN)


def worker_lfs(crowd_answers: pd.DataFrame, workers: Sequence[int]) -> list[LabelingFunction]:
    """Per worker an LF for each class, in the column order of `crowd_label_matrix`; each votes
    where `crowd_vote_cells` places that worker's vote for its class."""
    tweet_ids = crowd_answers.index.unique()
    rows, columns, labels = crowd_vote_cells(crowd_answers, tweet_ids, workers)
    by_lf = pd.Series(labels, index=tweet_ids[rows]).groupby(columns)
    votes = {column: lf_votes.to_dict() for column, lf_votes in by_lf}
    return [
        LabelingFunction(name, f=_vote, resources={"votes": votes.get(column, {})})
        for column, name in enumerate(crowd_lf_names(workers))
    ]


@preprocessor(memoize=True)
def textblob_polarity(x):
    """Attach TextBlob's polarity, -1 to 1 (NaN without text, so every comparison is false)."""
    text = x.tweet_text
    x["polarity"] = TextBlob(text).sentiment.polarity if isinstance(text, str) else float("nan")
    return x


@preprocessor(memoize=True)
def vader_compound(x):
    """Attach VADER's compound score, -1 to 1 (NaN without text)."""
    text = x.tweet_text
    x["vader"] = _vader.polarity_scores(text)["compound"] if isinstance(text, str) else float("nan")
    return x


@labeling_function(pre=[textblob_polarity])
def polarity_positive(x):
    return 1 if x.polarity > 0.3 else ABSTAIN


@labeling_function(pre=[textblob_polarity])
def polarity_negative(x):
    return 0 if x.polarity < -0.25 else ABSTAIN


@labeling_function(pre=[vader_compound])
def vader_positive(x):
    return 1 if x.vader >= 0.3 else ABSTAIN


@labeling_function(pre=[vader_compound])
def vader_negative(x):
    return 0 if x.vader <= -0.1 else ABSTAIN


TEXT_LFS = [polarity_positive, polarity_negative, vader_positive, vader_negative]


def reset_caches() -> None:
    """Empty the preprocessors' memo caches (before timing LFs, or shipping them to workers)."""
    textblob_polarity.reset_cache()
    vader_compound.reset_cache()


def warm_up() -> None:
    """Run the text LFs once, so that what they load on first use (TextBlob's lexicon) is loaded,
    then empty their caches. Before timing them; on Dask workers with `client.run(warm_up)`."""
    one_row = pd.DataFrame({"tweet_id": [0], "tweet_text": ["a sunny day"]})
    PandasLFApplier(TEXT_LFS).apply(one_row, progress_bar=False)
    reset_caches()
