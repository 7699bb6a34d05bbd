"""The stable JSON form of a BinaryInfo (documented field by field in docs/inspect.md).

Written out explicitly rather than with ``dataclasses.asdict`` so that the schema is a decision, not a side
effect of renaming a Python attribute; every key is always present (``null`` when the file does not say).
"""

from __future__ import annotations

from gocross.binary.model import BinaryInfo, InspectFailure, Module, RunsHere

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing: see gocross.binary.model
if TYPE_CHECKING:
    from typing import Any

SCHEMA_VERSION = 1


def to_json(info: BinaryInfo | InspectFailure) -> dict[str, Any]:
    """A JSON-ready dict for one inspected file (or a failure: {"path", "error"})."""
    if isinstance(info, InspectFailure):
        return {"path": info.path, "error": info.message}
    return {
        "path": info.path,
        "size": info.size,
        "format": info.format,
        "description": info.description,
        "file_type": info.file_type,
        "bits": info.bits,
        "endian": info.endian,
        "machine": info.machine,
        "goos": info.goos,
        "goarch": info.goarch,
        "variant_var": info.variant_var,
        "variant": info.variant,
        "header_goos": info.header_goos,
        "header_goarch": info.header_goarch,
        "disagreement": info.disagreement,
        "is_go": info.is_go,
        "go_version": info.go_version,
        "go_version_range": info.go_version_range,
        "main_path": info.main_path,
        "main_module": _module(info.main_module),
        "deps": [_module(m) for m in info.deps],
        "build_settings": dict(info.build_settings),
        "go_build_id": info.go_build_id,
        "gnu_build_id": info.gnu_build_id,
        "macho_uuid": info.macho_uuid,
        "linkage": info.linkage,
        "interpreter": info.interpreter,
        "needed_libs": list(info.needed_libs),
        "pie": info.pie,
        "cgo": info.cgo,
        "min_glibc": info.min_glibc,
        "min_os": info.min_os,
        "stripped": info.stripped,
        "debug_info": info.debug_info,
        "wasm_imports": list(info.wasm_imports),
        "slices": [to_json(s) for s in info.slices],
        "notes": list(info.notes),
        "evidence": [{"fact": e.fact, "source": e.source} for e in info.evidence],
        "runs_here": _runs_here(info.runs_here),
    }


def _module(m: Module | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {"path": m.path, "version": m.version, "sum": m.sum, "replace": _module(m.replace)}


def _runs_here(v: RunsHere | None) -> dict[str, Any] | None:
    if v is None:
        return None
    return {
        "verdict": v.verdict,
        "reason": v.reason,
        "runner": v.runner,
        "program": v.program,
        "installed": v.installed,
        "install_hint": v.install_hint,
        "env": dict(v.env),
        "command": list(v.command) if v.command is not None else None,
        "gocross_command": list(v.gocross_command) if v.gocross_command is not None else None,
        "exec_format_error": v.exec_format_error,
        "suggestion": v.suggestion,
    }
