"""What `gocross inspect` knows about one file: immutable records, built once per file.

The fields map one to one onto the JSON schema in docs/inspect.md; ``None`` always means "the file does not
say" (as opposed to ``False``/empty, which are facts). Format modules fill a ``Facts`` scratch record, and
``gocross.binary`` freezes it into a ``BinaryInfo`` once every source of evidence has been consulted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# typing.TYPE_CHECKING without importing typing (mypy honours any constant of this name; PEP 781 makes it a
# builtin). The modules `gocross inspect --json` loads do this: typing is 1.5 ms of a ~45 ms run in a clean
# venv (benchmarks/bench_inspect.py), and they need it only for annotations.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


@dataclass(frozen=True)
class Module:
    """A module line of Go build info (``mod``/``dep``), with its ``=>`` replacement if any."""

    path: str
    version: str
    sum: str | None = None
    replace: Module | None = None


@dataclass(frozen=True)
class Evidence:
    """Where one fact came from, e.g. Evidence("goos", "build info GOOS=linux")."""

    fact: str
    source: str


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
    deps: tuple[Module, ...] = ()
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

    @property
    def target(self) -> str | None:
        """"goos/goarch", or None when either is unknown."""
        if self.goos and self.goarch:
            return f"{self.goos}/{self.goarch}"
        return None


@dataclass(frozen=True)
class InspectFailure:
    """A file among many that could not be inspected; ``message`` is the InspectError's sentence."""

    path: str
    message: str


class Facts:
    """Mutable scratch record the format readers fill in; frozen into BinaryInfo at the end.

    A plain class rather than a dataclass: ``gocross inspect FILE`` is a short-lived process, and
    generating a dataclass's methods at import time is a measurable part of its start-up.
    """

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
        self.slices: list[BinaryInfo] = []
        self.notes: list[str] = []
        self.evidence: list[Evidence] = []
        for name, value in fields.items():
            if not hasattr(Facts, name):
                raise TypeError(f"Facts has no field {name!r}")
            setattr(self, name, value)

    def cite(self, fact: str, source: str) -> None:
        self.evidence.append(Evidence(fact, source))
