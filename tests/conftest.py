"""Shared fixtures: small real configs and a private cache dir for the digits classifier."""

from __future__ import annotations

import pytest

from playground import GANConfig


@pytest.fixture(autouse=True)
def _private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path_factory.getbasetemp() / "cache"
    monkeypatch.setenv("GAN_PLAYGROUND_CACHE", str(cache))


@pytest.fixture
def small_config() -> GANConfig:
    return GANConfig(dataset="ring8", batch_size=32, g_hidden=32, d_hidden=32, seed=3, device="cpu")
