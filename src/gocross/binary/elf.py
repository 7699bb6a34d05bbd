"""ELF: header, program headers (which survive section stripping), sections when present, notes, dynamic.

Facts come from the program headers first, because the kernel only reads those and they survive
``strip --strip-section-headers``-style damage: PT_INTERP, PT_DYNAMIC (DT_NEEDED, DT_FLAGS_1, DT_VERNEED),
PT_NOTE. Sections add the build info and pclntab locations, the symbol table (stripped or not) and DWARF.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from gocross import platforms
from gocross.binary.facts import Facts
from gocross.binary.reader import AddressMap, Corrupt, Reader, capped, claimed_extent, count

PT_LOAD, PT_DYNAMIC, PT_INTERP, PT_NOTE = 1, 2, 3, 4
PF_W = 2
SHT_SYMTAB, SHT_NOTE, SHT_NOBITS = 2, 7, 8
DT_NULL, DT_NEEDED, DT_STRTAB, DT_STRSZ = 0, 1, 5, 10
DT_FLAGS_1, DT_VERNEED, DT_VERNEEDNUM = 0x6FFFFFFB, 0x6FFFFFFE, 0x6FFFFFFF
DF_1_PIE = 0x08000000

_ET = {1: "relocatable object", 2: "executable", 3: "shared object", 4: "core dump"}
_OSABI = {9: "freebsd", 2: "netbsd", 12: "openbsd", 6: "solaris"}
_OSABI_NAME = {0: "SYSV", 3: "GNU/Linux", 9: "FreeBSD", 2: "NetBSD", 12: "OpenBSD", 6: "Solaris"}
_NOTE_OS = {b"FreeBSD": "freebsd", b"NetBSD": "netbsd", b"OpenBSD": "openbsd", b"Android": "android"}
_INTERP_OS = (
    ("/system/bin/linker", "android"),
    ("/usr/libexec/ld.so", "openbsd"),
    ("/libexec/ld-elf.so.1", "freebsd"),
    ("/usr/libexec/ld-elf.so.2", "dragonfly"),
    ("/usr/libexec/ld.elf_so", "netbsd"),
    ("/lib/amd64/ld.so.1", "solaris"),
    ("/lib/64/ld.so.1", "solaris"),
    ("/usr/lib/ld.so.1", "solaris"),
    ("/lib/ld.so.1", "solaris"),
)
_GLIBC_RE = re.compile(r"^GLIBC_(\d+)\.(\d+)(?:\.(\d+))?$")
MAX_SECTIONS = 1 << 16


class _Seg(NamedTuple):
    """One program header (a NamedTuple: a row of a header table, built by the dozen for every file,
    costs a third of a frozen dataclass to create — elf.parse was 12 % of inspecting a folder)."""

    type: int
    flags: int
    offset: int
    vaddr: int
    filesz: int


class Section(NamedTuple):
    """One section header (a NamedTuple, as _Seg)."""

    name: str
    type: int
    flags: int
    addr: int
    offset: int
    size: int
    link: int


def _header(r0: Reader) -> tuple[Reader, int, int, int, tuple[int, ...]]:
    """(a reader in the file's byte order, bits, EI_DATA, EI_OSABI, the ELF header's fields)."""
    r0.check(0, 16, "ELF identification")
    cls, data, osabi = r0.u8(4), r0.u8(5), r0.u8(7)
    if cls not in (1, 2) or data not in (1, 2):
        raise Corrupt(f"ELF class {cls} / data encoding {data} is invalid")
    bits = 32 if cls == 1 else 64
    r = r0.with_endian("<" if data == 1 else ">")
    return r, bits, data, osabi, r.unpack("HHIIIIIHHHHHH" if bits == 32 else "HHIQQQIHHHHHH", 16, "ELF header")


def sections(r0: Reader) -> list[Section]:
    """Every section header of an ELF file, named ([] when the file has none)."""
    r, bits, _data, _osabi, hdr = _header(r0)
    return _sections(r, hdr[5], hdr[10], hdr[11], hdr[12], bits)


def parse(r0: Reader) -> Facts:
    """Read an ELF file's headers into Facts (raises Corrupt on a header that lies outside the file)."""
    r, bits, data, osabi, hdr = _header(r0)
    f = Facts(format="ELF", bits=bits, endian="little" if data == 1 else "big")
    e_type, e_machine, _ver, _entry, phoff, shoff, _flags, _eh, phentsize, phnum, shentsize, shnum, shstrndx = hdr
    _machine(f, e_machine, bits, data)
    segs = _program_headers(r, phoff, phentsize, phnum, bits)
    secs = _sections(r, shoff, shentsize, shnum, shstrndx, bits)
    amap = AddressMap([(s.vaddr, s.filesz, s.offset) for s in segs if s.type == PT_LOAD])
    f.addr_map = amap
    _interp(r, f, segs)
    _notes(r, f, secs, segs)
    dyn = _dynamic(r, f, segs, amap)
    _linkage(f, e_type, segs, dyn)
    _header_goos(f, osabi)
    _sections_facts(f, secs, segs)
    # Scans without a section stay inside what the headers claim (a sparse 10 GiB file is not read whole).
    f.scan_range = claimed_extent(r.size, [(s.offset, s.filesz) for s in segs]
                                  + [(s.offset, s.size) for s in secs if s.type != SHT_NOBITS])
    return f


