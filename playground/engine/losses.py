"""GAN losses written as "score against label", one term per row, as the playground teaches.

D sees the batch x = [fake; real] with y = [0…0, 1…1]; its loss is the mean of
`d_loss_terms(out, y)`. The G step feeds D_on_G = D(G(z)) with target 1; its loss is the mean
of `g_loss_terms(out)`. `out` is D's raw output (a logit for minimax / non-saturating).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

import playground.engine.torch_warmup  # noqa: F401  (before any tensor op: see its docstring)
from playground.engine.device import to_device

PROBABILITY_LOSSES = ("minimax", "nonsat")


def scores(loss: str, out: torch.Tensor) -> torch.Tensor:
    """What D "says" about a row: a probability in (0, 1) for minimax/non-saturating, else the
    raw critic value."""
    return torch.sigmoid(out) if loss in PROBABILITY_LOSSES else out


def d_loss_terms(loss: str, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-row D loss for raw outputs `out` and 0/1 labels `y` (fake 0, real 1)."""
    if loss in PROBABILITY_LOSSES:
        # binary cross-entropy of sigmoid(out) against y, computed stably on the logit
        return F.binary_cross_entropy_with_logits(out, y, reduction="none")
    if loss == "lsgan":
        return 0.5 * (out - y) ** 2
    sign = 2 * y - 1  # +1 real, -1 fake
    if loss in ("wgan", "wgan-gp"):
        return -sign * out  # critic: raise reals, lower fakes
    if loss == "hinge":
        return F.relu(1 - sign * out)
    raise ValueError(f"loss: unknown loss '{loss}'")


def g_loss_terms(loss: str, out: torch.Tensor) -> torch.Tensor:
    """Per-row G loss for D_on_G outputs (target: D calls the fake real)."""
    if loss == "minimax":
        return -F.softplus(out)  # log(1 - sigmoid(out)): the saturating original
    if loss == "nonsat":
        return F.softplus(-out)  # -log(sigmoid(out))
    if loss == "lsgan":
        return 0.5 * (out - 1) ** 2
    if loss in ("wgan", "wgan-gp", "hinge"):
        return -out
    raise ValueError(f"loss: unknown loss '{loss}'")


MMD_KERNELS = (1.0, 2.0, 5.0)  # Gaussian kernel widths, in units of mmd_bandwidth


def mmd(fake: torch.Tensor, real: torch.Tensor, bandwidth: float) -> torch.Tensor:
    """Squared maximum mean discrepancy between two samples (biased V-statistic, ≥ 0) with a
    sum of Gaussian kernels: 0 when the samples match, larger when they differ in where they lie
    or how widely they spread. Not a per-row loss: it compares the two batches as wholes.

    One kernel matrix over [fake; real] and a ±1/n weight vector v give all three means at
    once: vᵀKv = mean K(fake, fake) − 2 mean K(fake, real) + mean K(real, real)."""
    x = torch.cat([fake.flatten(1), real.flatten(1)])
    d2 = (x[:, None] - x[None]).square().sum(-1)
    widths = to_device(torch.tensor(MMD_KERNELS), x.device) * bandwidth  # no host wait
    # exponents below -80 would land in float32's subnormal range, which the CPU computes many
    # times slower; a kernel value of e^-80 is as good as 0 here
    k = torch.exp((d2 * (-0.5 / widths.square())[:, None, None]).clamp(min=-80)).sum(0)
    n, m = len(fake), len(real)
    v = torch.cat([x.new_full((n,), 1 / n), x.new_full((m,), -1 / m)])
    return v @ k @ v


def gradient_penalty(
    discriminator: torch.nn.Module,
    real: torch.Tensor,
    fake: torch.Tensor,
    labels: torch.Tensor | None,
    generator: torch.Generator,
) -> torch.Tensor:
    """WGAN-GP: (‖∇D(x̂)‖ − 1)² at random points between real and fake rows."""
    shape = (len(real),) + (1,) * (real.dim() - 1)
    alpha = to_device(torch.rand(shape, generator=generator), real.device)
    grad = _input_gradient(discriminator, alpha * real + (1 - alpha) * fake, labels)
    return ((grad.norm(dim=1) - 1) ** 2).mean()


def r1_penalty(
    discriminator: torch.nn.Module, real: torch.Tensor, labels: torch.Tensor | None
) -> torch.Tensor:
    """R1 (Mescheder et al. 2018): ½ E‖∇ₓD(x)‖² on real rows; pulls D flat on the data, which
    lets G settle on sharp modes instead of circling them."""
    grad = _input_gradient(discriminator, real.detach(), labels)
    return 0.5 * grad.pow(2).sum(1).mean()


def _input_gradient(
    discriminator: torch.nn.Module, x: torch.Tensor, labels: torch.Tensor | None
) -> torch.Tensor:
    """∂D(x)/∂x per row, flattened, kept in the graph so a penalty on it trains D."""
    x = x.requires_grad_(True)
    (grad,) = torch.autograd.grad(discriminator(x, labels).sum(), x, create_graph=True)
    return grad.flatten(1)
