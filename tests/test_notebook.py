"""The tutorial notebook: runs cleanly for other parameters, shows the reference's figures and
answers its question in consistent figures, matches its stored copy and its paired script; and the
functions written in its cells behave (compiled from the paired script, without executing it).

The tutorial is executed twice per run (default parameters, and another seed and split count);
those tests are marked slow."""

from __future__ import annotations

import re

import nbformat
import pytest

from conftest import (
    TUTORIAL,
    assert_fresh_run_shows_the_stored,
    assert_in_sync,
    assert_stored_executed_and_tidy,
    assert_tidy,
    code_cells,
    execute,
    parameters_checked,
    same_figures,
    visible_text,
)

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


WEAK, TEXT = "label model, crowd + text", "label model, text LFs"
MAJORITY, DAWID_SKENE = "majority vote", "Dawid-Skene"
CROWD_ONLY = (MAJORITY, DAWID_SKENE)
SHARES = (0.05, 0.1, 0.25, None, 1.0)  # None: the first part's share of the training tweets


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


def budgets_of(metrics: dict) -> set[tuple[float, int | None]]:
    """The (share, answers per tweet) of every budget the tutorial compares."""
    shares = [metrics["crowd_coverage_train"] if c is None else c for c in SHARES]
    return {(c, p) for c in shares for p in (1, 3, None)}


@pytest.mark.slow
def test_the_budget_curve_holds_every_budget_and_source(executed):
    _, metrics = executed
    budget, n = metrics["budget"], metrics["splits"]["n"]
    assert {(b["coverage"], b["answers_per_tweet"]) for b in budget} == budgets_of(metrics)
    for b in budget:
        assert set(b["sources"]) == {*CROWD_ONLY, WEAK}
        assert set(b["labels"]) == {*CROWD_ONLY, WEAK, TEXT}
        for source in b["sources"].values():
            assert source["ci95"][0] <= source["mean"] <= source["ci95"][1]
        diff = b["weak_minus_crowd"]
        assert diff["wins"] + diff["ties"] + diff["losses"] == n
        assert diff["ci95"][0] <= diff["mean"] <= diff["ci95"][1]
        majority, weak = b["sources"][MAJORITY]["mean"], b["sources"][WEAK]["mean"]
        assert diff["mean"] == pytest.approx(weak - majority), "against the majority vote"
    for per_tweet in (1, 3, None):
        line = sorted(
            (b for b in budget if b["answers_per_tweet"] == per_tweet), key=lambda b: b["coverage"]
        )
        answers = [b["answers"] for b in line]
        assert answers == sorted(answers) and len(set(answers)) == len(answers)


@pytest.mark.slow
def test_the_labels_are_scored_where_each_source_labels_and_on_the_same_answered_tweets(executed):
    """The crowd-only sources cover the answered tweets; the label model every training tweet,
    and its accuracy over them grows with the answers bought (a step back of a fifth of a tweet
    per split, 0.001, is rounding)."""
    _, metrics = executed
    for b in metrics["budget"]:
        labels = b["labels"]
        assert labels[WEAK]["coverage"] == 1.0 and labels[TEXT]["coverage"] > 0.95
        # A budget buys round(share x 187) training tweets: up to half a tweet above the share.
        assert labels[MAJORITY]["coverage"] <= b["coverage"] + 0.5 / 187
        assert labels[MAJORITY]["accuracy"] == pytest.approx(labels[MAJORITY]["accuracy_answered"])
    for per_tweet in (1, 3, None):
        line = sorted(
            (b for b in metrics["budget"] if b["answers_per_tweet"] == per_tweet),
            key=lambda b: b["coverage"],
        )
        accuracy = [b["labels"][WEAK]["accuracy"] for b in line]
        assert all(b >= a - 0.001 for a, b in zip(accuracy, accuracy[1:], strict=False))
        assert accuracy[-1] > accuracy[0]


@pytest.mark.slow
def test_the_saving_is_read_from_the_curve(executed):
    _, metrics = executed
    saving, budget = metrics["budget_saving"], metrics["budget"]
    here = next(
        b
        for b in budget
        if b["coverage"] == metrics["crowd_coverage_train"] and b["answers_per_tweet"] is None
    )
    assert saving["accuracy"] == here["sources"][MAJORITY]["mean"]
    assert saving["on"].startswith("the end model's mean test accuracy")

    def cheapest(source: str) -> float | None:
        reach = [b["answers"] for b in budget if b["sources"][source]["mean"] >= saving["accuracy"]]
        return min(reach) if reach else None

    assert saving["answers_crowd"] == cheapest(MAJORITY) <= here["answers"]
    text_alone = metrics["splits"]["label_sources_test_acc"][TEXT]
    assert saving["answers_weak"] == (0 if text_alone >= saving["accuracy"] else cheapest(WEAK))
    if saving["answers_weak"]:
        assert saving["ratio"] == pytest.approx(saving["answers_crowd"] / saving["answers_weak"])
    low, high = saving["ci95"]
    assert low <= (high if high is not None else float("inf"))


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
    assert "wide with so few splits" in text


def test_bad_parameters_are_refused_in_the_cell_after_them():
    checked = parameters_checked(PAIRED)
    assert (checked["split_seed"], checked["n_splits"], checked["metrics_path"]) == (123, 20, None)
    for name, value in [
        ("n_splits", 0),
        ("n_splits", "3"),
        ("split_seed", "abc"),
        ("label_model_epochs", 1.5),
        ("embedding_model", ""),
    ]:
        with pytest.raises(ValueError, match=name):
            parameters_checked(PAIRED, **{name: value})


def test_stored_notebook_is_executed_and_tidy():
    assert_stored_executed_and_tidy(TUTORIAL)


def test_notebook_and_paired_script_are_in_sync():
    assert_in_sync(TUTORIAL, PAIRED)


def test_the_notebook_is_lean():
    """At most 55 cells and 350 non-blank lines of code, none written to fit a cap."""
    stored = nbformat.read(TUTORIAL, as_version=4)
    code = [line for c in code_cells(stored) for line in c.source.splitlines() if line.strip()]
    assert len(stored.cells) <= 55 and len(code) <= 350
    assert not any("fmt: skip" in line or "fmt: off" in line for line in code)


def test_the_paired_script_cannot_shadow_the_package():
    """A kernel started in crowdsourcing/ imports the package, not the script."""
    assert PAIRED.name != "crowdsourcing.py" and not (TUTORIAL.parent / "crowdsourcing.py").exists()


@pytest.mark.slow
def test_the_builders_give_the_matrices_of_the_lfs_the_notebook_teaches(executed):
    """The budget part uses array builders; the notebook checks them against its LFs."""
    nb, _ = executed
    text = "\n".join(visible_text(c) for c in code_cells(nb))
    assert "answer_slot_matrix gives the slot LFs' matrix: True" in text
    assert "crowd_label_matrix gives the first part's worker LFs' matrix: True" in text
