"""The CLI as a user runs it: a real subprocess, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def cli(*args: str, cwd: Path = ROOT, **env_vars: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **env_vars}
    return subprocess.run(
        [sys.executable, "-m", "playground", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def test_train_then_sample_round_trip(tmp_path: Path) -> None:
    run = tmp_path / "run"
    result = cli(
        "train",
        "--dataset",
        "ring8",
        "--steps",
        "60",
        "--seed",
        "1",
        "--batch-size",
        "32",
        "--eval-every",
        "30",
        "--eval-samples",
        "500",
        "--out",
        str(run),
        "--device",
        "cpu",
    )
    assert result.returncode == 0, result.stderr
    assert {"config.json", "model.safetensors", "state.json", "metrics.json"} <= {
        p.name for p in run.iterdir()
    }
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["steps"] == 60 and [m["iteration"] for m in metrics["history"]] == [30, 60]
    assert "modes_covered" in metrics["history"][-1]
    assert metrics["device"] == "CPU (1 thread)"  # MLPs train on one thread unless --threads
    out = tmp_path / "s.npz"
    result = cli("sample", str(run), "--n", "100", "--out", str(out))
    assert result.returncode == 0, result.stderr
    with np.load(out) as data:
        assert data["x"].shape == (100, 2) and data["x"].dtype == np.float32
        assert data["z"].shape == (100, 8) and "y" not in data
    again = tmp_path / "again"  # the run's config.json as a config file: the same settings
    result = cli("train", "--config", str(run / "config.json"), "--steps", "2", "--out", str(again))
    assert result.returncode == 0, result.stderr
    assert json.loads((again / "config.json").read_text()) == json.loads(
        (run / "config.json").read_text()
    )


def test_conditional_preset_samples_the_requested_label(tmp_path: Path) -> None:
    run = tmp_path / "run"
    result = cli(
        "train",
        "--preset",
        "digits-cgan",
        "--steps",
        "20",
        "--eval-samples",
        "100",
        "--out",
        str(run),
    )
    assert result.returncode == 0, result.stderr
    out = tmp_path / "s.npz"
    assert (
        cli("sample", str(run), "--n", "12", "--label", "7", "--ema", "--out", str(out)).returncode
        == 0
    )
    with np.load(out) as data:
        assert data["x"].shape == (12, 1, 8, 8)
        assert 0 <= data["x"].min() and data["x"].max() <= 1
        assert (data["y"] == 7).all()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--preset", "nope"], "unknown preset 'nope'"),
        (["train", "--loss", "wasserstein"], "loss: 'wasserstein' is not one of"),
        (["train", "--lr-g", "-1"], "lr_g: must be positive"),
        (["train", "--batch-size", "lots"], "argument --batch-size: invalid int value"),
        (["train", "--dataset", "npz", "--data-path", "/nonexistent.npz"], "npz file not found"),
        (["train", "--dataset", "spiral", "--conditional"], "has no class labels"),
        (["sample", "/nonexistent-run", "--out", "x.npz"], "is not a folder"),
        (["train", "--threads", "0"], "--threads: must be at least 1"),
        (["fly"], "invalid choice: 'fly'"),
        (["export", "nope", "--out", "x.py"], "SOURCE: nope is not a run folder"),
        (["compare", "--preset", "ring8"], "--preset: give exactly two presets"),
        (["compare", "--comparison", "nope"], "--comparison: unknown comparison 'nope'"),
        (["export", "ring8", "--out", "x.txt"], "--out: must end in .py"),
        (["export", "ring8", "--weights", "--out", "x.py"], "--weights: SOURCE must be a run"),
    ],
)
def test_bad_options_exit_2_with_one_line(
    args: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In this process (main() is what `python -m playground` exits with): each is refused
    before anything trains, and before the command sets torch's thread count (a process-wide
    setting: the CLI sets it only in a process of its own)."""
    import torch

    from playground.cli import main

    def refused(*_: object) -> None:
        raise AssertionError("a refused command set torch's thread count")

    threads = torch.get_num_threads()
    monkeypatch.setattr(torch, "set_num_threads", refused)
    assert main(list(args)) == 2
    stderr = capsys.readouterr().err
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], stderr
    assert "Traceback" not in stderr
    assert torch.get_num_threads() == threads


def test_a_bad_option_exits_the_process_with_2() -> None:
    result = cli("train", "--loss", "wasserstein")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "python -m playground: error: loss: 'wasserstein' is not one of "
        + result.stderr.split("is not one of ", 1)[1].strip()
    ]


@pytest.mark.parametrize(
    "command", [[], ["train"], ["sample"], ["export"], ["compare"], ["presets"]]
)
def test_every_command_has_help(command: list[str]) -> None:
    result = cli(*command, "--help")
    assert result.returncode == 0 and "usage:" in result.stdout


def test_presets_lists_the_shipped_presets() -> None:
    result = cli("presets")
    assert result.returncode == 0
    names = {
        line.split()[0] for line in result.stdout.splitlines() if line and not line.startswith(" ")
    }
    assert {
        "ring8",
        "grid25",
        "digits",
        "digits-cgan",
        "mode-collapse",
        "saturating-loss",
        "d-too-strong",
        "lr-too-high",
    } <= names


