"""The folders of playground/ are its rooms (docs/architecture.md): each imports only the
rooms below it, Gradio only in ui/, Plotly only in views/ and ui/."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "playground"
ROOMS = ("engine", "evaluation", "views", "teaching", "io", "serving", "cli", "ui")
# what each room (or top-level module) may import from the package
ALLOWED = {
    "engine": {"paths"},
    "evaluation": {"engine", "paths"},
    "views": {"engine", "text"},
    "io": {"engine", "evaluation", "text", "paths"},
    "teaching": {"engine", "evaluation", "io", "views", "text", "paths"},
    "serving": {"engine", "io"},
    "text": {"engine", "paths"},
    "paths": set(),
    "cli": {"engine", "evaluation", "io", "teaching", "views", "text", "paths"},
    "__main__": {"cli"},
    "__init__": {"engine"},
    # not cli/: the command line sets process-wide torch state (threads), fit for a process of
    # its own, never for a request thread of the app
    "ui": (set(ROOMS) - {"cli"}) | {"text", "paths"},
}
OUTSIDE = {"gradio": {"ui"}, "plotly": {"views", "ui"}}


def _room(path: Path) -> str:
    return path.stem if path.parent == PACKAGE else path.parent.name


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return found


def test_every_module_lives_in_a_room() -> None:
    loose = {p.stem for p in PACKAGE.glob("*.py")}
    assert loose == {"__init__", "__main__", "text", "paths"}
    assert {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"} == set(
        ROOMS
    )


def test_rooms_import_only_what_they_may() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        room = _room(path)
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] == "playground" and len(parts) > 1:
                target = parts[1]
                if target != room and target in ALLOWED and target not in ALLOWED[room]:
                    wrong.append(f"{path.relative_to(PACKAGE)} imports {name}")
            elif parts[0] in OUTSIDE and room not in OUTSIDE[parts[0]]:
                wrong.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert not wrong, wrong


def test_no_module_is_longer_than_a_reader_can_hold() -> None:
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 520
    }
    assert not long, long
