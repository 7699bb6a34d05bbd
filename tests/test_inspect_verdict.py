""""Runs here?" on this x86-64 Linux host: the post's scenario, BSD ELF, CPU levels, missing loaders."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from tests.conftest import HELLO, BuildGo
from tests.corpus import HELLO_SOURCE
from tests.helpers import gocross as run_gocross

import gocross
from gocross.binary import inspect
from gocross.binary.verdict import verdict
from gocross.runners.native import amd64_level, host_goarch

pytestmark = pytest.mark.skipif(host_goarch() != "amd64", reason="verdicts are written for an x86-64 host")


def test_post_darwin_arm64_will_not_run_here(build_go: BuildGo) -> None:
    """The post: a Mach-O arm64 server copied to an x86-64 Ubuntu box. Say no, why, and what to do."""
    path = build_go(HELLO, "darwin", "arm64", name="server")
    proc = run_gocross("inspect", path)
    assert proc.returncode == 0, proc.stderr
    out = " ".join(proc.stdout.split())
    assert "will not run here: a macOS (Mach-O arm64) program needs a Mac with Apple silicon" in out
    assert "build for linux/amd64 instead: gocross build --target linux/amd64" in out
    assert "exec format error" in out and "Mach-O" in out
    data = json.loads(run_gocross("inspect", "--json", path).stdout)[0]
    assert data["goos"] == "darwin" and data["goarch"] == "arm64" and data["main_path"] == "example.com/hello"
    assert data["runs_here"]["verdict"] == "no" and data["runs_here"]["exec_format_error"]


def test_post_linux_arm64_runs_emulated(build_go: BuildGo) -> None:
    path = build_go(HELLO, "linux", "arm64", name="server")
    data = json.loads(run_gocross("inspect", "--json", path).stdout)[0]
    v = data["runs_here"]
    assert v["verdict"] == "emulated" and v["runner"] == "qemu-user"
    assert v["program"] == "qemu-aarch64-static"
    assert v["command"][-1] == str(path.absolute()) and Path(v["command"][0]).name == "qemu-aarch64-static"
    assert v["gocross_command"] == ["gocross", "run", str(path)]
    assert "AArch64" in v["exec_format_error"] and "x86-64" in v["exec_format_error"]
    assert v["installed"] == (shutil.which("qemu-aarch64-static") is not None)
    text = " ".join(run_gocross("inspect", path).stdout.split())
    assert "EMULATED" in text and "qemu-aarch64-static" in text


def test_freebsd_amd64_is_not_native(build_go: BuildGo) -> None:
    info = inspect(build_go(HELLO_SOURCE, "freebsd", "amd64"))
    assert info.runs_here is not None and info.runs_here.verdict == "no"
    assert "crashes" in info.runs_here.reason and "139" in info.runs_here.reason
    assert info.runs_here.exec_format_error is None  # it does start: no ENOEXEC to explain


def test_linux_386_native_and_wasm_runners(build_go: BuildGo) -> None:
    i386 = inspect(build_go(HELLO_SOURCE, "linux", "386"))
    assert i386.runs_here is not None and i386.runs_here.verdict == "native"
    js = inspect(build_go(HELLO_SOURCE, "js", "wasm"))
    wasi = inspect(build_go(HELLO_SOURCE, "wasip1", "wasm"))
    assert js.runs_here is not None and js.runs_here.runner == "node"
    assert wasi.runs_here is not None and wasi.runs_here.runner == "wasmtime"
    assert "WebAssembly" in (js.runs_here.exec_format_error or "")


def test_windows_explains_pe(build_go: BuildGo) -> None:
    info = inspect(build_go(HELLO_SOURCE, "windows", "amd64"))
    assert info.runs_here is not None and info.runs_here.verdict == "no"
    assert "PE file" in (info.runs_here.exec_format_error or "")


def test_goamd64_level_against_this_cpu(build_go: BuildGo) -> None:
    info = inspect(build_go(HELLO_SOURCE, "linux", "amd64", env={"GOAMD64": "v3"}))
    assert (info.variant_var, info.variant) == ("GOAMD64", "v3")
    expected = "native" if amd64_level() >= "v3" else "no"
    assert info.runs_here is not None and info.runs_here.verdict == expected
    v4 = verdict(replace(info, variant="v4", build_settings={**info.build_settings, "GOAMD64": "v4"}))
    if amd64_level() < "v4":
        assert v4.verdict == "no" and "GOAMD64=v4" in v4.reason


def test_goarm_variant(build_go: BuildGo) -> None:
    info = inspect(build_go(HELLO_SOURCE, "linux", "arm", env={"GOARM": "6"}))
    assert (info.variant_var, info.variant) == ("GOARM", "6")
    assert info.runs_here is not None and info.runs_here.verdict == "emulated"
    assert info.runs_here.env.get("QEMU_CPU") == "arm1176"


def test_missing_loader_and_old_glibc(build_go: BuildGo) -> None:
    pie = inspect(build_go(HELLO_SOURCE, "linux", "amd64", flags=["-buildmode=pie"]))
    musl = verdict(replace(pie, interpreter="/lib/ld-musl-x86_64.so.1"))
    if not Path("/lib/ld-musl-x86_64.so.1").exists():
        assert musl.verdict == "no" and "No such file or directory" in musl.reason
    future = verdict(replace(pie, min_glibc="9.99"))
    assert future.verdict == "no" and "glibc 9.99" in future.reason


def test_library_call() -> None:
    info = gocross.inspect(HELLO / "main.go")
    assert isinstance(info, gocross.BinaryInfo) and info.format == "data" and not info.is_go
