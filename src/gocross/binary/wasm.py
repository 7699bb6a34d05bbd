"""WebAssembly modules: sections, import modules, and Go's custom sections.

Go writes no build info blob into wasm (``go version -m`` cannot read one), so the evidence is: the custom
section ``go:buildid`` (the Go build ID), ``producers`` (language "Go" and its version), the import module
names — ``gojs`` for js/wasm, ``wasi_snapshot_preview1`` for wasip1/wasm — and, in the data segments
(``scan_range``), the bare modinfo text runtime/debug reads (``buildinfo.find_modinfo``: path, modules with
their replacements, build settings). An exported ``_start`` makes it a WASI command.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from gocross.binary.facts import Facts
from gocross.binary.reader import MAX_STRING, Corrupt, Reader, capped, count

SEC_CUSTOM, SEC_IMPORT, SEC_EXPORT, SEC_DATA = 0, 2, 7, 11
_MAX_SECTIONS = 4096


def parse(r: Reader) -> Facts:
    f = Facts(format="wasm", bits=32, endian="little", header_goarch="wasm", machine="WebAssembly")
    version = r.u32(4)
    if version != 1:
        raise Corrupt(f"WebAssembly version {version} is not 1")
    f.file_type = "module"
    f.linkage = "static"
    f.stripped, f.debug_info = True, False  # until a "name" / ".debug_*" custom section says otherwise
    f.cgo = False  # no wasm port supports cgo; saves searching the pclntab for runtime/cgo
    f.cite("cgo", "wasm (Go has no cgo for wasm ports)")
    imports: list[str] = []
    exports: list[str] = []
    end = 8
    for sec_id, body, size in _headers(r):
        if sec_id == SEC_CUSTOM:
            _custom(r, f, body, body + size)
        elif sec_id == SEC_IMPORT:
            imports = _imports(r, body)
        elif sec_id == SEC_EXPORT:
            exports = _exports(r, body)
        elif sec_id == SEC_DATA:
            f.scan_range = (body, size)  # Go's rodata, pclntab included, is in the data segments
        end = body + size
    f.scan_range = f.scan_range or (0, min(end, r.size))  # no data section: what the sections claim
    f.wasm_imports = tuple(dict.fromkeys(imports))
    _goos(f, exports)
    return f


def _headers(r: Reader) -> Iterator[tuple[int, int, int]]:
    """(id, body offset, size) of every section in file order, each checked to lie inside the file."""
    pos = 8
    for _ in range(_MAX_SECTIONS):
        if pos >= r.size:
            return
        sec_id = r.u8(pos)
        size, body = r.uvarint(pos + 1)
        r.check(body, size, f"wasm section {sec_id}")
        if sec_id == SEC_CUSTOM and size == 0:  # a custom section starts with its name: zeros (a sparse tail)
            raise Corrupt(f"wasm custom section at {pos:#x} is empty (not even a name)")
        yield sec_id, body, size
        pos = body + size


def _name(r: Reader, pos: int) -> tuple[str, int]:
    n, pos = r.uvarint(pos)
    capped(n, MAX_STRING, "a wasm name")
    return r.bytes(pos, n, "wasm name").decode("utf-8", "replace"), pos + n


def _custom(r: Reader, f: Facts, pos: int, end: int) -> None:
    name, pos = _name(r, pos)
    if name == "go:buildid":
        raw = r.bytes(pos, min(end - pos, 1024), "go:buildid")
        quoted = re.search(rb'Go build ID: "([^"]*)"', raw)
        f.go_build_id = (quoted[1] if quoted else raw).decode("utf-8", "replace")
        f.cite("go_build_id", "wasm custom section go:buildid")
    elif name == "producers":
        _producers(r, f, pos)
    elif name.startswith(".debug_"):
        f.debug_info = True
    elif name == "name":
        f.stripped = False


def _producers(r: Reader, f: Facts, pos: int) -> None:
    """producers section: fields of (name, [(value, version)]); Go writes language: Go <version>."""
    nfields, pos = r.uvarint(pos)
    for _ in range(count(nfields, "wasm producers fields", 16)):
        field, pos = _name(r, pos)
        nvals, pos = r.uvarint(pos)
        for _ in range(count(nvals, "wasm producers values", 64)):
            value, pos = _name(r, pos)
            version, pos = _name(r, pos)
            if field == "language" and value == "Go":
                f.go_version = version
                f.cite("go_version", "wasm custom section producers (language Go)")


def _imports(r: Reader, pos: int) -> list[str]:
    n, pos = r.uvarint(pos)
    modules = []
    for _ in range(count(n, "wasm imports", 1 << 16)):
        module, pos = _name(r, pos)
        _field, pos = _name(r, pos)
        kind = r.u8(pos)
        pos = _skip_import_desc(r, pos + 1, kind)
        modules.append(module)
    return modules


def _skip_import_desc(r: Reader, pos: int, kind: int) -> int:
    if kind == 0:  # function: type index
        return r.uvarint(pos)[1]
    if kind == 1:  # table: reftype + limits
        return _skip_limits(r, pos + 1)
    if kind == 2:  # memory: limits
        return _skip_limits(r, pos)
    if kind == 3:  # global: valtype + mutability
        return pos + 2
    if kind == 4:  # tag: attribute + type index
        return r.uvarint(pos + 1)[1]
    raise Corrupt(f"wasm import kind {kind} is unknown")


def _skip_limits(r: Reader, pos: int) -> int:
    flags = r.u8(pos)
    pos = r.uvarint(pos + 1)[1]
    return r.uvarint(pos)[1] if flags & 1 else pos


def _exports(r: Reader, pos: int) -> list[str]:
    n, pos = r.uvarint(pos)
    names = []
    for _ in range(count(n, "wasm exports", 1 << 16)):
        name, pos = _name(r, pos)
        pos = r.uvarint(pos + 1)[1]
        names.append(name)
    return names


def _goos(f: Facts, exports: list[str]) -> None:
    mods = set(f.wasm_imports)
    if "gojs" in mods or "go" in mods:
        f.header_goos = "js"
        f.cite("header_goos", "wasm import module gojs")
    elif any(m.startswith("wasi_") for m in mods):
        f.header_goos = "wasip1"
        f.cite("header_goos", "wasm import module wasi_snapshot_preview1")
    if "_start" in exports:
        f.file_type = "WASI command" if f.header_goos == "wasip1" else "module with _start"


SEC_CODE = 10
SECTION_NAMES = {1: "type", 2: "import", 3: "function", 4: "table", 5: "memory", 6: "global", 7: "export",
                 8: "start", 9: "elem", 10: "code", 11: "data", 12: "datacount", 13: "tag"}


class WasmSection(NamedTuple):
    id: int
    name: str  # a custom section's own name, else the standard one ("code", "data")
    body: int  # file offset of its contents
    size: int


def sections(r: Reader) -> list[WasmSection]:
    """Every section, in file order (the module header was checked by inspect)."""
    return [WasmSection(sec_id, _section_name(r, sec_id, body), body, size) for sec_id, body, size in _headers(r)]


def _section_name(r: Reader, sec_id: int, body: int) -> str:
    return _name(r, body)[0] if sec_id == SEC_CUSTOM else SECTION_NAMES.get(sec_id, f"section {sec_id}")


def code_bodies(r: Reader, sec: WasmSection) -> list[tuple[int, int]]:
    """(file offset, bytes) of each function body of the code section, without its length prefix."""
    n, pos = r.uvarint(sec.body)
    out = []
    for _ in range(count(n, "wasm function bodies", 1 << 22)):
        size, pos = r.uvarint(pos)
        r.check(pos, size, "wasm function body")
        out.append((pos, size))
        pos += size
    return out


def data_segments(r: Reader, sec: WasmSection) -> list[tuple[int, int, int]]:
    """(memory address, file offset, bytes) of each active data segment (Go writes no passive ones)."""
    n, pos = r.uvarint(sec.body)
    out = []
    for _ in range(count(n, "wasm data segments", 1 << 22)):
        flags, pos = r.uvarint(pos)
        if flags == 2:
            pos = r.uvarint(pos)[1]  # memory index
        address = None
        if flags in (0, 2):
            if r.u8(pos) != 0x41:  # i32.const
                raise Corrupt(f"wasm data segment at {pos:#x} has an offset that is not a constant")
            address, pos = _sleb(r, pos + 1)
            if r.u8(pos) != 0x0B:
                raise Corrupt(f"wasm data segment offset at {pos:#x} does not end")
            pos += 1
        elif flags != 1:
            raise Corrupt(f"wasm data segment kind {flags} is unknown")
        size, pos = r.uvarint(pos)
        r.check(pos, size, "wasm data segment")
        if address is not None:
            out.append((address, pos, size))
        pos += size
    return out


def _sleb(r: Reader, pos: int) -> tuple[int, int]:
    value, end = r.uvarint(pos)
    bits = 7 * (end - pos)
    return (value - (1 << bits) if value & (1 << (bits - 1)) else value), end
