"""What ``gocross doctor`` reports per runner (only doctor needs it, so the verdict path never loads it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RunnerStatus:
    """What ``gocross doctor`` says about one runner: what it covers and whether it is ready."""

    name: str
    covers: tuple[str, ...]  # "linux/arm64", ...
    installed: bool
    programs: Mapping[str, str | None] = field(default_factory=dict, hash=False)  # program -> path or None
    version: str | None = None
    install_hint: str | None = None
    detail: str | None = None
