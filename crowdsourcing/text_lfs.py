"""The tutorial's text labeling functions: they read only the tweet, so they label any new tweet.

Every LF abstains (-1) on a tweet without text (missing or not a string): Dask's type inference
calls LFs on such placeholder rows, and real data has gaps too. Preprocessors store their scores
as entries of the row (``x["polarity"]``), not as attributes: a pandas Series loses attributes
when it is pickled, as it is on its way to a Dask worker.
"""

from __future__ import annotations

import re

from snorkel.labeling import LabelingFunction, labeling_function
from snorkel.preprocess import preprocessor
from textblob import TextBlob
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

__all__ = ["STRONGER_LFS", "TEXTBLOB_LFS", "reset_caches"]

_vader = SentimentIntensityAnalyzer()


# The reference tutorial's LFs: thresholds on TextBlob's polarity (-1 to 1).
# Comparisons with NaN are false, so a tweet without text gets no vote.


@preprocessor(memoize=True)
def textblob_polarity(x):
    """Attach TextBlob's polarity of the tweet text (NaN if there is no text)."""
    text = x.tweet_text
    x["polarity"] = TextBlob(text).sentiment.polarity if isinstance(text, str) else float("nan")
    return x


@labeling_function(pre=[textblob_polarity])
def polarity_positive(x):
    return 1 if x.polarity > 0.3 else -1


@labeling_function(pre=[textblob_polarity])
def polarity_negative(x):
    return 0 if x.polarity < -0.25 else -1


@labeling_function(pre=[textblob_polarity])
def polarity_negative_2(x):
    """Broader than `polarity_negative`: more coverage, less precision."""
    return 0 if x.polarity <= 0.3 else -1


TEXTBLOB_LFS = [polarity_positive, polarity_negative, polarity_negative_2]


# Stronger LFs, written while reading the dev tweets of the reference split.


@preprocessor(memoize=True)
def vader_compound(x):
    """Attach VADER's compound score of the tweet text, -1 to 1 (NaN if there is no text)."""
    text = x.tweet_text
    x["vader"] = _vader.polarity_scores(text)["compound"] if isinstance(text, str) else float("nan")
    return x


@labeling_function(pre=[vader_compound])
def vader_positive(x):
    return 1 if x.vader >= 0.3 else -1


@labeling_function(pre=[vader_compound])
def vader_negative(x):
    return 0 if x.vader <= -0.1 else -1


def keyword_lf(name: str, pattern: str, label: int) -> LabelingFunction:
    """An LF that votes `label` when the tweet matches `pattern` (case-insensitive)."""
    regex = re.compile(pattern, re.IGNORECASE)

    def vote(x):
        return label if isinstance(x.tweet_text, str) and regex.search(x.tweet_text) else -1

    return LabelingFunction(name, f=vote)


def words(*alternatives: str) -> str:
    """A regex that matches any of `alternatives` as whole words."""
    return r"\b(" + "|".join(alternatives) + r")\b"


POSITIVE_WORDS = words(
    "love", "loving", "beautiful", "gorgeous", "perfect", "lovely", r"enjoy\w*", "great",
    "awesome", "amazing", "nice", "yay", "finally",
)  # fmt: skip
NEGATIVE_WORDS = words(
    "hate", "hating", "sucks?", "ugh", "miserable", r"depress\w*", r"piss\w*", r"annoy\w*",
    "sick of", "tired of", "horrible", "awful", "terrible", "crappy", "shitty", "bipolar",
)  # fmt: skip
PROFANITY = words(r"fuck\w*", r"shit\w*", r"damn\w*")
SUNSHINE = words("sun", "sunny", "sunshine", "sunlight")
BAD_WEATHER = words(
    r"rain\w*", "cold", "chilly", "freezing", "humid", "muggy", "gloomy", "grey", "gray",
    r"snow\w*", "hail",
)  # fmt: skip

STRONGER_LFS = [
    vader_positive,
    vader_negative,
    keyword_lf("emoticon_positive", r"(:-?\)|:-?D\b|;-?\)|\^_\^|<3|&lt;3)", 1),
    keyword_lf("emoticon_negative", r"(:-?\(|:'\()", 0),
    keyword_lf("words_positive", POSITIVE_WORDS, 1),
    keyword_lf("words_negative", NEGATIVE_WORDS, 0),
    keyword_lf("profanity_negative", PROFANITY, 0),
    keyword_lf("sunshine_positive", SUNSHINE, 1),
    keyword_lf("bad_weather_negative", BAD_WEATHER, 0),
]


def reset_caches() -> None:
    """Empty the preprocessors' memo caches (before timing LFs, or shipping them to workers)."""
    textblob_polarity.reset_cache()
    vader_compound.reset_cache()
