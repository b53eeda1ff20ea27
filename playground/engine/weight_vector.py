"""A network's parameters and their gradients as views of one flat vector each, and the
weights as they stood when the network's last step finished.

Every step reports how far it moved each network, ‖θ now − θ then‖ (the frozen one must not
move at all), and the norm of its gradient. Gathering a network's tensors into one vector for
that, twice a step, was the largest cost the Trainer added to a bare PyTorch loop
(docs/benchmarks.md); with the tensors living in one vector each measure is one operation, and
putting the weights back after a failed step is one copy. The optimisers step that vector
too, one tensor per network instead of one per layer.
"""

from __future__ import annotations

import torch
from torch import nn

import playground.engine.torch_warmup  # noqa: F401  (before any tensor op: see its docstring)


class WeightVector:
    """`module`'s parameters re-seated as slices of one flat tensor (`flat`), their gradients
    as slices of another (`grad`: backward adds into it, so `zero_grad` before each), and
    `reference`, a copy of `flat` taken when the last step finished (`commit`)."""

    def __init__(self, module: nn.Module) -> None:
        self.params = list(module.parameters())
        with torch.no_grad():
            self.flat = torch.cat([p.detach().reshape(-1) for p in self.params])
            offset = 0
            for p in self.params:  # same values, now stored inside `flat`
                p.data = self.flat[offset : offset + p.numel()].view_as(p)
                offset += p.numel()
            self.grad = torch.zeros_like(self.flat)
            offset = 0
            for p in self.params:
                p.grad = self.grad[offset : offset + p.numel()].view_as(p)
                offset += p.numel()
        self.reference = self.flat.clone()
        self._difference = torch.empty_like(self.flat)  # θ now − θ then, reused each step

    def as_parameter(self) -> torch.Tensor:
        """`flat` with `grad` as its gradient: what the optimiser steps (a leaf tensor, as
        torch.optim requires; the layers' parameters see each update, being views of it)."""
        self.flat.grad = self.grad
        return self.flat

    def zero_grad(self) -> None:
        """Clear the gradients in place (never to None: they must stay inside `grad`)."""
        self.grad.zero_()

    def grad_norm(self) -> torch.Tensor:
        """‖∇θ‖ of the whole network as a 0-d tensor (no host sync)."""
        return torch.linalg.vector_norm(self.grad)

    def distance(self) -> torch.Tensor:
        """‖θ now − θ at the last commit‖ as a 0-d tensor (no host sync). Measured from the
        weights themselves: fused optimisers do not bump autograd's version counters. Into a
        buffer kept for it: torch.dist would allocate one each time, and took half again as
        long here (docs/benchmarks.md)."""
        torch.sub(self.flat, self.reference, out=self._difference)
        return torch.linalg.vector_norm(self._difference)

    def commit(self) -> None:
        """The step finished well: its weights are the new reference."""
        self.reference.copy_(self.flat)

    def revert(self) -> None:
        """Put the weights back where the last finished step left them."""
        with torch.no_grad():
            self.flat.copy_(self.reference)
