"""Discriminator rejection sampling (Azadi et al. 2019) as a view of what D knows.

An optimal D's logit is log p_data(x)/p_G(x), so exp(logit) says how much more likely a point
is under the data than under G. Accepting each of G's samples with probability
exp(logit − max logit) keeps the samples D finds real-looking and drops the ones it has caught:
the accepted set is closer to the data when D has learnt something G has not. A teaching
switch, not a way to make G better (G is unchanged).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

import playground.engine.torch_warmup  # noqa: F401  (before any tensor op: see its docstring)
from playground.engine.losses import PROBABILITY_LOSSES


def supported(loss: str) -> bool:
    """Only a probability D's logit is a density ratio (WGAN/hinge critics are not)."""
    return loss in PROBABILITY_LOSSES


def acceptance(logits: np.ndarray) -> np.ndarray:
    """Acceptance probability per sample: exp(logit − max logit), so the most real-looking
    sample is always kept."""
    logits = np.asarray(logits, dtype=np.float64)
    return np.exp(logits - logits.max()) if len(logits) else logits


def filter_samples(
    trainer: Any, x: torch.Tensor, labels: torch.Tensor | None = None, seed: int = 0
) -> np.ndarray:
    """A boolean mask over the rows of `x` (samples in internal units): kept by D's filter."""
    if not supported(trainer.config.loss):
        raise ValueError(
            f"D's filter: needs the minimax or nonsat loss (this run uses {trainer.config.loss})"
        )
    p = trainer.score(x, labels).numpy().astype(np.float64).clip(1e-7, 1 - 1e-7)
    keep = acceptance(np.log(p) - np.log1p(-p))
    return np.random.default_rng(seed).random(len(keep)) < keep
