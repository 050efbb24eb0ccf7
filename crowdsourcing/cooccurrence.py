"""AᵀA of a sparse one-hot matrix A, compiled: the overlap counts of the votes.

scipy's product transposes A and runs a general two-pass sparse product on float64 values, about
14 ns per pair of votes on one item. `gram` counts instead: it lists each column's entries by a
counting sort, then builds each row of AᵀA in a dense accumulator as wide as A, adding 1 for
each pair of votes on one item, and only for pairs at or right of the diagonal (the rest is the
mirror image), about 1 ns per pair. numba compiles it once and caches the machine code beside
this file, so a new process (a Dask worker) loads it in a fraction of a second.
"""

from __future__ import annotations

import numba
import numpy as np
import scipy.sparse as sp

__all__ = ["gram"]


def gram(matrix: sp.spmatrix) -> sp.csr_matrix:
    """AᵀA (columns x columns, CSR, float64, sorted indices) of a sparse matrix A.

    Equal to scipy's ``(A.T @ A).tocsr()``. Where every stored value of A is 1 (one-hot votes,
    duplicates summed first) the pairs are counted; any other value is left to scipy's product.
    """
    matrix = sp.csr_matrix(matrix)
    if not matrix.has_canonical_format:
        matrix = matrix.copy()
        matrix.sum_duplicates()  # also sorts each row's columns, which `_counts` relies on
    if not np.all(matrix.data == 1):
        return (matrix.T @ matrix).tocsr()
    n = matrix.shape[1]
    index = np.int32 if max(n, matrix.nnz) < 2**31 else np.int64
    indptr, indices, data = _counts(matrix.indptr.astype(index), matrix.indices.astype(index), n)
    out = sp.csr_matrix((data, indices.astype(index), indptr.astype(index)), shape=(n, n))
    out.has_sorted_indices = True
    return out


@numba.njit(cache=True, nogil=True)
def _columns(indptr, indices, n_columns):  # pragma: no cover (compiled)
    """For each column of A, in CSR form: the position in `indices` of each entry, and the end
    of its row, rows ascending."""
    starts = np.zeros(n_columns + 1, np.int64)
    for column in indices:
        starts[column + 1] += 1
    starts = np.cumsum(starts)
    filled = starts[:-1].copy()
    positions = np.empty(len(indices), indices.dtype)
    ends = np.empty(len(indices), indices.dtype)
    for row in range(len(indptr) - 1):
        for at in range(indptr[row], indptr[row + 1]):
            column = indices[at]
            positions[filled[column]] = at
            ends[filled[column]] = indptr[row + 1]
            filled[column] += 1
    return starts, positions, ends


@numba.njit(cache=True, nogil=True)
def _upper(indptr, indices, n_columns):  # pragma: no cover (compiled)
    """The upper triangle of AᵀA (diagonal included) as CSR arrays, for a one-hot A whose rows
    list their columns in ascending order."""
    starts, positions, ends = _columns(indptr, indices, n_columns)
    active = np.flatnonzero(starts[1:] > starts[:-1])  # columns with any vote, ascending
    pairs = 0
    for row in range(len(indptr) - 1):
        pairs += (indptr[row + 1] - indptr[row]) ** 2
    # Where the pairs outnumber the active columns' pairs, most rows touch most active columns:
    # a scan of them finds a row's entries faster than keeping a list of what it touched.
    scan = pairs >= len(active) ** 2
    sums = np.zeros(n_columns, np.int64)
    seen = np.full(n_columns, -1, np.int64)
    touched = np.empty(n_columns, np.int64)
    out_indptr = np.zeros(n_columns + 1, np.int64)
    out_indices = np.empty(max(16, 2 * len(indices)), np.int64)
    out_data = np.empty(len(out_indices), np.int64)
    nnz = 0
    for row in range(n_columns):
        n_touched = 0
        for at in range(starts[row], starts[row + 1]):
            if scan:
                for other in range(positions[at], ends[at]):  # this vote and those right of it
                    sums[indices[other]] += 1
            else:
                for other in range(positions[at], ends[at]):
                    column = indices[other]
                    if seen[column] != row:
                        seen[column] = row
                        touched[n_touched] = column
                        n_touched += 1
                    sums[column] += 1
        order = active[np.searchsorted(active, row) :] if scan else np.sort(touched[:n_touched])
        if nnz + len(order) > len(out_indices):
            out_indices = _grown(out_indices, 2 * (nnz + len(order)))
            out_data = _grown(out_data, len(out_indices))
        for column in order:
            if sums[column] != 0:
                out_indices[nnz] = column
                out_data[nnz] = sums[column]
                sums[column] = 0
                nnz += 1
        out_indptr[row + 1] = nnz
    return out_indptr, out_indices[:nnz], out_data[:nnz]


@numba.njit(cache=True, nogil=True)
def _counts(indptr, indices, n_columns):  # pragma: no cover (compiled)
    """AᵀA as CSR arrays (float64 values) for a one-hot A with ascending columns per row: the
    upper triangle, and its mirror image left of the diagonal."""
    up_indptr, up_indices, up_data = _upper(indptr, indices, n_columns)
    lower = np.zeros(n_columns, np.int64)  # entries left of the diagonal, per row
    for row in range(n_columns):
        for at in range(up_indptr[row], up_indptr[row + 1]):
            if up_indices[at] != row:
                lower[up_indices[at]] += 1
    out_indptr = np.zeros(n_columns + 1, np.int64)
    for row in range(n_columns):
        upper = up_indptr[row + 1] - up_indptr[row]
        out_indptr[row + 1] = out_indptr[row] + lower[row] + upper
    out_indices = np.empty(out_indptr[-1], np.int64)
    out_data = np.empty(out_indptr[-1], np.float64)
    filled = out_indptr[:-1].copy()  # rows ascending: each row's mirror entries come in order
    for row in range(n_columns):
        right = out_indptr[row] + lower[row]  # where the row's own upper entries go
        for at in range(up_indptr[row], up_indptr[row + 1]):
            column, count = up_indices[at], up_data[at]
            out_indices[right], out_data[right] = column, count
            right += 1
            if column != row:
                out_indices[filled[column]], out_data[filled[column]] = row, count
                filled[column] += 1
    return out_indptr, out_indices, out_data


@numba.njit(cache=True, nogil=True)
def _grown(values, capacity):  # pragma: no cover (compiled)
    """`values` copied into a new array of `capacity` entries."""
    out = np.empty(capacity, values.dtype)
    out[: len(values)] = values
    return out
