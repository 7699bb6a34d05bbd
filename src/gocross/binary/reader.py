"""A bounds-checked, zero-copy reader over a file's bytes (an mmap, or bytes in tests).

Every read checks its range against the end of the data and raises ``Corrupt`` instead of returning short
data or raising ``struct.error``/``IndexError``; lengths that come from the file are capped before anything
is allocated. The format modules only ever go through this class, which is what lets a fuzzer throw
truncated and bit-flipped files at them and get either a result or one error type back.
"""

from __future__ import annotations

import builtins
import mmap
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final

# Upper bounds on lengths read from untrusted headers (no real binary gets near them).
MAX_STRING: Final = 1 << 16
MAX_BLOB: Final = 1 << 24
MAX_COUNT: Final = 1 << 16

_STRUCTS: dict[str, struct.Struct] = {}

Buffer = bytes | bytearray | memoryview | mmap.mmap


class Corrupt(Exception):
    """The data ends early or contradicts itself; the message says what and where."""


def _struct(fmt: str) -> struct.Struct:
    st = _STRUCTS.get(fmt)
    if st is None:
        st = _STRUCTS[fmt] = struct.Struct(fmt)
    return st


class Reader:
    """A read-only window on a buffer with a fixed byte order ("<" or ">")."""

    __slots__ = ("_buf", "endian", "size")

    def __init__(self, buf: Buffer, endian: str = "<") -> None:
        self._buf = buf
        self.size = len(buf)
        self.endian = endian

    def with_endian(self, endian: str) -> Reader:
        return Reader(self._buf, endian)

    def check(self, off: int, n: int, what: str = "data") -> None:
        """Raise Corrupt unless [off, off+n) lies inside the data."""
        if off < 0 or n < 0 or off + n > self.size:
            raise Corrupt(f"{what} at offset {off:#x} (+{n}) lies beyond the end of the file ({self.size} bytes)")

    def has(self, off: int, n: int) -> bool:
        return off >= 0 and n >= 0 and off + n <= self.size

    def bytes(self, off: int, n: int, what: str = "data") -> builtins.bytes:
        self.check(off, n, what)
        return bytes(self._buf[off : off + n])

    def unpack(self, fmt: str, off: int, what: str = "header") -> tuple[Any, ...]:
        """Unpack ``fmt`` (without byte-order prefix) at off in this reader's byte order."""
        st = _struct(self.endian + fmt)
        self.check(off, st.size, what)
        return st.unpack_from(self._buf, off)

    def unpack_table(self, fmt: str, off: int, count: int, stride: int, what: str = "table") -> list[tuple[Any, ...]]:
        """``count`` records of ``fmt`` every ``stride`` bytes from off (a header table), bounds-checked once.

        One C-level pass (struct.iter_unpack) when the records are packed, which they are in every file a
        linker writes; a per-record loop for the odd file whose entries are larger than the format.
        """
        st = _struct(self.endian + fmt)
        if stride < st.size:
            raise Corrupt(f"{what} entries of {stride} bytes are smaller than the {st.size} the format needs")
        self.check(off, count * stride, what)
        if stride == st.size:
            return list(st.iter_unpack(self._buf[off : off + count * stride]))
        return [st.unpack_from(self._buf, off + i * stride) for i in range(count)]

    def u8(self, off: int) -> int:
        self.check(off, 1)
        return self._buf[off]

    def u16(self, off: int) -> int:
        value: int = self.unpack("H", off)[0]
        return value

    def u32(self, off: int) -> int:
        value: int = self.unpack("I", off)[0]
        return value

    def u64(self, off: int) -> int:
        value: int = self.unpack("Q", off)[0]
        return value

    def uptr(self, off: int, ptr_size: int) -> int:
        return self.u64(off) if ptr_size == 8 else self.u32(off)

    def cstring(self, off: int, limit: int = 4096, what: str = "string") -> str:
        """A NUL-terminated string starting at off (at most ``limit`` bytes), decoded leniently."""
        self.check(off, 1, what)
        end = self.find(b"\0", off, min(self.size, off + limit))
        if end < 0:
            end = min(self.size, off + limit)
        return bytes(self._buf[off:end]).decode("utf-8", "replace")

    def find(self, needle: builtins.bytes, start: int = 0, end: int | None = None) -> int:
        """Offset of needle in [start, end), or -1. Never raises for out-of-range bounds."""
        stop = self.size if end is None else max(0, min(end, self.size))
        start = max(0, start)
        if start >= stop:
            return -1
        buf = self._buf
        if isinstance(buf, memoryview):
            i = bytes(buf[start:stop]).find(needle)
            return i + start if i >= 0 else -1
        return buf.find(needle, start, stop)

    def find_all(self, needle: builtins.bytes, start: int = 0, end: int | None = None,
                 limit: int = 64) -> Iterator[int]:
        """Offsets of needle in [start, end), at most ``limit`` of them."""
        pos = start
        for _ in range(limit):
            pos = self.find(needle, pos, end)
            if pos < 0:
                return
            yield pos
            pos += 1

    def uvarint(self, off: int) -> tuple[int, int]:
        """A Go/protobuf unsigned LEB128 varint at off: (value, offset after it)."""
        buf, size = self._buf, self.size
        value = shift = 0
        for i in range(10):  # indexed directly (bounds checked here): a u8() call per byte cost more than the rest
            if not 0 <= off + i < size:
                self.check(off + i, 1, "varint")
            b = buf[off + i]
            value |= (b & 0x7F) << shift
            if b < 0x80:
                return value, off + i + 1
            shift += 7
        raise Corrupt(f"varint at offset {off:#x} is longer than 10 bytes")

    def view(self, off: int, n: int) -> memoryview:
        """A zero-copy view of [off, off+n) for regex scans (checked)."""
        self.check(off, n)
        return memoryview(self._buf)[off : off + n]


def claimed_extent(size: int, extents: Iterable[tuple[int, int]]) -> tuple[int, int] | None:
    """``(0, end)``: the part of a file its headers claim (``(offset, length)`` of every section or segment),
    never past the file's end; None when they claim nothing.

    Scans that have no section to look in (the build info's last resort, the pclntab search) stay inside
    it, so a sparse 10 GiB file holding only a header is not read whole.
    """
    ends = [off + length for off, length in extents if length > 0]
    return (0, min(size, max(ends))) if ends else None


def capped(n: int, cap: int, what: str) -> int:
    """Return n if it is a plausible length (0..cap), else raise Corrupt: never allocate by a bad length."""
    if n < 0 or n > cap:
        raise Corrupt(f"{what} claims {n} bytes, more than the {cap} this reader allows")
    return n


def count(n: int, what: str, cap: int = MAX_COUNT) -> int:
    """Return n if it is a plausible element count, else raise Corrupt."""
    if n < 0 or n > cap:
        raise Corrupt(f"{what} claims {n} entries, more than the {cap} this reader allows")
    return n


@dataclass(frozen=True, slots=True)
class AddressMap:
    """Virtual address -> file offset, from a format's segments (for pointer-form build info)."""

    ranges: list[tuple[int, int, int]]  # (vaddr, size present in the file, file offset)

    def offset(self, vaddr: int, n: int) -> int:
        for start, size, fileoff in self.ranges:
            if start <= vaddr and vaddr + n <= start + size:
                return fileoff + (vaddr - start)
        raise Corrupt(f"address {vaddr:#x} (+{n}) is not backed by any segment of the file")
