"""The platform table agrees with the toolchain's ports and with independent references (pyelftools)."""

from __future__ import annotations

import re

from elftools.elf.enums import ENUM_E_MACHINE
from tests.helpers import ELF_MACHINE

from gocross import platforms
from gocross.toolchain import Toolchain


def test_every_linux_port_has_an_elf_identity_and_a_way_to_run(toolchain: Toolchain) -> None:
    linux = {str(p["GOARCH"]) for p in toolchain.dist_list() if p["GOOS"] == "linux"}
    for goarch in sorted(linux):
        record = platforms.arch(goarch)
        assert record is not None and record.elf is not None, goarch
        assert record.qemu is not None or goarch == "386", goarch  # 386 runs natively (qemu-i386 crashes Go)


def test_elf_machine_numbers_agree_with_pyelftools() -> None:
    for record in platforms.linux_elf_arches():
        assert record.elf is not None
        number, order = ELF_MACHINE[record.goarch]
        assert record.elf.machine == number, record.goarch
        assert record.elf.endian == ("big" if order == ">" else "little"), record.goarch
        assert record.elf.machine in ENUM_E_MACHINE.values()
        found = platforms.elf_machine(record.elf.machine, record.elf.bits, record.elf.endian)
        assert found is not None and found.goarch == record.goarch


def test_non_go_machines_stay_nameable() -> None:
    sparc = platforms.elf_machine(ENUM_E_MACHINE["EM_SPARCV9"], 64, "big")
    assert sparc is not None and sparc.goarch is None and sparc.name == "SPARC V9"
    assert platforms.elf_machine(0x7777, 64, "little") is None


def test_cgo_and_runner_facts_are_well_formed() -> None:
    triple = re.compile(r"^[a-z0-9_]+-(linux-(gnu|musl)\w*|windows-gnu)$")
    for record in platforms.ARCHES.values():
        for target in (record.zig_gnu, record.zig_musl, record.zig_windows):
            assert target is None or triple.match(target), (record.goarch, target)
        if record.cross_libc is not None:
            assert record.cross_libc.package.startswith("libc6-") and record.cross_libc.package.endswith("-cross")
            assert triple.match(record.cross_libc.triple.replace("i686", "x86")), record.cross_libc
    assert platforms.arch("amd64").wine == "wine64"  # type: ignore[union-attr]
    assert platforms.arch("386").wine == "wine32"  # type: ignore[union-attr]
    assert platforms.arch("arm64").wine is None  # type: ignore[union-attr]


def test_os_names_and_foreign_reasons() -> None:
    assert platforms.os_display("dragonfly") == "DragonFly BSD"
    assert platforms.os_display("newos") == "newos"
    assert platforms.foreign_reason("linux") is None
    assert "qemu-user emulates Linux system calls only" in (platforms.foreign_reason("freebsd") or "")
    assert "linux" not in platforms.foreign_systems() and "darwin" in platforms.foreign_systems()
    assert platforms.goarch_for_uname("x86_64") == "amd64" and platforms.goarch_for_uname("AARCH64") == "arm64"
