"""The platform table: every per-GOOS/GOARCH fact gocross knows, as data, in one place.

Binary readers look up machine numbers here, runners their emulator names and CPU models, the binfmt_misc
rules their ELF identities, the verdict its words for people, doctor its list of what nothing here runs.
A new architecture or OS is one record below; a new fact is one field. Facts for what comes next are filled
in already, where they were measured (../shared/notes/cgo-and-windows.md): the C cross compiler's target
for cgo (zig's triple), Debian's cross libc that lets qemu run a dynamically linked binary, and the wine
architecture of a Windows port.

The set of ports itself is never listed here: it always comes from the toolchain (``go tool dist list``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

Endian = Literal["little", "big"]


@dataclass(frozen=True)
class ElfIdent:
    """How an ELF file for this GOARCH identifies itself: EI_CLASS, EI_DATA and e_machine."""

    bits: Literal[32, 64]
    endian: Endian
    machine: int


@dataclass(frozen=True)
class CrossLibc:
    """Debian's cross C library (``apt-get install PACKAGE``), installed under ``/usr/TRIPLE``: the loader and
    libc a glibc-dynamic foreign binary needs under qemu (``QEMU_LD_PREFIX``)."""

    package: str
    triple: str


@dataclass(frozen=True)
class ZigVariant:
    """How a cgo build for one variant level differs from the architecture's default (checked against zig
    0.17.1 here): another float ABI (so another triple and another Debian cross libc) and/or a ``-mcpu``."""

    gnu: str | None = None  # replaces Arch.zig_gnu
    musl: str | None = None  # replaces Arch.zig_musl
    mcpu: str | None = None  # zig's CPU model: the oldest that has what the level promises
    cross_libc: CrossLibc | None = None  # replaces Arch.cross_libc for running such a binary


@dataclass(frozen=True)
class PackageArches:
    """One architecture's names in the three Linux package formats (a per-variant override of Arch's)."""

    deb: str | None
    rpm: str | None
    apk: str | None


@dataclass(frozen=True)
class Arch:
    """One GOARCH and what each part of gocross needs to know about it."""

    goarch: str
    elf: ElfIdent | None
    words: str  # for people, in messages: "AArch64", "x86 (32-bit)"
    uname: tuple[str, ...] = ()  # what `uname -m` prints on a host of this architecture
    also_native: tuple[str, ...] = ()  # GOARCHes a Linux kernel on this architecture also runs (compat modes)
    qemu: str | None = None  # qemu-user's name for it: qemu-<name>-static
    # variant level -> QEMU_CPU: the oldest model that has everything the level promises
    qemu_cpus: Mapping[str, str] = field(default_factory=dict)
    cross_libc: CrossLibc | None = None
    zig_gnu: str | None = None  # zig's target for a glibc cgo build (append .2.17 for a minimum glibc)
    zig_musl: str | None = None  # zig's target for a static musl cgo build
    zig_windows: str | None = None  # zig's target for a windows cgo build (MinGW)
    zig_variants: Mapping[str, ZigVariant] = field(default_factory=dict)  # variant level -> what differs
    glibc_first: str = "2.17"  # the oldest glibc zig can link this architecture's cgo binaries against
    zig_gnu_missing: str | None = None  # why zig cannot build a glibc cgo binary, when it cannot
    wine: str | None = None  # "wine64" or "wine32": which wine runs windows/<this arch>
    mingw: str | None = None  # MinGW gcc's triple (<triple>-gcc), the other compiler of the wine shim
    # Linux package architecture names (None: that distribution family has no port for it), for the
    # default variant; ``package_variants`` overrides them per variant (GOARM=5/6 are armel/armv6hl/armhf).
    deb: str | None = None  # Debian's dpkg architecture
    rpm: str | None = None  # RPM's arch (Fedora/openSUSE spelling)
    apk: str | None = None  # Alpine's arch
    package_variants: Mapping[str, PackageArches] = field(default_factory=dict)

    def package_arch(self, kind: str, variant: str | None = None) -> str | None:
        """The architecture name of package format ``kind`` ("deb", "rpm", "apk") for this GOARCH/variant."""
        override = self.package_variants.get(variant) if variant else None
        record = override or PackageArches(self.deb, self.rpm, self.apk)
        value: str | None = getattr(record, kind)
        return value


_RV_BITMANIP = "zba=true,zbb=true,zbs=true"
_POWER = {"power8": "power8", "power9": "power9", "power10": "power10"}


def _mips(goarch: str, bits: Literal[32, 64], endian: Endian, qemu: str, libc: str, triple: str,
          zig: str, apk: str | None = None) -> Arch:
    # zig names the 32-bit o32 ABI by its float ABI (mips-linux-gnueabihf; plain mips-linux-gnu has no libc
    # headers); GOMIPS=softfloat gets the soft-float triple, for which Debian has no cross libc.
    abi = "abi64" if bits == 64 else "eabihf"
    soft = {} if bits == 64 else {"softfloat": ZigVariant(f"{zig}-linux-gnueabi", f"{zig}-linux-musleabi")}
    return Arch(goarch, ElfIdent(bits, endian, 8), "MIPS", qemu=qemu, cross_libc=CrossLibc(libc, triple),
                zig_gnu=f"{zig}-linux-gnu{abi}", zig_musl=f"{zig}-linux-musl{abi}",
                zig_variants=MappingProxyType(soft), deb=zig, rpm=zig, apk=apk)


ARCHES: Mapping[str, Arch] = MappingProxyType({a.goarch: a for a in (
    Arch("amd64", ElfIdent(64, "little", 62), "x86-64", uname=("x86_64", "amd64"), also_native=("386",),
         qemu="x86_64", cross_libc=CrossLibc("libc6-amd64-cross", "x86_64-linux-gnu"), zig_gnu="x86_64-linux-gnu",
         zig_musl="x86_64-linux-musl", zig_windows="x86_64-windows-gnu", wine="wine64", mingw="x86_64-w64-mingw32",
         deb="amd64", rpm="x86_64", apk="x86_64"),
    Arch("386", ElfIdent(32, "little", 3), "x86 (32-bit)", uname=("i386", "i686"),
         cross_libc=CrossLibc("libc6-i386-cross", "i686-linux-gnu"), zig_gnu="x86-linux-gnu",
         zig_musl="x86-linux-musl", zig_windows="x86-windows-gnu", wine="wine32", mingw="i686-w64-mingw32",
         deb="i386", rpm="i386", apk="x86"),
    Arch("arm", ElfIdent(32, "little", 40), "32-bit ARM", uname=("armv7l", "armv6l"), qemu="arm",
         qemu_cpus=MappingProxyType({"5": "arm926", "6": "arm1176", "7": "cortex-a7"}),
         cross_libc=CrossLibc("libc6-armhf-cross", "arm-linux-gnueabihf"), zig_gnu="arm-linux-gnueabihf",
         zig_musl="arm-linux-musleabihf", zig_variants=MappingProxyType({
             # GOARM=5: no FPU, so the soft-float EABI (Debian's armel); 6: the Raspberry Pi 1's core.
             "5": ZigVariant("arm-linux-gnueabi", "arm-linux-musleabi", "arm926ej_s",
                             CrossLibc("libc6-armel-cross", "arm-linux-gnueabi")),
             "6": ZigVariant(mcpu="arm1176jzf_s"),
         }), deb="armhf", rpm="armv7hl", apk="armv7",
         package_variants=MappingProxyType({"5": PackageArches("armel", "armv5tel", None),
                                            "6": PackageArches("armhf", "armv6hl", "armhf")})),
    Arch("arm64", ElfIdent(64, "little", 183), "AArch64", uname=("aarch64", "arm64"), also_native=("arm",),
         qemu="aarch64", qemu_cpus=MappingProxyType({"v8.0": "cortex-a57", "v8.1": "neoverse-n1",
                                                     "v8.2": "neoverse-n1"}),
         cross_libc=CrossLibc("libc6-arm64-cross", "aarch64-linux-gnu"), zig_gnu="aarch64-linux-gnu",
         zig_musl="aarch64-linux-musl", zig_windows="aarch64-windows-gnu", deb="arm64", rpm="aarch64",
         apk="aarch64"),
    Arch("loong64", ElfIdent(64, "little", 258), "LoongArch", uname=("loongarch64",), qemu="loongarch64",
         # Debian 12 has no cross libc
         zig_gnu="loongarch64-linux-gnu", zig_musl="loongarch64-linux-musl", glibc_first="2.36",
         deb="loong64", rpm="loongarch64", apk="loongarch64"),
    _mips("mips", 32, "big", "mips", "libc6-mips-cross", "mips-linux-gnu", "mips"),
    _mips("mipsle", 32, "little", "mipsel", "libc6-mipsel-cross", "mipsel-linux-gnu", "mipsel"),
    _mips("mips64", 64, "big", "mips64", "libc6-mips64-cross", "mips64-linux-gnuabi64", "mips64", "mips64"),
    _mips("mips64le", 64, "little", "mips64el", "libc6-mips64el-cross", "mips64el-linux-gnuabi64", "mips64el"),
    Arch("ppc64", ElfIdent(64, "big", 21), "64-bit PowerPC", uname=("ppc64",), qemu="ppc64",
         qemu_cpus=MappingProxyType(_POWER), cross_libc=CrossLibc("libc6-ppc64-cross", "powerpc64-linux-gnu"),
         zig_musl="powerpc64-linux-musl", deb="ppc64", rpm="ppc64",
         zig_gnu_missing="zig ships no glibc for big-endian ppc64 (its ELFv1 ABI); build it with --libc musl"),
    Arch("ppc64le", ElfIdent(64, "little", 21), "64-bit PowerPC (little-endian)", uname=("ppc64le",),
         qemu="ppc64le", qemu_cpus=MappingProxyType(_POWER),
         cross_libc=CrossLibc("libc6-ppc64el-cross", "powerpc64le-linux-gnu"), zig_gnu="powerpc64le-linux-gnu",
         # glibc got ppc64le in 2.19, but zig's clang uses the IEEE 128-bit long double, whose glibc functions
         # (__vfprintfieee128 …, even runtime/cgo calls them) arrived in 2.32: older ones fail to link here.
         zig_musl="powerpc64le-linux-musl", glibc_first="2.32", deb="ppc64el", rpm="ppc64le", apk="ppc64le"),
    Arch("riscv64", ElfIdent(64, "little", 243), "RISC-V 64", uname=("riscv64",), qemu="riscv64",
         qemu_cpus=MappingProxyType({
             "rva20u64": "rv64,zba=false,zbb=false,zbs=false",
             "rva22u64": f"rv64,{_RV_BITMANIP}",
             # vext_spec spelled out, or qemu 7.2 warns "vector version is not specified" once per thread.
             "rva23u64": f"rv64,v=true,vext_spec=v1.0,vlen=128,{_RV_BITMANIP}",
         }),
         cross_libc=CrossLibc("libc6-riscv64-cross", "riscv64-linux-gnu"), zig_gnu="riscv64-linux-gnu",
         zig_musl="riscv64-linux-musl", glibc_first="2.27", deb="riscv64", rpm="riscv64", apk="riscv64"),
    Arch("s390x", ElfIdent(64, "big", 22), "IBM Z (s390x)", uname=("s390x",), qemu="s390x",
         cross_libc=CrossLibc("libc6-s390x-cross", "s390x-linux-gnu"), zig_gnu="s390x-linux-gnu",
         zig_musl="s390x-linux-musl", deb="s390x", rpm="s390x", apk="s390x"),
    Arch("wasm", None, "WebAssembly"),
)})


@dataclass(frozen=True)
class OS:
    """One GOOS: its name for people and, when nothing on a Linux host runs it, why."""

    goos: str
    display: str
    foreign_reason: str | None = None  # None: Linux (or a runtime) here can run it


_QEMU_LINUX_ONLY = "(qemu-user emulates Linux system calls only)"

SYSTEMS: Mapping[str, OS] = MappingProxyType({o.goos: o for o in (
    OS("linux", "Linux"),
    OS("js", "JavaScript"),
    OS("wasip1", "WASI"),
    OS("darwin", "macOS", "macOS binaries need a Mac (nothing emulates the XNU kernel on Linux)"),
    OS("ios", "iOS", "iOS binaries need an Apple device or simulator"),
    OS("android", "Android",
       "Android binaries need an Android device or emulator (bionic libc, /system/bin/linker)"),
    OS("freebsd", "FreeBSD", f"FreeBSD binaries need FreeBSD {_QEMU_LINUX_ONLY}"),
    OS("netbsd", "NetBSD", f"NetBSD binaries need NetBSD {_QEMU_LINUX_ONLY}"),
    OS("openbsd", "OpenBSD", f"OpenBSD binaries need OpenBSD {_QEMU_LINUX_ONLY}"),
    OS("dragonfly", "DragonFly BSD", f"DragonFly BSD binaries need DragonFly BSD {_QEMU_LINUX_ONLY}"),
    OS("illumos", "illumos", "illumos binaries need an illumos system"),
    OS("solaris", "Solaris", "Solaris binaries need a Solaris system"),
    OS("aix", "AIX", "AIX binaries need an AIX system"),
    OS("plan9", "Plan 9", "Plan 9 binaries need Plan 9"),
    OS("windows", "Windows", "Windows binaries need Windows (wine runs only windows/amd64 and windows/386 here)"),
)})


@dataclass(frozen=True)
class HeaderMachine:
    """A machine number as one binary format writes it: the GOARCH (None: no Go port) and the header's name."""

    goarch: str | None
    name: str


