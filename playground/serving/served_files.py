"""Which files a browser user may train on: the files they uploaded in their own tab, and files
in the one folder an operator chose to serve (`python app.py --data-dir DIR`), named relative
to it. A browser never names a server path: a name with `..`, an absolute path, a link out of
the folder, a device, a FIFO or a folder is refused before anything is opened, and the
message never shows where the server keeps its files or what they hold.
"""

from __future__ import annotations

import stat
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from playground.engine.loaders import MAX_FILE_BYTES


def _shown(name: str) -> str:
    """How a message quotes a name: its last part only, never a path."""
    return PurePosixPath(name.replace("\\", "/")).name or "that name"


def served_file(root: Path, name: str) -> Path:
    """`root/name` once it is known to be a regular file inside `root` of at most
    MAX_FILE_BYTES; ValueError otherwise."""
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if not name or PurePosixPath(name).is_absolute() or ".." in parts or ":" in name:
        raise ValueError(
            f"data_path: '{_shown(name)}' is not a file name in the served data folder"
        )
    base = root.resolve()
    target = (base / Path(*parts)).resolve()
    if base not in target.parents:
        raise ValueError(f"data_path: '{_shown(name)}' is not in the served data folder")
    try:
        info = target.stat()
    except OSError:
        raise ValueError(f"data_path: no file '{_shown(name)}' in the served data folder") from None
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"data_path: '{_shown(name)}' is not a regular file")
    if info.st_size > MAX_FILE_BYTES:
        raise ValueError(
            f"data_path: '{_shown(name)}' is over the {MAX_FILE_BYTES // 2**20} MiB limit"
        )
    return target


def resolve_data_name(name: str, uploads: Mapping[str, Path], root: Path | None) -> str:
    """The server path behind a data file name a browser sent: one of this tab's uploads,
    else a file in the served folder; "" for no file."""
    name = (name or "").strip()
    if not name:
        return ""
    if name in uploads:
        return str(uploads[name])
    if root is None:
        raise ValueError(
            f"data_path: '{_shown(name)}' is not a file you uploaded in this tab; "
            "upload your data with the 'your data' box"
        )
    return str(served_file(root, name))
