"""PE/COFF (Windows .exe/.dll): COFF header, optional header, section table, import directory.

Go's build info is in the first initialized, readable, writable data section (``.data``); the Go build ID
starts ``.text``. Section names longer than 8 bytes (``.debug_info`` ...) are ``/N`` references into the COFF
string table that follows the symbol table.
"""

from __future__ import annotations

from typing import NamedTuple

from gocross.binary.facts import Facts
from gocross.binary.reader import AddressMap, Corrupt, Reader, claimed_extent, count
from gocross.platforms import PE_MACHINES

_SUBSYSTEM = {1: "native", 2: "windows GUI", 3: "console", 9: "Windows CE", 10: "EFI application"}
IMAGE_FILE_DLL = 0x2000
DYNAMIC_BASE = 0x40
_DATA_CHARS = 0xC0000040  # initialized data, readable, writable (alignment bits masked out)


def pe_offset(r: Reader) -> int | None:
    """Offset of the "PE\\0\\0" signature of an MZ file, or None for a plain DOS program."""
    if not r.has(0x3C, 4):
        return None
    off = r.u32(0x3C)
    return off if r.has(off, 4) and r.bytes(off, 4) == b"PE\0\0" else None


def parse(r: Reader, pe_off: int) -> Facts:
    f = Facts(format="PE", endian="little", header_goos="windows")
    machine, nsects, _ts, symptr, nsyms, opt_size, chars = r.unpack("HHIIIHH", pe_off + 4, "COFF header")
    known = PE_MACHINES.get(machine)
    f.header_goarch, f.machine = (known.goarch, known.name) if known else (None, f"machine {machine:#x}")
    opt = pe_off + 24
    magic = r.u16(opt)
    if magic not in (0x10B, 0x20B):
        raise Corrupt(f"PE optional header magic {magic:#x} is neither PE32 nor PE32+")
    f.bits = 64 if magic == 0x20B else 32
    f.file_type = "shared library" if chars & IMAGE_FILE_DLL else "executable"
    base = r.u64(opt + 24) if f.bits == 64 else r.u32(opt + 28)
    os_major, os_minor = r.unpack("HH", opt + 40, "PE optional header")
    sub_major, sub_minor, _w32, _img, _hdrs, _sum, subsystem, dllchars = r.unpack("HHIIIIHH", opt + 48)
    f.min_os = f"Windows {os_major}.{os_minor} (subsystem {_SUBSYSTEM.get(subsystem, subsystem)} " \
               f"{sub_major}.{sub_minor})"
    f.cite("min_os", "PE optional header OS/subsystem version")
    f.pie = bool(dllchars & DYNAMIC_BASE)
    dirs = opt + (112 if f.bits == 64 else 96)
    ndirs = r.u32(dirs - 4)
    sections = _sections(r, opt + opt_size, count(nsects, "PE sections", 96), symptr, nsyms)
    f.addr_map = AddressMap([(base + va, raw, off) for _n, va, raw, off, _c in sections])
    _section_facts(f, sections)
    f.scan_range = claimed_extent(r.size, [(off, raw) for _n, _va, raw, off, _c in sections])
    f.stripped = symptr == 0 or nsyms == 0
    f.needed_libs = tuple(_imports(r, dirs, ndirs, sections))
    f.linkage = "dynamic" if f.needed_libs else "static"
    f.cite("linkage", "PE import directory")
    return f


def _sections(r: Reader, pos: int, n: int, symptr: int, nsyms: int) -> list[tuple[str, int, int, int, int]]:
    """(name, virtual address, raw size, raw offset, characteristics) of each section."""
    strtab = symptr + nsyms * 18 if symptr and nsyms < (1 << 24) else 0
    out = []
    for i in range(n):
        name, _vsize, va, raw, off, _rel, _ln, _nr, _nl, chars = r.unpack("8sIIIIIIHHI", pos + i * 40, "PE section")
        text = name.rstrip(b"\0").decode("utf-8", "replace")
        if text.startswith("/") and text[1:].isdigit() and strtab:
            text = r.cstring(strtab + int(text[1:]), 256, "PE long section name")
        out.append((text, va, raw, off, chars))
    return out