# ELF e_machine -> the GOARCH per (bits, byte order), and the name file(1)-style headers give it. Machines
# without a Go port stay nameable.
ELF_NAMES: Mapping[int, str] = MappingProxyType({
    3: "Intel 80386", 62: "x86-64", 40: "ARM", 183: "AArch64", 8: "MIPS", 21: "PowerPC64", 20: "PowerPC",
    22: "IBM S/390", 243: "RISC-V", 258: "LoongArch", 2: "SPARC", 43: "SPARC V9",
})
PE_MACHINES: Mapping[int, HeaderMachine] = MappingProxyType({
    0x14C: HeaderMachine("386", "Intel 386"), 0x8664: HeaderMachine("amd64", "x86-64"),
    0x1C0: HeaderMachine("arm", "ARM"), 0x1C4: HeaderMachine("arm", "ARMv7 Thumb"),
    0xAA64: HeaderMachine("arm64", "ARM64"), 0x200: HeaderMachine(None, "Itanium"),
})
MACHO_CPUS: Mapping[int, HeaderMachine] = MappingProxyType({
    7: HeaderMachine("386", "i386"), 0x01000007: HeaderMachine("amd64", "x86_64"),
    12: HeaderMachine("arm", "arm"), 0x0100000C: HeaderMachine("arm64", "arm64"),
    0x0200000C: HeaderMachine(None, "arm64_32"), 18: HeaderMachine(None, "ppc"),
    0x01000012: HeaderMachine(None, "ppc64"),
})


