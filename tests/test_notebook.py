"""The tutorial notebook: runs cleanly for other parameters, shows the reference's figures and
answers its question in consistent figures, matches its stored copy and its paired script; and the
functions written in its cells behave (compiled from the paired script, without executing it).

The tutorial is executed twice per run (default parameters, and another seed and split count);
those tests are marked slow."""

from __future__ import annotations

import ast
import re

import nbformat
import numpy as np
import pandas as pd
import pytest

from conftest import (
    TUTORIAL,
    assert_fresh_run_shows_the_stored,
    assert_in_sync,
    assert_stored_executed_and_tidy,
    assert_test_labels_play_no_part,
    assert_tidy,
    code_cells,
    execute,
    same_figures,
    visible_text,
)
from crowdsourcing.data import labelled_tweets, load_sources
from crowdsourcing.statistics import TOLERANCE

PAIRED = TUTORIAL.with_suffix(".pct.py")

# Rows of the two LF summary tables as the reference tutorial printed them on dev (its worker LFs
# were named worker_<id>; here each class has its own name). Numbers are compared as shown here,
# rounded to three decimals.
REFERENCE_ROWS = [
    ("worker_6340330_pos", "0 [1] 0.04 0.04 0.04 2 0 1.000000"),
    ("worker_6344001_pos", "1 [1] 0.04 0.04 0.04 2 0 1.000000"),
    ("worker_6346694_pos", "2 [1] 0.12 0.12 0.10 5 1 0.833333"),
    ("worker_6363996_pos", "3 [1] 0.04 0.04 0.02 2 0 1.000000"),
    ("worker_6371053_pos", "4 [1] 0.06 0.06 0.06 2 1 0.666667"),
    ("polarity_positive", "0 [1] 0.30 0.16 0.12 15 0 1.000000"),
    ("polarity_negative", "1 [0] 0.10 0.10 0.04 5 0 1.000000"),
    ("polarity_negative_2", "2 [0] 0.70 0.40 0.32 26 9 0.742857"),
    ("worker_6340330_pos", "3 [1] 0.04 0.04 0.04 2 0 1.000000"),
]


def row_shown(text: str, name: str, row: str) -> bool:
    """Whether `text` shows the LF summary row `name` with the values of `row`, numbers rounded
    to three decimals as the notebook shows them."""
    values = row.split()
    number = r"(\d+(?:\.\d+)?)"
    cells = [number if value[0].isdigit() else re.escape(value) for value in values]
    for match in re.finditer(re.escape(name) + r"\s+" + r"\s+".join(cells), text):
        numbers = iter(match.groups())
        shown = [next(numbers) if value[0].isdigit() else value for value in values]
        if all(
            round(float(a), 3) == round(float(b), 3) if a[0].isdigit() else a == b
            for a, b in zip(shown, values, strict=True)
        ):
            return True
    return False


WEAK, TEXT = "LabelModel (crowd + text LFs)", "LabelModel (text LFs)"
CROWD_ONLY = ("majority vote (crowd)", "Dawid-Skene (crowd)")


@pytest.fixture(scope="module")
def executed(real_data_dir, tmp_path_factory):
    """A fresh execution of the tutorial (real data, default parameters) and its metrics."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WEATHER_SENTIMENT_DIR", str(real_data_dir))
        return execute(TUTORIAL, tmp_path_factory.mktemp("notebook"))


@pytest.fixture(scope="module")
def other(real_data_dir, tmp_path_factory):
    """The tutorial executed with another split and three splits."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WEATHER_SENTIMENT_DIR", str(real_data_dir))
        return execute(TUTORIAL, tmp_path_factory.mktemp("other"), split_seed=7, n_splits=3)


@pytest.mark.slow
def test_key_figures(executed):
    _, metrics = executed
    assert metrics["n_workers"] == 68
    assert round(metrics["crowd_coverage_train"], 4) == 0.5027
    assert metrics["crowd_coverage_dev"] == 0.5
    assert metrics["coverage_train"] == metrics["coverage_dev"] == 1.0
    assert round(metrics["label_model_dev_acc"], 3) == 0.920


@pytest.mark.slow
def test_lf_summaries_match_the_reference(executed):
    nb, _ = executed
    text = "\n".join(visible_text(c) for c in code_cells(nb))
    for name, row in REFERENCE_ROWS:
        assert row_shown(text, name, row), f"no row {name} {row}"
    assert re.search(r"79197834\s+@mention not in sunny dover.*\n80059939\s+It is literally", text)


