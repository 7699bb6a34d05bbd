"""The stable JSON form of an inspection (documented field by field in docs/inspect.md).

The schema is declared once, as the TypedDicts below, and ``gocross.binary.assemble`` builds these records
directly: ``gocross inspect --json`` prints them without ever creating a dataclass, which keeps
``dataclasses`` (and the ``inspect``/``ast``/``dis`` modules it imports) out of the command's start-up.
The frozen dataclasses of :mod:`gocross.binary.model` are the typed view of the same records for library
users (``BinaryInfo.from_json``); ``to_json`` goes back. The field names of both are the schema's keys, and
the tests check the round trip on every binary of the corpus.

The TypedDicts exist for mypy only (at run time a record is a plain dict): defining them would import typing.
"""

from __future__ import annotations

from collections.abc import Mapping

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing: see gocross.binary.model
if TYPE_CHECKING:
    from typing import Any, TypedDict

    from gocross.binary.model import BinaryInfo, InspectFailure

    class ModuleRecord(TypedDict):
        path: str
        version: str
        sum: str | None
        replace: ModuleRecord | None

    class EvidenceRecord(TypedDict):
        fact: str
        source: str

    class RunsHereRecord(TypedDict):
        verdict: str
        reason: str
        runner: str | None
        program: str | None
        installed: bool
        install_hint: str | None
        command: list[str] | None
        env: dict[str, str]
        gocross_command: list[str] | None
        exec_format_error: str | None
        suggestion: str | None

    class InfoRecord(TypedDict):
        path: str
        size: int
        format: str
        description: str
        file_type: str | None
        bits: int | None
        endian: str | None
        machine: str | None
        goos: str | None
        goarch: str | None
        variant_var: str | None
        variant: str | None
        header_goos: str | None
        header_goarch: str | None
        disagreement: str | None
        is_go: bool
        go_version: str | None
        go_version_range: str | None
        main_path: str | None
        main_module: ModuleRecord | None
        deps: list[ModuleRecord]
        build_settings: dict[str, str]
        go_build_id: str | None
        gnu_build_id: str | None
        macho_uuid: str | None
        linkage: str | None
        interpreter: str | None
        needed_libs: list[str]
        pie: bool | None
        cgo: bool | None
        min_glibc: str | None
        min_os: str | None
        stripped: bool | None
        debug_info: bool | None
        wasm_imports: list[str]
        slices: list[InfoRecord]
        notes: list[str]
        evidence: list[EvidenceRecord]
        runs_here: RunsHereRecord | None

    class FailureRecord(TypedDict):
        path: str
        error: str

SCHEMA_VERSION = 1


def to_json(info: BinaryInfo | InspectFailure) -> dict[str, Any]:
    """The JSON record of an inspected file (or of a failure: {"path", "error"})."""
    from gocross.binary.model import InspectFailure

    if isinstance(info, InspectFailure):
        return {"path": info.path, "error": info.message}
    plain = _plain(info)
    assert isinstance(plain, dict)
    return plain


def _plain(value: object) -> object:
    """A model dataclass as JSON values: fields in declaration order, tuples as lists, mappings as dicts."""
    fields = getattr(value, "__dataclass_fields__", None)
    if fields is not None:
        return {name: _plain(getattr(value, name)) for name in fields}
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    return value
