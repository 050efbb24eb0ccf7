"""How high gold training labels lift the tutorial's end model, and whether more training tweets,
other features or weaker regularization lift it higher.

The tutorial's end model is a logistic regression on frozen MiniLM sentence vectors, trained on
187 tweets; over its random splits it scores from the text LFs' labels (the band's floor) to gold
labels (its top). This script measures the top under other settings, with gold labels, on the
splits the tutorial uses (seeds 0 to n - 1, the 50 dev tweets of the reference split left out of
every test set):

- half of the training tweets, and all of them (does the top still climb with more tweets?);
- the training tweets plus every positive or negative tweet whose crowd aggregate is not
  confident, labelled by that aggregate (the only further tweets the data set holds);
- TF-IDF word and bigram features instead of the sentence vectors, and both together;
- weaker regularization (C = 10 instead of liblinear's default 1).

    .tox/tutorial/bin/python benchmarks/end_model_band.py --splits 20 --json build/band.json
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from crowdsourcing.data import answer_mapping, labelled_tweets, load_sources, split_data
from crowdsourcing.embeddings import embed_texts, load_encoder

REFERENCE_SEED = 123


def extra_tweets(gold: pd.DataFrame) -> pd.DataFrame:
    """Positive or negative tweets whose aggregate is not confident, with that aggregate (0/1)."""
    rows = gold[
        (gold["correct_category_conf"] < 1) & gold["sentiment"].isin(["Positive", "Negative"])
    ]
    return pd.DataFrame(
        {
            "tweet_text": rows["tweet_body"].to_numpy(),
            "sentiment": rows["sentiment"].map(answer_mapping).to_numpy(),
        },
        index=pd.Index(rows["tweet_id"].to_numpy(), name="tweet_id"),
    )


def score(train: pd.DataFrame, test: pd.DataFrame, features: Callable, C: float = 1.0) -> float:
    """Test accuracy of a logistic regression on `features(train texts, test texts)`."""
    X_train, X_test = features(train.tweet_text, test.tweet_text)
    model = LogisticRegression(solver="liblinear", C=C).fit(X_train, train.sentiment.to_numpy())
    return float((model.predict(X_test) == test.sentiment.to_numpy()).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=20)
    parser.add_argument("--json", help="write the mean accuracies here")
    args = parser.parse_args()

    gold, answers = load_sources()
    extra, truth = extra_tweets(gold), labelled_tweets(gold).sentiment
    _, _, reference_dev, _ = split_data(gold, answers, REFERENCE_SEED)
    texts = pd.concat([labelled_tweets(gold).tweet_text, extra.tweet_text])
    vectors = pd.DataFrame(embed_texts(texts.tolist(), *load_encoder()), index=texts.index)

    def minilm(a: pd.Series, b: pd.Series):
        return vectors.loc[a.index].to_numpy(), vectors.loc[b.index].to_numpy()

    def tfidf(a: pd.Series, b: pd.Series):
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True).fit(a)
        return vectorizer.transform(a), vectorizer.transform(b)

    def both(a: pd.Series, b: pd.Series):
        (va, vb), (ta, tb) = minilm(a, b), tfidf(a, b)
        return sp.hstack([sp.csr_matrix(va), ta]).tocsr(), sp.hstack(
            [sp.csr_matrix(vb), tb]
        ).tocsr()

    results: dict[str, list[float]] = {}
    for seed in range(args.splits):
        _, train, dev, test = split_data(gold, answers, seed)
        train = train.assign(sentiment=truth.loc[train.index])
        test = test[~test.index.isin(reference_dev.index)]
        more = pd.concat([train, extra[~extra.index.isin(train.index)]])
        variants = {
            "MiniLM, half of the training tweets": score(
                train.iloc[: len(train) // 2], test, minilm
            ),
            "MiniLM, all training tweets (the tutorial's top)": score(train, test, minilm),
            "MiniLM, plus the tweets not confidently labelled": score(more, test, minilm),
            "TF-IDF": score(train, test, tfidf),
            "MiniLM and TF-IDF": score(train, test, both),
            "MiniLM, C = 10": score(train, test, minilm, C=10.0),
        }
        for name, accuracy in variants.items():
            results.setdefault(name, []).append(accuracy)
    means = {name: float(np.mean(values)) for name, values in results.items()}
    for name, mean in means.items():
        print(f"{mean:.3f}  {name}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"splits": args.splits, "mean_test_accuracy": means}, f, indent=2)


if __name__ == "__main__":
    main()