@pytest.mark.slow
def test_the_budget_curve_holds_every_budget_and_source(executed):
    _, metrics = executed
    budget, n = metrics["budget"], metrics["splits"]["n"]
    assert {(b["coverage"], b["answers_per_tweet"]) for b in budget} == {
        (c, p) for c in (0.05, 0.1, 0.25, metrics["crowd_coverage_train"], 1.0) for p in (3, None)
    }
    for b in budget:
        assert set(b["sources"]) == {*CROWD_ONLY, WEAK}
        for source in b["sources"].values():
            assert source["ci95"][0] <= source["mean"] <= source["ci95"][1]
        diff = b["weak_minus_crowd"]
        assert diff["wins"] + diff["ties"] + diff["losses"] == n
        assert diff["ci95"][0] <= diff["mean"] <= diff["ci95"][1]
        # Each split's better crowd source is a harder opponent than either source on average.
        best_mean = max(b["sources"][s]["mean"] for s in CROWD_ONLY)
        assert diff["mean"] <= b["sources"][WEAK]["mean"] - best_mean + 1e-9
    for per_tweet in (3, None):
        line = sorted(
            (b for b in budget if b["answers_per_tweet"] == per_tweet), key=lambda b: b["coverage"]
        )
        answers = [b["answers"] for b in line]
        assert answers == sorted(answers) and len(set(answers)) == len(answers)
    three = {b["coverage"]: b["answers"] for b in budget if b["answers_per_tweet"] == 3}
    every = {b["coverage"]: b["answers"] for b in budget if b["answers_per_tweet"] is None}
    assert all(three[c] < every[c] for c in three)


@pytest.mark.slow
def test_the_saving_is_read_from_the_curve(executed):
    _, metrics = executed
    saving, budget = metrics["budget_saving"], metrics["budget"]
    here = next(
        b
        for b in budget
        if b["coverage"] == metrics["crowd_coverage_train"] and b["answers_per_tweet"] is None
    )
    assert saving["accuracy"] == max(here["sources"][s]["mean"] for s in CROWD_ONLY)

    def cheapest(sources: tuple[str, ...]) -> float | None:
        reach = [
            b["answers"]
            for b in budget
            if max(b["sources"][s]["mean"] for s in sources) >= saving["accuracy"] - TOLERANCE
        ]
        return min(reach) if reach else None

    assert saving["answers_crowd"] == cheapest(CROWD_ONLY) <= here["answers"]
    text_alone = metrics["splits"]["label_sources_test_acc"][TEXT]
    near = saving["accuracy"] - TOLERANCE
    assert saving["answers_weak"] == (0 if text_alone >= near else cheapest((WEAK,)))
    if saving["answers_weak"]:
        assert saving["ratio"] == pytest.approx(saving["answers_crowd"] / saving["answers_weak"])


@pytest.mark.slow
def test_the_verdict_is_the_first_parts_budget(executed):
    _, metrics = executed
    splits = metrics["splits"]
    here = next(
        b
        for b in metrics["budget"]
        if b["coverage"] == metrics["crowd_coverage_train"] and b["answers_per_tweet"] is None
    )
    assert splits["verdict"]["weak_minus_crowd"] == {
        k: here["weak_minus_crowd"][k] for k in ("mean", "ci95")
    }
    assert {s: splits["label_sources_test_acc"][s] for s in here["sources"]} == {
        s: v["mean"] for s, v in here["sources"].items()
    }
    assert "chosen" not in splits


@pytest.mark.slow
def test_the_declared_end_model(executed):
    _, metrics = executed
    stronger, splits = metrics["stronger"], metrics["splits"]
    low, high = stronger["end_model_test_ci95"]
    assert low <= stronger["end_model_test_acc"] <= high
    assert stronger["test_tweets_scored"] == 50, "the reference split's test holds no LF dev tweet"
    assert splits["n"] == 20
    for key in ("label_model_dev_acc", "majority_vote_dev_acc", "end_model_test_acc"):
        assert set(splits[key]) == {"mean", "std"} and 0 < splits[key]["std"] < 0.1
    # Labels from the label model over crowd and every LF come close to gold with the same
    # features: within 0.03, a tweet and a half of the 40 or so scored per split.
    gap = splits["gold_ceiling_test_acc"]["mean"] - splits["end_model_test_acc"]["mean"]
    assert gap < 0.03


FIGURE_TOLERANCE = 0.021  # one test tweet of 50, and the rounding of a shown figure


