"""cgo's C toolchain per target (gocross.cgo) and its error paths: fast, no cold zig libc build.

The C toolchain each target gets is checked against the platform table and zig 0.17.1 as measured here;
the error paths run the real CLI. The builds of the C/C++ fixture for every architecture are in
test_cgo_matrix.py (slow).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from tests.conftest import write_module
from tests.helpers import assert_clean_error, gocross

from gocross import cgo
from gocross.cgo import CgoOptions, CgoSetup, Libc, compiler_env
from gocross.errors import UsageError
from gocross.targets import Target

GNU = CgoOptions()
MUSL = CgoOptions(Libc.MUSL)
NO_ENV: dict[str, str] = {}


def _setup(target: Target, options: CgoOptions = GNU, environ: dict[str, str] | None = None) -> CgoSetup:
    setup = compiler_env(target, options, NO_ENV if environ is None else environ)
    assert isinstance(setup, CgoSetup), setup
    return setup


@pytest.mark.parametrize(("target", "gnu", "musl"), [
    (Target("linux", "amd64"), "x86_64-linux-gnu.2.17", "x86_64-linux-musl"),
    (Target("linux", "386"), "x86-linux-gnu.2.17", "x86-linux-musl"),
    (Target("linux", "arm64"), "aarch64-linux-gnu.2.17", "aarch64-linux-musl"),
    (Target("linux", "arm", "7", "GOARM"), "arm-linux-gnueabihf.2.17", "arm-linux-musleabihf"),
    (Target("linux", "arm", "5", "GOARM"), "arm-linux-gnueabi.2.17", "arm-linux-musleabi"),
    (Target("linux", "ppc64le"), "powerpc64le-linux-gnu.2.32", "powerpc64le-linux-musl"),
    (Target("linux", "riscv64"), "riscv64-linux-gnu.2.27", "riscv64-linux-musl"),
    (Target("linux", "s390x"), "s390x-linux-gnu.2.17", "s390x-linux-musl"),
    (Target("linux", "loong64"), "loongarch64-linux-gnu.2.36", "loongarch64-linux-musl"),
    (Target("linux", "mips"), "mips-linux-gnueabihf.2.17", "mips-linux-musleabihf"),
    (Target("linux", "mipsle", "softfloat", "GOMIPS"), "mipsel-linux-gnueabi.2.17", "mipsel-linux-musleabi"),
    (Target("linux", "mips64le"), "mips64el-linux-gnuabi64.2.17", "mips64el-linux-muslabi64"),
])
def test_every_linux_arch_gets_zig_with_the_tables_triple(target: Target, gnu: str, musl: str) -> None:
    setup = _setup(target)
    assert setup.triple == gnu and f"-target {gnu}" in setup.env["CC"] and f"c++ -target {gnu}" in setup.env["CXX"]
    assert setup.env["CGO_ENABLED"] == "1" and setup.env["ZIG_GLOBAL_CACHE_DIR"]
    assert setup.max_glibc == gnu.rsplit(".", 2)[-2] + "." + gnu.rsplit(".", 1)[-1] and not setup.static
    static = _setup(target, MUSL)
    assert static.triple == musl and static.static and static.max_glibc is None


def test_goarm_levels_get_the_oldest_cpu_and_glibc_can_be_raised() -> None:
    assert "-mcpu=arm926ej_s" in _setup(Target("linux", "arm", "5", "GOARM")).env["CC"]
    assert "-mcpu=arm1176jzf_s" in _setup(Target("linux", "arm", "6", "GOARM")).env["CXX"]
    assert "-mcpu" not in _setup(Target("linux", "arm", "7", "GOARM")).env["CC"]
    assert _setup(Target("linux", "arm64"), CgoOptions(glibc="2.28")).triple == "aarch64-linux-gnu.2.28"


@pytest.mark.parametrize(("goarch", "triple"), [("amd64", "x86_64-windows-gnu"), ("386", "x86-windows-gnu"),
                                                ("arm64", "aarch64-windows-gnu")])
def test_windows_gets_mingw_and_the_gui_subsystem_flag(goarch: str, triple: str) -> None:
    target = Target("windows", goarch)
    assert _setup(target).triple == triple and "CGO_LDFLAGS" not in _setup(target).env
    gui = _setup(target, CgoOptions(ldflags="-s -H windowsgui"))
    assert gui.env["CGO_LDFLAGS"] == "-O2 -g -Wl,--subsystem,windows"
    mine = _setup(target, CgoOptions(ldflags="-H=windowsgui"), {"CGO_LDFLAGS": "-L/opt/lib"})
    assert mine.env["CGO_LDFLAGS"] == "-L/opt/lib -Wl,--subsystem,windows"


@pytest.mark.parametrize(("target", "needle"), [
    (Target("darwin", "arm64"), "needs Apple's macOS SDK"),
    (Target("ios", "arm64"), "needs Apple's iOS SDK"),
    (Target("android", "arm64"), "needs the Android NDK"),
    (Target("freebsd", "amd64"), "set CC_FOR_freebsd_amd64"),
    (Target("linux", "ppc64"), "zig ships no glibc for big-endian ppc64"),
])
def test_targets_zig_cannot_serve_get_one_line_reasons(target: Target, needle: str) -> None:
    why = compiler_env(target, GNU, NO_ENV)
    assert isinstance(why, str) and needle in why and "\n" not in why
    assert isinstance(compiler_env(Target("linux", "ppc64"), MUSL, NO_ENV), CgoSetup)  # musl serves ppc64


def test_the_users_own_compilers_win_per_target_then_globally() -> None:
    arm64 = Target("linux", "arm64")
    own = _setup(arm64, environ={"CC_FOR_linux_arm64": "aarch64-linux-gnu-gcc", "CC": "gcc"})
    assert own.env["CC"] == "aarch64-linux-gnu-gcc" and own.compiler == "CC_FOR_linux_arm64" and own.triple is None
    assert "CXX" not in own.env  # go's own default then, as without gocross
    both = _setup(arm64, environ={"CC": "clang", "CXX": "clang++"})
    assert (both.env["CC"], both.env["CXX"]) == ("clang", "clang++")
    cxx_only = _setup(arm64, environ={"CXX_FOR_linux_arm64": "aarch64-linux-gnu-g++"})
    assert "zig" in cxx_only.env["CC"] and cxx_only.env["CXX"] == "aarch64-linux-gnu-g++"
    # The user's compiler on an OS zig does not serve: it is simply used.
    assert _setup(Target("darwin", "arm64"), environ={"CC_FOR_darwin_arm64": "o64-clang"}).env["CC"] == "o64-clang"


def test_bad_glibc_requests_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="not a glibc version"):
        cgo.glibc_version("2.x")
    with pytest.raises(UsageError, match=r"older than the first glibc for linux/riscv64 \(2.27\)"):
        compiler_env(Target("linux", "riscv64"), CgoOptions(glibc="2.17"), NO_ENV)


def test_zig_trap_messages() -> None:
    assert cgo.explain_failure(b"x\nerror: unsupported linker arg: --unresolved-symbols\n") is not None
    assert "--unresolved-symbols" in (cgo.explain_failure(b"error: unsupported linker arg: --unresolved-symbols")
                                      or "")
    assert cgo.explain_failure(b"ccalc.c:3: error: #error nope") is None
    ieee = cgo.explain_failure(b"ld.lld: error: undefined symbol: __vsnprintfieee128\n")
    assert ieee is not None and "--glibc 2.32" in ieee


def test_the_loader_prefix_is_debians_cross_libc_folder() -> None:
    prefix = cgo.loader_prefix("arm64")
    if not Path("/usr/aarch64-linux-gnu/lib").is_dir():
        pytest.skip("libc6-arm64-cross is not installed (scripts/test.sh installs it)")
    assert prefix == "/usr/aarch64-linux-gnu"
    assert cgo.loader_prefix("arm", "5") in (None, "/usr/arm-linux-gnueabi")  # armel, not armhf
    assert cgo.loader_prefix("wasm") is None


# ---------------------------------------------------------------------------------------------- the CLI


def _c_module(root: Path) -> Path:
    return write_module(root, {"main.go": """
        package main

        /*
        #include <stdio.h>
        static int answer(void) { return 42; }
        */
        import "C"
        import "fmt"

        func main() { fmt.Println("answer", int(C.answer())) }
    """})


def test_unsupported_linker_flag_is_a_clear_error_before_building(tmp_path: Path) -> None:
    mod = _c_module(tmp_path / "m")
    proc = gocross("build", mod, "--cgo", "-t", "linux/arm64", "--ldflags",
                   "-extldflags=-Wl,--unresolved-symbols=ignore-all", "-o", tmp_path / "d")
    assert_clean_error(proc, 2, "--unresolved-symbols", "zig's linker", "CC_FOR_linux_arm64")


def test_glibc_request_older_than_the_arch_is_a_clear_error(tmp_path: Path) -> None:
    mod = _c_module(tmp_path / "m")
    proc = gocross("build", mod, "--cgo", "-t", "linux/riscv64", "--glibc", "2.17", "-o", tmp_path / "d")
    assert_clean_error(proc, 2, "--glibc 2.17", "linux/riscv64", "2.27")
    assert_clean_error(gocross("build", mod, "--cgo", "--glibc", "two", "-o", tmp_path / "d"), 2, "2.N")


def test_gocross_zig_pointing_nowhere_is_a_clear_error(tmp_path: Path) -> None:
    mod = _c_module(tmp_path / "m")
    env = {**os.environ, "GOCROSS_ZIG": str(tmp_path / "no-zig")}
    proc = gocross("build", mod, "--cgo", "-t", "linux/arm64", "-o", tmp_path / "d", env=env)
    assert_clean_error(proc, 3, "GOCROSS_ZIG", "not an executable")


_HIDE_ZIGLANG = ("import sys; sys.modules['ziglang'] = None; from gocross.cli import main; "
                 "sys.argv[0] = 'gocross'; main()")


@pytest.mark.slow  # a cgo build of the host target (about 5 s)
def test_without_zig_foreign_targets_say_how_to_install_it_and_the_host_still_builds(tmp_path: Path) -> None:
    """ziglang hidden and no zig on PATH: linux/arm64 is skipped with the install command; linux/amd64 (this
    host) builds with Go's default C compiler, as plain `go build` would."""
    import subprocess

    from gocross.runners.native import host_goarch

    if host_goarch() != "amd64":
        pytest.skip("written for an x86-64 host")
    mod = _c_module(tmp_path / "m")
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-c", _HIDE_ZIGLANG, "build", str(mod), "--cgo", "--json", "-t",
                           "linux/amd64,linux/arm64", "-o", str(tmp_path / "d")], env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr
    arts = {a["target"]: a for a in json.loads(proc.stdout)["artifacts"]}
    assert arts["linux/amd64"]["status"] == "ok" and arts["linux/amd64"]["inspection"]["cgo"] is True
    assert arts["linux/arm64"]["status"] == "skipped"
    assert "needs zig" in arts["linux/arm64"]["error"] and "pip install 'gocross[cgo]'" in arts["linux/arm64"]["error"]


