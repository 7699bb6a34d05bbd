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
    libc = "gnu"        # with cgo: "gnu" (glibc, dynamic) or "musl" (static)
    glibc = "2.17"      # with cgo and gnu: the newest glibc the binaries may need
    jobs = 2
    cache = "http://cache.internal:8080"  # a shared Go build cache (gocross.cacheprog); "off" turns it off

    [sets]
    testing = ["linux/amd64", "linux/arm64", "linux/ppc64le", "linux/ppc64", "linux/s390x"]

    [release]                      # `gocross release`; every key optional
    name = "{name}_{version}_{os}_{arch}{variant}"
    formats = { windows = "zip" }  # archive format per GOOS: "tar.gz" or "zip"
    files = ["README*", "LICENSE*", "CHANGELOG*"]  # globs next to go.mod, put in every archive
    wrap = false                   # put the archive's files in a folder named like the archive
    packages = ["deb", "rpm", "apk"]   # Linux package formats, for every linux target
    sign = "gpg"                   # or "ssh"; key: gpg_key / ssh_key, else GOCROSS_GPG_KEY / GOCROSS_SSH_KEY
    gpg_key = "release@example.com"

    [release.package]              # metadata of the .deb/.rpm/.apk
    maintainer = "Jane <jane@example.com>"
    description = "hello world server"
    license = "MIT"
    homepage = "https://example.com"
    depends = ["ca-certificates"]
    contents = [{ src = "hello.service", dst = "/lib/systemd/system/hello.service" }]
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gocross.errors import ConfigError
from gocross.safefs import quoted

CONFIG_NAME = "gocross.toml"

_TYPES: dict[str, type | tuple[type, ...]] = {
    "targets": list, "sets": dict, "name": str, "out": str, "ldflags": str, "tags": (list, str),
    "trimpath": bool, "strip": bool, "cgo": bool, "jobs": int, "libc": str, "glibc": str,
    "cache": str, "release": dict,
}
_RELEASE_TYPES: dict[str, type | tuple[type, ...]] = {
    "name": str, "formats": dict, "files": list, "wrap": bool, "packages": list, "sign": str, "gpg_key": str,
    "ssh_key": str, "package": dict,
}
_PACKAGE_TYPES: dict[str, type | tuple[type, ...]] = {
    "maintainer": str, "description": str, "license": str, "homepage": str, "vendor": str, "depends": list,
    "contents": list,
}


@dataclass(frozen=True)
class PackageMeta:
    """``[release.package]``: what the .deb/.rpm/.apk say about themselves; extra files as (src, dst)."""

    maintainer: str | None = None
    description: str | None = None
    license: str | None = None
    homepage: str | None = None
    vendor: str | None = None
    depends: tuple[str, ...] = ()
    contents: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ReleaseConfig:
    """``[release]``: None means "the default" (see gocross.release)."""

    name: str | None = None
    formats: dict[str, str] = field(default_factory=dict)
    files: tuple[str, ...] | None = None
    wrap: bool | None = None
    packages: tuple[str, ...] | None = None
    sign: str | None = None
    gpg_key: str | None = None
    ssh_key: str | None = None
    package: PackageMeta = field(default_factory=PackageMeta)


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
    cache: str | None = None
    libc: str | None = None
    glibc: str | None = None
    release: ReleaseConfig = field(default_factory=ReleaseConfig)


def module_root(start: Path) -> Path | None:
    """The directory holding the go.mod that governs ``start`` (Go's own rule: nearest one upward)."""
    for directory in (start, *start.parents):
        if (directory / "go.mod").is_file():
            return directory
    return None


def workspace_file(root: Path) -> Path | None:
    """The go.work governing the module at ``root`` (Go's rule: ``GOWORK``, else the nearest one upward), or
    None when there is none or ``GOWORK=off``."""
    gowork = os.environ.get("GOWORK", "")
    if gowork == "off":
        return None
    if gowork:
        return Path(gowork)
    return next((d / "go.work" for d in (root, *root.parents) if (d / "go.work").is_file()), None)


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
    _check_types(path, "", data, _TYPES)
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
        cache=data.get("cache"),
        libc=_libc(path, data.get("libc")),
        glibc=data.get("glibc"),
        release=_release(path, data.get("release", {})),
    )


def _libc(path: Path, value: str | None) -> str | None:
    if value is not None and value not in ("gnu", "musl"):
        raise ConfigError(f"{path}: 'libc' is {value!r}; write \"gnu\" or \"musl\".")
    return value


def _check_types(path: Path, prefix: str, data: dict[str, Any], types: dict[str, type | tuple[type, ...]]) -> None:
    for key, value in data.items():
        expected = types.get(key)
        if expected is None:
            raise ConfigError(f"{path}: unknown key {quoted(prefix + key)}; known keys are {', '.join(types)}.")
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(f"{path}: {prefix + key!r} has the wrong type ({type(value).__name__}); "
                              "see the README.")


def _release(path: Path, data: dict[str, Any]) -> ReleaseConfig:
    _check_types(path, "release.", data, _RELEASE_TYPES)
    meta = data.get("package", {})
    _check_types(path, "release.package.", meta, _PACKAGE_TYPES)
    contents = []
    for item in meta.get("contents", []):
        if not (isinstance(item, dict) and set(item) == {"src", "dst"} and all(isinstance(v, str) for v in
                                                                               item.values())):
            raise ConfigError(f"{path}: each of 'release.package.contents' must be {{ src = \"…\", dst = \"…\" }}.")
        contents.append((item["src"], item["dst"]))
    formats = data.get("formats", {})
    if not all(isinstance(v, str) for v in formats.values()):
        raise ConfigError(f"{path}: 'release.formats' maps a GOOS to \"tar.gz\" or \"zip\".")
    files, packages = data.get("files"), data.get("packages")
    package = PackageMeta(
        maintainer=meta.get("maintainer"), description=meta.get("description"), license=meta.get("license"),
        homepage=meta.get("homepage"), vendor=meta.get("vendor"),
        depends=_strings(path, "release.package.depends", meta.get("depends", [])), contents=tuple(contents))
    return ReleaseConfig(
        name=data.get("name"), formats=dict(formats),
        files=None if files is None else _strings(path, "release.files", files), wrap=data.get("wrap"),
        packages=None if packages is None else _strings(path, "release.packages", packages),
        sign=data.get("sign"), gpg_key=data.get("gpg_key"), ssh_key=data.get("ssh_key"), package=package)


def _strings(path: Path, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{path}: {key!r} must be a list of strings.")
    return tuple(value)
