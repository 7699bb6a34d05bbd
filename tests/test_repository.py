"""Checks on the repository's own text files: a merge that left conflict markers behind must not land.

The first merge of seven branches left `<<<<<<<` blocks in README.md and docs/architecture.md, and nothing
noticed; git itself only refuses them while the merge is still in progress.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKERS = ("<<<<<<< ", "=======\n", ">>>>>>> ")


def _tracked_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    suffixes = (b".md", b".py", b".toml", b".sh", b".yml", b".txt", b".html", b".c")
    return [ROOT / name.decode() for name in listed if name.endswith(suffixes)]


def test_no_merge_conflict_markers_are_committed() -> None:
    offenders = []
    for path in _tracked_text_files():
        if not path.is_file():
            continue
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
        for number, line in enumerate(lines, 1):
            if line.startswith(MARKERS[0]) or line == MARKERS[1] or line.startswith(MARKERS[2]):
                offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert offenders == []
