"""Checkpoints a user can share safely: tensors in safetensors, everything else in JSON.

DIR/config.json      the GANConfig
DIR/model.safetensors G.*, D.*, G_ema.* weights; opt_g.* / opt_d.* optimiser moments; rng;
                      data.* (the pool of a user-file dataset, so the run is self-contained)
DIR/state.json       iteration, step counts, history, metrics history, sampler, format
Loading never unpickles anything.
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load, save_file

import playground.engine.torch_warmup  # noqa: F401  (before any tensor op: see its docstring)
from playground.engine.config import FILE_DATASETS, GANConfig
from playground.engine.data import Dataset
from playground.engine.run_state import HISTORY_KEYS, strip_prefix
from playground.engine.trainer import Trainer

FORMAT = "gan-playground-checkpoint/1"
FILES = ("config.json", "model.safetensors", "state.json")


class CheckpointError(ValueError):
    """A checkpoint folder or zip is missing a part or is not one of ours."""


def save_checkpoint(
    trainer: Trainer, directory: str | Path, sampler: str = "G", preset: str = ""
) -> Path:
    """Write the trainer's full state to `directory` (created if needed); `preset` names the
    preset the run started from, so a share link or exported config can name it too."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    tensors = trainer.weights()
    scalars: dict[str, Any] = {}
    for prefix, opt in (("opt_g", trainer.opt_g), ("opt_d", trainer.opt_d)):
        for index, entry in opt.state_dict()["state"].items():
            for name, value in entry.items():
                if torch.is_tensor(value):
                    tensors[f"{prefix}.{index}.{name}"] = value
                else:
                    scalars[f"{prefix}.{index}.{name}"] = value
    tensors["rng"] = trainer.rng.get_state()
    dataset = trainer.dataset
    if dataset.name in FILE_DATASETS and dataset.pool is not None:
        tensors["data.pool"] = dataset.pool
        if dataset.pool_labels is not None:
            tensors["data.labels"] = dataset.pool_labels
    save_file(
        {k: v.detach().cpu().contiguous().clone() for k, v in tensors.items()},
        str(out / "model.safetensors"),
        metadata={"format": FORMAT},
    )
    (out / "config.json").write_text(trainer.config.to_json())
    state = {
        "format": FORMAT,
        "iteration": trainer.iteration,
        "d_step_count": trainer.d_step_count,
        "g_step_count": trainer.g_step_count,
        "history": trainer.history,
        "metrics_history": trainer.metrics_history,
        "optimizer_scalars": scalars,
        "sampler": sampler,
        "preset": preset,
        "dataset": {
            "name": dataset.name,
            "shape": list(dataset.shape),
            "classes": dataset.num_classes,
        },
    }
    (out / "state.json").write_text(json.dumps(state, allow_nan=True))
    return out


def load_checkpoint(
    directory: str | Path, device: str | None = None, read_data_files: bool = True
) -> tuple[Trainer, dict[str, Any]]:
    """Rebuild a Trainer from a checkpoint folder; returns it and the parsed state.json."""
    src = Path(directory)
    if not src.is_dir():
        raise CheckpointError(f"checkpoint: {src.name} is not a folder")
    missing = [name for name in FILES if not (src / name).is_file()]
    if missing:
        raise CheckpointError(f"checkpoint: {src.name} lacks {', '.join(missing)}")
    parts = {name: (src / name).read_bytes() for name in FILES}
    return load_checkpoint_parts(parts, device, read_data_files)


def load_checkpoint_parts(
    parts: dict[str, bytes], device: str | None = None, read_data_files: bool = True
) -> tuple[Trainer, dict[str, Any]]:
    """Rebuild a Trainer from the three files' bytes. With read_data_files False (a browser's
    upload), a config whose data is a file path is refused unless the data travels inside the
    checkpoint: an uploaded checkpoint must not make the server read its own files."""
    try:
        config_data = json.loads(parts["config.json"])
        state = json.loads(parts["state.json"])
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise CheckpointError(f"checkpoint: a JSON file is damaged ({exc})") from exc
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"checkpoint: not a GAN Playground checkpoint ({FORMAT})")
    if isinstance(config_data, dict):
        config_data.setdefault("normalize", False)  # saved before the option: trained in data units
    config = GANConfig.from_dict(config_data)
    if device is not None:
        config = config.replace(device=device)
    try:
        tensors = load(parts["model.safetensors"])
    except (SafetensorError, OSError) as exc:
        raise CheckpointError(f"checkpoint: model.safetensors is unreadable ({exc})") from exc
    dataset = None
    if "data.pool" in tensors:
        info = state.get("dataset") or {}
        pool = tensors["data.pool"]
        dataset = Dataset(
            config.dataset,
            "images" if pool.dim() == 4 else "points",
            tuple(pool.shape[1:]),
            int(info.get("classes", 0)),
            pool=pool,
            pool_labels=tensors.get("data.labels"),
        )
    elif config.dataset in FILE_DATASETS and not read_data_files:
        raise CheckpointError(
            "checkpoint: its data is a file on another machine and does not travel inside it"
        )
    trainer = Trainer(config, dataset=dataset)
    try:
        _load_weights(trainer, tensors, state)
    except (KeyError, RuntimeError, ValueError, TypeError) as exc:
        raise CheckpointError(f"checkpoint: weights do not match config.json ({exc})") from exc
    return trainer, state


