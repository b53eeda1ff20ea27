"""Quality metrics cheap enough to run every few hundred steps.

- Gaussian mixtures (PacGAN/VEEGAN protocol): modes covered, % high-quality samples (within
  3σ of the nearest mode), reverse KL of the nearest-mode histogram against uniform.
- Gaussian mixtures also: the spread of HQ samples around their mode, in σ (data: 0.97), which
  catches a G that shrinks every mode to a dot while the mode metrics call it perfect.
- Any 2D data: KL and JS between real and generated 2D histograms on a shared grid, and the
  energy distance to real samples next to its floor (the same statistic for two real samples).
- Digits: class coverage and confidence from a small classifier trained on the digits
  themselves (trained once, cached as safetensors under the user cache dir).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from playground.trainer import Trainer


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
    return float(np.linalg.norm(x[:, None, :] - y[None, :, :], axis=2).mean())


ENERGY_SAMPLES = 1000  # per set: the pairwise distances are n² (8 MB at 1 000)


# ---------------------------------------------------------------- digits classifier
CLASSIFIER_FILE = "digits-classifier-v1.safetensors"


def cache_dir() -> Path:
    """Where derived files live: $GAN_PLAYGROUND_CACHE or the platform's user cache dir."""
    override = os.environ.get("GAN_PLAYGROUND_CACHE")
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("gan-playground"))


class DigitClassifier:
    """A one-hidden-layer MLP trained on scikit-learn's 8×8 digits (inputs in [0, 1])."""

    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        self.w1, self.b1 = weights["w1"], weights["b1"]
        self.w2, self.b2 = weights["w2"], weights["b2"]

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        x = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
        hidden = np.maximum(x @ self.w1 + self.b1, 0)
        logits = hidden @ self.w2 + self.b2
        logits -= logits.max(1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(1, keepdims=True)

    def predict(self, images: np.ndarray) -> np.ndarray:
        return self.probabilities(images).argmax(1)

    @classmethod
    def load_or_train(cls, directory: Path | None = None) -> DigitClassifier:
        """Read the cached weights, or train (≈ 3 s, seeded) and cache them; never downloads."""
        from safetensors.numpy import load_file, save_file

        path = (directory or cache_dir()) / CLASSIFIER_FILE
        if path.exists():
            try:
                return cls(load_file(str(path)))
            except Exception:  # a damaged cache is rebuilt, not trusted
                path.unlink(missing_ok=True)
        weights = _train_classifier()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        save_file(weights, str(tmp))
        tmp.replace(path)
        return cls(weights)


def _train_classifier() -> dict[str, np.ndarray]:
    from sklearn.neural_network import MLPClassifier

    from playground.loaders import load_digits

    images, labels = load_digits()
    model = MLPClassifier(hidden_layer_sizes=(128,), max_iter=400, random_state=0, alpha=1e-3)
    model.fit(images.reshape(len(images), -1), labels)
    return {
        "w1": model.coefs_[0].astype(np.float64),
        "b1": model.intercepts_[0].astype(np.float64),
        "w2": model.coefs_[1].astype(np.float64),
        "b2": model.intercepts_[1].astype(np.float64),
    }


def digit_metrics(
    images: np.ndarray, requested: np.ndarray | None, classifier: DigitClassifier
) -> dict[str, Any]:
    """Class coverage/confidence of generated digits in [0, 1]; agreement with requested
    classes for a conditional GAN."""
    probs = classifier.probabilities(images)
    predicted = probs.argmax(1)
    result: dict[str, Any] = {
        "classes_covered": int(len(np.unique(predicted))),
        "class_counts": np.bincount(predicted, minlength=10).tolist(),
        "confidence": float(probs.max(1).mean()),
    }
    if requested is not None:
        result["label_agreement"] = float((predicted == requested).mean())
    return result


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
    elif dataset.name == "digits":
        requested = labels.numpy() if labels is not None else None
        result.update(digit_metrics(x.numpy(), requested, DigitClassifier.load_or_train()))
    return result


def _generator(seed: int):  # noqa: ANN202 - torch is imported lazily
    import torch

    return torch.Generator().manual_seed(seed)
