"""The one way gocross writes its own files: exclusive temporaries, normal permissions, nothing partial."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gocross.safefs import atomic_output, atomic_write


def test_written_file_gets_normal_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "artifacts.json", "{}\n")
    finally:
        os.umask(old)
    assert (tmp_path / "artifacts.json").read_text() == "{}\n"
    assert (tmp_path / "artifacts.json").stat().st_mode & 0o777 == 0o644


def test_a_symlink_at_the_name_is_replaced_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "elsewhere.txt"
    victim.write_text("precious")
    (tmp_path / "dist").mkdir()
    link = tmp_path / "dist" / "artifacts.json"
    link.symlink_to(victim)
    atomic_write(link, b"new")
    assert victim.read_text() == "precious"
    assert not link.is_symlink() and link.read_bytes() == b"new"


def test_failure_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt), atomic_output(target) as handle:
        handle.write(b"half")
        raise KeyboardInterrupt
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]
