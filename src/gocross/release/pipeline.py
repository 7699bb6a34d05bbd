"""`gocross release`: from the artifact list to archives, SBOMs, packages, checksums and signatures.

Everything is made in a private staging folder inside the output folder and renamed into place only when
every file succeeded, then artifacts.json is rewritten with the new files; a failure anywhere (a missing
packager, a bad key, Ctrl-C) removes the staging folder, so the output folder never holds half a release.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from gocross.artifacts import (
    Artifact,
    ArtifactStatus,
    Manifest,
    ReleaseFile,
    ReleaseKind,
    read_manifest,
    sha256_file,
    write_manifest,
)
from gocross.config import Config, ReleaseConfig, load_config, module_root
from gocross.errors import BuildFailed, OutputError, UsageError
from gocross.executor import Executor
from gocross.plan import BuildOptions, BuildStep
from gocross.release import archives, checksums, packages, sbom, sign
from gocross.release.version import Source, resolve_source
from gocross.safefs import atomic_write
from gocross.targets import Target
from gocross.toolchain import Toolchain

STAGING_PREFIX = ".gocross-release-"
# (event, label, file): "start" (label: what began), "built" (label: one target's build line), "done" (file)
ReleaseProgress = Callable[[str, str, ReleaseFile | None], None]


@dataclass(frozen=True)
class ReleaseOptions:
    """What `gocross release` was asked; None means "from gocross.toml [release], else the default"."""

    package_dir: Path | None = None  # None with from_dir: the package the build recorded
    build: BuildOptions = field(default_factory=BuildOptions)  # used unless from_dir
    from_dir: Path | None = None
    out_dir: Path | None = None
    version: str | None = None
    allow_dirty: bool = False
    packages: bool = True
    sbom: bool = True
    sign: sign.SignMethod | None = None
    key: str | None = None
    jobs: int | None = None


@dataclass(frozen=True)
class ReleaseResult:
    out_dir: Path
    manifest: Path
    version: str
    commit: str | None
    files: tuple[ReleaseFile, ...]  # sorted by path
    released: tuple[str, ...]  # the targets released
    skipped: tuple[str, ...]  # targets the build skipped (nothing to release for them)
    jobs: int
    seconds: float


def release(options: ReleaseOptions, *, toolchain: Toolchain | None = None,
            progress: ReleaseProgress | None = None) -> ReleaseResult:
    """Build (or read a build) and release it; raise a GocrossError, and write nothing, if any part fails."""
    started = time.monotonic()
    package_dir, config = _package(options)
    out_dir = _out_dir(options, package_dir)
    source = resolve_source(package_dir, out_dir, options.version, allow_dirty=options.allow_dirty)
    manifest = _artifacts(options, source, out_dir, toolchain, progress or (lambda *_: None))
    built = _releasable(manifest)
    jobs = options.jobs or options.build.jobs or os.cpu_count() or 2
    run = _Run(options, config.release, source, package_dir, out_dir, Path(manifest.package).name or "main",
               progress or (lambda *_: None), jobs)
    partial = manifest.shard is not None  # `--shard I/N`: checksums and signature wait for `gocross merge`
    files = run.all(built, partial=partial)
    meta = _meta(manifest)
    if partial:
        meta |= {"shard": manifest.shard, "partial_release": run.partial_record()}
    path = write_manifest(out_dir, _binaries_in(manifest, options, out_dir), meta, files)
    return ReleaseResult(out_dir, path, source.version, source.commit, files, tuple(a.target for a in built),
                         tuple(a.target for a in manifest.artifacts if a.status == ArtifactStatus.SKIPPED), jobs,
                         time.monotonic() - started)


def _package(options: ReleaseOptions) -> tuple[Path, Config]:
    if options.package_dir is not None:
        package_dir = options.package_dir.resolve()
    elif options.from_dir is not None:
        package_dir = Path(read_manifest(options.from_dir).package)
    else:
        package_dir = options.build.package_dir.resolve()
    if not package_dir.is_dir() or module_root(package_dir) is None:
        raise UsageError(f"{package_dir} is not a Go package inside a module; pass the folder of your main "
                         "package, e.g. `gocross release examples/hello`.")
    return package_dir, load_config(package_dir)


def _out_dir(options: ReleaseOptions, package_dir: Path) -> Path:
    if options.out_dir is not None:
        return options.out_dir.resolve()
    if options.from_dir is not None:
        return options.from_dir.resolve()
    if options.build.out_dir is not None:
        return options.build.out_dir.resolve()
    config = load_config(package_dir)
    if config.out and config.path:
        return (config.path.parent / config.out).resolve()
    return package_dir / "dist"


def _artifacts(options: ReleaseOptions, source: Source, out_dir: Path, toolchain: Toolchain | None,
               progress: ReleaseProgress) -> Manifest:
    if options.from_dir is not None:
        return read_manifest(options.from_dir)
    from gocross.builder import build

    def built(event: str, step: BuildStep, artifact: Artifact | None) -> None:
        if artifact is None:
            progress("start", f"build {step.target.name}", None)
        else:
            progress("built", f"{artifact.status:>9}  {artifact.target}  {artifact.seconds:.1f}s", None)

    package_dir = options.package_dir or options.build.package_dir
    result = build(replace(options.build, package_dir=package_dir, out_dir=out_dir, version=source.version),
                   toolchain=toolchain, progress=built)
    if result.cancelled:
        raise KeyboardInterrupt
    return read_manifest(result.manifest)


def _releasable(manifest: Manifest) -> tuple[Artifact, ...]:
    """The built artifacts; BuildFailed (release nothing) if any target failed or was cancelled."""
    bad = [a for a in manifest.artifacts if a.status in (ArtifactStatus.FAILED, ArtifactStatus.CANCELLED)]
    if bad or manifest.cancelled:
        names = ", ".join(a.target for a in bad) or "the build was cancelled"
        first = next((a for a in bad if a.error), None)
        why = f" — {first.target}: {first.error.strip().splitlines()[-1]}" if first and first.error else ""
        raise BuildFailed(f"Nothing was released: {len(bad)} target(s) did not build ({names}){why}; fix the "
                          "build (see `gocross build`) and release again.")
    built = manifest.built
    missing = [a.target for a in built if a.path is None or not a.path.is_file()]
    if missing:
        raise BuildFailed(f"Nothing was released: the binary of {', '.join(missing)} listed in {manifest.path} is "
                          "not on disk; build again.")
    if not built:
        raise BuildFailed("Nothing was released: no target was built; see `gocross build`.")
    return built


def _binaries_in(manifest: Manifest, options: ReleaseOptions, out_dir: Path) -> tuple[Artifact, ...]:
    """The manifest's artifacts as ``out_dir`` holds them: with ``--from A --out B`` the binaries the archives
    were made from are copied into B, so B's artifacts.json never claims a file that is not in B."""
    if options.from_dir is None or options.from_dir.resolve() == out_dir:
        return manifest.artifacts
    from gocross.merge import copy_artifact

    return tuple(copy_artifact(a, out_dir) for a in manifest.artifacts)


