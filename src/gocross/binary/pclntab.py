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

from gocross.binary.reader import Reader

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
