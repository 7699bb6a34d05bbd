"""The inspection schema: what `gocross inspect` knows about one file, declared once, as frozen dataclasses.

These classes ARE the schema. ``--json`` is derived from them (``to_json``: the fields in declaration order,
so the JSON key order is this file's order), the typed view is rebuilt from JSON by the same field list
(``from_json``), the format readers' scratch record (:mod:`gocross.binary.facts`) is checked against
``dataclasses.fields(BinaryInfo)``, and docs/inspect.md documents them field by field (a test checks the
record's keys against its tables). Adding a field is: declare it here, document it, compute it.

``None`` always means "the file does not say" (as opposed to ``False``/empty, which are facts). The codec is
generic over the field annotations: ``X | None``, ``tuple[X, ...]`` (a JSON list), ``Mapping[str, str]``
(a JSON object) and nested schema classes are handled once, below, for every class and every future field.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

Json = Any  # a value json.dumps accepts: dict, list, str, int, bool, None


@dataclass(frozen=True)
class Module:
    """A module line of Go build info (``mod``/``dep``), with its ``=>`` replacement if any."""

    path: str
    version: str
    sum: str | None = None
    replace: Module | None = None

    @classmethod
    def from_json(cls, d: Mapping[str, Json]) -> Module:
        return from_json(cls, d)


@dataclass(frozen=True)
class Evidence:
    """Where one fact came from, e.g. Evidence("goos", "build info GOOS=linux")."""

    fact: str
    source: str

    @classmethod
    def from_json(cls, d: Mapping[str, Json]) -> Evidence:
        return from_json(cls, d)


@dataclass(frozen=True)
class RunsHere:
    """Whether and how this host can run the binary.

    verdict: "native" (the kernel runs it), "emulated" (a runner gocross knows runs it), or "no".
    """

    verdict: str
    reason: str
    runner: str | None = None  # "native", "qemu-user", "node", "wasmtime", "wine" ...
    program: str | None = None  # the runner's executable, e.g. "qemu-aarch64-static"
    installed: bool = False
    install_hint: str | None = None
    command: tuple[str, ...] | None = None  # the raw command that runs it here
    env: Mapping[str, str] = field(default_factory=dict)  # environment the command needs (e.g. QEMU_CPU)
    gocross_command: tuple[str, ...] | None = None  # the same through gocross: ("gocross", "run", FILE)
    exec_format_error: str | None = None  # what "exec format error" means for this file, if it applies
    suggestion: str | None = None  # what to do instead when it cannot run here

    @classmethod
    def from_json(cls, d: Mapping[str, Json]) -> RunsHere:
        return from_json(cls, d)


@dataclass(frozen=True)
class BinaryInfo:
    """Everything the headers, Go build info and other evidence say about one file."""

    path: str
    size: int
    format: str  # "ELF", "Mach-O", "Mach-O universal", "PE", "wasm", "XCOFF", "plan9", "script", "data", "empty"
    description: str  # one line for people, e.g. "ELF 64-bit LSB executable, x86-64, Go go1.27.3"
    file_type: str | None = None  # "executable", "shared library", "object", ...
    bits: int | None = None
    endian: str | None = None  # "little" | "big"
    machine: str | None = None  # the header's own name for the CPU, e.g. "x86-64", "AArch64"
    goos: str | None = None
    goarch: str | None = None
    variant_var: str | None = None
    variant: str | None = None
    header_goos: str | None = None
    header_goarch: str | None = None
    disagreement: str | None = None  # set when headers and build info name different targets
    is_go: bool = False
    go_version: str | None = None
    go_version_range: str | None = None  # from the pclntab magic when there is no build info
    main_path: str | None = None
    main_module: Module | None = None
    deps: tuple[Module, ...] | None = None  # None: no build info was read (not "no dependencies")
    build_settings: Mapping[str, str] = field(default_factory=dict)
    go_build_id: str | None = None
    gnu_build_id: str | None = None
    macho_uuid: str | None = None
    linkage: str | None = None  # "static" | "dynamic" | "static-pie"
    interpreter: str | None = None
    needed_libs: tuple[str, ...] = ()
    pie: bool | None = None
    cgo: bool | None = None
    min_glibc: str | None = None
    min_os: str | None = None
    stripped: bool | None = None
    debug_info: bool | None = None
    wasm_imports: tuple[str, ...] = ()  # import module names of a wasm file
    slices: tuple[BinaryInfo, ...] = ()  # the architectures of a Mach-O universal file
    notes: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    runs_here: RunsHere | None = None

    @classmethod
    def from_json(cls, d: Mapping[str, Json]) -> BinaryInfo:
        """The typed view of a JSON record (``to_json`` is the way back)."""
        return from_json(cls, d)

    @property
    def target(self) -> str | None:
        """"goos/goarch", or None when either is unknown."""
        if self.goos and self.goarch:
            return f"{self.goos}/{self.goarch}"
        return None


@dataclass(frozen=True)
class InspectFailure:
    """A file among many that could not be inspected; ``message`` is the InspectError's sentence.

    Not part of the record schema: its JSON form is ``{"path", "error"}`` (see ``to_json``).
    """

    path: str
    message: str


SCHEMA_VERSION = 1  # docs/inspect.md "JSON schema (version 1, stable)": bump on an incompatible change

T = TypeVar("T")
_Convert = Callable[[Any], Any]


def to_json(info: Any) -> dict[str, Json]:
    """The JSON record of a schema object (fields in declaration order), or ``{"path", "error"}`` of a failure."""
    if isinstance(info, InspectFailure):
        return {"path": info.path, "error": info.message}
    return _encode(info)


def _encode(obj: Any) -> dict[str, Json]:
    # The hot loop of `--json` over many files: scalar fields (most of them) skip the call.
    return {name: value if enc is _same else enc(value)
            for name, enc, _dec in _codec(type(obj)) for value in (getattr(obj, name),)}


def from_json(cls: type[T], d: Mapping[str, Json]) -> T:
    """A schema object from its JSON record; every field's key must be present (the schema has no optional keys)."""
    return cls(**{name: dec(d[name]) for name, _enc, dec in _codec(cls)})