def _machine(f: Facts, e_machine: int, bits: int, data: int) -> None:
    entry = platforms.elf_machine(e_machine, bits, "big" if data == 2 else "little")
    if entry is None:
        f.machine = f"machine {e_machine}"
        return
    f.header_goarch, f.machine = entry.goarch, entry.name


def _program_headers(r: Reader, phoff: int, entsize: int, phnum: int, bits: int) -> list[_Seg]:
    if phnum == 0:
        return []
    count(phnum, "the ELF program header table")
    need = 32 if bits == 32 else 56
    if entsize < need:
        raise Corrupt(f"ELF program header entries of {entsize} bytes are too small")
    if bits == 32:
        rows = r.unpack_table("8I", phoff, phnum, entsize, "ELF program header table")
        return [_Seg(typ, flags, off, vaddr, filesz) for typ, off, vaddr, _pa, filesz, _m, flags, _al in rows]
    rows = r.unpack_table("IIQQQQQQ", phoff, phnum, entsize, "ELF program header table")
    return [_Seg(typ, flags, off, vaddr, filesz) for typ, flags, off, vaddr, _pa, filesz, _m, _al in rows]


def _sections(r: Reader, shoff: int, entsize: int, shnum: int, shstrndx: int, bits: int) -> list[Section]:
    if shoff == 0:
        return []
    fmt = "7I12x" if bits == 32 else "IIQQQQI20x"  # name … link; sh_info, sh_addralign, sh_entsize unused
    if entsize < (40 if bits == 32 else 64):
        raise Corrupt(f"ELF section header entries of {entsize} bytes are too small")
    if shnum == 0:  # extended numbering: the real count is in section 0's sh_size
        shnum = r.unpack(fmt, shoff, "ELF section header")[5]
    count(shnum, "the ELF section header table", MAX_SECTIONS)
    raw = r.unpack_table(fmt, shoff, shnum, entsize, "ELF section header table")
    if shstrndx == 0xFFFF and raw:
        shstrndx = raw[0][6]
    names = b""
    if 0 < shstrndx < shnum:  # read the name table once; names are NUL-terminated offsets into it
        names = r.bytes(raw[shstrndx][4], capped(raw[shstrndx][5], 1 << 20, "ELF section names"))
    if names.isascii():  # every linker's names: decode once, then slice the text (a third of the time)
        table = names.decode("ascii")
        find, whole = table.find, len(table)
        return [Section(table[name : end if (end := find("\0", name)) >= 0 else whole], typ, flags, addr, off,
                        size, link) for name, typ, flags, addr, off, size, link in raw]
    secs = []
    for name, typ, flags, addr, off, size, link in raw:
        end = names.find(b"\0", name)
        text = names[name : end if end >= 0 else len(names)].decode("utf-8", "replace")
        secs.append(Section(text, typ, flags, addr, off, size, link))
    return secs