def test_targets_zig_cannot_build_are_skipped_with_their_reason(tmp_path: Path) -> None:
    mod = _c_module(tmp_path / "m")
    proc = gocross("build", mod, "--cgo", "-t", "linux/ppc64,darwin/arm64", "-o", tmp_path / "d")
    assert proc.returncode == 5 and "Traceback" not in proc.stderr
    assert "zig ships no glibc for big-endian ppc64" in proc.stdout and "--libc musl" in proc.stdout
    assert "needs Apple's macOS SDK" in proc.stdout
    assert "Nothing was built" in proc.stderr


@pytest.mark.slow  # a cgo build of the host target (about 5 s)
def test_an_explicit_glibc_is_held_to_with_the_users_own_compiler(tmp_path: Path) -> None:
    """Debian 12's gcc links against glibc 2.36 (pthread_create@GLIBC_2.34 at least): asked for 2.17, the
    build fails with the version the binary needs, and the folder keeps no such binary."""
    from gocross.runners.native import host_goarch

    mod = _c_module(tmp_path / "m")
    native = f"linux/{host_goarch()}"
    proc = gocross("build", mod, "--cgo", "--glibc", "2.17", "-t", native, "-o", tmp_path / "d",
                   env={**os.environ, "CC": "gcc"})
    assert proc.returncode == 5, proc.stdout + proc.stderr
    assert "newer than the requested 2.17" in proc.stdout
    assert not list((tmp_path / "d").glob("m_linux_*"))


def test_doctor_reports_zig_and_the_cross_libcs() -> None:
    proc = gocross("doctor", "--json")
    data = json.loads(proc.stdout)
    assert data["cgo"]["zig"] and "ziglang package" in data["cgo"]["zig"]
    libcs = {c["goarch"]: c for c in data["cgo"]["cross_libcs"]}
    assert libcs["arm64"]["package"] == "libc6-arm64-cross" and libcs["arm64"]["prefix"] == "/usr/aarch64-linux-gnu"
    missing = [c["package"] for c in libcs.values() if not c["installed"]]
    hints = data["cgo"]["install_hints"]
    assert all(any(p in h for h in hints) for p in missing)
    text = gocross("doctor").stdout
    assert "zig (cgo)" in text and "cross libc" in text
