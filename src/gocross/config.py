"""``gocross.toml``: the project's build matrix and defaults, read from beside ``go.mod``.

Everything in it can also be said on the command line, and the command line wins. Unknown keys are an error
rather than silently ignored, because a misspelt ``target = [...]`` would otherwise build the default set.

    targets = ["linux/amd64", "linux/arm64", "testing"]
    name = "{name}_{os}_{arch}{variant}{ext}"
    out = "dist"
    ldflags = "-X main.channel=stable"
    tags = ["netgo"]
    trimpath = true
    strip = false
    cgo = false
    jobs = 2

    [sets]
    testing = ["linux/amd64", "linux/arm64", "linux/ppc64le", "linux/ppc64", "linux/s390x"]
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gocross.errors import ConfigError
from gocross.safefs import quoted

CONFIG_NAME = "gocross.toml"

_TYPES: dict[str, type | tuple[type, ...]] = {
    "targets": list, "sets": dict, "name": str, "out": str, "ldflags": str, "tags": (list, str),
    "trimpath": bool, "strip": bool, "cgo": bool, "jobs": int,
}


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    targets: tuple[str, ...] = ()
    sets: dict[str, tuple[str, ...]] = field(default_factory=dict)
    name: str | None = None
    out: str | None = None
    ldflags: str | None = None
    tags: tuple[str, ...] | None = None
    trimpath: bool | None = None
    strip: bool | None = None
    cgo: bool | None = None
    jobs: int | None = None


def module_root(start: Path) -> Path | None:
    """The directory holding the go.mod that governs ``start`` (Go's own rule: nearest one upward)."""
    for directory in (start, *start.parents):
        if (directory / "go.mod").is_file():
            return directory
    return None


def load_config(package_dir: Path) -> Config:
    """Read gocross.toml next to the module's go.mod (or in the package dir); no file → empty Config."""
    root = module_root(package_dir) or package_dir
    for directory in dict.fromkeys([package_dir, root]):
        path = directory / CONFIG_NAME
        if path.is_file():
            return _parse(path)
    return Config()


def _parse(path: Path) -> Config:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path} cannot be read as TOML ({exc}); fix the file or remove it.") from None
    for key, value in data.items():
        expected = _TYPES.get(key)
        if expected is None:
            raise ConfigError(f"{path}: unknown key {quoted(key)}; known keys are {', '.join(_TYPES)}.")
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(f"{path}: {key!r} has the wrong type ({type(value).__name__}); see the README.")
    if "jobs" in data and data["jobs"] < 1:
        raise ConfigError(f"{path}: 'jobs' is {data['jobs']}; it must be 1 or more.")
    sets = {str(k): _strings(path, f"sets.{quoted(k)}", v) for k, v in data.get("sets", {}).items()}
    tags = data.get("tags")
    return Config(
        path=path,
        targets=_strings(path, "targets", data.get("targets", [])),
        sets=sets,
        name=data.get("name"),
        out=data.get("out"),
        ldflags=data.get("ldflags"),
        tags=None if tags is None else _strings(path, "tags", tags.split(",") if isinstance(tags, str) else tags),
        trimpath=data.get("trimpath"),
        strip=data.get("strip"),
        cgo=data.get("cgo"),
        jobs=data.get("jobs"),
    )


def _strings(path: Path, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{path}: {key!r} must be a list of strings.")
    return tuple(value)