@pytest.mark.slow
def test_fresh_run_shows_what_the_stored_notebook_shows(executed):
    """The same text and the same figures. A figure may differ by 0.02 (one test tweet of 50):
    the label model's float32 arithmetic and the logistic regressions run through the CPU's vector
    instructions (AVX2 or AVX-512), and a tweet on the decision boundary can fall either side."""
    fresh, _ = executed
    assert_fresh_run_shows_the_stored(fresh, TUTORIAL, FIGURE_TOLERANCE)


def test_figures_are_compared_with_the_stated_tolerance():
    assert same_figures("acc 0.860, 1,880 answers", "acc 0.840, 1,880 answers", FIGURE_TOLERANCE)
    assert not same_figures("acc 0.880", "acc 0.840", FIGURE_TOLERANCE)
    assert not same_figures("1,880 answers", "1,881 answers", FIGURE_TOLERANCE)
    assert not same_figures("better", "unresolved", FIGURE_TOLERANCE)


@pytest.mark.slow
def test_runs_cleanly_and_truthfully_with_other_parameters(other):
    nb, metrics = other
    assert_tidy(nb)
    assert metrics["splits"]["n"] == 3
    assert all(
        b["weak_minus_crowd"]["wins"]
        + b["weak_minus_crowd"]["ties"]
        + b["weak_minus_crowd"]["losses"]
        == 3
        for b in metrics["budget"]
    )
    text = "\n".join(visible_text(c) for c in code_cells(nb))
    assert "mean over 3 splits" in text and "over 20 splits" not in text
    assert "Split 7, " in text and "First part, split 7:" in text


def test_too_few_splits_fail_before_the_splits_run():
    with pytest.raises(ValueError, match="n_splits must be at least 1"):
        notebook_names("seeds", split_seed=123, n_splits=0)


def test_stored_notebook_is_executed_and_tidy():
    assert_stored_executed_and_tidy(TUTORIAL)


def test_notebook_and_paired_script_are_in_sync():
    assert_in_sync(TUTORIAL, PAIRED)


def test_the_notebook_is_lean():
    """At most 50 cells and 300 non-blank lines of code, none written to fit a cap."""
    stored = nbformat.read(TUTORIAL, as_version=4)
    code = [line for c in code_cells(stored) for line in c.source.splitlines() if line.strip()]
    assert len(stored.cells) <= 50 and len(code) <= 300
    assert not any("fmt: skip" in line or "fmt: off" in line for line in code)


def test_the_paired_script_cannot_shadow_the_package():
    """A kernel started in crowdsourcing/ imports the package, not the script."""
    assert PAIRED.name != "crowdsourcing.py" and not (TUTORIAL.parent / "crowdsourcing.py").exists()


def notebook_names(*names: str, **given) -> dict:
    """Functions and constants defined in the tutorial's cells, compiled alone beside `given`.

    The notebook's imports are compiled too (they are cheap), so a function finds what it uses.
    """
    tree = ast.parse(PAIRED.read_text())

    def targets(node: ast.Assign) -> set[str]:
        found = set()
        for target in node.targets:
            elts = target.elts if isinstance(target, ast.Tuple) else [target]
            found |= {getattr(e, "id", "") for e in elts}
        return found

    nodes = [
        n
        for n in tree.body
        if isinstance(n, ast.Import | ast.ImportFrom)
        or (isinstance(n, ast.FunctionDef) and n.name in names)
        or (isinstance(n, ast.Assign) and targets(n) & set(names))
    ]
    namespace = {"ABSTAIN": -1, "NEGATIVE": 0, "POSITIVE": 1, **given}
    exec(compile(ast.Module(nodes, type_ignores=[]), str(PAIRED), "exec"), namespace)
    return namespace


def notebook_function(name: str):
    """A function defined in the tutorial's cells, compiled alone with the names it uses."""
    return notebook_names(name)[name]


def separable(n: int = 200, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 5)), index=np.arange(1000, 1000 + n))
    return X, pd.Series((X[0] + 0.5 * X[1] > 0).astype(int), index=X.index)


def test_soft_labels_that_are_certain_give_the_hard_model():
    fit_end_model = notebook_function("fit_end_model")
    X, y = separable()
    soft = fit_end_model(X, pd.DataFrame(np.eye(2)[y], index=y.index))
    hard = fit_end_model(X, y)
    np.testing.assert_allclose(soft.coef_, hard.coef_, rtol=1e-6)
    np.testing.assert_allclose(soft.intercept_, hard.intercept_, rtol=1e-6)


