"""From bytes to a BinaryInfo: recognise the format, let its module read the headers, add the Go facts.

The Go facts have one order of trust everywhere: build info (what the go command recorded), then the
pclntab (present in every Go binary, even stripped or pre-1.18 ones), then the format's headers. Each fact
records its source in ``evidence``, and a disagreement between headers and build info is reported.
"""

from __future__ import annotations

import re

from gocross.binary import buildinfo, elf, macho, pclntab, pe, plan9, wasm, xcoff
from gocross.binary.facts import Facts
from gocross.binary.model import BinaryInfo
from gocross.binary.reader import Corrupt, Reader
from gocross.variants import variable_for

_GO_BUILD_ID = b'\xff Go build ID: "'
_DATA_MAGICS = (
    (b"\xff\xd8\xff", "JPEG image data"),
    (b"\x89PNG\r\n\x1a\n", "PNG image data"),
    (b"GIF8", "GIF image data"),
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "Zip archive data"),
    (b"\x1f\x8b", "gzip compressed data"),
    (b"BZh", "bzip2 compressed data"),
    (b"\xfd7zXZ\x00", "XZ compressed data"),
    (b"!<arch>\n", "ar archive (static library)"),
    (b"\xca\xfe\xba\xbe", "Java class file"),
)
_PRINTABLE = re.compile(rb"[^\x00-\x08\x0e-\x1f\x7f]*")


def facts_for(r: Reader) -> Facts:
    """Recognise the format by its magic and read its headers (Corrupt if they lie outside the file)."""
    head = r.bytes(0, min(r.size, 16))
    if head.startswith(b"\x7fELF"):
        return elf.parse(r)
    if macho.endian_of(r) is not None:
        return macho.parse(r)
    if head.startswith(b"MZ") and (pe_off := pe.pe_offset(r)) is not None:
        return pe.parse(r, pe_off)
    if head.startswith(b"\0asm"):
        return wasm.parse(r)
    if xcoff.is_xcoff(r):
        return xcoff.parse(r)
    if plan9.is_plan9(r):
        return plan9.parse(r)
    return _other(r, head)


def _other(r: Reader, head: bytes) -> Facts:
    if head.startswith(b"#!"):
        line = r.bytes(0, min(r.size, 256)).split(b"\n", 1)[0][2:].strip().decode("utf-8", "replace")
        interp = line.split()[0] if line.split() else ""
        return Facts(format="script", file_type="script", interpreter=interp or None,
                     base_description=f"script for {line or 'an unnamed interpreter'}")
    if head.startswith(b"MZ"):
        return Facts(format="data", base_description="MS-DOS executable (not a Windows PE program)")
    for magic, what in _DATA_MAGICS:
        if head.startswith(magic):
            return Facts(format="data", base_description=what)
    sample = r.bytes(0, min(r.size, 512))
    if _PRINTABLE.fullmatch(sample):
        return Facts(format="data", base_description="text")
    return Facts(format="data", base_description="data")


def go_facts(r: Reader, f: Facts, path: str, size: int) -> BinaryInfo:
    """Add build info, pclntab and build-ID evidence to the header facts: the file's record."""
    executable_format = f.format in ("ELF", "Mach-O", "PE", "XCOFF", "plan9", "wasm")
    # Last resort, a scan of the whole file (wasm has no build info blob, only the bare modinfo text).
    whole = [f.scan_range or (0, r.size)] if executable_format and f.format != "wasm" else []
    ranges = [*f.buildinfo_ranges, *whole]
    bi = buildinfo.find(r, ranges, f.addr_map) if ranges else None
    if f.format == "wasm" and f.scan_range and f.go_version:
        bi = buildinfo.find_modinfo(r, *f.scan_range, f.go_version)
    settings = bi.settings if bi else {}
    if bi is not None and f.format != "wasm":  # wasm: the version is the producers section's
        f.cite("go_version", "Go build info" + (" (pointer form, Go < 1.18)" if bi.pointer_form else ""))
    tab = _pclntab(r, f, bi) if executable_format else None
    if f.go_build_id is None and f.text_range is not None:
        _text_build_id(r, f)
    _cgo(r, f, settings, tab)
    is_go = bi is not None or tab is not None or f.go_build_id is not None or f.go_version is not None
    goos, goarch = _target(r, f, settings, tab)
    variant_var = variable_for(goarch)
    variant = settings.get(variant_var) if variant_var else None
    if variant_var and variant:
        f.cite("variant", f"Go build info {variant_var}={variant}")
    go_version = bi.go_version if bi else f.go_version
    go_version_range = tab.version_range if tab is not None and go_version is None else None
    target = f"{goos}/{goarch}{f' ({variant_var}={variant})' if variant else ''}" if goos and goarch else None
    return BinaryInfo(
        path=path, size=size, description=describe(f, is_go, go_version or go_version_range, target),
        goos=goos, goarch=goarch, variant_var=variant_var if variant else None, variant=variant or None,
        disagreement=_disagreement(f, settings), is_go=is_go, go_version=go_version,
        go_version_range=go_version_range, main_path=bi.main_path if bi else None,
        main_module=bi.main_module if bi else None, deps=tuple(bi.deps) if bi else None, build_settings=settings,
        **f.schema_values(),
    )