def _interp(r: Reader, f: Facts, segs: list[_Seg]) -> None:
    for s in segs:
        if s.type == PT_INTERP:
            n = capped(s.filesz, 4096, "PT_INTERP")
            f.interpreter = r.bytes(s.offset, n, "PT_INTERP").rstrip(b"\0").decode("utf-8", "replace")
            f.cite("interpreter", "ELF PT_INTERP")
            return


def _notes(r: Reader, f: Facts, secs: list[Section], segs: list[_Seg]) -> None:
    regions = [(s.offset, s.size) for s in secs if s.type == SHT_NOTE]
    if not regions:
        regions = [(s.offset, s.filesz) for s in segs if s.type == PT_NOTE]
    for off, size in regions:
        r.check(off, size, "ELF note")
        _note_region(r, f, off, off + size)


def _note_region(r: Reader, f: Facts, pos: int, end: int) -> None:
    for _ in range(64):
        if pos + 12 > end:
            return
        namesz, descsz, ntype = r.unpack("III", pos, "ELF note")
        name_off = pos + 12
        desc_off = name_off + ((namesz + 3) & ~3)
        nxt = desc_off + ((descsz + 3) & ~3)
        if nxt > end or namesz > 256:
            return
        name = r.bytes(name_off, namesz).rstrip(b"\0")
        desc = r.bytes(desc_off, capped(descsz, 4096, "an ELF note"))
        _note(f, name, ntype, desc)
        pos = nxt


def _note(f: Facts, name: bytes, ntype: int, desc: bytes) -> None:
    if name == b"Go" and ntype == 4:
        f.go_build_id = desc.rstrip(b"\0").decode("utf-8", "replace")
        f.cite("go_build_id", "ELF note Go/4 (.note.go.buildid)")
    elif name == b"GNU" and ntype == 3:
        f.gnu_build_id = desc.hex()
        f.cite("gnu_build_id", "ELF note GNU/3 (.note.gnu.build-id)")
    elif name in _NOTE_OS and f.header_goos is None:
        f.header_goos = _NOTE_OS[name]
        f.cite("header_goos", f"ELF note {name.decode()}")