def test_soft_labels_carry_uncertainty():
    fit_end_model = notebook_function("fit_end_model")
    X, y = separable()
    confident = fit_end_model(X, pd.DataFrame(np.eye(2)[y], index=y.index))
    # The same classes, but the labels only lean towards them: the model must be less sure.
    leaning = fit_end_model(X, pd.DataFrame(np.where(np.eye(2)[y] == 1, 0.6, 0.4), index=y.index))
    assert (leaning.predict(X.to_numpy()) == confident.predict(X.to_numpy())).mean() > 0.95
    assert np.abs(leaning.coef_).sum() < np.abs(confident.coef_).sum()
    uninformative = fit_end_model(X, pd.DataFrame(np.full((len(X), 2), 0.5), index=X.index))
    np.testing.assert_allclose(uninformative.predict_proba(X.to_numpy()), 0.5, atol=0.05)


def test_labels_of_a_single_class_train_a_model_that_predicts_it():
    """A small budget can leave the crowd with answers of one class only."""
    fit_end_model = notebook_function("fit_end_model")
    X, _ = separable()
    model = fit_end_model(X, pd.Series(1, index=X.index[:5]))
    assert (model.predict(X.to_numpy()) == 1).all()


def test_soft_labels_train_only_the_tweets_they_label():
    fit_end_model = notebook_function("fit_end_model")
    X, y = separable()
    some = y.iloc[::2]
    np.testing.assert_allclose(
        fit_end_model(X, some).coef_, fit_end_model(X.loc[some.index], some).coef_
    )


def pipeline_names(gold: pd.DataFrame) -> dict:
    """The notebook's `pipeline` with what it uses, on random vectors and three noisy text LFs."""
    tweets = labelled_tweets(gold)
    rng = np.random.default_rng(0)
    y = tweets.sentiment.to_numpy()
    vectors = pd.DataFrame(rng.normal(size=(len(y), 8)) + y[:, None], tweets.index)
    text_L = pd.DataFrame(
        {
            name: np.where(rng.random(len(y)) < 0.8, y, 1 - y)
            for name in ("polarity_positive", "b", "c")
        },
        tweets.index,
    )
    given = {"label_model_epochs": 20, "crowd_coverage": [0.5027, 0.5], "vectors": vectors}
    given |= {"text_L": text_L, "with_votes": pd.concat([vectors, text_L], axis=1)}
    names = ("pipeline", "budget_labels", "fit_end_model", "fit_label_model")
    names += ("MAJORITY", "TEXT", "SHARES", "BUDGETS", "DECLARED")
    return notebook_names(*names, **given)  # the functions' globals: changes here reach them


@pytest.mark.parametrize("seed", [123, 5])
def test_the_notebooks_pipeline_reads_no_test_label(real_data_dir, seed):
    gold, answers = load_sources(real_data_dir)
    names = pipeline_names(gold)
    data = {"gold": gold, "answers": answers, "text_L": names["text_L"], "min_answers": 10}
    assert_test_labels_play_no_part(names["pipeline"], data, seed)


def test_crowd_sources_and_the_label_model_use_the_same_answers(real_data_dir):
    """Crowd-only labels cover the training tweets with a class answer bought; the label model
    labels every training tweet, from the LFs of every worker who answered and the text LFs."""
    from crowdsourcing.splits import make_split

    gold, answers = load_sources(real_data_dir)
    names = pipeline_names(gold)
    split = make_split(123, gold, answers, names["text_L"], 10)
    text = names["text_L"].loc[split.train.index].to_numpy()
    matrices, fit = [], names["fit_label_model"]
    names["fit_label_model"] = lambda L, model_class: matrices.append(L) or fit(L, model_class)
    for share, per_tweet in [(0.05, 3), (0.25, None), (1.0, 3)]:
        bought = split.bought(share, per_tweet)
        labels = names["budget_labels"](split, bought, text)
        voted = bought.index[bought.answer.isin([0, 1])]
        for crowd_only in CROWD_ONLY:
            assert labels[crowd_only].index.isin(voted).all(), crowd_only
        assert set(labels["Dawid-Skene (crowd)"].index) == set(voted)
        assert labels[WEAK].index.equals(split.train.index)
        crowd = matrices[-1][:, text.shape[1] :]
        assert crowd.shape[1] == 2 * bought.worker_id.nunique(), "every worker who answered"
        assert (crowd != -1).sum() == len(voted), "every class answer bought is a vote"
