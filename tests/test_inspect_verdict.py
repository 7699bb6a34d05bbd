""""Runs here?" on this x86-64 Linux host: the post's scenario, BSD ELF, CPU levels, missing loaders."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import HELLO, BuildGo
from tests.corpus import HELLO_SOURCE
from tests.helpers import gocross as run_gocross

import gocross
from gocross.binary import BinaryInfo, inspect
from gocross.binary.verdict import RunnerCache, host_glibc, verdict
from gocross.runners.base import RunnerChoice
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
    info = inspect(build_go(HELLO_SOURCE, "windows", "arm64"))  # amd64 and 386 run under wine (test_wine.py)
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


# The verdict rules on records built by hand: no Go build, exact answers (this host is x86-64 Linux).


@pytest.fixture
def program(tmp_path: Path) -> Path:
    path = tmp_path / "app"
    path.write_bytes(b"\x7fELF")
    path.chmod(0o755)
    return path


def _info(path: Path, goos: str | None = "linux", goarch: str | None = "amd64", **fields: Any) -> BinaryInfo:
    machine = {"amd64": "x86-64", "arm64": "AArch64", None: "machine 4242"}.get(goarch, goarch)
    defaults: dict[str, Any] = {"format": "ELF", "file_type": "executable", "machine": machine, "is_go": True,
                                "linkage": "static", "description": "test record"}
    return BinaryInfo(path=str(path), size=4, goos=goos, goarch=goarch, **{**defaults, **fields})


def test_rule_native(program: Path) -> None:
    v = verdict(_info(program))
    assert (v.verdict, v.runner, v.installed) == ("native", "native", True)
    assert v.command == (str(program.absolute()),) and v.gocross_command == ("gocross", "run", str(program))
    assert v.exec_format_error is None and "chmod" not in v.reason
    program.chmod(0o644)
    assert f"chmod +x {program}" in verdict(_info(program)).reason


def test_rule_emulated_under_qemu(program: Path) -> None:
    v = verdict(_info(program, goarch="arm64"))
    assert (v.verdict, v.runner, v.program) == ("emulated", "qemu-user", "qemu-aarch64-static")
    assert v.installed == (shutil.which("qemu-aarch64-static") is not None)
    assert v.command is not None and v.command[-1] == str(program.absolute())
    assert v.exec_format_error is not None and "AArch64 (arm64)" in v.exec_format_error
    assert "x86-64 host" in v.exec_format_error and "qemu-aarch64-static" in v.exec_format_error
    dynamic = verdict(_info(program, goarch="arm64", linkage="dynamic", interpreter="/lib/ld-linux-aarch64.so.1"))
    assert dynamic.verdict == "emulated" and "QEMU_LD_PREFIX" in dynamic.reason


def test_rule_no_for_other_formats(program: Path) -> None:
    windows = verdict(_info(program, "windows", "arm64", format="PE"))
    assert windows.verdict == "no" and windows.runner is None and windows.command is None
    assert windows.exec_format_error is not None and "a PE file (a Windows .exe)" in windows.exec_format_error
    mac = verdict(_info(program, "darwin", "arm64", format="Mach-O"))
    assert mac.verdict == "no" and "needs a Mac with Apple silicon" in mac.reason
    assert mac.suggestion == "build for linux/amd64 instead: gocross build --target linux/amd64"
    unknown = verdict(_info(program, None, None))
    assert unknown.verdict == "no" and "machine 4242, a CPU no Go port" in unknown.reason


def test_rule_foreign_os_elf_of_this_cpu(program: Path) -> None:
    v = verdict(_info(program, "freebsd", "amd64"))
    assert v.verdict == "no" and "a FreeBSD program" in v.reason
    assert "crashes right after start" in v.reason and "139" in v.reason
    assert v.exec_format_error is None  # Linux does start it: there is no ENOEXEC to explain
    loader = verdict(_info(program, "freebsd", "amd64", linkage="dynamic", interpreter="/libexec/ld-elf.so.1"))
    assert loader.verdict == "no" and "its loader /libexec/ld-elf.so.1 does not exist on Linux" in loader.reason


def test_rule_missing_loader(program: Path) -> None:
    v = verdict(_info(program, linkage="dynamic", interpreter="/lib/ld-musl-x86_64.so.99"))
    assert v.verdict == "no" and "the loader /lib/ld-musl-x86_64.so.99" in v.reason
    assert "No such file or directory" in v.reason and v.suggestion is not None and "CGO_ENABLED=0" in v.suggestion


@pytest.mark.skipif(host_glibc() is None or not Path("/lib64/ld-linux-x86-64.so.2").exists(),
                    reason="needs a glibc host")
def test_rule_glibc_too_new(program: Path) -> None:
    dynamic = {"linkage": "dynamic", "interpreter": "/lib64/ld-linux-x86-64.so.2"}
    v = verdict(_info(program, min_glibc="9.99", **dynamic))
    assert v.verdict == "no" and f"needs glibc 9.99 or newer, and this host has glibc {host_glibc()}" in v.reason
    assert "GLIBC_9.99" in v.reason and v.suggestion is not None
    assert verdict(_info(program, min_glibc="2.2.5", **dynamic)).verdict == "native"


def test_rule_scripts(program: Path) -> None:
    sh = verdict(_info(program, None, None, format="script", file_type="script", interpreter="/bin/sh", is_go=False))
    assert (sh.verdict, sh.runner, sh.command) == ("native", "native", (str(program.absolute()),))
    assert sh.gocross_command is None
    missing = verdict(_info(program, None, None, format="script", file_type="script",
                            interpreter="/no/such/python", is_go=False))
    assert missing.verdict == "no" and "/no/such/python is not installed here" in missing.reason


def test_rule_libraries_and_data_are_not_programs(program: Path) -> None:
    lib = verdict(_info(program, file_type="shared library"))
    assert lib.verdict == "no" and "a shared library, not a program" in lib.reason
    data = verdict(_info(program, None, None, format="data", file_type=None, description="PNG image data"))
    assert data.verdict == "no" and data.reason == "not a program: PNG image data"


def test_rule_goamd64_level_above_this_cpu(program: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gocross.runners.native

    monkeypatch.setattr(gocross.runners.native, "amd64_level", lambda flags=None: "v2")
    v3 = verdict(_info(program, variant_var="GOAMD64", variant="v3"))
    assert v3.verdict == "no" and "needs GOAMD64=v3 but this CPU supports up to v2" in v3.reason
    assert v3.suggestion == "rebuild for an older level: gocross build --target linux/amd64/v1"
    assert verdict(_info(program, variant_var="GOAMD64", variant="v2")).verdict == "native"


def test_runner_cache_asks_once_per_target(program: Path) -> None:
    cache: RunnerCache = {}
    first = verdict(_info(program, goarch="arm64"), cache)
    assert verdict(_info(program, goarch="arm64"), cache) == first
    verdict(_info(program, "windows", "arm64", format="PE"), cache)
    assert set(cache) == {("linux", "arm64", None), ("windows", "arm64", None)}
    assert isinstance(cache["linux", "arm64", None], RunnerChoice) and cache["windows", "arm64", None] is None
