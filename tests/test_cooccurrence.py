"""The compiled overlap counts equal scipy's AᵀA exactly, on random and edge-case votes."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from crowdsourcing.cooccurrence import gram
from crowdsourcing.votes import crowd_votes, overlap_counts, votes_from_matrix
from scaling.synthetic_crowd import synthetic_crowd


def assert_equals_scipy(matrix: sp.spmatrix) -> None:
    """`gram(matrix)` has scipy's shape, dtype and values, and truly sorted indices."""
    expected = (matrix.T @ matrix).tocsr()
    actual = gram(matrix)
    assert isinstance(actual, sp.csr_matrix)
    assert actual.shape == expected.shape
    assert actual.dtype == expected.dtype == np.float64
    np.testing.assert_array_equal(actual.toarray(), expected.toarray())
    assert actual.nnz == (expected != 0).nnz  # no stored zeros
    for row in range(actual.shape[0]):
        columns = actual.indices[actual.indptr[row] : actual.indptr[row + 1]]
        assert np.all(np.diff(columns) > 0), f"row {row}'s columns are not ascending"


def one_hot(n_items: int, n_lfs: int, k: int, coverage: float, seed: int) -> sp.csr_matrix:
    """One-hot votes of `n_lfs` LFs over `k` classes, each voting on `coverage` of the items."""
    rng = np.random.default_rng(seed)
    L = np.where(rng.random((n_items, n_lfs)) < coverage, rng.integers(0, k, (n_items, n_lfs)), -1)
    return votes_from_matrix(L, k).onehot


@pytest.mark.parametrize(
    ("n_items", "n_lfs", "k", "coverage"),
    [
        (200, 10, 2, 0.5),  # most pairs of columns overlap: the scan of active columns
        (300, 400, 3, 0.01),  # few do: the list of touched columns, sorted
        (1_000, 50, 4, 0.9),
        (50, 3, 2, 0.0),  # no vote at all
        (1, 5, 2, 1.0),
    ],
)
@pytest.mark.parametrize("seed", [0, 1])
def test_random_votes_count_as_scipy(n_items, n_lfs, k, coverage, seed):
    assert_equals_scipy(one_hot(n_items, n_lfs, k, coverage, seed))


@pytest.mark.parametrize(
    "matrix",
    [
        sp.csr_matrix((0, 6)),  # no items
        sp.csr_matrix((4, 0)),  # no columns
        sp.csr_matrix((0, 0)),
        sp.csr_matrix(([1.0], ([2], [3])), shape=(5, 8)),  # one vote
        sp.csr_matrix(np.ones((3, 1))),  # one column, every item
        sp.csr_matrix(np.eye(4)),  # every item a column of its own
    ],
    ids=["no items", "no columns", "empty", "one vote", "one column", "diagonal"],
)
def test_edge_cases_count_as_scipy(matrix):
    assert_equals_scipy(matrix)


def test_a_repeated_vote_counts_as_scipy_sums_it():
    """The same (item, column) stored twice, unsorted and not summed: scipy's product counts it
    as a value of 2, so its square 4 on the diagonal; `gram` gives the same."""
    matrix = sp.csr_matrix(
        (np.ones(5), np.array([3, 1, 3, 0, 2]), np.array([0, 3, 5])), shape=(2, 4)
    )
    assert not matrix.has_canonical_format
    assert_equals_scipy(matrix)
    assert gram(matrix)[3, 3] == 4


def test_identical_lfs_count_as_scipy():
    """Two LFs that vote alike on every item: their columns' counts are equal, off-diagonal too."""
    L = np.repeat(np.random.default_rng(0).integers(-1, 2, (100, 1)), 3, axis=1)
    counts = gram(votes_from_matrix(L, 2).onehot).toarray()
    np.testing.assert_array_equal(counts[:2, :2], counts[2:4, 2:4])
    assert_equals_scipy(votes_from_matrix(L, 2).onehot)


def test_values_other_than_one_are_left_to_scipy():
    matrix = sp.csr_matrix(np.array([[0.5, 2.0, 0.0], [1.0, 0.0, 3.0]]))
    assert_equals_scipy(matrix)


def test_counts_past_a_small_integer_type_stay_exact():
    """70,000 items voting in both columns: counts beyond 2**16, exact."""
    matrix = sp.csr_matrix(np.ones((70_000, 2)))
    assert gram(matrix)[0, 1] == 70_000
    assert_equals_scipy(matrix)


def test_overlap_counts_of_a_crowd_equal_the_product():
    tweets, crowd = synthetic_crowd(2_000, 60, 8, seed=3)
    votes = crowd_votes(crowd, tweets.index, sorted(crowd["worker_id"].unique()))
    expected = (votes.onehot.T @ votes.onehot).tocsr()
    np.testing.assert_array_equal(overlap_counts(votes).toarray(), expected.toarray())