# Indexes of the table for the lookups made once per inspected file (derived, never edited by hand).
_BY_ELF: Mapping[ElfIdent, str] = MappingProxyType({a.elf: a.goarch for a in ARCHES.values() if a.elf})
_BY_UNAME: Mapping[str, str] = MappingProxyType({m: a.goarch for a in ARCHES.values() for m in a.uname})


def arch(goarch: str) -> Arch | None:
    """The record of a GOARCH, or None for one gocross knows nothing particular about."""
    return ARCHES.get(goarch)


def elf_machine(e_machine: int, bits: int, endian: Endian) -> HeaderMachine | None:
    """What an ELF header's machine means: the GOARCH for this class and byte order, and the header name."""
    name = ELF_NAMES.get(e_machine)
    if name is None:
        return None
    return HeaderMachine(_BY_ELF.get(ElfIdent(64 if bits == 64 else 32, endian, e_machine)), name)


def linux_elf_arches() -> tuple[Arch, ...]:
    """The architectures a Linux ELF can be for, in table order."""
    return tuple(a for a in ARCHES.values() if a.elf is not None)


def goarch_for_uname(machine: str) -> str | None:
    """The GOARCH of a host whose ``uname -m`` is ``machine``."""
    return _BY_UNAME.get(machine.lower())