def _dynamic(r: Reader, f: Facts, segs: list[_Seg], amap: AddressMap) -> dict[int, list[int]]:
    """DT_* entries of PT_DYNAMIC (tag -> values), plus DT_NEEDED names and the minimum glibc."""
    dyn: dict[int, list[int]] = {}
    seg = next((s for s in segs if s.type == PT_DYNAMIC), None)
    if seg is None:
        return dyn
    entsize = 8 if f.bits == 32 else 16
    fmt = "iI" if f.bits == 32 else "qQ"
    r.check(seg.offset, seg.filesz, "ELF dynamic section")
    for i in range(min(seg.filesz // entsize, 4096)):
        tag, val = r.unpack(fmt, seg.offset + i * entsize)
        if tag == DT_NULL:
            break
        dyn.setdefault(tag, []).append(val)
    strtab = dyn.get(DT_STRTAB, [None])[0]
    if strtab is None:
        return dyn
    strsz = dyn.get(DT_STRSZ, [1 << 20])[0]
    str_off = amap.offset(strtab, 1)
    f.needed_libs = tuple(r.cstring(str_off + v, 1024, "DT_NEEDED name") for v in dyn.get(DT_NEEDED, [])
                          if v < strsz)
    if DT_VERNEED in dyn:
        f.min_glibc = _min_glibc(r, amap.offset(dyn[DT_VERNEED][0], 16), dyn.get(DT_VERNEEDNUM, [64])[0],
                                 str_off)
    return dyn


def _min_glibc(r: Reader, off: int, num: int, str_off: int) -> str | None:
    """The highest GLIBC_x.y version any symbol needs (.gnu.version_r, reached through DT_VERNEED)."""
    best: tuple[int, int, int] | None = None
    for _ in range(min(num, 64)):
        _ver, cnt, _file, aux, nxt = r.unpack("HHIII", off, "ELF version needs")
        a = off + aux
        for _ in range(min(cnt, 256)):
            _hash, _flags, _other, name, anext = r.unpack("IHHII", a, "ELF version needs aux")
            m = _GLIBC_RE.match(r.cstring(str_off + name, 64, "version name"))
            if m:
                v = (int(m[1]), int(m[2]), int(m[3] or 0))
                best = v if best is None or v > best else best
            if anext == 0:
                break
            a += anext
        if nxt == 0:
            break
        off += nxt
    if best is None:
        return None
    return ".".join(str(x) for x in (best if best[2] else best[:2]))


def _linkage(f: Facts, e_type: int, segs: list[_Seg], dyn: dict[int, list[int]]) -> None:
    has_dyn = any(s.type == PT_DYNAMIC for s in segs)
    pie_flag = bool(dyn.get(DT_FLAGS_1, [0])[0] & DF_1_PIE)
    f.file_type = _ET.get(e_type, f"type {e_type}")
    if e_type == 3:
        is_exe = f.interpreter is not None or pie_flag
        f.file_type = "executable" if is_exe else "shared library"
        f.pie = is_exe
    elif e_type == 2:
        f.pie = False
    if e_type not in (2, 3):
        return
    if f.interpreter is not None or (has_dyn and not f.pie):
        f.linkage = "dynamic"
    elif f.pie:
        f.linkage = "static-pie"
    else:
        f.linkage = "static"
    f.cite("linkage", "ELF program headers (PT_INTERP, PT_DYNAMIC, DT_FLAGS_1)")


def _header_goos(f: Facts, osabi: int) -> None:
    if f.header_goos is None and osabi in _OSABI:
        f.header_goos = _OSABI[osabi]
        f.cite("header_goos", f"ELF EI_OSABI={osabi} ({_OSABI_NAME[osabi]})")
    if f.header_goos is None and f.interpreter:
        f.header_goos = _interp_goos(f.interpreter)
        if f.header_goos:
            f.cite("header_goos", f"ELF interpreter {f.interpreter}")
    if f.header_goos is None:
        # EI_OSABI 0 is what Linux, DragonFly and (without an interpreter) others write.
        f.header_goos = "linux"
        f.header_goos_options = ("dragonfly",) if f.header_goarch == "amd64" else ()
        f.cite("header_goos", f"ELF EI_OSABI={osabi} ({_OSABI_NAME.get(osabi, '?')}) with no OS note")
    if f.header_goos == "solaris":
        f.header_goos_options = ("illumos",)


def _interp_goos(interp: str) -> str | None:
    for prefix, goos in _INTERP_OS:
        if interp.startswith(prefix):
            return goos
    return "linux" if "ld-linux" in interp or "ld-musl" in interp else None


def _sections_facts(f: Facts, secs: list[Section], segs: list[_Seg]) -> None:
    by_name = {s.name: s for s in secs}
    if (bi := by_name.get(".go.buildinfo")) is not None:
        f.buildinfo_ranges.append((bi.offset, bi.size))
    writable = next((s for s in segs if s.type == PT_LOAD and s.flags & PF_W), None)
    if writable is not None:
        f.buildinfo_ranges.append((writable.offset, writable.filesz))
    if (pcln := by_name.get(".gopclntab")) is not None:
        f.pclntab_range = (pcln.offset, pcln.size)
    if not secs:
        f.notes.append("the file has no section headers (removed); facts come from the program headers")
        return
    symtab = next((s for s in secs if s.type == SHT_SYMTAB), None)
    f.stripped = symtab is None
    if symtab is not None and (strtab := by_name.get(".strtab")) is not None:
        f.symbol_strings = (strtab.offset, strtab.size)
    f.debug_info = any(s.name.startswith((".debug_", ".zdebug_")) for s in secs)
