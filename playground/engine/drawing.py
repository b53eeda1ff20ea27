"""A distribution the user draws: points painted on the data view, kept in the config as one
short text (config field `drawn`), so a share link, a config file and a checkpoint all carry
the drawing and reproduce the run.

Each coordinate is one byte on a 256-level grid over [-DOMAIN, DOMAIN] (a step of 4/255 ≈
0.016), base64url-encoded: 2 000 points take 5 336 characters. Modes are not drawn, so they are
fitted (a Gaussian mixture, its size chosen by BIC), which lets the mixture metrics — modes
covered, high-quality samples, reverse KL, spread — score a drawing too.
"""

from __future__ import annotations

import base64
import binascii
import re

import numpy as np

DOMAIN = 2.0  # the drawing covers [-2, 2]²
LEVELS = 256
MIN_POINTS, MAX_POINTS = 10, 2000
MAX_TEXT = 4 * (2 * MAX_POINTS + 2) // 3 + 4  # base64 of 2 bytes a point
MAX_MODES = 10
_ALPHABET = re.compile(r"^[A-Za-z0-9_-]*=*$")


def encode(points: np.ndarray) -> str:
    """(N, 2) points in data units → the config text (coordinates clipped to the domain)."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    levels = np.rint((points + DOMAIN) / (2 * DOMAIN) * (LEVELS - 1))
    raw = levels.clip(0, LEVELS - 1).astype(np.uint8).tobytes()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode(text: str) -> np.ndarray:
    """The config text → (N, 2) float32 points; a bad text raises ValueError naming `drawn`."""
    if not isinstance(text, str) or not text:
        raise ValueError("drawn: draw some points first (the drawing is empty)")
    if len(text) > MAX_TEXT or not _ALPHABET.match(text):
        raise ValueError(f"drawn: not a drawing (base64url text of at most {MAX_TEXT} characters)")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("drawn: not a drawing (bad base64url text)") from None
    if len(raw) % 2:
        raise ValueError("drawn: not a drawing (an odd number of coordinates)")
    levels = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 2).astype(np.float64)
    if not MIN_POINTS <= len(levels) <= MAX_POINTS:
        raise ValueError(
            f"drawn: a drawing needs {MIN_POINTS}-{MAX_POINTS} points (got {len(levels)})"
        )
    return (levels / (LEVELS - 1) * 2 * DOMAIN - DOMAIN).astype(np.float32)


def fit_modes(points: np.ndarray, seed: int = 0) -> tuple[np.ndarray, float, np.ndarray]:
    """Modes for user data: a spherical Gaussian mixture with 1–10 components, the count that
    minimises BIC. Returns (centres (K, 2), one σ for all modes, each point's mode)."""
    from sklearn.mixture import GaussianMixture

    points = np.asarray(points, dtype=np.float64)
    best, best_bic = None, np.inf
    for k in range(1, min(MAX_MODES, len(points) // 5) + 1):
        gmm = GaussianMixture(k, covariance_type="spherical", random_state=seed, n_init=2)
        gmm.fit(points)
        bic = gmm.bic(points)
        if bic < best_bic:
            best, best_bic = gmm, bic
    std = float(np.sqrt(np.mean(best.covariances_)))
    return best.means_.astype(np.float32), std, best.predict(points).astype(np.int64)
