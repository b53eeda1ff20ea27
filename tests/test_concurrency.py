"""A class in one process: every preset trained in threads side by side, while other threads
do everything else a class does (load presets, reset, budget a config, export code,
evaluate, move latent sliders, save checkpoints), must end bit for bit where the same run
ends alone. This catches the whole class of process-wide torch state touched from a
request (a dispatch mode's global hooks, a global seed, ...), not only the instance that
was found (FlopCounterMode's hooks under the R1 penalty's autograd.grad)."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path
from typing import Any

import torch

from playground.engine import budget
from playground.io.checkpoint import save_checkpoint
from playground.io.code_export import export_run
from playground.io.presets import load_preset, preset_names
from playground.ui.session import Session

ITERATIONS = 8  # with the sequence below: 10 iterations, R1's lazy step (every 4th) included


def train(name: str) -> dict[str, Any]:
    """One user's run of a preset: Step D, Step G, Run N, Step; what it ended with."""
    session = Session.from_preset(name)
    actions = [session.step_d, session.step_g, lambda: session.run(ITERATIONS), session.step]
    messages = [(action(), session.message)[1] for action in actions]
    t = session.trainer
    return {
        "history": {k: list(v) for k, v in t.history.items()},
        "weights": {k: v.clone() for k, v in t.weights().items()},
        "messages": messages,
        "iteration": t.iteration,
    }


def disturb(stop: threading.Event, worker: int, folder: Path, errors: list[BaseException]) -> None:
    """Everything else the class does, in a loop, until the runs are trained."""
    names = preset_names()
    try:
        for turn in itertools.count():
            if stop.is_set():
                return
            name = names[(worker + turn) % len(names)]
            config = load_preset(name).config
            session = Session.from_preset(name)  # builds networks from the run's seed
            budget.estimate(load_preset("digits-cgan").config, (1, 8, 8), 10)
            session = session.fresh_run(config.replace(seed=config.seed + 1))  # Reset
            session.run(2)
            session.refresh_metrics(n=200)
            session.latent_figure([0.5] * 16, 0 if session.trainer.conditional else None)
            export_run(config, session.trainer.dataset, steps=5)
            save_checkpoint(session.trainer, folder / f"w{worker}-{turn}", session.sampler)
    except BaseException as exc:  # noqa: BLE001 - any failure fails the test
        errors.append(exc)


def test_runs_beside_a_busy_class_match_runs_alone(tmp_path: Path) -> None:
    names = preset_names()
    alone = {name: train(name) for name in names}

    stop, errors = threading.Event(), []
    together: list[tuple[str, dict[str, Any]]] = []

    def student(name: str) -> None:
        try:
            together.append((name, train(name)))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    disturbers = [
        threading.Thread(target=disturb, args=(stop, i, tmp_path, errors)) for i in range(4)
    ]
    students = [threading.Thread(target=student, args=(name,)) for name in names * 2]
    for thread in disturbers + students:
        thread.start()
    for thread in students:
        thread.join(timeout=600)
    stop.set()
    for thread in disturbers:
        thread.join(timeout=600)

    assert not errors, f"{len(errors)} failures beside other sessions, first: {errors[0]!r}"
    assert sorted(name for name, _ in together) == sorted(names * 2)
    for name, b in together:
        a = alone[name]
        assert b["iteration"] == a["iteration"], name
        assert b["messages"] == a["messages"], name
        for key, series in a["history"].items():
            # NaN != NaN: compare the bits
            assert torch.equal(
                torch.tensor(b["history"][key], dtype=torch.float64).view(torch.int64),
                torch.tensor(series, dtype=torch.float64).view(torch.int64),
            ), f"{name}: history '{key}' differs beside other sessions"
        for key, value in a["weights"].items():
            assert torch.equal(b["weights"][key], value), f"{name}: weight '{key}' differs"
