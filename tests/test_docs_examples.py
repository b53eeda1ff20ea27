"""Every shell and Python example in the README and docs/ runs as written, or says in the
document why it is not run here (an HTML comment `<!-- not run: why -->` right above it).
Each runs in a fresh folder with the project's Python first on PATH, so `python` and
`.venv/bin/python` are the one the suite runs on."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RUNNABLE = ("bash", "python")
NOT_RUN = re.compile(r"<!-- not run: (.+?) -->\s*$")
FENCE = re.compile(r"^```(\w*)\s*$")


def _examples() -> list[tuple[str, str, str, str | None]]:
    """(where, language, code, why not run) for every runnable fenced block."""
    found = []
    for path in DOCUMENTS:
        lines = path.read_text(encoding="utf-8").splitlines()
        i = 0
        while i < len(lines):
            fence = FENCE.match(lines[i])
            if not fence:
                i += 1
                continue
            end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
            language = fence.group(1)
            if language in RUNNABLE:
                before = next((lines[k] for k in range(i - 1, -1, -1) if lines[k].strip()), "")
                why = NOT_RUN.search(before)
                where = f"{path.relative_to(ROOT)}:{i + 1}"
                code = "\n".join(lines[i + 1 : end])
                found.append((where, language, code, why.group(1) if why else None))
            i = end + 1
    return found


EXAMPLES = _examples()


def test_every_example_is_found_and_each_skip_says_why() -> None:
    assert len(EXAMPLES) >= 10
    for where, _, _, why in EXAMPLES:
        assert why is None or len(why) > 20, f"{where}: say why it is not run"


@pytest.mark.parametrize(
    "where,language,code",
    [(w, lang, c) for w, lang, c, why in EXAMPLES if why is None],
    ids=[w for w, _, _, why in EXAMPLES if why is None],
)
def test_example_runs(where: str, language: str, code: str, tmp_path: Path, app_url: str) -> None:
    venv = tmp_path / ".venv" / "bin"
    venv.mkdir(parents=True)
    for name in ("python", "python3"):
        (venv / name).write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
        (venv / name).chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{venv}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
    }
    code = code.replace("http://127.0.0.1:7860/", app_url)  # the web API: the suite's app
    command = ["bash", "-euo", "pipefail", "-c", code] if language == "bash" else [
        sys.executable, "-c", code,
    ]  # fmt: skip
    done = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{where} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