def test_a_diverging_preset_stops_with_the_guard_message(tmp_path: Path) -> None:
    result = cli(
        "train", "--preset", "lr-too-high", "--out", str(tmp_path / "run"), "--eval-samples", "100"
    )
    assert result.returncode == 1
    assert "diverged at iteration" in result.stderr and "lower the learning rate" in result.stderr
    assert (tmp_path / "run" / "model.safetensors").exists()


def test_export_a_trained_run_with_its_weights_and_a_notebook(tmp_path: Path) -> None:
    run = tmp_path / "run"
    args = ("--dataset", "spiral", "--steps", "30", "--batch-size", "32", "--eval-every", "30")
    assert cli("train", *args, "--eval-samples", "200", "--out", str(run)).returncode == 0
    code = tmp_path / "code"
    result = cli(
        "export",
        str(run),
        "--weights",
        "--out",
        str(code / "mine.py"),
        "--notebook",
        str(code / "mine.ipynb"),
        "--steps",
        "5",
        "--language",
        "zh-CN",
    )
    assert result.returncode == 0, result.stderr
    assert {p.name for p in code.iterdir()} == {"mine.py", "mine.ipynb", "weights.safetensors"}
    script = (code / "mine.py").read_text()
    assert "ITERATIONS = 5" in script and "冻结 D" in script
    done = subprocess.run(
        [sys.executable, "mine.py", "--iterations", "0", "--device", "cpu"],
        cwd=code,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    samples = np.loadtxt(code / "gan_output" / "samples.csv", delimiter=",", skiprows=1)
    # one thread, as the script runs small nets: float sums then add up in the same order
    sampled = cli(
        "sample", str(run), "--n", "1000", "--out", str(tmp_path / "s.npz"), OMP_NUM_THREADS="1"
    )
    assert sampled.returncode == 0, sampled.stderr
    with np.load(tmp_path / "s.npz") as data:  # the script's G is the run's G
        np.testing.assert_allclose(samples, data["x"], atol=1e-6)


def test_export_a_config_file_names_its_preset_length(tmp_path: Path) -> None:
    config = tmp_path / "setup.json"
    config.write_text(json.dumps({"config": {"dataset": "moons", "seed": 4}, "preset": "digits"}))
    result = cli("export", str(config), "--out", str(tmp_path / "train_gan.py"))
    assert result.returncode == 0, result.stderr
    script = (tmp_path / "train_gan.py").read_text()
    assert "ITERATIONS = 5000" in script and "SEED = 4" in script and "moons" in script


def test_compare_prints_both_runs_side_by_side() -> None:
    result = cli("compare", "--preset", "classroom", "--preset", "ring8", "--steps", "40")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "differs: batch_size: A = 64, B = 256" in lines
    rows = [line.split() for line in lines if line.strip().startswith("40 ")]
    measures = {row[1]: row[2:] for row in rows}
    assert {"modes_covered", "hq_percent", "d_real", "d_fake", "grad_g"} <= set(measures)
    assert all(len(cells) == 2 for cells in measures.values())  # one column per run
    shipped = cli("compare", "--comparison", "lr-too-high-vs-sane", "--json")
    last = json.loads(shipped.stdout.splitlines()[-1])
    assert last["iteration"] == 20 and last["A"]["diverged"] == 1 and last["B"]["diverged"] == 0


def test_help_and_bad_options_answer_without_loading_torch() -> None:
    """`playground` loads its names on first use: the CLI's help and option errors do not
    wait ~2 s for torch (and neither do these tests, which start a process each)."""
    probe = "import sys, playground.cli; print(sorted({'torch', 'numpy'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr
    from playground import GANConfig, Trainer  # the names still load, on first use

    assert Trainer.__module__ == "playground.engine.trainer" and GANConfig().dataset


def test_every_module_that_imports_torch_warms_it_up_first() -> None:
    """With the package loaded lazily, torch_warmup runs from the modules that compute with
    torch (see its docstring: the first elementwise op of a process could be off by 2e-4)."""
    import re

    missing = [
        path.name
        for path in sorted((ROOT / "playground").rglob("*.py"))
        if path.parent.name != "ui"  # the UI computes through the library's modules
        and re.search(r"^import torch$", path.read_text(), re.M)
        and path.stem != "torch_warmup"
        and "import playground.engine.torch_warmup" not in path.read_text()
    ]
    assert not missing


def test_train_goes_on_from_a_trained_start(tmp_path: Path) -> None:
    done = cli(
        "train", "--preset", "digits-cgan", "--trained", "--steps", "3", "--eval-samples", "300",
        "--out", str(tmp_path / "run"), "--quiet",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert summary["steps"] == 25_003  # the start's 25 000 iterations, then 3 more
    assert summary["history"][-1]["label_agreement"] > 0.9  # a trained G, not a fresh one
    bad = cli("train", "--dataset", "ring8", "--trained", "--steps", "3")
    assert bad.returncode == 2 and "--trained: needs --preset" in bad.stderr
    unknown = cli("train-start", "nope")
    assert unknown.returncode == 2 and "unknown preset 'nope'" in unknown.stderr
