"""Read-only looks inside the networks for the views: D's decision field over the plane, the
pull D exerts on each fake (G's gradient), latent interpolation. Nothing here trains."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

import playground.engine.torch_warmup  # noqa: F401  (before any tensor op: see its docstring)
from playground.engine import losses
from playground.engine.trainer import Trainer


def decision_field(
    trainer: Trainer, bounds: tuple[float, float, float, float], resolution: int = 40
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """D's score on a resolution² grid over (x0, x1, y0, y1): xs, ys, scores[y, x].
    A conditional D is scored under every class label and averaged."""
    x0, x1, y0, y1 = bounds
    xs = np.linspace(x0, x1, resolution, dtype=np.float32)
    ys = np.linspace(y0, y1, resolution, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)
    grid = torch.from_numpy(np.stack([gx.ravel(), gy.ravel()], 1))
    return xs, ys, class_mean_scores(trainer, grid).numpy().reshape(resolution, resolution)


def class_mean_scores(trainer: Trainer, points: torch.Tensor) -> torch.Tensor:
    """D's score at each point, as the heat-map shows it: a conditional D is scored under
    every class label and averaged."""
    if not trainer.conditional:
        return trainer.score(points)
    per_class = [
        trainer.score(points, torch.full((len(points),), k, dtype=torch.long))
        for k in range(trainer.num_classes)
    ]
    return torch.stack(per_class).mean(0)


def generator_pull(
    trainer: Trainer, fake: torch.Tensor, labels: torch.Tensor | None = None
) -> np.ndarray:
    """−∂loss_G/∂fake for each fake point: where D's judgement pushes it in the G step."""
    device = trainer.device
    x = fake.detach().to(device).clone().requires_grad_(True)
    lab = labels.to(device) if labels is not None and trainer.conditional else None
    pack = trainer.config.pack
    n = len(x) - len(x) % pack
    out = trainer.D(x[:n], None if lab is None else lab[:n])
    loss = losses.g_loss_terms(trainer.config.loss, out).sum()
    (grad,) = torch.autograd.grad(loss, x)  # only w.r.t. x: D's .grad stays untouched
    return (-grad).cpu().numpy()


def interpolate(
    a: torch.Tensor, b: torch.Tensor, frames: int, method: str = "lerp"
) -> torch.Tensor:
    """`frames` latent vectors from a to b, straight (lerp) or along the great circle (slerp,
    which keeps the norm typical of Gaussian z)."""
    t = torch.linspace(0, 1, frames)[:, None]
    if method == "lerp":
        return (1 - t) * a + t * b
    if method != "slerp":
        raise ValueError(f"method: '{method}' is not lerp or slerp")
    a_unit, b_unit = a / a.norm(), b / b.norm()
    omega = torch.arccos((a_unit * b_unit).sum().clamp(-1 + 1e-7, 1 - 1e-7))
    so = torch.sin(omega)
    return (torch.sin((1 - t) * omega) / so) * a + (torch.sin(t * omega) / so) * b


def pca_directions(
    generate: Callable[[torch.Tensor], torch.Tensor],
    z_dim: int,
    k: int,
    n: int = 2048,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Directions in z along which G's output varies most (GANSpace, Härkönen et al. 2020, at
    G's output): PCA of G(z) over n samples, each component's scores regressed back onto z.
    Returns (k' unit vectors in z, [k', z_dim]; the share of G(z)'s variance each component
    holds), k' = min(k, z_dim, output size). Signs are fixed (largest entry positive), so a
    slider keeps its direction when the directions are recomputed."""
    z = torch.randn(n, z_dim, generator=torch.Generator().manual_seed(seed))
    x = generate(z).reshape(n, -1).double()
    x = x - x.mean(0)
    _, s, vh = torch.linalg.svd(x, full_matrices=False)
    k = min(k, z_dim, vh.shape[0])
    scores = x @ vh[:k].T  # [n, k]: each sample's coordinate on each component
    zc = (z - z.mean(0)).double()
    u = torch.linalg.lstsq(zc, scores).solution.T  # [k, z_dim]: best linear map z -> score
    u = u / u.norm(dim=1, keepdim=True).clamp_min(1e-12)
    flip = torch.sign(u.gather(1, u.abs().argmax(1, keepdim=True)))
    variance = s**2
    return (u * flip).float(), (variance[:k] / variance.sum()).float()
