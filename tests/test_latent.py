"""The latent tools behind the latent-space tab: interpolation and the PCA slider directions."""

from __future__ import annotations

import torch

from playground.evaluation.probes import pca_directions
from playground.ui.latent_space import SLIDER_DIMS
from playground.ui.session import Session


def test_pca_directions_of_a_linear_generator_are_its_right_singular_vectors() -> None:
    torch.manual_seed(0)
    q, _ = torch.linalg.qr(torch.randn(5, 5))
    spread = torch.diag(torch.tensor([4.0, 2.0, 1.0, 0.5, 0.1]))
    weights = torch.cat([spread @ q.T, torch.zeros(3, 5)])  # G(z) = W z, 8 outputs
    directions, shares = pca_directions(lambda z: z @ weights.T, z_dim=5, k=16)
    assert directions.shape == (5, 5)  # no more directions than z has dimensions
    overlap = (directions @ q).abs()  # |cos| between found and true directions
    assert torch.allclose(overlap, torch.eye(5), atol=0.1)  # sampling noise of 2048 z
    assert torch.allclose(directions.norm(dim=1), torch.ones(5), atol=1e-5)
    expected = torch.tensor([16.0, 4.0, 1.0, 0.25, 0.01])
    assert torch.allclose(shares, expected / expected.sum(), atol=0.02)
    again, _ = pca_directions(lambda z: z @ weights.T, z_dim=5, k=2, seed=1)
    assert torch.allclose((again * directions[:2]).sum(1), torch.ones(2), atol=0.05)  # same signs


def test_pca_sliders_move_g_of_z_along_the_principal_directions() -> None:
    session = Session.from_preset("digits")
    session.run(20)
    session.set_latent_axes("pca")
    setup = session.slider_setup(None)
    assert len(setup) == SLIDER_DIMS
    assert setup[0][0].startswith("PC1 · ") and all(value == 0.0 for _, value, _ in setup)
    assert all(shown for _, _, shown in setup)  # z has 32 dimensions, G(z) 64 pixels
    directions, shares = session.latent_directions(None)
    assert (shares[:-1] >= shares[1:]).all() and float(shares.sum()) <= 1.0
    base = session.z_a.clone()
    values = [0.0] * SLIDER_DIMS
    values[0] = 2.0
    session.latent_figure(values, None)
    assert torch.allclose(session.z_a, base + 2.0 * directions[0])
    values[0] = -1.0  # the sliders move away from the base, not from the last position
    session.latent_figure(values, None)
    assert torch.allclose(session.z_a, base - directions[0])
    session.randomise_end("A", seed=7)
    session.latent_figure([0.0] * SLIDER_DIMS, None)
    assert torch.allclose(session.z_a, torch.randn(32, generator=torch.Generator().manual_seed(7)))


def test_z_sliders_set_the_first_dimensions() -> None:
    session = Session.from_preset("digits")
    setup = session.slider_setup(None)
    assert [caption for caption, _, _ in setup[:2]] == ["z[0]", "z[1]"]
    values = [0.5] * SLIDER_DIMS
    session.latent_figure(values, None)
    assert torch.allclose(session.z_a[:SLIDER_DIMS], torch.full((SLIDER_DIMS,), 0.5))
