"""What goes to and from disk for a tab: checkpoints, samples, the exported setup and code,
and the tab's folder, freed when the tab closes."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np

from playground.io.checkpoint import unzip_checkpoint, zip_checkpoint
from playground.io.code_export import export_run
from playground.ui import render
from playground.ui.handlers import Context, Updates, whole
from playground.ui.session import Session


def session_folder(session: Session) -> Path:
    """This tab's folder for downloads: one per session, removed when the session is freed
    (a new download replaces the last of its kind)."""
    if session.workdir is None or not session.workdir.is_dir():
        session.workdir = Path(tempfile.mkdtemp(prefix="gan-session-"))
    return session.workdir


def tab_closed(ctx: Context, request: gr.Request) -> None:
    """demo.unload: the page is gone; free its session now rather than at the state's TTL."""
    owner = getattr(request, "session_hash", None)
    free(ctx.sessions.pop(owner, None) if owner else None)
    if owner and ctx.steps is not None:
        ctx.steps.forget(owner)
    if owner and ctx.forget is not None:
        ctx.forget(owner)


def free(session: Session | None) -> None:
    """A closed or expired tab: autoplay stopped, the trainer dropped, its files removed."""
    if session is None:
        return
    session.stop_autoplay()
    session.trainer = None  # type: ignore[assignment]
    if session.workdir is not None:
        shutil.rmtree(session.workdir, ignore_errors=True)
        session.workdir = None


def save(ctx: Context, state: Session | None) -> Updates:
    session = ctx.session(state)
    with session.lock:
        path = session_folder(session) / f"gan-playground-it{session.trainer.iteration}.zip"
        zip_checkpoint(session.trainer, path, sampler=session.sampler, preset=session.preset)
    return {"state": session, "download": str(path)}


def sample(ctx: Context, state: Session | None, n: Any = 1000) -> Updates:
    session = ctx.session(state)
    n = whole(n, "n", 1, 100_000)
    with session.lock:
        x, z, labels = session.trainer.sample(n, ema=session.use_ema)
    path = session_folder(session) / "samples.npz"
    arrays = {"x": x.numpy().astype(np.float32), "z": z.numpy().astype(np.float32)}
    if labels is not None:
        arrays["y"] = labels.numpy()
    np.savez(path, **arrays)
    return {"state": session, "download": str(path)}


def setup_of(ctx: Context, session: Session) -> dict[str, Any]:
    """What is on screen now, as a setup: the config, the preset it is measured against
    (the run's own, or the default for a run whose preset is unknown), the tour position
    only while a tour is being walked."""
    preset = session.preset if session.preset in ctx.presets else ctx.default_preset
    setup: dict[str, Any] = {"config": session.trainer.config.to_dict(), "preset": preset}
    if session.tour is not None:
        setup.update(tour=session.tour.name, tour_step=session.tour_step)
    return setup


def export(ctx: Context, state: Session | None) -> Updates:
    session = ctx.session(state)
    path = session_folder(session) / "gan-playground-config.json"
    path.write_text(json.dumps(setup_of(ctx, session), indent=2))
    return {"state": session, "download": str(path)}


def export_code(ctx: Context, state: Session | None, with_weights: Any = False) -> Updates:
    """This run as a PyTorch script and notebook (plus its data file, and its weights when
    asked), zipped for download; comments in the tab's language."""
    session = ctx.session(state)
    preset = ctx.presets.get(session.preset)
    with session.lock:
        trainer = session.trainer
        exported = export_run(
            trainer.config,
            trainer.dataset,
            steps=preset.steps if preset else max(trainer.iteration, 2000),
            sampler=session.sampler,
            title=preset.title_in(session.language) if preset else trainer.config.dataset,
            language=session.language,
            weights=trainer.weights() if with_weights is True else None,
            from_iteration=trainer.iteration if with_weights is True else 0,
        )
    path = session_folder(session) / f"{exported.name}.zip"
    path.write_bytes(exported.zip_bytes())
    return {"state": session, "download": str(path)}


def load(ctx: Context, state: Session | None, path: str | None) -> Updates:
    if not path:
        return {}
    old = ctx.session(state)
    trainer, info = unzip_checkpoint(path, device=old.trainer.config.device, read_data_files=False)
    preset = info.get("preset") if info.get("preset") in ctx.presets else ""
    loaded = Session(trainer, preset=preset, sampler=info.get("sampler", "G"))
    session = old.successor(loaded)
    session.say("loaded_ckpt", iteration=trainer.iteration)
    return {"state": session, **render.everything(session, ctx.presets)}
