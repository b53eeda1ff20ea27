"""Quality metrics cheap enough to run every few hundred steps.

- Gaussian mixtures (PacGAN/VEEGAN protocol): modes covered, % high-quality samples (within
  3σ of the nearest mode), reverse KL of the nearest-mode histogram against uniform.
- Gaussian mixtures also: the spread of HQ samples around their mode, in σ (data: 0.97), which
  catches a G that shrinks every mode to a dot while the mode metrics call it perfect.
- Any 2D data: KL and JS between real and generated 2D histograms on a shared grid, and the
  energy distance to real samples next to its floor (the same statistic for two real samples).
- Packaged images (8×8 digits, MNIST): Fréchet distance, within-class diversity, class
  coverage, label agreement and near-copies, each beside its real-vs-real floor
  (playground.evaluation.image_metrics).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from playground.engine.data import PACKAGED_IMAGES

if TYPE_CHECKING:
    from playground.engine.trainer import Trainer


def mixture_metrics(samples: np.ndarray, centres: np.ndarray, std: float) -> dict[str, float]:
    """Modes covered, HQ % and reverse KL(q ‖ uniform) for samples from a Gaussian mixture."""
    samples = np.asarray(samples, dtype=np.float64)
    centres = np.asarray(centres, dtype=np.float64)
    dist = np.linalg.norm(samples[:, None, :] - centres[None, :, :], axis=2)
    nearest = dist.argmin(1)
    high_quality = dist[np.arange(len(samples)), nearest] <= 3 * std
    covered = np.unique(nearest[high_quality])
    offsets = (samples - centres[nearest])[high_quality] / std if std > 0 else np.zeros((0, 2))
    counts = np.bincount(nearest, minlength=len(centres)).astype(np.float64)
    q = counts / counts.sum()
    nonzero = q > 0
    reverse_kl = float(np.sum(q[nonzero] * np.log(q[nonzero] * len(centres))))
    return {
        "modes_covered": int(len(covered)),
        "covered_modes": [int(m) for m in covered],  # which modes (0-based), for captions
        "modes_total": int(len(centres)),
        "hq_percent": float(100 * high_quality.mean()),
        "reverse_kl": reverse_kl,
        # RMS per-axis distance of HQ samples from their mode, in σ: exact samples score 0.97
        # (the 3σ cut trims the tails), a G that draws each mode's centre scores 0
        "spread": float(np.sqrt(np.mean(offsets**2))) if len(offsets) else float("nan"),
    }


def histogram_divergences(
    real: np.ndarray, fake: np.ndarray, bins: int = 30, pseudo_count: float = 0.5
) -> dict[str, float]:
    """KL(real ‖ fake) and JS on a bins×bins grid covering both sample sets (a pseudo-count
    in every cell keeps KL finite where G puts no mass)."""
    both = np.concatenate([real, fake])
    low, high = np.percentile(both, 0.5, axis=0), np.percentile(both, 99.5, axis=0)
    edges = [np.linspace(low[i], high[i] + 1e-9, bins + 1) for i in range(2)]
    p = np.histogram2d(real[:, 0], real[:, 1], bins=edges)[0].ravel() + pseudo_count
    q = np.histogram2d(fake[:, 0], fake[:, 1], bins=edges)[0].ravel() + pseudo_count
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2
    kl = float(np.sum(p * np.log(p / q)))
    js = float(0.5 * np.sum(p * np.log(p / m)) + 0.5 * np.sum(q * np.log(q / m)))
    return {"kl": kl, "js": js}


def energy_distances(reference: np.ndarray, *samples: np.ndarray) -> list[float]:
    """Energy distance 2E‖X−R‖ − E‖X−X′‖ − E‖R−R′‖ (Euclidean) of each sample set X to
    `reference` R (E‖R−R′‖ computed once): 0 when they come from one distribution, and it needs
    no modes, so it scores any 2D data."""
    r = np.asarray(reference, dtype=np.float64)
    spread = _mean_distance(r, r)
    out = []
    for x in samples:
        x = np.asarray(x, dtype=np.float64)
        out.append(2 * _mean_distance(x, r) - _mean_distance(x, x) - spread)
    return out


def _mean_distance(x: np.ndarray, y: np.ndarray) -> float:
    from scipy.spatial.distance import cdist  # the n² distances only, no n²×2 differences

    return float(cdist(x, y).mean())


ENERGY_SAMPLES = 1000  # per set: the pairwise distances are n² (8 MB at 1 000)


# ---------------------------------------------------------------- one call for any run
def evaluate(trainer: Trainer, n: int = 10_000, ema: bool = False, seed: int = 0) -> dict[str, Any]:
    """The metrics that fit the run's data, on n samples (its own RNG: training is untouched)."""
    x, _, labels = trainer.sample(n, ema=ema, seed=seed)
    dataset = trainer.dataset
    result: dict[str, Any] = {"iteration": trainer.iteration, "n": n}
    if dataset.kind == "points":
        fake = x.numpy()
        real = dataset.sample(n, _generator(seed + 1))[0].numpy()
        if dataset.centres is not None:
            result.update(mixture_metrics(fake, dataset.centres.numpy(), dataset.mode_std))
            if dataset.fitted:  # the modes were fitted to the user's points, not known
                result["modes_fitted"] = len(dataset.centres)
        result.update(histogram_divergences(real, fake))
        other = dataset.sample(ENERGY_SAMPLES, _generator(seed + 2))[0].numpy()
        m = ENERGY_SAMPLES
        # G against real, and the floor: another real sample against the same real one
        result["energy_distance"], result["energy_floor"] = energy_distances(
            real[:m], fake[:m], other
        )
    elif dataset.name in PACKAGED_IMAGES:
        from playground.evaluation.image_metrics import image_metrics

        # clusters are not classes: a self-conditioned G is judged as an unconditional one
        requested = None if dataset.clustered else labels
        result.update(image_metrics(dataset.name, x, requested))
    return result


def _generator(seed: int):  # noqa: ANN202 - torch is imported lazily
    import torch

    return torch.Generator().manual_seed(seed)
