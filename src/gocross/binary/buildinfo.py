"""Go build info: find the ``\\xff Go buildinf:`` blob, decode it, and parse the modinfo text.

Layout (debug/buildinfo in the Go source): a 32-byte header, 16-byte aligned — 14 bytes of magic, the
pointer size, a flags byte (bit 0 big-endian, bit 1 inline strings). Go >= 1.18 writes the version and the
modinfo inline after the header as varint-prefixed strings; older toolchains store two pointers to Go string
headers, which have to be mapped from virtual addresses to file offsets. The modinfo text is wrapped in two
16-byte sentinels and holds ``path``/``mod``/``dep``/``=>``/``build`` lines; build keys and values are
Go-quoted (strconv.Quote) when they contain spaces, quotes, tabs or ``=``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from gocross.binary.model import Module
from gocross.binary.reader import MAX_BLOB, MAX_STRING, AddressMap, Corrupt, Reader, capped

MAGIC = b"\xff Go buildinf:"
HEADER_SIZE = 32
ALIGN = 16
_SENTINEL_LEN = 16
_MAX_HITS = 64


@dataclass(slots=True)
class BuildInfo:
    """Decoded build info: the Go version and the parsed modinfo (filled in line by line, so mutable)."""

    go_version: str
    offset: int
    pointer_form: bool = False
    main_path: str | None = None
    main_module: Module | None = None
    deps: list[Module] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)


def find(r: Reader, ranges: list[tuple[int, int]], addr_map: AddressMap | None) -> BuildInfo | None:
    """Search each (offset, size) range in turn for a valid, aligned blob; None if there is none."""
    damage: Corrupt | None = None
    for start, size in ranges:
        end = min(r.size, start + size)
        for hit in r.find_all(MAGIC, start, end, limit=_MAX_HITS):
            if (hit - start) % ALIGN or not r.has(hit, HEADER_SIZE):
                continue
            try:
                info = _decode(r, hit, addr_map)
            except Corrupt as exc:  # keep looking: a later, intact hit wins
                damage = damage or exc
                continue
            if info is not None:
                return info
    if damage is not None:
        raise Corrupt(f"Go build info is damaged: {damage}")
    return None


def _decode(r: Reader, off: int, addr_map: AddressMap | None) -> BuildInfo | None:
    ptr_size = r.u8(off + 14)
    flags = r.u8(off + 15)
    if ptr_size not in (4, 8):
        return None
    if flags & 2:
        version, pos = _varint_string(r, off + HEADER_SIZE)
        modinfo, _ = _varint_string(r, pos)
        pointer_form = False
    else:
        if addr_map is None:
            return None
        pr = r.with_endian(">" if flags & 1 else "<")
        version = _pointer_string(pr, off + 16, ptr_size, addr_map)
        modinfo = _pointer_string(pr, off + 16 + ptr_size, ptr_size, addr_map)
        pointer_form = True
    text = _decode_text(version)
    if not text or not (text.startswith("go") or text.startswith("devel")):
        return None
    info = BuildInfo(go_version=text, offset=off, pointer_form=pointer_form)
    parse_modinfo(_strip_sentinels(modinfo), info)
    return info


# runtime/debug's sentinels around the modinfo text (cmd/go's modload.infoStart / infoEnd).
_INFO_START = bytes.fromhex("3077af0c9274080241e1c107e6d618e6")
_INFO_END = bytes.fromhex("f932433186182072008242104116d8f2")


def find_modinfo(r: Reader, start: int, size: int, go_version: str) -> BuildInfo | None:
    """Build info from the bare modinfo text in ``[start, start+size)``: for wasm, which has no blob.

    Go's linker writes the ``\\xff Go buildinf:`` header only into ELF, Mach-O, PE, XCOFF and plan9 files
    (``go version -m`` cannot read a .wasm), but the modinfo string the runtime reads (runtime/debug) is in
    a wasm data segment all the same, between its two 16-byte sentinels. The Go version comes from
    elsewhere (the ``producers`` section).
    """
    end = min(r.size, start + size)
    for hit in r.find_all(_INFO_START, start, end, limit=_MAX_HITS):
        body = hit + _SENTINEL_LEN
        stop = next(iter(r.find_all(_INFO_END, body, min(end, body + MAX_BLOB), limit=1)), None)
        if stop is None:
            continue
        text = _decode_text(r.bytes(body, stop - body, "modinfo"))
        if not text.startswith("path\t"):
            continue
        info = BuildInfo(go_version=go_version, offset=hit)
        parse_modinfo(text, info)
        return info
    return None


def _varint_string(r: Reader, off: int) -> tuple[bytes, int]:
    n, pos = r.uvarint(off)
    capped(n, MAX_BLOB, "a build info string")
    return r.bytes(pos, n, "build info string"), pos + n


def _pointer_string(r: Reader, off: int, ptr_size: int, amap: AddressMap) -> bytes:
    """Follow a pointer to a Go string header {data, len} and read the string (pre-1.18 form)."""
    hdr_addr = r.uptr(off, ptr_size)
    if hdr_addr == 0:
        return b""
    hdr = amap.offset(hdr_addr, 2 * ptr_size)
    data_addr = r.uptr(hdr, ptr_size)
    n = capped(r.uptr(hdr + ptr_size, ptr_size), MAX_BLOB, "a build info string")
    if n == 0:
        return b""
    return r.bytes(amap.offset(data_addr, n), n, "build info string")


def _decode_text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _strip_sentinels(mod: bytes) -> str:
    """Drop the 16-byte sentinels around modinfo, as runtime/debug does; anything else means no modinfo."""
    if len(mod) >= 2 * _SENTINEL_LEN + 1 and mod[-_SENTINEL_LEN - 1] == 0x0A:
        return _decode_text(mod[_SENTINEL_LEN:-_SENTINEL_LEN])
    return ""


def parse_modinfo(text: str, info: BuildInfo) -> None:
    """Parse modinfo lines into info; lines that do not parse are skipped, as `go version -m` shows them."""
    last: str | None = None  # the tag of the module line a "=>" line would replace
    for line in text.splitlines():
        tag, _, rest = line.partition("\t")
        if tag == "path":
            info.main_path = rest
        elif tag in ("mod", "dep"):
            module = _module(rest)
            last = tag if module is not None else None
            if module is None:
                continue
            if tag == "mod":
                info.main_module = module
            else:
                info.deps.append(module)
        elif tag == "=>" and last is not None:
            _replace_last(info, last, _module(rest))
            last = None
        elif tag == "build":
            kv = parse_build_line(rest)
            if kv is not None:
                info.settings[kv[0]] = kv[1]


def _replace_last(info: BuildInfo, tag: str, replacement: Module | None) -> None:
    """Attach a ``=>`` line to the module line just before it (modules are frozen: swap in a copy)."""
    if tag == "mod" and info.main_module is not None:
        info.main_module = dataclasses.replace(info.main_module, replace=replacement)
    elif tag == "dep":
        info.deps[-1] = dataclasses.replace(info.deps[-1], replace=replacement)


def _module(rest: str) -> Module | None:
    parts = rest.split("\t")
    if not parts or not parts[0]:
        return None
    version = parts[1] if len(parts) > 1 else ""
    return Module(parts[0], version, parts[2] if len(parts) > 2 and parts[2] else None)


def parse_build_line(kv: str) -> tuple[str, str] | None:
    """Split one ``build`` line's KEY=VALUE, unquoting Go-quoted keys and values (runtime/debug's rules)."""
    if not kv or kv[0] == "=":
        return None
    if kv[0] in "`\"":
        raw_key = quoted_prefix(kv)
        if raw_key is None or not kv[len(raw_key):].startswith("="):
            return None
        key = unquote(raw_key)
        raw_value = kv[len(raw_key) + 1 :]
    else:
        key, sep, raw_value = kv.partition("=")
        if not sep:
            return None
    value = raw_value
    if raw_value and raw_value[0] in "`\"":
        unq = unquote(raw_value)
        if unq is None:
            return None
        value = unq
    return (key, value) if key is not None else None


def quoted_prefix(s: str) -> str | None:
    """The leading Go-quoted string of s (with its quotes), or None."""
    q = s[0]
    i = 1
    while i < len(s):
        c = s[i]
        if c == q:
            return s[: i + 1]
        if q == '"' and c == "\\":
            i += 1
        elif q == '"' and c == "\n":
            return None
        i += 1
    return None


_SIMPLE_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, "'": 39, '"': 34}
_HEX_WIDTH = {"x": 2, "u": 4, "U": 8}


def unquote(s: str) -> str | None:
    """strconv.Unquote for double- and back-quoted strings; None when s is not a valid quoted string."""
    if len(s) < 2 or s[0] != s[-1] or s[0] not in "`\"":
        return None
    body = s[1:-1]
    if s[0] == "`":
        return None if "`" in body else body.replace("\r", "")
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i]
        if c == '"' or c == "\n":
            return None
        if c != "\\":
            out += c.encode("utf-8", "surrogatepass")
            i += 1
            continue
        i = _escape(body, i + 1, out)
        if i < 0:
            return None
    return out.decode("utf-8", "replace")


def _escape(body: str, i: int, out: bytearray) -> int:
    """Decode the escape whose letter is at body[i] into out; return the next index, or -1 if invalid."""
    if i >= len(body):
        return -1
    c = body[i]
    if c in _SIMPLE_ESCAPES:
        out.append(_SIMPLE_ESCAPES[c])
        return i + 1
    if c in _HEX_WIDTH:
        width = _HEX_WIDTH[c]
        digits = body[i + 1 : i + 1 + width]
        if len(digits) != width or any(d not in "0123456789abcdefABCDEF" for d in digits):
            return -1
        value = int(digits, 16)
        if c == "x":
            out.append(value)
        elif value > 0x10FFFF or 0xD800 <= value < 0xE000:
            return -1
        else:
            out += chr(value).encode("utf-8")
        return i + 1 + width
    if c in "01234567":
        digits = body[i : i + 3]
        if len(digits) != 3 or any(d not in "01234567" for d in digits) or int(digits, 8) > 255:
            return -1
        out.append(int(digits, 8))
        return i + 3
    return -1


__all__ = ["MAX_STRING", "BuildInfo", "find", "find_modinfo", "parse_build_line", "parse_modinfo", "unquote"]
