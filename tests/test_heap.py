"""The serving heap's settings: a freed large block goes back to the system at once.

Run in fresh processes, since glibc's malloc settings are per process and one-way."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

FRAGMENT = textwrap.dedent(
    """
    import sys
    from playground.serving import heap

    if sys.argv[1] == "tuned":
        heap.tune_malloc()

    def rss_mib():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096 / 2**20

    block = 6 * 2**20  # an Evaluate's samples or features
    for _ in range(2):  # one made and freed: glibc's dynamic threshold rises past its size
        probe = b"\\x01" * block
        del probe
    blocks = [b"\\x01" * block for _ in range(24)]  # filled: their pages are really held
    held = rss_mib()
    del blocks[::2]  # every other one freed: 72 MiB between blocks that stay
    print(held - rss_mib())
    """
)


def _returned_mib(mode: str) -> float:
    """MiB handed back to the system when half of 24 big blocks are freed."""
    out = subprocess.run(
        [sys.executable, "-c", FRAGMENT, mode],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout)


def test_freed_big_blocks_go_back_to_the_system_with_the_servers_malloc_settings() -> None:
    # with glibc's defaults, once one big block has been freed the next ones come from the heap,
    # where a freed block between two live ones stays held (a class's RSS climbed for minutes);
    # with the server's fixed threshold each is a mapping of its own, returned when freed
    assert _returned_mib("default") < 10
    assert _returned_mib("tuned") > 60
