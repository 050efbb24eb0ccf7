"""Snorkel's LabelModel, exactly, fitted from overlap counts and applied to sparse votes.

Snorkel 0.10 builds a dense one-hot matrix (items x LFs·classes), the overlap matrix O from it
by a dense product, and every epoch a masked d x d loss (d = LFs·classes). For independent LFs
the mask removes only each LF's own k x k block, so the same loss and gradient need one product
of O with mu (d x k) and a few d x k terms. `FastLabelModel` keeps Snorkel's objective,
initialization, optimizer, scheduler, clamping and symmetry breaking, and fits from the counts
of `votes.overlap_counts` alone, so they may come from a reduction over many partitions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from snorkel.labeling.model import LabelModel
from snorkel.labeling.model.label_model import TrainConfig
from snorkel.utils.config_utils import merge_config
from torch import nn
from tqdm import trange

from crowdsourcing.votes import Votes, overlap_counts, probabilities, votes_from_matrix

__all__ = ["FastLabelModel", "probabilities"]


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
        self._set_overlaps(sp.csr_matrix(counts, dtype=np.float64))
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
        votes = L if isinstance(L, Votes) else votes_from_matrix(np.asarray(L), self.cardinality)
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
        """O as Snorkel has it (float32), and its nonzero rows in float64 for the loss."""
        self.O = torch.from_numpy((counts / self.n).astype(np.float32).toarray())
        self.coverage = counts.diagonal().reshape(self.m, self.cardinality).sum(axis=1) / self.n
        # Rows of O that are zero (an LF that never gives a label) keep mu at zero and add
        # nothing to the loss or gradient: the loss needs only the others.
        self._active = torch.from_numpy(np.flatnonzero(counts.diagonal()))
        active_O = self.O[self._active][:, self._active].double()
        self._O_active, self._diag_O = active_O, torch.diagonal(active_O).clone()
        # Pairs of active columns of the same LF: the k x k blocks that Snorkel's mask removes.
        # They lie less than k apart in the active order: shifts -(k-1)..k-1 of it find them all.
        # With no active column at all (every LF abstains everywhere) there are no pairs.
        lf, k = self._active // self.cardinality, self.cardinality
        shifts = [s for s in range(1 - k, k) if abs(s) < len(lf)]
        rows = torch.cat([torch.arange(max(0, -s), len(lf) - max(0, s)) for s in shifts] or [lf])
        cols = rows + torch.cat([torch.full((len(lf) - abs(s),), s) for s in shifts] or [lf])
        same = lf[rows] == lf[cols]
        self._block_rows, self._block_cols = rows[same], cols[same]
        self._block_O = active_O[self._block_rows, self._block_cols]
        self._off_block_O_sq = (active_O**2).sum() - (self._block_O**2).sum()

    def _init_params(self) -> None:
        """Snorkel's initialization of mu, vectorized: its loop over LFs and classes costs a
        millisecond per 10 LFs, as much as a hundred epochs of a small fit."""
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
        lps = torch.from_numpy(torch.diag(self.O).cpu().detach().numpy())
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
            "O": self._O_active.numpy(),
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
        O_mu = s["O"] @ mu
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
        cross = _TraceOMPM.apply(mu, self._O_active, P) - (self._block_O * block_M).sum()
        square = (gram_P * gram_P.T).sum() - (block_M**2).sum()
        loss_1 = self._off_block_O_sq - 2 * cross + square
        loss_2 = ((mu_P.sum(dim=1) - self._diag_O) ** 2).sum()
        loss_l2 = l2**2 * ((self.mu.double() - self.mu_init.double()) ** 2).sum()
        return loss_1 + loss_2 + loss_l2


class _TraceOMPM(torch.autograd.Function):
    """Σ O ∘ (mu·P·muᵀ) for a symmetric O, whose gradient 2·O·mu·P reuses the forward's O·mu."""

    @staticmethod
    def forward(ctx: Any, mu: torch.Tensor, O_: torch.Tensor, P: torch.Tensor) -> torch.Tensor:
        O_mu = O_ @ mu
        ctx.save_for_backward(O_mu, P)
        return (O_mu * (mu @ P)).sum()

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        O_mu, P = ctx.saved_tensors
        return 2 * grad * (O_mu @ P), None, None
