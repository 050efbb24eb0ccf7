"""Snorkel's LabelModel, exactly, fitted from overlap counts and applied to sparse votes.

Snorkel 0.10 builds a dense one-hot matrix (items x LFs·classes), the overlap matrix O from it
by a dense product, and every epoch a masked d x d loss (d = LFs·classes). For independent LFs
the mask removes only each LF's own k x k block, so the same loss and gradient need one product
of O with mu (d x k) and a few d x k terms. `FastLabelModel` keeps Snorkel's objective,
initialization, optimizer, scheduler, clamping and symmetry breaking, and fits from the counts
of `votes.overlap_counts` alone, so they may come from a reduction over many partitions.

O is held once, in float32 as Snorkel holds it: dense for a small or densely overlapping crowd,
sparse (CSR) where most pairs of LFs never vote on the same item, as in a large crowd, whose
dense O would grow with the square of its size. A fit that would need more memory than the
machine has available is refused before O is built.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import psutil
import scipy.sparse as sp
import torch
from snorkel.labeling.model import LabelModel
from snorkel.labeling.model.label_model import TrainConfig
from snorkel.utils.config_utils import merge_config
from torch import nn
from tqdm import trange

from crowdsourcing.prediction import probabilities
from crowdsourcing.votes import ABSTAIN, Votes, overlap_counts, votes_from_matrix

__all__ = ["FastLabelModel", "available_memory"]

#: O is dense up to this many columns (LFs · classes; 16 MiB in float32), or where a sparse O
#: would not be smaller; sparse beyond.
DENSE_UP_TO = 2_048
#: Bytes per stored entry of a sparse float32 O: the value and its int64 column index.
SPARSE_ENTRY_BYTES = 12
#: Bytes per nonzero of the counts while O is built from them (a float64 copy divided by the
#: number of items, its float32 copy, and the indices both copy), beside O itself.
BUILD_BYTES_PER_COUNT = 32


def available_memory() -> int:
    """Bytes of memory this process can still take without swapping."""
    return psutil.virtual_memory().available


class FastLabelModel(LabelModel):
    """LabelModel for independent LFs, whose per-epoch work is one product O·mu (d x d by d x k)."""

    def fit(
        self,
        L_train: np.ndarray | Votes,
        Y_dev: np.ndarray | None = None,
        class_balance: list[float] | None = None,
        progress_bar: bool = True,
        **kwargs: Any,
    ) -> None:
        """Fit on a dense label matrix or on sparse `Votes`; the options are LabelModel.fit's."""
        votes = self._votes(L_train)
        self.fit_counts(
            overlap_counts(votes), votes.n_items, Y_dev, class_balance, progress_bar, **kwargs
        )

    def fit_counts(
        self,
        counts: sp.spmatrix,
        n_items: int,
        Y_dev: np.ndarray | None = None,
        class_balance: list[float] | None = None,
        progress_bar: bool = True,
        **kwargs: Any,
    ) -> None:
        """Fit from overlap counts (onehotᵀ·onehot, d x d) of `n_items` items, as LabelModel.fit."""
        self._set_train_config(kwargs)
        self._set_logger()
        self.n, self.d = n_items, counts.shape[0]
        self.m, self.t = self.d // self.cardinality, 1
        if self.n < 1:
            raise ValueError("L_train has no items (rows): the label model needs at least one")
        if self.m < 3:
            raise ValueError("L_train should have at least 3 labeling functions")
        self._set_class_balance(class_balance, Y_dev)
        self._set_overlaps(sp.csr_matrix(counts))
        self._init_params()
        self.train()
        self._set_optimizer()
        self._set_lr_scheduler()
        epochs = range(self.train_config.n_epochs)
        state = self._loss_state()
        for epoch in trange(self.train_config.n_epochs, unit="epoch") if progress_bar else epochs:
            self.running_loss, self.running_examples = 0.0, 0
            self.optimizer.zero_grad()
            loss, self.mu.grad = self._loss_and_grad(state, l2=self.train_config.l2)
            if torch.isnan(loss):
                raise Exception("Loss is NaN. Consider reducing learning rate.")
            self.optimizer.step()
            if self.config.verbose:  # its only other effect is self.eval(), done once below
                self._execute_logging(loss)
            self._update_lr_scheduler(epoch)
        self._clamp_params()
        self._break_col_permutation_symmetry()
        self.eval()

    def predict_proba(self, L: np.ndarray | Votes) -> np.ndarray:
        """P(Y | votes) for each item, as LabelModel.predict_proba, from a dense or sparse input."""
        return probabilities(self._votes(L), self.mu.detach().cpu().numpy(), self.p)

    def _votes(self, L: np.ndarray | Votes) -> Votes:
        """`L` as sparse votes of this model's cardinality."""
        votes = L if isinstance(L, Votes) else votes_from_matrix(_signed(L), self.cardinality)
        if votes.cardinality != self.cardinality:
            raise ValueError(f"votes of cardinality {votes.cardinality}, model {self.cardinality}")
        return votes

    def _set_train_config(self, options: dict[str, Any]) -> None:
        """LabelModel's TrainConfig with `options`; options it cannot honour exactly raise."""
        unknown = set(options) - set(TrainConfig._fields)
        if unknown:
            raise ValueError(
                f"FastLabelModel.fit does not support {sorted(unknown)}: it fits Snorkel's "
                f"model of independent LFs with the options {list(TrainConfig._fields)}."
            )
        if not np.isscalar(options.get("l2", 0.0)):
            raise ValueError("FastLabelModel supports one l2 strength for all LFs, not one per LF.")
        if self.config.device != "cpu":
            raise ValueError("FastLabelModel runs on the CPU only (device='cpu').")
        self.train_config = merge_config(TrainConfig(), options)

    def _set_overlaps(self, counts: sp.csr_matrix) -> None:
        """O of the active columns (float32, dense or sparse), and what the loss needs of it."""
        diagonal = counts.diagonal()
        self.coverage = diagonal.reshape(self.m, self.cardinality).sum(axis=1) / self.n
        self._diag_O32 = torch.from_numpy((diagonal / self.n).astype(np.float32))
        # Rows of O that are zero (an LF that never gives a label) keep mu at zero and add
        # nothing to the loss or gradient: O is kept, and the loss computed, for the others.
        self._active = torch.from_numpy(np.flatnonzero(diagonal))
        self._diag_O = self._diag_O32.double()[self._active]
        size = len(self._active)
        dense = size <= DENSE_UP_TO or counts.nnz * SPARSE_ENTRY_BYTES >= 4 * size**2
        self._refuse_if_too_large(size, counts.nnz, dense)
        active = self._active.numpy()
        O_ = (counts[active][:, active] / self.n).astype(np.float32).tocsr()
        self.O = torch.from_numpy(O_.toarray()) if dense else _sparse_tensor(O_)
        # Pairs of active columns of the same LF: the k x k blocks that Snorkel's mask removes.
        # They lie less than k apart in the active order: shifts -(k-1)..k-1 of it find them all.
        # With no active column at all (every LF abstains everywhere) there are no pairs.
        lf, k = self._active // self.cardinality, self.cardinality
        shifts = [s for s in range(1 - k, k) if abs(s) < len(lf)]
        rows = torch.cat([torch.arange(max(0, -s), len(lf) - max(0, s)) for s in shifts] or [lf])
        cols = rows + torch.cat([torch.full((len(lf) - abs(s),), s) for s in shifts] or [lf])
        same = lf[rows] == lf[cols]
        self._block_rows, self._block_cols = rows[same], cols[same]
        block = self._block_rows.numpy().copy(), self._block_cols.numpy().copy()
        values = np.asarray(O_[block]) if len(block[0]) else np.zeros(0)  # scipy: a 1 x n matrix
        self._block_O = torch.from_numpy(values.astype(np.float64).ravel())
        all_sq = np.einsum("i,i->", O_.data, O_.data, dtype=np.float64)
        self._off_block_O_sq = torch.tensor(all_sq - (self._block_O**2).sum().item())

    def _refuse_if_too_large(self, size: int, nnz: int, dense: bool) -> None:
        """Raise, before O is built, if the fit would need more memory than is available."""
        held = 4 * size**2 if dense else nnz * SPARSE_ENTRY_BYTES
        # O, building it, and the parameters with their gradients and optimizer state.
        needed = held + nnz * BUILD_BYTES_PER_COUNT + 64 * self.d * self.cardinality
        available = available_memory()
        if needed > available:
            raise MemoryError(
                f"fitting the label model on {self.m:,} LFs ({size:,} columns that vote, "
                f"{nnz:,} nonzero overlap counts) needs about {_size(needed)}, more than the "
                f"{_size(available)} available"
            )

    def _init_params(self) -> None:
        """Snorkel's initialization of mu, vectorized (its loop over LFs and classes costs a
        millisecond per 10 LFs, as much as a hundred epochs of a small fit), from the diagonal
        of O alone, which is all it reads."""
        prec = self.train_config.prec_init
        if isinstance(prec, int | float):
            prec = prec * torch.ones(self.m)
        elif isinstance(prec, np.ndarray | list):
            prec = torch.Tensor(prec)
        elif not isinstance(prec, torch.Tensor):
            raise TypeError(f"prec_init is of type {type(prec)} which is not supported currently.")
        if prec.shape[0] != self.m:
            raise ValueError(f"prec_init must have shape {self.m}.")
        self._prec_init = prec
        lps = self._diag_O32  # P(the LF votes that class): the diagonal of O, all d columns
        rows = torch.arange(self.d)
        per_class = lps * prec.repeat_interleave(self.cardinality)  # LF i's rows are i*k .. i*k+k-1
        p = torch.tensor([float(self.p[y]) for y in rows % self.cardinality], dtype=torch.float64)
        self.mu_init = torch.zeros(self.d, self.cardinality)
        self.mu_init[rows, rows % self.cardinality] = torch.clamp(per_class / p, 0, 1).float()
        # Snorkel seeds NumPy's global generator and draws once from it; the same first draw of
        # a generator of this fit's own leaves global state alone, so fits in threads are safe.
        scale = np.random.RandomState(self.train_config.seed).random()
        self.mu = nn.Parameter(self.mu_init.clone() * scale).float()
        self._build_mask()

    def _build_mask(self) -> None:
        """No d x d mask: `_loss_mu` leaves out each LF's own block by its pairs."""

    def _loss_state(self) -> dict[str, Any]:
        """What `_loss_and_grad` needs of O and the LFs' blocks, as float64 NumPy arrays."""
        return {
            "O": self.O.numpy() if self.O.layout == torch.strided else _scipy(self.O),
            "diag_O": self._diag_O.numpy(),
            "rows": self._block_rows.numpy(),
            "cols": self._block_cols.numpy(),
            "block_O": self._block_O.numpy(),
            "off_block_O_sq": float(self._off_block_O_sq),
            "active": self._active.numpy(),
            "p": torch.diagonal(self.P).double().numpy(),
            "mu_init": self.mu_init.detach().double().numpy(),
        }

    def _loss_and_grad(self, s: dict[str, Any], l2: float) -> tuple[torch.Tensor, torch.Tensor]:
        """`_loss_mu` and its gradient with respect to mu, computed directly in float64.

        Autograd would give the same numbers (tests/test_label_model.py compares both with
        Snorkel's fit) at several times the cost on small matrices, where every torch call's
        overhead outweighs its arithmetic. With M = mu·P·muᵀ and R = O − M outside each LF's own
        block, the gradient of ‖R‖² is −4·R·mu·P; the other two terms are elementwise.
        """
        mu_all = self.mu.detach().double().numpy()
        mu, p, rows, cols = mu_all[s["active"]], s["p"], s["rows"], s["cols"]
        mu_P = mu * p
        block_M = (mu_P[rows] * mu[cols]).sum(axis=1)
        gram_P = (mu.T @ mu) * p
        O_mu = (s["O"] @ mu.astype(np.float32)).astype(np.float64)  # on the float32 O, as Snorkel
        cross = (O_mu * mu_P).sum() - s["block_O"] @ block_M
        square = (gram_P * gram_P.T).sum() - block_M @ block_M
        resid = mu_P.sum(axis=1) - s["diag_O"]
        diff = mu_all - s["mu_init"]
        loss = s["off_block_O_sq"] - 2 * cross + square + resid @ resid + l2**2 * (diff**2).sum()
        in_blocks = np.zeros_like(mu)
        np.add.at(in_blocks, rows, (s["block_O"] - block_M)[:, None] * mu_P[cols])
        grad = 2 * l2**2 * diff
        grad[s["active"]] += 4 * (mu_P @ gram_P - O_mu * p + in_blocks) + 2 * resid[:, None] * p
        return torch.tensor(loss), torch.from_numpy(grad.astype(np.float32))

    def _loss_mu(self, l2: float = 0) -> torch.Tensor:
        """Snorkel's loss, ‖(O − mu·P·muᵀ)[mask]‖² + ‖Σ(mu·P) − diag O‖² + ‖l2·(mu − mu_init)‖²."""
        mu = self.mu.double()[self._active]
        P = self.P.double()
        mu_P = mu @ P
        block_M = (mu_P[self._block_rows] * mu[self._block_cols]).sum(dim=1)
        gram_P = (mu.T @ mu) @ P
        # O·mu, taken once on the float32 O, is a constant of the autograd graph.
        O_mu = (self.O @ mu.detach().float()).double()
        cross = _TraceOMPM.apply(mu, O_mu, P) - (self._block_O * block_M).sum()
        square = (gram_P * gram_P.T).sum() - (block_M**2).sum()
        loss_1 = self._off_block_O_sq - 2 * cross + square
        loss_2 = ((mu_P.sum(dim=1) - self._diag_O) ** 2).sum()
        loss_l2 = l2**2 * ((self.mu.double() - self.mu_init.double()) ** 2).sum()
        return loss_1 + loss_2 + loss_l2