def cross_libc_for(goarch: str, variant: str | None = None) -> CrossLibc | None:
    """Debian's cross libc that runs a glibc-dynamic binary of this GOARCH and variant level under qemu."""
    record = ARCHES.get(goarch)
    if record is None:
        return None
    level = (variant or "").split(",")[0]
    special = record.zig_variants.get(level)
    return special.cross_libc if special and special.cross_libc else record.cross_libc


def os_display(goos: str) -> str:
    """The OS's name for people ("DragonFly BSD"); the GOOS itself for one not in the table."""
    record = SYSTEMS.get(goos)
    return record.display if record else goos


def foreign_reason(goos: str) -> str | None:
    """Why nothing on this Linux host runs binaries of ``goos`` (None when something may)."""
    record = SYSTEMS.get(goos)
    return record.foreign_reason if record else None


def foreign_systems() -> tuple[str, ...]:
    """Every GOOS nothing on a Linux host runs, in table order (doctor's "cannot run here" list)."""
    return tuple(o.goos for o in SYSTEMS.values() if o.foreign_reason)


__all__ = [
    "ARCHES",
    "MACHO_CPUS",
    "OS",
    "PE_MACHINES",
    "SYSTEMS",
    "Arch",
    "CrossLibc",
    "ElfIdent",
    "HeaderMachine",
    "PackageArches",
    "ZigVariant",
    "arch",
    "cross_libc_for",
    "elf_machine",
    "foreign_reason",
    "foreign_systems",
    "goarch_for_uname",
    "linux_elf_arches",
    "os_display",
]
