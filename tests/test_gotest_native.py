"""linux/386 runs natively only where the x86-64 kernel's 32-bit support is there: checked, not assumed."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import BuildGo

from gocross.launch import plan_for
from gocross.runners.native import kernel_runs_32bit_x86


def _proc(root: Path, cmdline: str, vsyscall32: bool) -> Path:
    (root / "sys" / "abi").mkdir(parents=True)
    (root / "cmdline").write_text(cmdline + "\n")
    if vsyscall32:
        (root / "sys" / "abi" / "vsyscall32").write_text("1\n")
    return root


def test_ia32_emulation_from_the_sysctl_and_the_command_line(tmp_path: Path) -> None:
    assert kernel_runs_32bit_x86(_proc(tmp_path / "a", "console=ttyS0 quiet", True))
    assert not kernel_runs_32bit_x86(_proc(tmp_path / "b", "console=ttyS0 quiet", False))  # not compiled in
    assert not kernel_runs_32bit_x86(_proc(tmp_path / "c", "quiet ia32_emulation=0", True))  # off at boot


def test_a_386_binary_runs_natively_exactly_when_the_kernel_says_so(build_go: BuildGo) -> None:
    binary = build_go('package main\n\nfunc main() { println("32-bit") }\n', "linux", "386")
    plan = plan_for(binary)
    if kernel_runs_32bit_x86():
        ran = plan.run(timeout=60)
        assert ran.ok and ran.runner == "native" and "32-bit" in ran.stderr, ran
    else:
        assert plan.choice is None and "32-bit x86" in (plan.reason or "")
