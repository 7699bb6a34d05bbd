"""The runner table: which runner each target gets here, the CPU model each variant asks for, install hints,
and the stderr filter that keeps the runner's words apart from the program's."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from gocross.executor import StderrFilter, execute
from gocross.runners import choose_runner, registry, runner_kind, why_no_runner
from gocross.runners.native import amd64_level
from gocross.runners.qemu import cpu_model, is_softfloat

EMULATED = ("arm", "arm64", "loong64", "mips", "mipsle", "mips64", "mips64le", "ppc64", "ppc64le", "riscv64",
            "s390x")


@pytest.fixture(autouse=True)
def _x86_64_linux_host() -> None:
    import platform

    if not sys.platform.startswith("linux") or platform.machine() != "x86_64":
        pytest.skip("the runner table below is the one of an x86-64 Linux host")


def test_native_covers_amd64_and_386_never_qemu_i386() -> None:
    for arch in ("amd64", "386"):
        choice = choose_runner("linux", arch, None)
        assert choice is not None and choice.name == "native" and choice.installed
        assert choice.command(Path("/x/prog"), ["a"]) == ["/x/prog", "a"]
        assert runner_kind("linux", arch) == "native"


@pytest.mark.parametrize("arch", EMULATED)
def test_every_other_linux_arch_is_qemu_user(arch: str) -> None:
    choice = choose_runner("linux", arch, None)
    assert choice is not None and choice.name == "qemu-user" and choice.kind == "qemu"
    assert choice.program and choice.program.startswith("qemu-") and choice.program.endswith("-static")
    argv = choice.command(Path("prog"), ["x"])
    assert argv[0].endswith(choice.program) and argv[1:] == ["./prog", "x"]
    assert choice.timeout_factor >= 10
    assert runner_kind("linux", arch) == "qemu"


def test_wasm_runners() -> None:
    js = choose_runner("js", "wasm", None)
    wasi = choose_runner("wasip1", "wasm", None)
    assert js is not None and js.name == "node" and js.prefix[-1].endswith("wasm_exec_node.js")
    assert "--stack-size=8192" in js.prefix
    assert wasi is not None and wasi.name == "wasmtime" and wasi.prefix[0] == sys.executable
    assert wasi.prefix[1].endswith("wasmtime_child.py")
    assert (runner_kind("js", "wasm"), runner_kind("wasip1", "wasm")) == ("node", "wasmtime")


@pytest.mark.parametrize(("goos", "goarch", "words"), [
    ("darwin", "arm64", "Mac"), ("ios", "arm64", "iOS"), ("android", "arm64", "Android"),
    ("freebsd", "amd64", "FreeBSD"), ("netbsd", "amd64", "NetBSD"), ("openbsd", "arm64", "OpenBSD"),
    ("illumos", "amd64", "illumos"), ("solaris", "amd64", "Solaris"), ("aix", "ppc64", "AIX"),
    ("plan9", "amd64", "Plan 9"), ("windows", "arm64", "Windows"),
])
def test_no_runner_for_other_kernels(goos: str, goarch: str, words: str) -> None:
    assert choose_runner(goos, goarch, None) is None
    assert runner_kind(goos, goarch) == "no"
    assert words in why_no_runner(goos, goarch)


@pytest.mark.parametrize(("goarch", "variant", "cpu"), [
    ("arm", "5", "arm926"), ("arm", "6", "arm1176"), ("arm", "7", "cortex-a7"),
    ("arm", "6,softfloat", "arm1176"), ("arm", "7,hardfloat", "cortex-a7"),
    ("arm64", "v8.0", "cortex-a57"), ("arm64", "v8.1,lse", "neoverse-n1"), ("arm64", "v8.2,crypto", "neoverse-n1"),
    ("ppc64le", "power8", "power8"), ("ppc64le", "power10", "power10"), ("ppc64", "power9", "power9"),
    ("riscv64", "rva20u64", "rv64,zba=false,zbb=false,zbs=false"),
    ("riscv64", "rva22u64", "rv64,zba=true,zbb=true,zbs=true"),
    ("riscv64", "rva23u64", "rv64,v=true,vext_spec=v1.0,vlen=128,zba=true,zbb=true,zbs=true"),
    ("mips", "softfloat", None), ("arm", None, None), ("arm64", "v9.2", None),
])
def test_variant_to_qemu_cpu(goarch: str, variant: str | None, cpu: str | None) -> None:
    assert cpu_model(goarch, variant) == cpu
    choice = choose_runner("linux", goarch, variant)
    assert choice is not None
    assert dict(choice.env) == ({"QEMU_CPU": cpu} if cpu else {})


def test_softfloat_gets_a_longer_time_limit() -> None:
    assert is_softfloat("arm", "5") and is_softfloat("arm", "7,softfloat") and is_softfloat("mipsle", "softfloat")
    assert not is_softfloat("arm", "7") and not is_softfloat("mips", "hardfloat")
    soft, hard = choose_runner("linux", "mips", "softfloat"), choose_runner("linux", "mips", "hardfloat")
    assert soft is not None and hard is not None and soft.timeout_factor > hard.timeout_factor


def test_amd64_levels_follow_cpu_flags() -> None:
    v2 = frozenset({"cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3"})
    v3 = v2 | {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"}
    assert amd64_level(frozenset()) == "v1"
    assert amd64_level(v2) == "v2"
    assert amd64_level(v3) == "v3"
    assert amd64_level(v3 | {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}) == "v4"
    assert amd64_level(v2 | {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}) == "v2"


def test_amd64_level_above_this_cpu_has_no_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    import gocross.runners.native as native

    monkeypatch.setattr(native, "amd64_level", lambda flags=None: "v2")
    assert choose_runner("linux", "amd64", "v2") is not None
    assert choose_runner("linux", "amd64", "v3") is None
    assert "supports up to v2" in why_no_runner("linux", "amd64", "v3")


def test_missing_qemu_gives_the_install_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    choice = choose_runner("linux", "s390x", None)
    assert choice is not None and not choice.installed
    assert choice.install_hint == "apt-get install qemu-user-static"
    node = choose_runner("js", "wasm", None)
    assert node is not None and not node.installed and node.install_hint == "apt-get install nodejs"


def test_registry_is_keyed_by_goos_goarch() -> None:
    table = registry()
    assert {("linux", a) for a in EMULATED} <= set(table)
    assert ("darwin", "arm64") not in table
    assert all(len(runners) >= 1 for runners in table.values())


def test_stderr_filter_keeps_runner_lines_apart() -> None:
    seen: list[bytes] = []
    filt = StderrFilter(seen.append, keep_all=True)
    for chunk in (b"prog line\nqemu: uncaught target", b" signal 4 (Illegal instruction)\n",
                  b"vector version is not specified, use the default value v1.0\n", b"progress 50%"):
        filt.feed(chunk)
    filt.close()
    assert bytes(filt.program) == b"prog line\nprogress 50%"
    assert b"".join(seen) == b"prog line\nprogress 50%"
    assert filt.runner_lines == ["qemu: uncaught target signal 4 (Illegal instruction)",
                                 "vector version is not specified, use the default value v1.0"]


def test_wasmtime_child_survives_a_bad_module(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.wasm"
    bogus.write_bytes(b"\0asm\x01\0\0\0\xff\xff")
    choice = choose_runner("wasip1", "wasm", None)
    assert choice is not None
    done = execute(choice.command(bogus, []), env={"PATH": "/usr/bin:/bin"}, timeout=60)
    assert done.returncode == 126
    assert any("cannot load" in line for line in done.runner_lines)
