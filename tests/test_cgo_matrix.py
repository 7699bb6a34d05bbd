"""The C/C++ cgo fixture built with zig for every architecture the issue names, run here, inspected, tested.

Slow: the first use of each zig target builds that target's C library and libc++ (tens of seconds to many
minutes per target on 2 shared cores); ZIG_GLOBAL_CACHE_DIR is kept under ~/.cache/gocross-tests like the
GOCACHE (tests/conftest.py), so later sessions reuse it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from tests.conftest import REPO, write_module
from tests.helpers import gocross

from gocross.artifacts import Artifact
from gocross.builder import BuildResult, build
from gocross.cgo import Libc
from gocross.gotest import TestOptions, TestStatus, run_tests
from gocross.launch import RunOutcome, plan_for_artifact, run_captured
from gocross.plan import BuildOptions
from gocross.wine.install import find_half

pytestmark = pytest.mark.slow

FIXTURE = REPO / "tests" / "fixtures" / "cgomix"
ALL_LINUX = ("linux/amd64", "linux/arm64", "linux/arm/v7", "linux/ppc64le", "linux/s390x", "linux/riscv64")
FULL = os.environ.get("GOCROSS_TEST_FULL_CGO") == "1"
# Each zig target's first use builds its C library and libc++ (a musl one costs ≈ 2.5 minutes of both cores
# on a fresh machine, a glibc one less), and the whole suite has 30 minutes there. So the default run builds
# only the zig targets the five-arch `gocross test --cgo` below needs anyway — glibc for amd64, arm64, ppc64le
# and s390x (two little-endian foreign arches and a big-endian one), musl for ppc64 (zig has no big-endian
# ppc64 glibc; it is the static musl case, run under qemu) — plus windows/amd64. GOCROSS_TEST_FULL_CGO=1
# builds all six with both libcs.
GNU = ALL_LINUX if FULL else ("linux/amd64", "linux/arm64", "linux/ppc64le", "linux/s390x")
MUSL = (*ALL_LINUX, "linux/ppc64") if FULL else ("linux/ppc64",)
INTERPRETERS = {
    "linux/amd64": "/lib64/ld-linux-x86-64.so.2", "linux/arm64": "/lib/ld-linux-aarch64.so.1",
    "linux/arm/v7": "/lib/ld-linux-armhf.so.3", "linux/ppc64le": "/lib64/ld64.so.2",
    "linux/s390x": "/lib/ld64.so.1", "linux/riscv64": "/lib/ld-linux-riscv64-lp64d.so.1",
}
# the oldest glibc zig links each against (platforms.Arch.glibc_first); else 2.17
GLIBC = {"linux/ppc64le": "2.32", "linux/riscv64": "2.27"}
POST_ARCHES = ("linux/amd64", "linux/arm64", "linux/ppc64le", "linux/ppc64", "linux/s390x")


def _expected(target: str) -> list[str]:
    goos, goarch = target.split("/")[:2]
    return ["hypot 5.0", "threads 5000050000", "callback 385", "hello gopher from C++ 2017",
            f"arch {goos}/{goarch}"]


def _build(out: Path, targets: tuple[str, ...], libc: Libc, glibc: str | None = None) -> BuildResult:
    result = build(BuildOptions(package_dir=FIXTURE, targets=targets, out_dir=out, cgo=True, libc=libc,
                                glibc=glibc, jobs=2))
    assert not result.failed, [(a.target, a.error) for a in result.failed]
    return result


@pytest.fixture(scope="module")
def gnu(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Artifact]:
    result = _build(tmp_path_factory.mktemp("cgo-gnu"), (*GNU, "windows/amd64"), Libc.GNU)
    return {a.target: a for a in result.artifacts}


@pytest.fixture(scope="module")
def musl(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Artifact]:
    result = _build(tmp_path_factory.mktemp("cgo-musl"), MUSL, Libc.MUSL)
    return {a.target: a for a in result.artifacts}


def _run_ok(artifact: Artifact) -> None:
    plan = plan_for_artifact(artifact)
    result = plan.run(timeout=600)
    assert result.ok, (artifact.target, result.outcome, result.reason, result.stderr, result.runner_messages)
    assert result.stdout is not None and result.stdout.splitlines() == _expected(artifact.target)


@pytest.mark.parametrize("target", GNU)
def test_glibc_builds_are_dynamic_with_the_right_loader_and_run_here(gnu: dict[str, Artifact], target: str) -> None:
    artifact = gnu[target]
    info = artifact.inspection
    assert info is not None and info["cgo"] is True, info
    assert info["linkage"] == "dynamic" and info["interpreter"] == INTERPRETERS[target]
    requested = GLIBC.get(target, "2.17")
    assert info["min_glibc"] is not None
    assert tuple(map(int, info["min_glibc"].split("."))) <= tuple(map(int, requested.split(".")))
    plan = plan_for_artifact(artifact)
    if plan.choice is not None and plan.choice.name == "qemu-user":  # Debian's cross libc, found by gocross
        assert plan.choice.env.get("QEMU_LD_PREFIX", "").startswith("/usr/"), plan.choice.env
    _run_ok(artifact)


@pytest.mark.parametrize("target", MUSL)
def test_musl_builds_are_static_and_run_here(musl: dict[str, Artifact], target: str) -> None:
    info = musl[target].inspection
    assert info is not None and info["cgo"] is True and info["linkage"] == "static", info
    assert info["interpreter"] is None and info["min_glibc"] is None
    _run_ok(musl[target])


def test_windows_cgo_build_is_a_console_pe_with_cgo_and_runs_under_wine(gnu: dict[str, Artifact]) -> None:
    """zig's MinGW build of the C/C++ fixture: a console PE that runs here under wine (C, libm, C threads, a C
    callback into Go and libc++ all in the one .exe), through the API and `gocross run`."""
    artifact = gnu["windows/amd64"]
    info = artifact.inspection
    assert info is not None and info["format"] == "PE" and info["cgo"] is True, info
    assert "subsystem console" in (info["min_os"] or "")
    if not find_half("wine64").installed:
        pytest.skip("wine64 is not installed")
    plan = plan_for_artifact(artifact)
    assert plan.choice is not None and plan.choice.name == "wine"
    _run_ok(artifact)
    assert artifact.path is not None
    proc = gocross("run", artifact.path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == _expected("windows/amd64") and proc.stderr == "", proc.stderr


def test_windowsgui_asks_zigs_linker_for_the_gui_subsystem(tmp_path: Path) -> None:
    result = build(BuildOptions(package_dir=FIXTURE, targets=("windows/amd64",), out_dir=tmp_path, cgo=True,
                                ldflags="-H windowsgui"))
    assert result.ok, [a.error for a in result.failed]
    info = result.artifacts[0].inspection
    assert info is not None and "subsystem windows GUI" in (info["min_os"] or ""), info["min_os"]


def test_a_missing_cross_sysroot_names_the_debian_package(gnu: dict[str, Artifact], tmp_path: Path) -> None:
    """qemu pointed at an empty folder cannot open the loader: "could not run", naming libc6-arm64-cross."""
    path = gnu["linux/arm64"].path
    assert path is not None
    old = os.environ.get("QEMU_LD_PREFIX")
    os.environ["QEMU_LD_PREFIX"] = str(tmp_path)  # gocross keeps a prefix the user chose
    try:
        result = run_captured(path, timeout=300)
    finally:
        if old is None:
            os.environ.pop("QEMU_LD_PREFIX")
        else:
            os.environ["QEMU_LD_PREFIX"] = old
    assert result.outcome == RunOutcome.LOADER_MISSING, (result.outcome, result.runner_messages)
    assert "apt-get install libc6-arm64-cross" in (result.reason or "")
    proc = gocross("run", path, env={**os.environ, "QEMU_LD_PREFIX": str(tmp_path)})
    assert proc.returncode == 126 and "libc6-arm64-cross" in proc.stderr and "Traceback" not in proc.stderr


def test_run_and_smoke_work_on_cgo_builds(gnu: dict[str, Artifact]) -> None:
    path = gnu["linux/s390x"].path
    assert path is not None
    proc = gocross("run", path)
    assert proc.returncode == 0 and proc.stdout.splitlines() == _expected("linux/s390x"), proc.stderr
    smoke = gocross("smoke", path.parent, "-t", "linux/*")
    assert smoke.returncode == 0, smoke.stdout + smoke.stderr


def test_a_c_error_on_one_target_only_leaves_the_others_built(tmp_path: Path) -> None:
    mod = write_module(tmp_path / "m", {"main.go": """
        package main

        /*
        #if defined(__s390x__)
        #error "this C code does not build for s390x"
        #endif
        static int answer(void) { return 42; }
        */
        import "C"
        import "fmt"

        func main() { fmt.Println(int(C.answer())) }
    """})
    result = build(BuildOptions(package_dir=mod, targets=("linux/arm64", "linux/s390x"), out_dir=tmp_path / "d",
                                cgo=True))
    by = {a.target: a for a in result.artifacts}
    assert by["linux/arm64"].ok and by["linux/s390x"].status == "failed"
    assert "does not build for s390x" in (by["linux/s390x"].error or "")
    proc = gocross("build", mod, "--cgo", "-t", "linux/arm64,linux/s390x", "-o", tmp_path / "d")
    assert proc.returncode == 5 and "1 of 2 target(s) failed to build: linux/s390x" in proc.stderr


def test_gocross_test_cgo_passes_on_the_posts_five_arches(tmp_path: Path) -> None:
    """glibc (under qemu with Debian's cross loader and libc) on four, musl on ppc64, where zig has no glibc:
    gocross.toml's libc applies to a whole run, so ppc64 is a second run, as a user would do it."""
    mod = tmp_path / "cgomix"
    shutil.copytree(FIXTURE, mod)
    for libc, targets in (("gnu", tuple(t for t in POST_ARCHES if t != "linux/ppc64")), ("musl", ("linux/ppc64",))):
        (mod / "gocross.toml").write_text(f'libc = "{libc}"\n')
        run = run_tests(TestOptions(packages=("./...",), targets=targets, directory=mod, cgo=True, jobs=2,
                                    reference=libc == "gnu"))  # the host's column once, in the glibc run
        # packages without test files get their own "no tests" rows (built and vetted, as go test ./... does)
        statuses = {r.target: r.status for r in run.results if r.status is not TestStatus.NO_TESTS}
        assert statuses == dict.fromkeys(targets, TestStatus.PASSED), [
            (r.target, r.status, r.reason, r.output) for r in run.results]