_CODECS: dict[type, tuple[tuple[str, _Convert, _Convert], ...]] = {}


def _codec(cls: type) -> tuple[tuple[str, _Convert, _Convert], ...]:
    """(field name, encoder, decoder) per field, from the resolved annotations: worked out once per class."""
    codec = _CODECS.get(cls)
    if codec is None:
        hints = typing.get_type_hints(cls)
        codec = _CODECS[cls] = tuple((f.name, *_converters(hints[f.name])) for f in dataclasses.fields(cls))
    return codec


def _same(value: Any) -> Any:
    return value


def _converters(tp: Any) -> tuple[_Convert, _Convert]:
    """(to JSON, from JSON) for one annotation; plain JSON scalars pass through unchanged."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _encode, functools.partial(from_json, tp)
    if origin in (types.UnionType, typing.Union):
        (inner,) = [a for a in args if a is not type(None)]  # the schema's only union is "X | None"
        enc, dec = _converters(inner)
        if enc is _same and dec is _same:
            return _same, _same
        return (lambda v: None if v is None else enc(v)), (lambda v: None if v is None else dec(v))
    if origin is tuple:
        enc, dec = _converters(args[0])
        if enc is _same:
            return list, tuple
        return (lambda v: [enc(x) for x in v]), (lambda v: tuple(dec(x) for x in v))
    if origin is Mapping or origin is dict:
        return dict, dict
    if tp in (str, int, bool, float):
        return _same, _same
    raise TypeError(f"the inspection schema has a field of type {tp!r}, which the JSON codec does not handle")
