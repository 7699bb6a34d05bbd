"""The wine runner for windows/amd64 and windows/386: ``python -m gocross.wine.child GOARCH PROG.exe ARGS``.

The child (``gocross.wine.child``) readies gocross's own prefix on first use and then runs wine, passing the
program's exit status and output through. Choosing only looks at files: windows/386 is offered as installed
only when wine's 32-bit half is there (wine64 alone exits 0 silently on a 386 program), and the prefix's own
check runs a 32-bit program before the first 386 run. The start-up of wine (wineserver and its services,
1-4 s cold, ~0.2 s with a wineserver already up) is what the timeout factor is for.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from gocross.platforms import ARCHES, arch
from gocross.runners.base import RunnerChoice, RunnerStatus
from gocross.runners.native import host_goarch

WINE_TIMEOUT_FACTOR = 3.0
_CHILD = "gocross.wine.child"


def _goarches() -> list[str]:
    """The Windows architectures wine can run on this host: x86 ones, on an x86-64 host."""
    if host_goarch() != "amd64":
        return []
    return [a.goarch for a in ARCHES.values() if a.wine is not None]


class WineRunner:
    """wine, with gocross's own prefix and, where this wine lacks it, the ProcessPrng shim."""

    name = "wine"
    kind = "wine"

    def targets(self) -> Iterable[tuple[str, str]]:
        return [("windows", goarch) for goarch in _goarches()]

    def choose(self, goos: str, goarch: str, variant: str | None) -> RunnerChoice | None:
        from gocross.wine.install import find_half
        from gocross.wine.prefix import prefix_dir, wine_env

        record = arch(goarch)
        if goos != "windows" or goarch not in _goarches() or record is None or record.wine is None:
            return None
        half = find_half(record.wine)
        return RunnerChoice(
            name="wine",
            program=record.wine,
            installed=half.installed,
            install_hint=None if half.installed else half.install_hint,
            env=wine_env(prefix_dir()),
            prefix=(sys.executable, "-m", _CHILD, goarch),
            timeout_factor=WINE_TIMEOUT_FACTOR,
            note=f"{half.launcher or record.wine}, gocross's prefix",
        )

    def prepare(self, goos: str, goarch: str) -> None:
        """Ready gocross's prefix in this process, so its one-time creation shows progress here."""
        from gocross.log import logger
        from gocross.wine.prefix import ensure_prefix

        ensure_prefix(goarch, progress=logger.warning)  # each run's child starts the shared wineserver

    def why_not(self, goos: str, goarch: str, variant: str | None) -> str:
        return f"wine runs windows/amd64 and windows/386 only, not {goos}/{goarch}"

    def status(self) -> RunnerStatus:
        from gocross.wine.install import find_half, wine_version, wineserver
        from gocross.wine.prefix import has_prng, prefix_dir

        halves = {goarch: find_half(record.wine) for goarch in _goarches()
                  if (record := arch(goarch)) is not None and record.wine is not None}
        programs: dict[str, str | None] = {h.half: h.launcher for h in halves.values()}
        programs["wineserver"] = wineserver()
        found = [h for h in halves.values() if h.installed]
        version = wine_version(found[0].launcher) if found and found[0].launcher else None
        missing = [h for h in halves.values() if not h.installed]
        details = []
        if found:
            prng = ("ProcessPrng: native" if has_prng(found[0].half)
                    else "ProcessPrng: gocross's shim (this wine has none; built at first use)")
            details.append(prng)
        if halves:
            bits = [f"windows/{g}: {'yes' if h.installed else 'no'}" for g, h in halves.items()]
            details.append(", ".join(bits))
            details.append(f"prefix {prefix_dir()}")
        return RunnerStatus(
            name="wine",
            covers=tuple(f"windows/{g}" for g in halves),
            installed=bool(halves) and not missing,
            programs=programs,
            version=version,
            install_hint=" && ".join(dict.fromkeys(h.install_hint for h in missing)) if missing else None,
            detail="; ".join(details) or None,
        )


RUNNER = WineRunner()
