"""WebAssembly modules: sections, import modules, and Go's custom sections.

Go writes no build info blob into wasm (``go version -m`` cannot read one), so the evidence is: the custom
section ``go:buildid`` (the Go build ID), ``producers`` (language "Go" and its version), the import module
names — ``gojs`` for js/wasm, ``wasi_snapshot_preview1`` for wasip1/wasm — and, in the data segments
(``scan_range``), the bare modinfo text runtime/debug reads (``buildinfo.find_modinfo``: path, modules with
their replacements, build settings). An exported ``_start`` makes it a WASI command.
"""

from __future__ import annotations

import re

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
    pos = 8
    for _ in range(_MAX_SECTIONS):
        if pos >= r.size:
            break
        sec_id = r.u8(pos)
        size, body = r.uvarint(pos + 1)
        r.check(body, size, f"wasm section {sec_id}")
        if sec_id == SEC_CUSTOM:
            if size == 0:  # a custom section starts with its name: zeros (a sparse tail) are no sections
                raise Corrupt(f"wasm custom section at {pos:#x} is empty (not even a name)")
            _custom(r, f, body, body + size)
        elif sec_id == SEC_IMPORT:
            imports = _imports(r, body)
        elif sec_id == SEC_EXPORT:
            exports = _exports(r, body)
        elif sec_id == SEC_DATA:
            f.scan_range = (body, size)  # Go's rodata, pclntab included, is in the data segments
        pos = body + size
    f.scan_range = f.scan_range or (0, min(pos, r.size))  # no data section: what the sections claim
    f.wasm_imports = tuple(dict.fromkeys(imports))
    _goos(f, exports)
    return f


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