def _pclntab(r: Reader, f: Facts, bi: buildinfo.BuildInfo | None) -> pclntab.Pclntab | None:
    """The pclntab, when it is needed (no build info, or cgo still undecided) or cheap (a named section)."""
    tab = None
    if f.pclntab_range is not None:
        off, size = f.pclntab_range
        tab = pclntab.at(r, off, off + size)
    needed = bi is None or (f.symbol_strings is None and bi.settings.get("CGO_ENABLED") != "0")
    if tab is None and needed:
        start, size = f.scan_range or (0, r.size)
        tab = pclntab.search(r, start, start + size, f.endian)
    if tab is not None and bi is None:
        f.cite("go_version_range", f"pclntab magic {tab.magic_hex}")
    return tab


def _text_build_id(r: Reader, f: Facts) -> None:
    """Mach-O/PE/XCOFF/plan9: the Go build ID is a quoted string at the very start of the text."""
    assert f.text_range is not None
    start, size = f.text_range
    hit = r.find(_GO_BUILD_ID, start, start + min(size, 4096))
    if hit < 0:
        return
    pos = hit + len(_GO_BUILD_ID)
    end = r.find(b'"', pos, pos + 512)
    if end > pos:
        f.go_build_id = r.bytes(pos, end - pos).decode("utf-8", "replace")
        f.cite("go_build_id", "Go build ID string at the start of the text section")


def _cgo(r: Reader, f: Facts, settings: dict[str, str], tab: pclntab.Pclntab | None) -> None:
    if f.cgo is not None:  # the format already settled it
        return
    if settings.get("CGO_ENABLED") == "0":
        f.cgo = False
        f.cite("cgo", "Go build info CGO_ENABLED=0")
    elif f.symbol_strings is not None:
        off, size = f.symbol_strings
        f.cgo = r.find(b"\0x_cgo_init\0", off, off + size) >= 0
        f.cite("cgo", "symbol table (x_cgo_init)")
    elif tab is not None:
        f.cgo = pclntab.links_cgo(r, tab)
        f.cite("cgo", "pclntab file table (runtime/cgo)")


def _target(r: Reader, f: Facts, settings: dict[str, str],
            tab: pclntab.Pclntab | None) -> tuple[str | None, str | None]:
    goos, goarch = settings.get("GOOS"), settings.get("GOARCH")
    if goos and goarch:
        f.cite("goos/goarch", f"Go build info GOOS={goos} GOARCH={goarch}")
        return goos, goarch
    if tab is not None and (rt0 := pclntab.rt0_target(r, tab)) is not None:
        f.cite("goos/goarch", f"pclntab file runtime/rt0_{rt0[0]}_{rt0[1]}.s")
        return rt0
    if f.header_goos or f.header_goarch:
        f.cite("goos/goarch", f"{f.format} headers")
    return f.header_goos, f.header_goarch


def _disagreement(f: Facts, settings: dict[str, str]) -> str | None:
    goos, goarch = settings.get("GOOS"), settings.get("GOARCH")
    parts = []
    if goos and f.header_goos and goos != f.header_goos and goos not in f.header_goos_options:
        parts.append(f"the {f.format} headers say {f.header_goos} but Go build info says GOOS={goos}")
    if goarch and f.header_goarch and goarch != f.header_goarch:
        parts.append(f"the {f.format} headers say {f.header_goarch} but Go build info says GOARCH={goarch}")
    return "; ".join(parts) or None


def describe(f: Facts, is_go: bool, go_version: str | None, target: str | None) -> str:
    """One line for people, in the spirit of file(1): the header facts, then the Go version and target."""
    fmt = f.format
    if f.base_description and fmt in ("data", "script", "empty"):
        return f"{f.base_description} — not a Go binary"
    head = fmt
    if f.bits and fmt != "wasm":
        head += f" {f.bits}-bit"
    if f.endian and fmt != "wasm":
        head += " LSB" if f.endian == "little" else " MSB"
    if f.file_type:
        head += f" {f.file_type}"
    parts = [head]
    if f.machine:
        parts.append(f.machine)
    if f.linkage:
        parts.append("static-pie linked" if f.linkage == "static-pie" else f"{f.linkage}ally linked")
    if not is_go:
        return ", ".join([*parts, "not a Go binary"])
    parts.append(f"Go {go_version or 'unknown version'}")
    if target:
        parts.append(target)
    return ", ".join(parts)


def slice_view(buf: memoryview, off: int, size: int) -> memoryview:
    """One slice of a universal file (the caller releases it; offsets in it are relative to the slice)."""
    if off < 0 or size <= 0 or off + size > len(buf):
        raise Corrupt("a universal slice lies beyond the end of the file")
    return buf[off : off + size]
