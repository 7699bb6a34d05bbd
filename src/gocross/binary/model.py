"""What `gocross inspect` knows about one file, as frozen dataclasses: the library's typed view.

The fields map one to one onto the JSON schema (``gocross.binary.jsonout``, docs/inspect.md); ``None`` always
means "the file does not say" (as opposed to ``False``/empty, which are facts). The readers produce the JSON
record; ``from_json`` builds these from it, and ``jsonout.to_json`` goes back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# typing.TYPE_CHECKING without importing typing (mypy honours any constant of this name; PEP 781 makes it a
# builtin). The modules `gocross inspect` loads do this where they need typing only for annotations. Two of
# them need it at run time (runners.base and variants define NamedTuples), so inspect pays for typing once:
# about 2.5 ms of a ~34 ms run over 42 files in a clean venv (benchmarks/bench_inspect.py); dataclasses,
# which it avoids, would cost more than twice that.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from gocross.binary.jsonout import EvidenceRecord, InfoRecord, ModuleRecord, RunsHereRecord


@dataclass(frozen=True)
class Module:
    """A module line of Go build info (``mod``/``dep``), with its ``=>`` replacement if any."""

    path: str
    version: str
    sum: str | None = None
    replace: Module | None = None

    @classmethod
    def from_json(cls, d: ModuleRecord) -> Module:
        replacement = d["replace"]
        return cls(d["path"], d["version"], d["sum"], cls.from_json(replacement) if replacement else None)


@dataclass(frozen=True)
class Evidence:
    """Where one fact came from, e.g. Evidence("goos", "build info GOOS=linux")."""

    fact: str
    source: str

    @classmethod
    def from_json(cls, d: EvidenceRecord) -> Evidence:
        return cls(d["fact"], d["source"])


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
    def from_json(cls, d: RunsHereRecord) -> RunsHere:
        kw: dict[str, Any] = dict(d)
        command, via_gocross = d["command"], d["gocross_command"]
        kw.update(command=tuple(command) if command is not None else None,
                  gocross_command=tuple(via_gocross) if via_gocross is not None else None)
        return cls(**kw)


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

    @classmethod
    def from_json(cls, d: InfoRecord) -> BinaryInfo:
        """The typed view of a JSON record (``jsonout.to_json`` is the way back)."""
        kw: dict[str, Any] = dict(d)
        main, verdict = d["main_module"], d["runs_here"]
        kw.update(
            main_module=Module.from_json(main) if main else None,
            deps=tuple(Module.from_json(m) for m in d["deps"]),
            needed_libs=tuple(d["needed_libs"]), wasm_imports=tuple(d["wasm_imports"]), notes=tuple(d["notes"]),
            slices=tuple(cls.from_json(s) for s in d["slices"]),
            evidence=tuple(Evidence.from_json(e) for e in d["evidence"]),
            runs_here=RunsHere.from_json(verdict) if verdict else None,
        )
        return cls(**kw)

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
