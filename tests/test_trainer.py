"""The algorithm as taught: batch layout, who learns in which step, reproducibility, rewind,
the divergence guard, and every loss on points and images, conditional and not."""

from __future__ import annotations

import math

import pytest
import torch

from playground import DivergenceError, GANConfig, Trainer
from playground.engine import losses
from playground.engine.config import LOSSES
from playground.engine.device import packed_copy
from playground.io.presets import load_preset


def _state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _identical(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _seated(trainer: Trainer) -> bool:
    """Every parameter of both networks still lives inside its network's flat vector and its
    gradient inside the flat gradient (nothing re-assigned a `.data` or set a grad to None)."""
    return all(
        p.untyped_storage().data_ptr() == weights.flat.untyped_storage().data_ptr()
        and p.grad is not None
        and p.grad.untyped_storage().data_ptr() == weights.grad.untyped_storage().data_ptr()
        for weights in trainer._weights.values()
        for p in weights.params
    ) and all(  # and the optimisers step those vectors
        opt.param_groups[0]["params"][0] is weights.flat and weights.flat.grad is weights.grad
        for opt, weights in (
            (trainer.opt_g, trainer._weights["G"]),
            (trainer.opt_d, trainer._weights["D"]),
        )
    )


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_stepping_the_flat_vector_updates_each_layer_as_a_per_layer_optimiser_would(
    small_config: GANConfig, optimizer: str
) -> None:
    """The optimisers step each network's one flat vector (one kernel, none of torch.optim's
    per-tensor bookkeeping); Adam and SGD update each weight on its own, so every layer gets
    the update a per-layer optimiser gives it, to float rounding."""
    config = small_config.replace(optimizer=optimizer, momentum=0.9)
    trainer = Trainer(config)
    trainer.run(3)
    layers = [p.detach().clone() for p in trainer.D.parameters()]
    twin = [torch.nn.Parameter(p.clone()) for p in layers]
    if optimizer == "adam":
        per_layer = torch.optim.Adam(twin, lr=config.lr_d, betas=(config.beta1, config.beta2))
    else:
        per_layer = torch.optim.SGD(twin, lr=config.lr_d, momentum=config.momentum)
    per_layer.load_state_dict(  # the moments so far, cut into layers
        {
            "state": {
                i: {
                    k: v.split([p.numel() for p in layers])[i].view_as(layers[i]).clone()
                    if v.dim()
                    else v.clone()
                    for k, v in trainer.opt_d.state[trainer._weights["D"].flat].items()
                }
                for i in range(len(layers))
            },
            "param_groups": per_layer.state_dict()["param_groups"],
        }
    )
    trainer.step_d()
    for p, g in zip(twin, trainer.D.parameters(), strict=True):
        p.grad = g.grad.clone()
    per_layer.step()
    assert len(trainer.opt_d.param_groups[0]["params"]) == 1
    for p, stepped in zip(twin, trainer.D.parameters(), strict=True):
        assert torch.allclose(p, stepped, rtol=1e-5, atol=1e-7)
    assert not torch.equal(layers[0], next(trainer.D.parameters()))  # it did move


def test_d_step_batch_is_fakes_then_reals_with_labels_0_then_1(small_config: GANConfig) -> None:
    trainer = Trainer(small_config)
    g_state = _state(trainer.G)
    record = trainer.step_d()
    b = small_config.batch_size
    assert record.x.shape == (2 * b, 2)
    assert torch.equal(record.y, torch.cat([torch.zeros(b), torch.ones(b)]))
    # the first half is exactly G(z) for the recorded z, made by the G we started with
    trainer.G.load_state_dict(g_state)
    assert torch.allclose(record.x[:b], trainer.generate(record.z), atol=1e-6)
    # the second half is real ring8 data: every point within 6 std of a unit-circle mode
    radius = record.x[b:].norm(dim=1)
    assert torch.all((radius - 1).abs() < 0.06)
    # scores are probabilities, one per row; the loss is the mean of the row terms
    assert record.scores.shape == (2 * b,)
    assert torch.all((record.scores > 0) & (record.scores < 1))
    assert math.isclose(record.loss_d, float(record.loss_terms.mean()), rel_tol=1e-5)
    assert math.isclose(record.d_fake_mean, float(record.scores[:b].mean()), rel_tol=1e-5)
    assert math.isclose(record.d_real_mean, float(record.scores[b:].mean()), rel_tol=1e-5)


@pytest.mark.parametrize("conditional", [False, True])
def test_step_records_match_the_cpu_on_every_device(device: str, conditional: bool) -> None:
    """On a GPU a step's records come to the host in one packed copy: every field must land
    in its own place with its dtype, the same batch and scores as the CPU run of that seed."""
    config = GANConfig(
        dataset="moons", conditional=conditional, batch_size=16, g_hidden=16, d_hidden=16,
        g_noise=True, mmd_weight=1.0, mmd_samples=8, seed=5,
    )  # fmt: skip
    here, cpu = Trainer(config.replace(device=device)), Trainer(config.replace(device="cpu"))
    for _ in range(2):
        a_step, b_step = here.step(), cpu.step()
        for ours, theirs in ((a_step.d, b_step.d), (a_step.g, b_step.g)):
            for field in ours.__dataclass_fields__:
                a, b = getattr(ours, field), getattr(theirs, field)
                if torch.is_tensor(b):
                    assert a.device.type == "cpu" and a.dtype == b.dtype and a.shape == b.shape
                    assert torch.allclose(a.float(), b.float(), atol=1e-4), field
                elif isinstance(b, float):
                    assert math.isclose(a, b, rel_tol=1e-3, abs_tol=1e-5), field
                else:
                    assert a == b, field
    assert here.last_d.labels is None or here.last_d.labels.dtype == torch.long


def test_packed_copy_returns_each_tensor_exactly() -> None:
    tensors = [torch.randn(3, 2), torch.tensor([0, 7, 9]), torch.tensor(0.25), torch.randn(2, 1, 8)]
    for t, copy in zip(tensors, packed_copy(tensors, torch.device("cpu")), strict=True):
        assert copy.dtype == t.dtype and copy.shape == t.shape and torch.equal(copy, t)


def test_d_step_trains_d_only(small_config: GANConfig) -> None:
    trainer = Trainer(small_config)
    g_before, d_before = _state(trainer.G), _state(trainer.D)
    record = trainer.step_d()
    assert _identical(_state(trainer.G), g_before)
    assert not _identical(_state(trainer.D), d_before)
    assert record.delta_g == 0.0
    assert record.delta_d > 0
    assert record.grad_norm_d > 0


@pytest.mark.parametrize("spectral_norm", [False, True])
def test_g_step_freezes_d_bit_identically(small_config: GANConfig, spectral_norm: bool) -> None:
    trainer = Trainer(small_config.replace(spectral_norm=spectral_norm))
    trainer.step_d()
    g_before, d_before = _state(trainer.G), _state(trainer.D)
    record = trainer.step_g()
    assert _identical(_state(trainer.D), d_before)  # buffers too (spectral-norm vectors)
    assert not _identical(_state(trainer.G), g_before)
    assert record.delta_d == 0.0
    assert record.delta_g > 0
    # D is trainable again afterwards
    assert all(p.requires_grad for p in trainer.D.parameters())


def test_delta_norm_is_the_real_weight_change(small_config: GANConfig) -> None:
    trainer = Trainer(small_config)
    before = torch.cat([p.detach().flatten().clone() for p in trainer.D.parameters()])
    record = trainer.step_d()
    after = torch.cat([p.detach().flatten() for p in trainer.D.parameters()])
    assert math.isclose(record.delta_d, float((after - before).norm()), rel_tol=1e-5)


def test_iteration_runs_d_steps_then_g_steps(small_config: GANConfig) -> None:
    trainer = Trainer(small_config.replace(d_steps=3, g_steps=2))
    trainer.step()
    assert (trainer.d_step_count, trainer.g_step_count, trainer.iteration) == (3, 2, 1)
    trainer.step_d()
    assert trainer.iteration == 1  # a lone D step does not finish an iteration
    trainer.step_g()
    assert trainer.iteration == 2
    assert len(trainer.history["loss_d"]) == 2


def test_same_config_and_seed_give_the_same_losses(small_config: GANConfig) -> None:
    a, b = Trainer(small_config), Trainer(small_config)
    a.run(30)
    b.run(30)
    assert a.history == b.history
    c = Trainer(small_config.replace(seed=small_config.seed + 1))
    c.run(30)
    assert c.history["loss_d"] != a.history["loss_d"]


SPREAD = {"dataset": "grid25", "g_noise": True, "mmd_weight": 1.0, "mmd_samples": 8}


@pytest.mark.parametrize("extra", [{}, {**SPREAD, "mmd_every": 2, "ema_decay": 0.9}])
def test_restore_then_step_reproduces_the_original_continuation(
    small_config: GANConfig, extra: dict
) -> None:
    trainer = Trainer(small_config.replace(snapshot_every=0, **extra))
    trainer.run(10)
    mark = trainer.snapshot()
    trainer.run(15)
    original = {k: v[10:] for k, v in trainer.history.items()}
    g_original = _state(trainer.G)
    trainer.restore(mark)
    assert trainer.iteration == 10 and len(trainer.history["loss_d"]) == 10
    trainer.run(15)
    assert {k: v[10:] for k, v in trainer.history.items()} == original
    assert _identical(_state(trainer.G), g_original)


def test_snapshot_ring_buffer_is_bounded(small_config: GANConfig) -> None:
    trainer = Trainer(small_config.replace(snapshot_every=2, snapshot_capacity=3))
    trainer.run(20)
    assert trainer.snapshots == [16, 18, 20]
    with pytest.raises(ValueError, match="no snapshot at iteration 4"):
        trainer.restore(4)


def test_rewind_memory_is_taken_at_once_and_a_layout_change_still_rewinds(
    small_config: GANConfig,
) -> None:
    from playground.engine.budget import estimate

    trainer = Trainer(small_config.replace(snapshot_every=5, snapshot_capacity=4))
    trainer.run(1)  # the first iteration reserves the whole block, before a snapshot uses it
    block = trainer._rewind._block.numel() * 4
    per_snapshot = estimate(trainer.config, trainer.dataset.shape, 0).snapshot_bytes
    assert block == pytest.approx(4 * per_snapshot, rel=0.05)
    trainer.run(4)
    assert trainer._rewind._block.numel() * 4 == block and trainer.snapshots[-1] == 5
    trainer.run(30)
    assert trainer._rewind._block.numel() * 4 == block and trainer.snapshots == [20, 25, 30, 35]
    trainer.update(ema_decay=0.9)  # G_ema joins the state: snapshots change layout
    trainer.run(10)
    original = {k: v[40:] for k, v in trainer.history.items()}
    trainer.restore(40)
    assert trainer.G_ema is not None and trainer.snapshots == [30, 35, 40]
    trainer.run(5)
    assert {k: v[40:] for k, v in trainer.history.items()} == original
    trainer.restore(30)  # a snapshot from the block, before G_ema existed
    assert trainer.G_ema is None and trainer.config.ema_decay == 0


def test_rewind_memory_set_aside_at_build_holds_every_presets_first_snapshots() -> None:
    """A server's tab takes its rewind memory when it is built (set_aside_rewind): the block
    the first iteration reserves must fit in it, for every preset (Adam and SGD, spectral
    norm, EMA, conditional), so no preset allocates again once it trains."""
    from playground.io.presets import preset_names

    for name in preset_names():
        trainer = Trainer(load_preset(name).config)
        trainer.set_aside_rewind()
        if trainer.config.optimizer == "sgd" and not trainer.config.momentum:
            assert trainer._rewind._spare is None, name  # no optimiser state, no block
            continue
        set_aside = trainer._rewind._spare.untyped_storage().data_ptr()
        trainer.step_d()
        trainer.step_g()  # the first iteration reserves the block
        block = trainer._rewind._block
        assert block is not None and block.untyped_storage().data_ptr() == set_aside, name


def test_a_step_that_fails_part_way_is_rolled_back_to_the_last_finished_step(
    small_config: GANConfig,
) -> None:
    """An unexpected error after D's optimiser moved (not a divergence): roll_back_step puts
    both networks back where the last finished step, a G step, left them."""
    trainer = Trainer(small_config)
    trainer.run(3)
    finished = (_state(trainer.G), _state(trainer.D))
    real_step = trainer.opt_d.step

    def step_then_fail() -> None:
        real_step()
        raise RuntimeError("a failure after the update")

    trainer.opt_d.step = step_then_fail
    with pytest.raises(RuntimeError):
        trainer.step_d()
    assert not _identical(_state(trainer.D), finished[1])  # the failed step had moved D
    trainer.roll_back_step()
    assert _identical(_state(trainer.G), finished[0])
    assert _identical(_state(trainer.D), finished[1])
    trainer.opt_d.step = real_step
    assert trainer.step_d().delta_g == 0.0  # measured from the rolled-back weights


def test_weights_and_gradients_stay_in_one_vector_through_every_change(
    small_config: GANConfig,
) -> None:
    """Each network's parameters and gradients are views of one vector (weight_vector), so
    Δθ and ‖∇θ‖ are one operation each; restore, load, roll-back and a divergence's guard
    must keep them there, and Δθ must keep measuring the real change."""
    config = small_config.replace(ema_decay=0.9, optimizer="sgd", loss="lsgan")
    trainer = Trainer(config)

    def seated_and_true() -> None:
        assert _seated(trainer)
        before = torch.cat([p.detach().flatten().clone() for p in trainer.D.parameters()])
        record = trainer.step_d()
        after = torch.cat([p.detach().flatten() for p in trainer.D.parameters()])
        assert math.isclose(record.delta_d, float((after - before).norm()), rel_tol=1e-5)
        grads = torch.cat([p.grad.flatten() for p in trainer.D.parameters()])
        assert math.isclose(record.grad_norm_d, float(grads.norm()), rel_tol=1e-5)

    seated_and_true()
    trainer.run(60)
    seated_and_true()
    trainer.restore(trainer.snapshots[0])
    seated_and_true()
    trainer.load_captured(*Trainer(config.replace(seed=9)).capture())
    seated_and_true()
    trainer.roll_back_step()
    seated_and_true()
    trainer.update(lr_d=100.0, lr_g=100.0)
    with pytest.raises(DivergenceError):
        trainer.run(50)
    assert _seated(trainer)
    trainer.restore(trainer.snapshots[-1])
    trainer.update(lr_d=config.lr_d, lr_g=config.lr_g)
    seated_and_true()


def test_divergence_is_rolled_back_and_the_trainer_stays_usable(device: str) -> None:
    config = GANConfig(
        dataset="grid25",
        loss="lsgan",
        optimizer="sgd",
        lr_g=5.0,
        lr_d=5.0,
        batch_size=64,
        device=device,
    )
    trainer = Trainer(config)
    with pytest.raises(
        DivergenceError, match=r"diverged at iteration \d+ — lower the learning rate"
    ) as caught:
        for _ in range(50):
            before = (_state(trainer.G), _state(trainer.D), trainer.iteration)
            trainer.step()
    assert caught.value.iteration == before[2] + 1
    # the failing step was rolled back: weights as they were before it, all finite
    assert _identical(_state(trainer.D), before[1]) or caught.value.network == "G"
    assert all(torch.isfinite(p).all() for p in trainer.D.parameters())
    assert all(torch.isfinite(p).all() for p in trainer.G.parameters())
    assert trainer.iteration == before[2]
    # the way back: rewind to the last healthy snapshot, lower the learning rate, go on
    trainer.restore(trainer.snapshots[-1])
    trainer.update(lr_g=1e-3, lr_d=1e-3)
    trainer.run(5)
    assert all(math.isfinite(v) for v in trainer.history["loss_d"][-5:])


def test_live_update_changes_lr_and_loss_but_not_architecture(small_config: GANConfig) -> None:
    trainer = Trainer(small_config)
    assert trainer.update(lr_d=5e-4, loss="hinge") == ["lr_d", "loss"]
    assert trainer.opt_d.param_groups[0]["lr"] == 5e-4
    trainer.step()
    with pytest.raises(ValueError, match="^g_hidden: changing it rebuilds"):
        trainer.update(g_hidden=64)


def test_packing_scores_each_pack_once(small_config: GANConfig) -> None:
    trainer = Trainer(small_config.replace(pack=4))
    record = trainer.step_d()
    packs = record.scores.view(-1, 4)
    assert torch.all(packs == packs[:, :1])  # the pack's score is shown on each of its rows
    assert len(record.scores) == 2 * small_config.batch_size


def test_ema_generator_follows_g(small_config: GANConfig) -> None:
    trainer = Trainer(small_config.replace(ema_decay=0.9))
    z = torch.randn(8, small_config.z_dim)
    trainer.run(20)
    ema, raw = trainer.generate(z, ema=True), trainer.generate(z)
    assert not torch.equal(ema, raw)
    assert (ema - raw).abs().max() < 1.0


CASES = [
    ("ring8", "mlp"),
    ("moons", "mlp"),
    ("digits", "mlp"),
    ("digits", "dcgan"),
]


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize(("dataset", "model"), CASES)
@pytest.mark.parametrize("conditional", [False, True])
def test_every_loss_runs_on_points_and_images(
    loss: str, dataset: str, model: str, conditional: bool, device: str
) -> None:
    config = GANConfig(
        dataset=dataset,
        model=model,
        loss=loss,
        conditional=conditional,
        batch_size=16,
        g_hidden=16,
        d_hidden=16,
        z_dim=4,
        device=device,
    )
    trainer = Trainer(config)
    g0 = _state(trainer.G)
    record = trainer.step()
    assert math.isfinite(record.d.loss_d) and math.isfinite(record.g.loss_g)
    assert not _identical(_state(trainer.G), g0)
    shape = (2,) if dataset != "digits" else (1, 8, 8)
    assert record.d.x.shape == (32, *shape)
    assert record.g.fake.shape == (16, *shape)
    if conditional:
        assert record.d.labels is not None and torch.equal(
            record.d.labels[:16], record.d.labels[16:]
        )
        x, _, labels = trainer.sample(5, label=1)
        assert torch.all(labels == 1) and x.shape == (5, *shape)
    if dataset == "digits":
        x, _, _ = trainer.sample(4, label=0 if conditional else None)
        assert x.min() >= 0 and x.max() <= 1  # exported images are in [0, 1]
    if loss == "wgan":
        assert (
            max(float(p.detach().abs().max()) for p in trainer.D.parameters())
            <= config.clip_value + 1e-7
        )


def test_conditional_needs_labelled_data() -> None:
    with pytest.raises(ValueError, match="^conditional: dataset 'spiral' has no class labels"):
        Trainer(GANConfig(dataset="spiral", conditional=True))


def test_sampling_does_not_change_the_training_run(small_config: GANConfig) -> None:
    a, b = Trainer(small_config), Trainer(small_config)
    a.run(5)
    b.run(5)
    a.sample(100)
    a.run(5)
    b.run(5)
    assert a.history == b.history


def test_device_is_reported(small_config: GANConfig) -> None:
    trainer = Trainer(small_config.replace(device="auto"))
    assert trainer.device_label.split(" ")[0] in ("CPU", "CUDA", "MPS")


def test_linear_lr_decay_reaches_its_floor(small_config: GANConfig) -> None:
    trainer = Trainer(small_config.replace(lr_decay_iters=10, lr_decay_to=0.25, lr_d=1e-3))
    trainer.run(5)
    assert math.isclose(trainer.opt_d.param_groups[0]["lr"], 1e-3 * (1 - 0.75 * 0.5))
    trainer.run(10)
    assert math.isclose(trainer.opt_d.param_groups[0]["lr"], 0.25e-3)
    assert math.isclose(trainer.opt_g.param_groups[0]["lr"], 0.25 * small_config.lr_g)


def test_r1_penalty_is_added_to_the_d_loss(small_config: GANConfig) -> None:
    plain, with_r1 = Trainer(small_config), Trainer(small_config.replace(r1_gamma=10.0))
    a, b = plain.step_d(), with_r1.step_d()
    assert a.penalty == 0.0 and b.penalty > 0
    assert math.isclose(b.loss_d, float(b.loss_terms.mean()) + b.penalty, rel_tol=1e-5)
    assert math.isclose(float(a.loss_terms.mean()), float(b.loss_terms.mean()), rel_tol=1e-6)


def test_normalize_lets_g_and_d_work_in_units_of_the_data_scale() -> None:
    config = GANConfig(dataset="grid25", z_dim=2, batch_size=16)
    scaled, raw = Trainer(config), Trainer(config.replace(normalize=False))
    assert scaled.G.scale == 4.0 and scaled.D.scale == 4.0  # grid25 spans [-4, 4]
    assert raw.G.scale == 1.0 and raw.D.scale == 1.0
    # same weights (same seed): the scaled G is the raw G's output times 4, and the
    # scaled D judges x exactly as the raw D judges x / 4, so all records stay in data units
    z = torch.randn(8, 2)
    assert torch.allclose(scaled.generate(z), raw.generate(z) * 4, atol=1e-6)
    x = torch.randn(8, 2) * 3
    assert torch.allclose(scaled.D(x), raw.D(x / 4), atol=1e-6)
    record = scaled.step_d()
    assert record.x[16:].abs().max() > 2  # the real half is shown in data units


def test_g_noise_outputs_mu_plus_sigma_times_eps() -> None:
    config = GANConfig(dataset="grid25", z_dim=2, batch_size=16, g_noise=True)
    trainer = Trainer(config)
    g = trainer.G
    assert g.noise_dim == 2 and trainer.G.scale == 4.0
    assert torch.allclose(g.sigma(), torch.full((2,), 0.02))  # starts at 0.02 data units
    z, eps = torch.randn(8, 2), torch.randn(8, 2)
    mean = trainer.generate(z)  # no noise given: G's mean μ(z)
    assert torch.allclose(trainer.generate(z, noise=eps), mean + 0.02 * eps, atol=1e-6)
    # samples carry the noise (the spread a student sees); the same seed, the same samples
    x, z_used, _ = trainer.sample(64, seed=1)
    assert not torch.allclose(x, trainer.generate(z_used))
    assert torch.equal(x, trainer.sample(64, seed=1)[0])


def test_mmd_is_zero_for_one_sample_and_grows_with_a_wrong_width() -> None:
    gen = torch.Generator().manual_seed(0)
    real = torch.randn(256, 2, generator=gen) * 0.1
    assert float(losses.mmd(real, real, 0.1)) == pytest.approx(0.0, abs=1e-6)
    other = torch.randn(256, 2, generator=gen) * 0.1
    narrow = torch.randn(256, 2, generator=gen) * 0.03
    assert float(losses.mmd(other, real, 0.1)) < float(losses.mmd(narrow, real, 0.1)) / 5


def _spread_config(**changes: object) -> GANConfig:
    """A small run with G's noise output and the MMD term on."""
    small = {"batch_size": 32, "g_hidden": 32, "d_hidden": 32}
    return GANConfig(**{"dataset": "ring8", **small, "g_noise": True, "mmd_weight": 1.0, **changes})


def test_mmd_term_comes_every_nth_g_step_and_trains_sigma_only() -> None:
    trainer = Trainer(_spread_config(mmd_samples=16, mmd_every=3))
    penalties = []
    for _ in range(7):
        record = trainer.step()
        penalties.append(record.g.penalty)
        assert math.isclose(
            record.g.loss_g, float(record.g.loss_terms.mean()) + record.g.penalty, rel_tol=1e-5
        )
    assert [p > 0 for p in penalties] == [i % 3 == 0 for i in range(7)]
    # the term on its own: with μ(z) held fixed its gradient reaches σ and nothing else
    z, eps = trainer._noise(32), trainer._output_noise(32)
    real = trainer._real_batch(16)[0]
    fake = trainer.G(z, None, eps)
    trainer.G.zero_grad(set_to_none=True)
    trainer._mmd(fake, eps, real).backward()
    assert trainer.G.log_sigma.grad is not None and trainer.G.log_sigma.grad.abs().sum() > 0
    assert all(p.grad is None for p in trainer.G.net.parameters())


def test_g_noise_and_mmd_are_for_point_data_with_an_mlp() -> None:
    with pytest.raises(ValueError, match="^g_noise: works on 2D point data"):
        GANConfig(dataset="digits", model="dcgan", g_noise=True)
    with pytest.raises(ValueError, match="^mmd_weight: works on 2D point data"):
        GANConfig(dataset="digits", mmd_weight=1.0)
    with pytest.raises(ValueError, match="^mmd_samples: at most batch_size"):
        GANConfig(batch_size=16, mmd_weight=1.0, mmd_samples=32)
    with pytest.raises(ValueError, match="^mmd_bandwidth: must be positive"):
        GANConfig(mmd_bandwidth=0.0)
    GANConfig(batch_size=16)  # the MMD settings only count when the term is on


def test_sample_noise_scales_sigma_when_sampling_only() -> None:
    config = GANConfig(dataset="ring8", z_dim=2, batch_size=16, g_noise=True)
    full, half = Trainer(config), Trainer(config.replace(sample_noise=0.5))
    x_full, z, _ = full.sample(32, seed=2)
    x_half = half.sample(32, seed=2)[0]
    mean = full.generate(z)
    assert torch.allclose(x_half - mean, 0.5 * (x_full - mean), atol=1e-6)
    full.run(3)
    half.run(3)
    assert full.history == half.history  # training never sees it


def test_lazy_r1_comes_every_nth_d_step_with_n_times_the_weight(small_config: GANConfig) -> None:
    every, lazy = (
        Trainer(small_config.replace(r1_gamma=1.0)),
        Trainer(small_config.replace(r1_gamma=1.0, r1_every=3)),
    )
    first_every, first_lazy = every.step_d(), lazy.step_d()
    assert math.isclose(first_lazy.penalty, 3 * first_every.penalty, rel_tol=1e-5)
    assert [lazy.step_d().penalty > 0 for _ in range(5)] == [False, False, True, False, False]
