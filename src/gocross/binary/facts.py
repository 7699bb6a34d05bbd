"""The scratch record a format reader fills in, one per file; ``assemble`` turns it into a ``BinaryInfo``.

Two kinds of field, kept apart on purpose:

* schema fields — facts the headers state, named and typed exactly as the ``BinaryInfo`` field they become
  (``machine``, ``linkage``, ``needed_libs`` ...). They are not a second schema: ``_check_schema_fields``
  compares each with ``dataclasses.fields(BinaryInfo)`` when this module is imported, so a rename or a type
  change in the schema fails at once, and ``schema_values`` hands them to ``BinaryInfo`` by name. A reader
  that learns a new fact adds its field here; everything else (JSON, ``from_json``) follows from the schema.
* reader hints (``READER_HINTS``) — where to look next, for ``assemble`` only; never part of the record.

Mutable because the readers fill it in step by step, and read back what they set (``f.interpreter``).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from gocross.binary.model import BinaryInfo, Evidence
from gocross.binary.reader import AddressMap

Range = tuple[int, int]  # (file offset, size)

READER_HINTS = frozenset({
    "base_description", "header_goos_options", "buildinfo_ranges", "pclntab_range", "scan_range", "text_range",
    "symbol_strings", "addr_map",
})
_ACCUMULATED = frozenset({"notes", "evidence"})  # lists while reading, the schema's tuples in the record


@dataclass(slots=True)
class Facts:
    """What the headers say, plus where to look for the Go facts; read by ``assemble.go_facts``."""

    format: str
    # Schema fields (see the module docstring): the same names and types as in BinaryInfo.
    file_type: str | None = None
    bits: int | None = None
    endian: str | None = None
    machine: str | None = None
    header_goos: str | None = None
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
    go_version: str | None = None  # from a non-buildinfo source (wasm producers); build info wins
    wasm_imports: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    # Reader hints.
    base_description: str | None = None  # what a non-program is ("PNG image data"); assemble adds the Go facts
    header_goos_options: tuple[str, ...] = ()  # other GOOS values the headers cannot rule out
    buildinfo_ranges: list[Range] = field(default_factory=list)  # where Go build info may live, best first
    pclntab_range: Range | None = None
    scan_range: Range | None = None  # where to look for pclntab without a section (default: all)
    text_range: Range | None = None  # where a Go build ID string sits at the start (non-ELF)
    symbol_strings: Range | None = None  # a string table to search for cgo symbols
    addr_map: AddressMap | None = None  # virtual address -> file offset, for pointer-form build info

    def cite(self, fact: str, source: str) -> None:
        self.evidence.append(Evidence(fact, source))

    def schema_values(self) -> dict[str, Any]:
        """The schema fields, as ``BinaryInfo`` keyword arguments (the go_version of build info wins: not here)."""
        values = {name: getattr(self, name) for name in _SCHEMA_FIELDS}
        values["notes"], values["evidence"] = tuple(self.notes), tuple(self.evidence)
        return values


def _check_schema_fields() -> tuple[str, ...]:
    """Every field of Facts is a reader hint or a BinaryInfo field of the same type; return the latter."""
    ours, schema = typing.get_type_hints(Facts), typing.get_type_hints(BinaryInfo)
    names = []
    for f in dataclasses.fields(Facts):
        if f.name in READER_HINTS:
            continue
        if f.name not in schema:
            raise TypeError(f"Facts.{f.name} is neither a BinaryInfo field nor a reader hint")
        want = schema[f.name]
        if f.name in _ACCUMULATED:
            want = types.GenericAlias(list, typing.get_args(want)[:1])  # tuple[X, ...] -> list[X]
        if ours[f.name] != want:
            raise TypeError(f"Facts.{f.name} is {ours[f.name]}, but BinaryInfo.{f.name} is {schema[f.name]}")
        names.append(f.name)
    return tuple(n for n in names if n not in _ACCUMULATED and n != "go_version")


_SCHEMA_FIELDS = _check_schema_fields()
