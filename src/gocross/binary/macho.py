"""Mach-O (32/64-bit, either byte order) and universal ("fat") files.

Load commands give everything: segments and sections (build info lives in ``__DATA,__go_buildinfo``, the
pclntab in ``__gopclntab``), LC_LOAD_DYLIB (linking), LC_UUID, LC_BUILD_VERSION / LC_VERSION_MIN_* (minimum OS
and macOS vs iOS), LC_SYMTAB (stripped or not). A universal file is a table of slices, each a whole Mach-O.
"""

from __future__ import annotations

from typing import NamedTuple

from gocross.binary.facts import Facts
from gocross.binary.reader import AddressMap, Corrupt, Reader, claimed_extent, count
from gocross.platforms import MACHO_CPUS

MAGIC_32, MAGIC_64 = 0xFEEDFACE, 0xFEEDFACF
FAT_MAGIC, FAT_MAGIC_64 = 0xCAFEBABE, 0xCAFEBABF

LC_SEGMENT, LC_SYMTAB, LC_LOAD_DYLIB, LC_SEGMENT_64, LC_UUID = 0x1, 0x2, 0xC, 0x19, 0x1B
LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB = 0x80000018, 0x8000001F
LC_VERSION_MIN_MACOSX, LC_VERSION_MIN_IPHONEOS, LC_BUILD_VERSION = 0x24, 0x25, 0x32
LC_LOAD_DYLINKER = 0xE
MH_PIE = 0x200000
VM_PROT_WRITE = 2

_FILETYPE = {1: "object", 2: "executable", 6: "shared library", 8: "bundle", 4: "core dump"}
# LC_BUILD_VERSION platform -> (GOOS, name)
_PLATFORM = {1: ("darwin", "macOS"), 2: ("ios", "iOS"), 3: (None, "tvOS"), 4: (None, "watchOS"),
             6: ("ios", "Mac Catalyst"), 7: ("ios", "iOS simulator")}


def is_fat(r: Reader) -> bool:
    """Universal header, not a Java class file (same magic; a class file's next word is its version >= 45)."""
    return r.has(0, 8) and r.with_endian(">").u32(0) in (FAT_MAGIC, FAT_MAGIC_64) and \
        0 < r.with_endian(">").u32(4) < 45


def fat_slices(r: Reader) -> list[tuple[int, int, str]]:
    """(offset, size, cpu name) of each slice of a universal file."""
    b = r.with_endian(">")
    is64 = b.u32(0) == FAT_MAGIC_64
    n = count(b.u32(4), "the universal header", 64)
    out = []
    for i in range(n):
        if is64:
            cpu, _sub, off, size, _align, _res = b.unpack("iiQQII", 8 + i * 32, "universal header")
        else:
            cpu, _sub, off, size, _align = b.unpack("iiIII", 8 + i * 20, "universal header")
        b.check(off, size, "universal slice")
        known = MACHO_CPUS.get(cpu & 0xFFFFFFFF)
        out.append((off, size, known.name if known else f"cpu {cpu}"))
    return out


def endian_of(r: Reader) -> str | None:
    """"<" or ">" for a thin Mach-O, else None."""
    if not r.has(0, 4):
        return None
    if r.with_endian("<").u32(0) in (MAGIC_32, MAGIC_64):
        return "<"
    if r.with_endian(">").u32(0) in (MAGIC_32, MAGIC_64):
        return ">"
    return None


def parse(r0: Reader) -> Facts:
    endian = endian_of(r0)
    if endian is None:
        raise Corrupt("not a Mach-O header")
    r = r0.with_endian(endian)
    bits = 64 if r.u32(0) == MAGIC_64 else 32
    f = Facts(format="Mach-O", bits=bits, endian="little" if endian == "<" else "big")
    _magic, cpu, _sub, filetype, ncmds, sizeofcmds, flags = r.unpack("IiiIIII", 0, "Mach-O header")
    known = MACHO_CPUS.get(cpu & 0xFFFFFFFF)
    f.header_goarch, f.machine = (known.goarch, known.name) if known else (None, f"cpu {cpu:#x}")
    f.file_type = _FILETYPE.get(filetype, f"type {filetype}")
    f.pie = bool(flags & MH_PIE) if filetype == 2 else None
    f.header_goos = "darwin"
    f.header_goos_options = ("ios",)
    pos = 32 if bits == 64 else 28
    r.check(pos, sizeofcmds, "Mach-O load commands")
    _commands(r, f, pos, count(ncmds, "Mach-O load commands", 4096), pos + sizeofcmds)
    return f


