"""XCOFF (AIX): file header, section table, loader section imports.

Go builds aix/ppc64 as 64-bit XCOFF (magic 0x01F7), always dynamically linked against libc through the
loader section's import file table. Build info lives in the data section, the Go build ID at the start of
text; everything is big-endian.
"""

from __future__ import annotations

from gocross.binary.facts import Facts
from gocross.binary.reader import AddressMap, Reader, claimed_extent, count

MAGIC_32, MAGIC_64 = 0x01DF, 0x01F7
STYP_DWARF, STYP_TEXT, STYP_DATA, STYP_LOADER = 0x10, 0x20, 0x40, 0x1000
F_EXEC, F_SHROBJ = 0x0002, 0x2000


def is_xcoff(r: Reader) -> bool:
    return r.has(0, 24) and r.with_endian(">").u16(0) in (MAGIC_32, MAGIC_64)


def parse(r0: Reader) -> Facts:
    r = r0.with_endian(">")
    is64 = r.u16(0) == MAGIC_64
    f = Facts(format="XCOFF", bits=64 if is64 else 32, endian="big", header_goos="aix",
              machine="PowerPC64" if is64 else "PowerPC", header_goarch="ppc64" if is64 else None)
    if is64:
        _m, nscns, _ts, symptr, opthdr, flags, nsyms = r.unpack("HHiQHHi", 0, "XCOFF header")
        pos, fmt, size = 24 + opthdr, "8sQQQQQQIIIi", 72
    else:
        _m, nscns, _ts, symptr, nsyms, opthdr, flags = r.unpack("HHiIiHH", 0, "XCOFF header")
        pos, fmt, size = 20 + opthdr, "8sIIIIIIHHI", 40
    f.file_type = "shared library" if flags & F_SHROBJ else "executable" if flags & F_EXEC else "object"
    f.stripped = symptr == 0 or nsyms <= 0
    f.debug_info = False
    ranges = []
    for i in range(count(nscns, "XCOFF sections", 256)):
        fields = r.unpack(fmt, pos + i * size, "XCOFF section")
        name, vaddr, ssize, scnptr, sflags = fields[0], fields[2], fields[3], fields[4], fields[9]
        ranges.append((vaddr, ssize, scnptr))
        _section(r, f, name.rstrip(b"\0"), sflags & 0xFFFF, scnptr, ssize, is64)
    f.addr_map = AddressMap(ranges)
    f.scan_range = claimed_extent(r.size, [(scnptr, ssize) for _va, ssize, scnptr in ranges])
    f.linkage = "dynamic" if f.needed_libs else "static"
    f.cite("linkage", "XCOFF loader section import files")
    return f


def _section(r: Reader, f: Facts, name: bytes, flags: int, off: int, size: int, is64: bool) -> None:
    if flags & STYP_DATA:
        f.buildinfo_ranges.append((off, size))
    elif flags & STYP_TEXT and f.text_range is None:
        f.text_range = (off, size)
    elif flags & STYP_DWARF:
        f.debug_info = True
    elif flags & STYP_LOADER:
        r.check(off, size, "XCOFF loader section")
        f.needed_libs = tuple(_imports(r, off, is64))


def _imports(r: Reader, off: int, is64: bool) -> list[str]:
    """Import file ids of the loader section (the first one is the library search path)."""
    if is64:
        _v, _ns, _nr, istlen, nimpid, _stlen, impoff = r.unpack("iiiIiIQ", off, "XCOFF loader header")
    else:
        _v, _ns, _nr, istlen, nimpid, impoff = r.unpack("iiiIiI", off, "XCOFF loader header")
    pos, end = off + impoff, off + impoff + istlen
    libs = []
    for i in range(count(nimpid, "XCOFF import files", 1024)):
        path = r.cstring(pos, 1024)
        pos += len(path.encode()) + 1
        base = r.cstring(pos, 1024)
        pos += len(base.encode()) + 1
        member = r.cstring(pos, 1024)
        pos += len(member.encode()) + 1
        if i and base:
            libs.append(f"{base}({member})" if member else base)
        if pos >= end:
            break
    return libs