def _section_facts(f: Facts, sections: list[tuple[str, int, int, int, int]]) -> None:
    data = next((s for s in sections if s[4] & ~0x00600000 & 0xFFFFFFFF == _DATA_CHARS), None)
    if data is not None:
        f.buildinfo_ranges.append((data[3], data[2]))
    for name, _va, raw, off, _chars in sections:
        if name == ".text":
            f.text_range = (off, raw)
    f.debug_info = any(s[0].startswith((".debug_", ".zdebug_")) for s in sections)


def _rva_to_off(rva: int, n: int, sections: list[tuple[str, int, int, int, int]]) -> int:
    for _name, va, raw, off, _c in sections:
        if va <= rva and rva + n <= va + raw:
            return off + rva - va
    raise Corrupt(f"PE address {rva:#x} is not inside any section")


def _imports(r: Reader, dirs: int, ndirs: int, sections: list[tuple[str, int, int, int, int]]) -> list[str]:
    if ndirs < 2:
        return []
    rva, size = r.unpack("II", dirs + 8, "PE import directory entry")
    if rva == 0 or size == 0:
        return []
    pos = _rva_to_off(rva, 20, sections)
    names = []
    for _ in range(512):
        _oft, _ts, _fwd, name_rva, first = r.unpack("IIIII", pos, "PE import descriptor")
        if name_rva == 0 and first == 0:
            break
        names.append(r.cstring(_rva_to_off(name_rva, 1, sections), 256, "PE import name"))
        pos += 20
    return names


class PeSection(NamedTuple):
    """One section header as the size breakdown needs it (addresses relative to the image base)."""

    name: str
    va: int
    vsize: int  # in memory (a data section's includes its zero-filled variables)
    raw: int  # in the file, rounded up to the file alignment
    offset: int
    chars: int


class CoffSymbol(NamedTuple):
    """One COFF symbol-table entry: Go writes one per function and variable, each without a size."""

    name: str
    value: int  # offset from its section's start
    section: int  # 1-based index into the section table; 0 and below: undefined, absolute, debug


def image_layout(r: Reader, pe_off: int) -> tuple[int, list[PeSection], list[CoffSymbol]]:
    """The image base, every section header and the COFF symbol table (empty when stripped)."""
    _machine, nsects, _ts, symptr, nsyms, opt_size, _chars = r.unpack("HHIIIHH", pe_off + 4, "COFF header")
    opt = pe_off + 24
    base = r.u64(opt + 24) if r.u16(opt) == 0x20B else r.u32(opt + 28)
    sections = []
    pos = opt + opt_size
    named = _sections(r, pos, count(nsects, "PE sections", 96), symptr, nsyms)
    for i, (name, va, raw, off, chars) in enumerate(named):
        sections.append(PeSection(name, va, r.u32(pos + i * 40 + 8), raw, off, chars))
    return base, sections, _symbols(r, symptr, nsyms) if symptr and nsyms else []


def _symbols(r: Reader, symptr: int, nsyms: int) -> list[CoffSymbol]:
    """The symbol table's entries (auxiliary records skipped); long names are in the string table after it."""
    rows = r.unpack_table("8sIhHBB", symptr, count(nsyms, "COFF symbols", 1 << 24), 18, "COFF symbol table")
    strtab = symptr + nsyms * 18
    out = []
    skip = 0
    for raw_name, value, section, _type, _class, naux in rows:
        if skip:
            skip -= 1
            continue
        skip = naux
        if raw_name[:4] == b"\0\0\0\0":
            name = r.cstring(strtab + int.from_bytes(raw_name[4:], "little"), 4096, "COFF symbol name")
        else:
            name = raw_name.rstrip(b"\0").decode("utf-8", "replace")
        out.append(CoffSymbol(name, value, section))
    return out
