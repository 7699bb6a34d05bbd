"""Runners: how a binary for some GOOS/GOARCH/variant runs on this host, chosen from one dispatch table.

Each runner is one module here exposing ``RUNNER`` (see :class:`gocross.runners.base.Runner`); the table maps every
(GOOS, GOARCH) to the runners that may handle it, in order of preference, and the variant (GOARM, GOAMD64,
GOPPC64, ... spelled as ``go env`` spells it) picks the CPU model. Adding a runner (wine) = one new module
plus one name in ``_RUNNER_MODULES``.
"""

from __future__ import annotations

import functools
import importlib

from gocross.platforms import foreign_reason
from gocross.runners.base import Runner, RunnerChoice, RunnerStatus

# Runner modules under gocross.runners, in order of preference when two cover the same target.
_RUNNER_MODULES: tuple[str, ...] = ("native", "qemu", "node", "wasi", "wine")


@functools.cache
def runners() -> tuple[Runner, ...]:
    """Every registered runner, loaded once."""
    loaded: list[Runner] = []
    for name in _RUNNER_MODULES:
        module = importlib.import_module(f"gocross.runners.{name}")
        loaded.append(module.RUNNER)
    return tuple(loaded)


@functools.cache
def registry() -> dict[tuple[str, str], tuple[Runner, ...]]:
    """The dispatch table: (GOOS, GOARCH) -> the runners that may run it here, best first."""
    table: dict[tuple[str, str], list[Runner]] = {}
    for runner in runners():
        for target in runner.targets():
            table.setdefault(target, []).append(runner)
    return {target: tuple(found) for target, found in table.items()}


def choose_runner(goos: str, goarch: str, variant: str | None = None) -> RunnerChoice | None:
    """The runner for a target on this host, or None when nothing here can run it.

    A choice is returned even when its program is not installed (``installed=False`` with the install
    command in ``install_hint``): "install qemu" and "cannot run here" are different answers.
    """
    for runner in registry().get((goos, goarch), ()):
        choice = runner.choose(goos, goarch, variant)
        if choice is not None:
            return choice
    return None


def why_no_runner(goos: str, goarch: str, variant: str | None = None) -> str:
    """Plain-words reason no runner can run this target here (for "cannot run here" messages)."""
    candidates = registry().get((goos, goarch), ())
    if candidates:
        return candidates[0].why_not(goos, goarch, variant)
    reason = foreign_reason(goos)
    if reason is not None:
        return reason
    return f"no runner for {goos}/{goarch} on this host"


def runner_kind(goos: str, goarch: str) -> str:
    """How the target runs here, as a column value: "native", "qemu", "node", "wasmtime" or "no"."""
    choice = choose_runner(goos, goarch, None)
    return choice.kind if choice is not None else "no"


def prepare_runner(choice: RunnerChoice, goos: str, goarch: str) -> None:
    """Let the chosen runner get ready before its first run (wine: gocross's prefix), in this process.

    Runners without a ``prepare`` method need nothing. Raises the runner's GocrossError when it cannot be
    made ready (the run is then "could not run").
    """
    for runner in registry().get((goos, goarch), ()):
        if runner.name == choice.name:
            prepare = getattr(runner, "prepare", None)
            if prepare is not None:
                prepare(goos, goarch)
            return


def statuses() -> list[RunnerStatus]:
    """Each runner's installed state and coverage (for ``gocross doctor``)."""
    return [runner.status() for runner in runners()]


__all__ = [
    "Runner",
    "RunnerChoice",
    "RunnerStatus",
    "choose_runner",
    "prepare_runner",
    "registry",
    "runner_kind",
    "runners",
    "statuses",
    "why_no_runner",
]
