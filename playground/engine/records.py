"""What one D step, one G step and one iteration did: every value a teacher wants to show.

Tensors are detached CPU copies, so a front end can call `.numpy()` on them directly.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

import playground.engine.torch_warmup  # noqa: F401  (before any tensor op: see its docstring)


@dataclass
class DStepRecord:
    """The D step: x = [fake; real], y = [0…0, 1…1], D's score for every row."""

    iteration: int
    z: torch.Tensor  # (B, z_dim) noise that made the fakes
    x: torch.Tensor  # (2B, *shape) fakes first, then reals
    y: torch.Tensor  # (2B,) 0 = fake, 1 = real
    labels: torch.Tensor | None  # (2B,) class (or cluster) labels when G and D take labels
    out: torch.Tensor  # (2B,) D's raw output per row (shared within a pack)
    scores: torch.Tensor  # (2B,) probability for minimax/nonsat, else critic value
    loss_terms: torch.Tensor  # (2B,) each row's loss; loss_d is their mean (+ penalty)
    loss_d: float
    d_real_mean: float
    d_fake_mean: float
    grad_norm_d: float
    delta_d: float  # ‖θ_D after − θ_D before‖
    delta_g: float  # always 0: G is not trained in the D step
    penalty: float = 0.0  # WGAN-GP and/or R1 penalty (already weighted), else 0

    @property
    def batch_size(self) -> int:
        return len(self.y) // 2


@dataclass
class GStepRecord:
    """The G step through D_on_G: z → G → D → score, target 1, D frozen."""

    iteration: int
    z: torch.Tensor
    labels: torch.Tensor | None
    fake: torch.Tensor
    out: torch.Tensor
    scores: torch.Tensor
    loss_terms: torch.Tensor  # (B,) each row's loss; loss_g is their mean (+ penalty)
    loss_g: float
    d_on_g_mean: float  # mean score D gave the fakes (before G's update)
    grad_norm_g: float
    delta_g: float
    delta_d: float  # always 0: D is frozen
    penalty: float = 0.0  # the MMD term (already weighted) when this step had one, else 0
    noise: torch.Tensor | None = None  # (B, out) G's output noise ε with g_noise, else None


@dataclass
class IterationRecord:
    """One iteration: the last D step and the last G step of it (no D step yet: None)."""

    iteration: int
    d: DStepRecord | None
    g: GStepRecord