def _meta(manifest: Manifest) -> dict[str, object]:
    return {"gocross": manifest.gocross, "go": manifest.go, "package": manifest.package,
            "cancelled": manifest.cancelled}


class _Run:
    """One release's work: archives, SBOMs and packages in parallel, then checksums and signature."""

    def __init__(self, options: ReleaseOptions, config: ReleaseConfig, source: Source, package_dir: Path,
                 out_dir: Path, name: str, progress: ReleaseProgress, jobs: int) -> None:
        self.options, self.config, self.source, self.name = options, config, source, name
        self.module_dir = module_root(package_dir) or package_dir
        self.out_dir, self.progress, self.jobs = out_dir, progress, jobs
        self.lock = threading.Lock()
        self.made: list[ReleaseFile] = []

    def all(self, built: tuple[Artifact, ...], *, partial: bool = False) -> tuple[ReleaseFile, ...]:
        """Every release file; ``partial`` (one shard): no checksums or signature — merge writes them."""
        template = self.config.name or archives.DEFAULT_NAME
        extras = archives.extra_files(self.module_dir, self.config.files or archives.DEFAULT_FILES)
        self._check_unique_names(built, template)
        package_jobs, nfpm = self._package_jobs(built)
        signer = None if partial else self._signer()
        if self.options.sbom:
            sbom.require_cyclonedx()
        staging = _staging(self.out_dir)
        try:
            # the nfpm configs' folder outlives the executor, which on a cancel stops every nfpm first
            with tempfile.TemporaryDirectory(prefix="gocross-nfpm-") as work, \
                    Executor(self.jobs, name="gocross-release") as executor:
                for artifact in built:
                    executor.submit(self._archive, artifact, template, extras, staging)
                for job in package_jobs:
                    assert nfpm is not None
                    executor.submit(self._package, executor, nfpm, job, staging, Path(work))
                executor.wait()
                if not partial:
                    self._checksums(staging)
                if signer is not None:
                    self._sign(executor, signer, staging)
            files = self._publish(staging)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return files

    def partial_record(self) -> dict[str, object]:
        """What `gocross merge` needs to write this release's checksums file and signature once every shard is in."""
        method = self.options.sign or (sign.parse_method(self.config.sign) if self.config.sign else None)
        key = None if method is None else self.options.key or (
            self.config.gpg_key if method == sign.SignMethod.GPG else self.config.ssh_key)
        return {"version": self.source.version, "name": self.name, "epoch": self.source.epoch,
                "sign": None if method is None else str(method), "key": key}

    def _package_jobs(self, built: tuple[Artifact, ...]) -> tuple[tuple[packages.PackageJob, ...], Path | None]:
        if not self.options.packages:
            return (), None
        formats = packages.parse_formats(self.config.packages) if self.config.packages is not None \
            else packages.DEFAULT_PACKAGE_FORMATS
        linux = [(a.target, a.goarch, a.variant, a.path) for a in built if a.goos == "linux" and a.path]
        jobs = packages.plan_packages(self.name, self.source.version, linux, formats)
        return jobs, packages.require_nfpm() if jobs else None

    def _signer(self) -> tuple[sign.SignMethod, str] | None:
        method = self.options.sign or (sign.parse_method(self.config.sign) if self.config.sign else None)
        if method is None:
            return None
        configured = self.options.key or (self.config.gpg_key if method == sign.SignMethod.GPG
                                          else self.config.ssh_key)
        key = sign.signing_key(method, configured)
        sign.check_key(method, key)
        return method, key

    def _record(self, kind: ReleaseKind, fmt: str, path: Path, target: str | None) -> ReleaseFile:
        file = ReleaseFile(kind, fmt, self.out_dir / path.name, path.stat().st_size, sha256_file(path), target)
        with self.lock:
            self.made.append(file)
        self.progress("done", path.name, file)
        return file

    def _base_name(self, artifact: Artifact, template: str) -> str:
        target = Target(artifact.goos, artifact.goarch, artifact.variant, artifact.variant_var)
        return archives.render_name(template, name=self.name, version=self.source.version, goos=target.goos,
                                    goarch=target.goarch, variant_token=target.variant_token, target=target.name)

    def _check_unique_names(self, built: tuple[Artifact, ...], template: str) -> None:
        seen: dict[str, str] = {}
        for artifact in built:
            base = self._base_name(artifact, template)
            archives.archive_format(artifact.goos, self.config.formats)  # a bad format override fails here, first
            if base in seen:
                raise UsageError(f"The release name template {template!r} gives {seen[base]} and {artifact.target} "
                                 "the same archive name; add {os}, {arch} and {variant} to it.")
            seen[base] = artifact.target

    def _archive(self, artifact: Artifact, template: str, extras: tuple[Path, ...], staging: Path) -> None:
        target = Target(artifact.goos, artifact.goarch, artifact.variant, artifact.variant_var)
        base = self._base_name(artifact, template)
        fmt = archives.archive_format(target.goos, self.config.formats)
        assert artifact.path is not None
        if sha256_file(artifact.path) != artifact.sha256:  # the SBOM and checksums must describe these bytes
            raise BuildFailed(f"{artifact.path} changed since it was built (its sha256 is not the one in "
                              "artifacts.json); build again before releasing.")
        entries = [archives.Entry(self.name + target.exe_suffix, artifact.path, executable=True)]
        entries += [archives.Entry(p.name, p) for p in extras]
        path = staging / f"{base}.{fmt}"
        self.progress("start", path.name, None)
        archives.write_archive(path, fmt, entries, epoch=self.source.epoch,
                               prefix=f"{base}/" if self.config.wrap else "")
        self._record(ReleaseKind.ARCHIVE, str(fmt), path, artifact.target)
        if self.options.sbom and artifact.inspection is not None and artifact.sha256:
            doc = staging / f"{base}{sbom.SBOM_SUFFIX}"
            atomic_write(doc, sbom.sbom_json(artifact.inspection, binary_sha256=artifact.sha256,
                                             version=self.source.version, epoch=self.source.epoch))
            self._record(ReleaseKind.SBOM, sbom.SBOM_FORMAT, doc, artifact.target)
            spdx = staging / f"{base}{sbom.SPDX_SUFFIX}"
            atomic_write(spdx, sbom.spdx_json(artifact.inspection, name=self.name, binary_sha256=artifact.sha256,
                                              version=self.source.version, epoch=self.source.epoch))
            self._record(ReleaseKind.SBOM, sbom.SPDX_FORMAT, spdx, artifact.target)

    def _package(self, executor: Executor, nfpm: Path, job: packages.PackageJob, staging: Path,
                 work: Path) -> None:
        self.progress("start", job.file_name, None)
        config = packages.nfpm_config(job, name=self.name, version=self.source.version, epoch=self.source.epoch,
                                      meta=self.config.package, module_dir=self.module_dir)
        out = staging / job.file_name
        packages.make_package(executor, nfpm, job, config, work, out)
        self._record(ReleaseKind.PACKAGE, str(job.fmt), out, job.target)

    def _checksums(self, staging: Path) -> None:
        listed = [(f.path.name, f.sha256) for f in self.made if f.kind in checksums.LISTED]
        path = staging / checksums.checksums_name(self.name, self.source.version)
        checksums.write_checksums(path, listed)
        self._record(ReleaseKind.CHECKSUMS, "sha256", path, None)

    def _sign(self, executor: Executor, signer: tuple[sign.SignMethod, str], staging: Path) -> None:
        method, key = signer
        path = staging / checksums.checksums_name(self.name, self.source.version)
        out = path.with_name(path.name + sign.SUFFIX[method])
        sign.sign(executor, method, key, path, out, epoch=self.source.epoch)
        self._record(ReleaseKind.SIGNATURE, str(method), out, None)

    def _publish(self, staging: Path) -> tuple[ReleaseFile, ...]:
        """Rename every staged file into the output folder (each rename atomic; a symlink there is replaced)."""
        for file in self.made:
            (staging / file.path.name).replace(file.path)
        return tuple(sorted(self.made, key=lambda f: f.path.name))


def _staging(out_dir: Path) -> Path:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        _remove_stale_staging(out_dir)
        return Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out_dir))
    except OSError as exc:
        raise OutputError(f"Cannot write to the output folder {out_dir} ({exc.strerror or exc}); choose another "
                          "with --out or fix its permissions.") from None


def _remove_stale_staging(out_dir: Path) -> None:
    """Staging folders of a gocross that was killed outright (SIGKILL cannot be cleaned up after), an hour on."""
    for path in out_dir.glob(f"{STAGING_PREFIX}*"):
        with contextlib.suppress(OSError):
            if path.is_dir() and not path.is_symlink() and time.time() - path.stat().st_mtime > 3600:
                shutil.rmtree(path)