def _commands(r: Reader, f: Facts, pos: int, ncmds: int, end: int) -> None:
    ranges: list[tuple[int, int, int]] = []
    libs: list[str] = []
    symtab_seen = False
    f.stripped = True
    f.debug_info = False
    for _ in range(ncmds):
        cmd, size = r.unpack("II", pos, "Mach-O load command")
        if size < 8 or pos + size > end:
            raise Corrupt(f"Mach-O load command at {pos:#x} has a bad size {size}")
        if cmd in (LC_SEGMENT, LC_SEGMENT_64):
            _segment(r, f, pos, cmd == LC_SEGMENT_64, ranges)
        elif cmd in (LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB):
            libs.append(r.cstring(pos + r.u32(pos + 8), min(size, 1024), "dylib name"))
        elif cmd == LC_LOAD_DYLINKER:
            f.interpreter = r.cstring(pos + r.u32(pos + 8), min(size, 1024), "dylinker name")
        elif cmd == LC_UUID:
            f.macho_uuid = _uuid(r.bytes(pos + 8, 16, "LC_UUID"))
            f.cite("macho_uuid", "Mach-O LC_UUID")
        elif cmd == LC_SYMTAB:
            symtab_seen = True
            f.stripped = r.u32(pos + 12) == 0
        elif cmd in (LC_BUILD_VERSION, LC_VERSION_MIN_MACOSX, LC_VERSION_MIN_IPHONEOS):
            _min_os(r, f, pos, cmd)
        pos += size
    f.addr_map = AddressMap(ranges)
    f.scan_range = claimed_extent(r.size, [(fileoff, filesize) for _vm, filesize, fileoff in ranges])
    f.needed_libs = tuple(libs)
    f.linkage = "dynamic" if libs or f.interpreter else "static"
    f.cite("linkage", "Mach-O LC_LOAD_DYLIB / LC_LOAD_DYLINKER")
    if not symtab_seen:
        f.stripped = True


def _segment(r: Reader, f: Facts, pos: int, is64: bool, ranges: list[tuple[int, int, int]]) -> None:
    if is64:
        name, vmaddr, _vmsize, fileoff, filesize, _maxp, initprot, nsects, _fl = r.unpack("16sQQQQiiII", pos + 8)
        sec_pos, sec_size = pos + 72, 80
    else:
        name, vmaddr, _vmsize, fileoff, filesize, _maxp, initprot, nsects, _fl = r.unpack("16sIIIIiiII", pos + 8)
        sec_pos, sec_size = pos + 56, 68
    ranges.append((vmaddr, filesize, fileoff))
    segname = name.rstrip(b"\0")
    if initprot & VM_PROT_WRITE and filesize and segname != b"__PAGEZERO":
        f.buildinfo_ranges.append((fileoff, filesize))  # fallback: the writable segment
    for i in range(count(nsects, "Mach-O sections", 1024)):
        s = sec_pos + i * sec_size
        if is64:
            sect, _seg, _addr, size, offset = r.unpack("16s16sQQI", s, "Mach-O section")
        else:
            sect, _seg, _addr, size, offset = r.unpack("16s16sIII", s, "Mach-O section")
        _section(f, sect.rstrip(b"\0"), segname, offset, size)


def _section(f: Facts, sect: bytes, seg: bytes, offset: int, size: int) -> None:
    if sect == b"__go_buildinfo":
        f.buildinfo_ranges.insert(0, (offset, size))
    elif sect == b"__text" and seg == b"__TEXT":
        f.text_range = (offset, size)
    elif sect == b"__gopclntab":
        f.pclntab_range = (offset, size)
    elif seg == b"__DWARF" or sect.startswith((b"__debug_", b"__zdebug_")):
        f.debug_info = True


def _min_os(r: Reader, f: Facts, pos: int, cmd: int) -> None:
    if cmd == LC_BUILD_VERSION:
        platform, minos = r.unpack("II", pos + 8, "LC_BUILD_VERSION")
        goos, name = _PLATFORM.get(platform, (None, f"platform {platform}"))
        src = "Mach-O LC_BUILD_VERSION"
    else:
        (minos,) = r.unpack("I", pos + 8, "LC_VERSION_MIN")
        goos, name = ("darwin", "macOS") if cmd == LC_VERSION_MIN_MACOSX else ("ios", "iOS")
        src = "Mach-O LC_VERSION_MIN"
    f.min_os = f"{name} {_version(minos)}"
    f.cite("min_os", src)
    if goos:
        f.header_goos = goos
        f.header_goos_options = ()
        f.cite("header_goos", f"{src} platform {name}")


