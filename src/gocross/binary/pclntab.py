"""The Go pclntab header: the evidence that survives when build info does not (old Go, damaged files).

The table starts with a 4-byte magic (in the target's byte order) that changed with the layout, so it dates
the toolchain; then two zero bytes, the PC quantum (instruction alignment) and the pointer size. The file
name table lists the assembly entry file ``runtime/rt0_<goos>_<goarch>.s``, which names the target exactly,
and ``runtime/cgo/`` files when cgo is linked in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from gocross.binary.reader import Corrupt, Reader

# Newest first: a scan stops at the first valid header, and new binaries are the common case.
_MAGICS = {
    0xFFFFFFF1: "go1.20 or later",
    0xFFFFFFF0: "go1.18–go1.19",
    0xFFFFFFFA: "go1.16–go1.17",
    0xFFFFFFFB: "go1.2–go1.15",
}
_RT0 = re.compile(rb"runtime/rt0_([a-z0-9]+)_([a-z0-9]+)\.s\x00")
_SCAN_LIMIT = 64 << 20  # look no further than this past the header for file names


@dataclass(frozen=True, slots=True)
class Pclntab:
    """A pclntab header found in the file."""

    offset: int
    end: int  # of the region searched for file names
    magic: int
    version_range: str
    quantum: int
    ptr_size: int
    endian: str

    @property
    def magic_hex(self) -> str:
        return f"{self.magic:#010x}"


def at(r: Reader, off: int, end: int | None = None) -> Pclntab | None:
    """The pclntab header at off, if there is a valid one (both byte orders are tried)."""
    if not r.has(off, 8) or r.u8(off + 4) or r.u8(off + 5):
        return None
    quantum, ptr_size = r.u8(off + 6), r.u8(off + 7)
    if quantum not in (1, 2, 4) or ptr_size not in (4, 8):
        return None
    for endian in ("<", ">"):
        magic = r.with_endian(endian).u32(off)
        if magic in _MAGICS:
            stop = min(r.size, end if end is not None else off + _SCAN_LIMIT)
            return Pclntab(off, stop, magic, _MAGICS[magic], quantum, ptr_size,
                           "little" if endian == "<" else "big")
    return None


def search(r: Reader, start: int = 0, end: int | None = None, endian: str | None = None) -> Pclntab | None:
    """Find a pclntab header by scanning for its magic (formats without a named section)."""
    orders: tuple[Literal["little", "big"], ...] = ("little", "big")
    if endian == "little":
        orders = ("little",)
    elif endian == "big":
        orders = ("big",)
    for magic in _MAGICS:
        for raw in (magic.to_bytes(4, order) for order in orders):
            for hit in r.find_all(raw + b"\0\0", start, end, limit=16):
                tab = at(r, hit)
                if tab is not None:
                    return tab
    return None


def rt0_target(r: Reader, tab: Pclntab) -> tuple[str, str] | None:
    """(goos, goarch) from the runtime entry file name in the pclntab's file table."""
    start = r.find(b"runtime/rt0_", tab.offset, tab.end)
    if start < 0:
        return None
    m = _RT0.match(r.bytes(start, min(64, r.size - start)))
    return (m[1].decode(), m[2].decode()) if m else None


def links_cgo(r: Reader, tab: Pclntab) -> bool:
    """True when runtime/cgo's files are in the file table: cgo is really linked in."""
    return r.find(b"runtime/cgo/", tab.offset, tab.end) >= 0


# The function table (Go 1.18 and later: magics 0xFFFFFFF0 and 0xFFFFFFF1), read for the size breakdown.
_FUNC_TABLE_MAGICS = (0xFFFFFFF1, 0xFFFFFFF0)
_NO_FUNCDATA = 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class FuncRecord:
    """One function of the pclntab: its name, where its code is, and the tables that describe it."""

    name: str
    entry: int  # offset of its first instruction from the text start
    code_size: int  # up to the next function's entry (alignment padding included, as the linker laid it out)
    record_size: int  # its functab pair, its _func record and its name in the name table
    tables: tuple[int, ...]  # offsets into pctab of its pc-value tables (pcsp, pcfile, pcln, pcdata); 0 = none
    funcdata: tuple[int, ...]  # offsets of its funcdata (stack maps, inline trees) from go:func.*
    pieces: tuple[tuple[int, int], ...] = ()  # (offset from the pclntab start, bytes) of what record_size counts


@dataclass(frozen=True, slots=True)
class FuncTable:
    """The pclntab's functions and the layout needed to size the tables they share."""

    text_start: int  # the virtual address function entries are relative to
    functions: tuple[FuncRecord, ...]
    pctab_offset: int  # from the pclntab start
    pctab_end: int  # where pctab ends (the function table starts)
    records_end: int = 0  # from the pclntab start: where the last function record ends


def function_table(r: Reader, tab: Pclntab) -> FuncTable:
    """Every function of a Go 1.18+ pclntab; Corrupt if the table is of an older layout or damaged.

    Header (after the 8-byte magic block, each a pointer-sized word): nfunc, nfiles, textStart and the
    offsets of funcnametab, cutab, filetab, pctab and the function table (see runtime/symtab.go).
    """
    if tab.magic not in _FUNC_TABLE_MAGICS:
        raise Corrupt(f"its pclntab is of the {tab.version_range} layout; sizes by package need go1.18 or later")
    rr = r.with_endian("<" if tab.endian == "little" else ">")
    ps, base = tab.ptr_size, tab.offset
    words = [rr.uptr(base + 8 + i * ps, ps) for i in range(8)]
    nfunc, _nfiles, text_start, name_off, _cu_off, _file_off, pctab_off, func_off = words
    if nfunc > 1 << 22:
        raise Corrupt(f"the pclntab claims {nfunc} functions")
    ftab = base + func_off
    pairs = rr.unpack_table("II", ftab, nfunc + 1, 8, "pclntab function table")
    fixed = 44 if tab.magic == 0xFFFFFFF1 else 40  # go1.20 added startLine
    functions = []
    records_end = func_off + 8 * (nfunc + 1)
    for i in range(nfunc):
        entry, funcoff = pairs[i]
        rec = ftab + funcoff
        name_at = rr.u32(rec + 4)
        npcdata, nfuncdata = rr.u32(rec + 28), rr.u8(rec + fixed - 1)
        if npcdata > 1 << 10:
            raise Corrupt(f"a pclntab function record claims {npcdata} pc-data tables")
        tables = (rr.u32(rec + 16), rr.u32(rec + 20), rr.u32(rec + 24),
                  *(rr.u32(rec + fixed + 4 * k) for k in range(npcdata)))
        fdata = tuple(v for k in range(nfuncdata)
                      if (v := rr.u32(rec + fixed + 4 * (npcdata + k))) != _NO_FUNCDATA)
        name = rr.cstring(base + name_off + name_at, what="pclntab function name")
        fixed_part, name_part = fixed + 4 * (npcdata + nfuncdata), len(name.encode()) + 1
        pieces = ((func_off + 8 * i, 8), (func_off + funcoff, fixed_part), (name_off + name_at, name_part))
        records_end = max(records_end, func_off + funcoff + fixed_part)
        functions.append(FuncRecord(name, entry, pairs[i + 1][0] - entry, 8 + fixed_part + name_part, tables,
                                    fdata, pieces))
    return FuncTable(text_start, tuple(functions), pctab_off, func_off, records_end)