def _load_weights(
    trainer: Trainer, tensors: dict[str, torch.Tensor], state: dict[str, Any]
) -> None:
    for prefix, module in (("G", trainer.G), ("D", trainer.D)):
        module.load_state_dict(strip_prefix(tensors, prefix + "."))
    ema = strip_prefix(tensors, "G_ema.")
    if ema and trainer.G_ema is not None:
        trainer.G_ema.load_state_dict(ema)
    scalars = state.get("optimizer_scalars", {})
    for prefix, opt in (("opt_g", trainer.opt_g), ("opt_d", trainer.opt_d)):
        per_param: dict[int, dict[str, Any]] = {}
        for source in (strip_prefix(tensors, prefix + "."), strip_prefix(scalars, prefix + ".")):
            for key, value in source.items():
                index, name = key.split(".", 1)
                per_param.setdefault(int(index), {})[name] = value
        groups = opt.state_dict()["param_groups"]
        opt.load_state_dict({"state": _one_vector(per_param), "param_groups": groups})
    trainer.rng.set_state(tensors["rng"])
    trainer.iteration = int(state["iteration"])
    trainer.d_step_count = int(state.get("d_step_count", 0))
    trainer.g_step_count = int(state.get("g_step_count", 0))
    history = state.get("history", {})
    trainer.history = {key: list(history.get(key, [])) for key in HISTORY_KEYS}
    trainer.metrics_history = list(state.get("metrics_history", []))
    trainer.update()  # learning rates as the schedule has them at the loaded iteration
    trainer.reset_rewind()


def _one_vector(per_param: dict[int, dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """The optimiser state of one flat weight vector per network. Checkpoints written before
    the optimisers stepped that vector (2026-12-03) hold each layer's moments apiece, in the
    order of the network's parameters, which is the vector's order: they concatenate into
    it. The step count is the same for every layer."""
    if len(per_param) <= 1:
        return per_param
    layers = [per_param[index] for index in sorted(per_param)]
    return {
        0: {
            name: torch.cat([layer[name].reshape(-1) for layer in layers])
            if torch.is_tensor(value) and value.dim() > 0
            else value
            for name, value in layers[0].items()
        }
    }


def zip_checkpoint(
    trainer: Trainer, zip_path: str | Path, sampler: str = "G", preset: str = ""
) -> Path:
    """The checkpoint as one .zip (what the UI offers for download)."""
    zip_path = Path(zip_path)
    with tempfile.TemporaryDirectory() as tmp:
        save_checkpoint(trainer, tmp, sampler, preset)
        with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in FILES:
                archive.write(Path(tmp) / name, name)
    return zip_path


MAX_PART_BYTES = {"config.json": 2**20, "state.json": 64 * 2**20, "model.safetensors": 512 * 2**20}


def unzip_checkpoint(
    zip_path: str | Path, device: str | None = None, read_data_files: bool = True
) -> tuple[Trainer, dict[str, Any]]:
    """Load a checkpoint .zip; only the three known file names are read from it, in memory,
    each after its unpacked size is checked against MAX_PART_BYTES (a zip bomb is refused
    before anything is unpacked)."""
    name = Path(zip_path).name
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise CheckpointError(f"checkpoint: {name} is not a zip file") from exc
    with archive:
        members = {info.filename: info for info in archive.infolist()}
        missing = [part for part in FILES if part not in members]
        if missing:
            raise CheckpointError(f"checkpoint: the zip lacks {', '.join(missing)}")
        for part, limit in MAX_PART_BYTES.items():
            if members[part].file_size > limit:
                raise CheckpointError(
                    f"checkpoint: {part} unpacks to {members[part].file_size / 2**20:.0f} MiB, "
                    f"over the {limit / 2**20:.0f} MiB limit"
                )
        try:
            parts = {part: _read_member(archive, part, MAX_PART_BYTES[part]) for part in FILES}
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise CheckpointError(f"checkpoint: {name} is damaged ({exc})") from exc
    return load_checkpoint_parts(parts, device, read_data_files)


def _read_member(archive: zipfile.ZipFile, part: str, limit: int) -> bytes:
    """A member's bytes, never more than `limit` whatever its header claims."""
    with archive.open(part) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise CheckpointError(f"checkpoint: {part} is over the {limit / 2**20:.0f} MiB limit")
    return data