class _TraceOMPM(torch.autograd.Function):
    """Σ O ∘ (mu·P·muᵀ) for a symmetric O, given O·mu: its gradient is 2·O·mu·P."""

    @staticmethod
    def forward(ctx: Any, mu: torch.Tensor, O_mu: torch.Tensor, P: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(O_mu, P)
        return (O_mu * (mu @ P)).sum()

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        O_mu, P = ctx.saved_tensors
        return 2 * grad * (O_mu @ P), None, None


def _signed(L: np.ndarray) -> np.ndarray:
    """`L` with an unsigned integer type's largest value (255 for uint8) as -1, as Snorkel reads
    it: its LabelModel adds 1 to every label, which wraps that value round to its abstain."""
    L = np.asarray(L)
    if L.dtype.kind != "u":
        return L
    return np.where(L == np.iinfo(L.dtype).max, ABSTAIN, L.astype(np.int64))


def _sparse_tensor(matrix: sp.csr_matrix) -> torch.Tensor:
    """A scipy CSR matrix as a torch sparse CSR tensor of the same values."""
    matrix.sort_indices()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Sparse CSR tensor support is in beta", UserWarning)
        return torch.sparse_csr_tensor(
            torch.from_numpy(matrix.indptr.astype(np.int64)),
            torch.from_numpy(matrix.indices.astype(np.int64)),
            torch.from_numpy(matrix.data),
            size=matrix.shape,
            check_invariants=False,  # scipy's sorted CSR: valid by construction
        )


def _scipy(matrix: torch.Tensor) -> sp.csr_matrix:
    """A torch sparse CSR tensor as a scipy CSR matrix sharing its arrays."""
    return sp.csr_matrix(
        (matrix.values().numpy(), matrix.col_indices().numpy(), matrix.crow_indices().numpy()),
        shape=matrix.shape,
    )


def _size(n_bytes: float) -> str:
    """Bytes in GB to one decimal, or under a GB in MB."""
    return f"{n_bytes / 1e9:,.1f} GB" if n_bytes >= 1e9 else f"{n_bytes / 1e6:,.0f} MB"