def _version(v: int) -> str:
    """Mach-O xxxx.yy.zz nibble-packed version."""
    major, minor, patch = v >> 16, (v >> 8) & 0xFF, v & 0xFF
    return f"{major}.{minor}.{patch}" if patch else f"{major}.{minor}"


def _uuid(b: bytes) -> str:
    h = b.hex().upper()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


S_ZEROFILL_TYPES = (0x1, 0xC, 0x12)  # S_ZEROFILL, S_GB_ZEROFILL, S_THREAD_LOCAL_ZEROFILL: no bytes in the file
S_ATTR_DEBUG = 0x02000000
N_STAB, N_TYPE, N_SECT = 0xE0, 0x0E, 0x0E


class MachSection(NamedTuple):
    """One section of a thin Mach-O, in load-command order (symbols number them from 1 in this order)."""

    segment: str
    name: str
    addr: int
    size: int
    offset: int
    flags: int

    @property
    def in_file(self) -> bool:
        """Its bytes are in the file (not zero-filled) and part of the program (not DWARF)."""
        return self.flags & 0xFF not in S_ZEROFILL_TYPES and not self.flags & S_ATTR_DEBUG \
            and self.segment != "__DWARF"


class MachSymbol(NamedTuple):
    """A symbol defined in a section (n_sect from 1); Mach-O symbols have no size."""

    name: str  # without the leading underscore C naming adds
    section: int
    value: int


def layout(r0: Reader) -> tuple[list[MachSection], list[MachSymbol]]:
    """Every section and the symbols defined in them (debugging stabs and imports left out)."""
    endian = endian_of(r0)
    if endian is None:
        raise Corrupt("not a Mach-O header")
    r = r0.with_endian(endian)
    is64 = r.u32(0) == MAGIC_64
    ncmds, sizeofcmds = r.unpack("II", 16, "Mach-O header")
    pos = 32 if is64 else 28
    end = pos + sizeofcmds
    sections: list[MachSection] = []
    symtab: tuple[int, int, int, int] | None = None
    for _ in range(count(ncmds, "Mach-O load commands", 4096)):
        cmd, size = r.unpack("II", pos, "Mach-O load command")
        if size < 8 or pos + size > end:
            raise Corrupt(f"Mach-O load command at {pos:#x} has a bad size {size}")
        if cmd in (LC_SEGMENT, LC_SEGMENT_64):
            sections += _section_headers(r, pos, cmd == LC_SEGMENT_64)
        elif cmd == LC_SYMTAB:
            symtab = r.unpack("IIII", pos + 8, "LC_SYMTAB")
        pos += size
    return sections, _nlist(r, symtab, is64) if symtab else []


def _section_headers(r: Reader, pos: int, is64: bool) -> list[MachSection]:
    nsects = r.u32(pos + (64 if is64 else 48))
    first, stride = (pos + 72, 80) if is64 else (pos + 56, 68)
    out = []
    for i in range(count(nsects, "Mach-O sections", 1024)):
        if is64:
            sect, seg, addr, size, offset, _al, _rel, _nrel, flags = r.unpack("16s16sQQIIIII", first + i * stride)
        else:
            sect, seg, addr, size, offset, _al, _rel, _nrel, flags = r.unpack("16s16sIIIIIII", first + i * stride)
        out.append(MachSection(seg.rstrip(b"\0").decode("utf-8", "replace"),
                               sect.rstrip(b"\0").decode("utf-8", "replace"), addr, size, offset, flags))
    return out


def _nlist(r: Reader, symtab: tuple[int, int, int, int], is64: bool) -> list[MachSymbol]:
    symoff, nsyms, stroff, strsize = symtab
    fmt, stride = ("IBBHQ", 16) if is64 else ("IBBHI", 12)
    rows = r.unpack_table(fmt, symoff, count(nsyms, "Mach-O symbols", 1 << 24), stride, "Mach-O symbol table")
    r.check(stroff, strsize, "Mach-O string table")
    out = []
    for strx, ntype, sect, _desc, value in rows:
        if ntype & N_STAB or ntype & N_TYPE != N_SECT or not sect or strx >= strsize:
            continue
        name = r.cstring(stroff + strx, min(4096, strsize - strx), "Mach-O symbol name")
        out.append(MachSymbol(name[1:] if name.startswith("_") else name, sect, value))
    return out
