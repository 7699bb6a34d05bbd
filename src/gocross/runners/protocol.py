"""The interface every runner module's ``RUNNER`` implements.

Kept apart from gocross.runners.base because defining a Protocol imports typing, which `gocross inspect`
(which loads the runners to give its verdict) does not otherwise need.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from gocross.runners.base import RunnerChoice
from gocross.runners.status import RunnerStatus


class Runner(Protocol):
    """One way of running binaries here. A new runner (e.g. wine) is one module exposing ``RUNNER``."""

    name: str
    kind: str

    def targets(self) -> Iterable[tuple[str, str]]:
        """The (GOOS, GOARCH) pairs this runner may handle on this host."""
        ...

    def choose(self, goos: str, goarch: str, variant: str | None) -> RunnerChoice | None:
        """The runner for this target and variant, or None when this runner cannot run it here."""
        ...

    def why_not(self, goos: str, goarch: str, variant: str | None) -> str:
        """Plain-words reason ``choose`` returned None."""
        ...

    def status(self) -> RunnerStatus:
        """Installed state and coverage, for ``gocross doctor``."""
        ...
