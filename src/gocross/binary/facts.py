"""The scratch record the format readers fill in, one per file; ``assemble`` turns it into the JSON record.

A plain class rather than a dataclass: ``gocross inspect FILE`` is a short-lived process, and importing
``dataclasses`` (it imports ``inspect``, ``ast`` and ``dis``) or generating a dataclass's methods is a
measurable part of its start-up (benchmarks/bench_inspect.py).
"""

from __future__ import annotations

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing: see gocross.binary.model
if TYPE_CHECKING:
    from typing import Any

    from gocross.binary.jsonout import EvidenceRecord


class Facts:
    """What the headers say, plus where to look for the Go facts; read by ``assemble.go_facts``."""

    file_type: str | None = None
    bits: int | None = None
    endian: str | None = None
    machine: str | None = None
    header_goos: str | None = None
    header_goos_options: tuple[str, ...] = ()  # other GOOS values the headers cannot rule out
    header_goarch: str | None = None
    go_build_id: str | None = None
    gnu_build_id: str | None = None
    macho_uuid: str | None = None
    linkage: str | None = None
    interpreter: str | None = None
    needed_libs: tuple[str, ...] = ()
    pie: bool | None = None
    cgo: bool | None = None
    min_glibc: str | None = None
    min_os: str | None = None
    stripped: bool | None = None
    debug_info: bool | None = None
    go_version: str | None = None  # from a non-buildinfo source (wasm producers)
    wasm_imports: tuple[str, ...] = ()
    description: str | None = None
    pclntab_range: tuple[int, int] | None = None
    scan_range: tuple[int, int] | None = None  # where to look for pclntab without a section (default: all)
    text_range: tuple[int, int] | None = None  # where a Go build ID string sits at the start (non-ELF)
    symbol_strings: tuple[int, int] | None = None  # a string table to search for cgo symbols
    addr_map: object | None = None  # reader.AddressMap for pointer-form build info

    def __init__(self, format: str, **fields: Any) -> None:
        self.format = format
        # Where Go build info may live: (file offset, size) ranges to search, best first.
        self.buildinfo_ranges: list[tuple[int, int]] = []
        self.notes: list[str] = []
        self.evidence: list[EvidenceRecord] = []
        for name, value in fields.items():
            if not hasattr(Facts, name):
                raise TypeError(f"Facts has no field {name!r}")
            setattr(self, name, value)

    def cite(self, fact: str, source: str) -> None:
        self.evidence.append({"fact": fact, "source": source})
