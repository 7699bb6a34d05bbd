"""Running a build plan: every target in parallel, sharing one GOCACHE, never losing a finished result.

Each output is written under a temporary name and renamed into place only when ``go build`` succeeded, so a
failed, killed or cancelled build never leaves a half-written binary. Before the build the existing output is
hard-linked to that temporary name: Go then sees its own previous output, finds the build ID up to date and
skips the link step entirely, which is what makes a no-op rebuild cost a fraction of a second per target.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gocross import __version__
from gocross.artifacts import Artifact, ArtifactStatus, sha256_file, write_manifest
from gocross.cgo import check_built, explain_failure
from gocross.errors import BuildFailed
from gocross.executor import Completed, Executor, output_tail
from gocross.incremental import OutputId, State, source_fingerprint, step_key
from gocross.log import logger
from gocross.plan import BuildOptions, BuildPlan, BuildStep, make_plan
from gocross.safefs import OWN_PREFIX, folder_lock
from gocross.toolchain import Toolchain, go_scratch

if TYPE_CHECKING:
    from gocross.binary import BinaryInfo
    from gocross.cacheprog.server import CacheServer
    from gocross.cacheprog.stats import CacheStats

TMP_MARK = f"{OWN_PREFIX}tmp-"
# Measured on the 2-core reference machine (benchmarks/bench_jobs.py, figures in the README): on a cold
# cache 2 and 3 parallel `go build`s tie (51.8 s vs 51.9 s) and beat 1 (56.5 s) and 4 (54.4 s); after an
# edit, 3 beats 2 by 3–7 % (the third fills the gaps while another build links). So: one per core, plus one.
EXTRA_JOBS = 1
MIN_JOBS = 2
# Peak resident memory of one `go build` of a net/http program on a cold cache is ≈ 0.3 GiB; leave headroom.
MEMORY_PER_JOB = 1 << 30
# Go's compiler and linker are Go programs. GOGC=400 lets their heaps grow to 5x the live data between
# collections instead of 2x: on the reference machine an edit rebuild of the post's five targets used ~6 %
# less CPU (benchmarks/bench_build.py; outputs are byte-identical, GC does not change what is written).
# GOMEMLIMIT caps that growth at each build's share of the available memory, so a very large program
# collects as often as it must instead of swapping. A GOGC or GOMEMLIMIT the user set wins.
TOOLCHAIN_GOGC = "400"

ProgressCallback = Callable[[str, BuildStep, Artifact | None], None]


@dataclass(frozen=True)
class BuildResult:
    """The outcome of ``gocross build``: every target's artifact, where the manifest is, how it was run."""

    out_dir: Path
    manifest: Path
    artifacts: tuple[Artifact, ...]
    jobs: int
    default_targets: bool
    go_version: str
    seconds: float
    cancelled: bool = False
    not_reproducible: tuple[str, ...] = ()
    cache: CacheStats | None = None  # what the shared build cache did (--cache), summed over every go build

    @property
    def failed(self) -> tuple[Artifact, ...]:
        return tuple(a for a in self.artifacts if a.status == ArtifactStatus.FAILED)

    @property
    def built(self) -> tuple[Artifact, ...]:
        return tuple(a for a in self.artifacts if a.ok)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.not_reproducible and not self.cancelled and bool(self.built)


def default_jobs() -> int:
    """Parallel builds for this machine: the measured best per core, capped by available memory."""
    cores = os.cpu_count() or 1
    wanted = max(MIN_JOBS, cores + EXTRA_JOBS)
    return max(1, min(wanted, _available_memory() // MEMORY_PER_JOB or 1))


def toolchain_gc_env(jobs: int) -> dict[str, str]:
    """GOGC/GOMEMLIMIT for the `go build` children (see TOOLCHAIN_GOGC); empty when the user set either."""
    if "GOGC" in os.environ or "GOMEMLIMIT" in os.environ:
        return {}
    share = max(_available_memory() // max(jobs, 1), MEMORY_PER_JOB)
    return {"GOGC": TOOLCHAIN_GOGC, "GOMEMLIMIT": str(share)}


def _available_memory() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 4 << 30


def build(options: BuildOptions, *, toolchain: Toolchain | None = None,
          progress: ProgressCallback | None = None) -> BuildResult:
    """Build every selected target; raise nothing for per-target failures — they are in the result."""
    from gocross.cacheprog.session import serving
    from gocross.toolchain import find_toolchain

    tc = toolchain or find_toolchain()
    plan = make_plan(tc, options, default_jobs())  # --jobs, else gocross.toml's jobs, else the measured default
    with serving(plan.cache) as cache:
        result = run_plan(plan, progress, cache)
        if cache is not None:
            result = replace(result, cache=cache.close())
    if options.check_reproducible and not result.cancelled:
        result = _check_reproducible(plan, result)
    return result


def run_plan(plan: BuildPlan, progress: ProgressCallback | None = None,
             cache: CacheServer | None = None) -> BuildResult:
    """Execute a plan; on Ctrl-C, stop every compiler, keep what finished, write the manifest, re-raise.

    ``cache`` is the running cache server every ``go`` is pointed at (GOCACHEPROG, with its target's
    read-ahead key); it changes no output, so it is not part of the steps' environment (nor of their
    incremental fingerprint).

    One build into a folder at a time (its lock): a second build waits, saying so, rather than interleave
    its renames, state and manifest with the first's.
    """
    with folder_lock(plan.out_dir, logger.warning):
        return _run_locked(plan, progress, cache)


def _run_locked(plan: BuildPlan, progress: ProgressCallback | None, cache: CacheServer | None) -> BuildResult:
    started = time.monotonic()
    _remove_stale_temporaries(plan.out_dir)
    source = source_fingerprint(plan.toolchain, plan.package_dir, plan.out_dir) if plan.incremental else None
    with go_scratch() as scratch_env:
        matrix = _BuildMatrix(plan, progress or (lambda *_: None), State(plan.out_dir), source, scratch_env, cache)
        try:
            artifacts = matrix.run_all()
        except KeyboardInterrupt:
            matrix.state.save()
            _write(plan, matrix.finished(), started, cancelled=True)
            raise
    matrix.state.save()
    return _write(plan, artifacts, started)


def _write(plan: BuildPlan, artifacts: list[Artifact], started: float, cancelled: bool = False) -> BuildResult:
    meta = {"gocross": __version__, "go": plan.toolchain.version, "package": str(plan.package_dir),
            "cancelled": cancelled}
    if plan.shard is not None:
        meta["shard"] = plan.shard
    manifest = write_manifest(plan.out_dir, artifacts, meta)
    order = {step.target.name: i for i, step in enumerate(plan.steps)}
    ordered = tuple(sorted(artifacts, key=lambda a: order.get(a.target, 0)))
    return BuildResult(plan.out_dir, manifest, ordered, plan.jobs, plan.default_targets,
                       plan.toolchain.version, time.monotonic() - started, cancelled)


class _BuildMatrix:
    """Runs the steps on the executor (which stops every compiler on a cancel) and keeps what finished."""

    def __init__(self, plan: BuildPlan, progress: ProgressCallback, state: State, source: str | None,
                 run_env: Mapping[str, str], cache: CacheServer | None) -> None:
        self.plan = plan
        self.progress = progress
        self.state = state
        self.source = source
        self.lock = threading.Lock()
        self.done: list[Artifact] = []
        self.executor = Executor(plan.jobs, name="gocross-build")
        # Not part of step.env: they change no output, so they stay out of the incremental fingerprint.
        self.run_env = {**toolchain_gc_env(plan.jobs), **run_env}
        self.cache = cache
        self.requirements = ""  # the module's dependencies, in each read-ahead key (prefetch.requirements)

    def run_all(self) -> list[Artifact]:
        if self.cache is not None:  # every target's read-ahead list at once, before the first build needs one
            from gocross.cacheprog.prefetch import requirements

            self.requirements = requirements(self.plan.package_dir)
            self.cache.expect([self._read_ahead_key(step) for step in self.plan.steps if not step.skip_reason],
                              self.plan.jobs)
        with self.executor as executor:  # an exception (Ctrl-C) cancels: queued steps dropped, compilers killed
            for step in self.plan.steps:
                executor.submit(self._one, step)
            executor.wait()
        return list(self.done)

    def finished(self) -> list[Artifact]:
        with self.lock:
            return [a for a in self.done if a.status != ArtifactStatus.CANCELLED]

    def _one(self, step: BuildStep) -> Artifact:
        if self.executor.cancelled:
            return Artifact.unbuilt(step.target, ArtifactStatus.CANCELLED, "cancelled before it started")
        self.progress("start", step, None)
        if step.skip_reason:
            artifact = Artifact.unbuilt(step.target, ArtifactStatus.SKIPPED, step.skip_reason)
        else:
            artifact = self._compile(step)
        with self.lock:
            if self.executor.cancelled and artifact.status == ArtifactStatus.FAILED:  # killed by the cancel
                artifact = Artifact.unbuilt(step.target, ArtifactStatus.CANCELLED, "cancelled while it was building")
            else:
                self.done.append(artifact)
        self.progress("done", step, artifact)
        return artifact

    def _compile(self, step: BuildStep) -> Artifact:
        started = time.monotonic()
        key = step_key(self.source, step) if self.source else None
        with self.lock:
            unchanged = self.state.lookup(step.output, key)
        if unchanged is not None:
            return replace(unchanged, seconds=time.monotonic() - started, relinked=False, cached=True)
        artifact = self._go_build_checked(step, started)
        with self.lock:
            if artifact.ok:
                self.state.record(artifact, key)
            else:
                self.state.forget(step.output)
        return artifact

    def _go_build_checked(self, step: BuildStep, started: float) -> Artifact:
        """``go build`` to a temporary name, check what it wrote, and only then rename it into place."""
        # An unpredictable name: nothing can be planted there for go build to write through.
        tmp = step.output.with_name(f"{TMP_MARK}{os.getpid()}-{secrets.token_hex(4)}-{step.output.name}")
        before = OutputId.of(step.output)
        relink_probe = _seed_temporary(step.output, tmp)
        try:
            done = self._go_build(step, tmp)
            seconds = time.monotonic() - started
            if done is None:
                return Artifact.unbuilt(step.target, ArtifactStatus.CANCELLED, "cancelled before it started")
            if done.returncode != 0:
                why = (f"go build could not start: {done.start_error.strerror}" if done.start_error is not None
                       else output_tail(done.stdout or b"", lines=40, what="go build", returncode=done.returncode))
                if step.cgo is not None:  # a zig trap gets its sentence first
                    why = "\n".join(filter(None, (explain_failure(done.stdout or b""), why)))
                return Artifact.unbuilt(step.target, ArtifactStatus.FAILED, why, seconds)
            after = OutputId.of(tmp)
            relinked = relink_probe is None or after is None or after.inode != relink_probe
            untouched = (not relinked and before is not None and after is not None
                         and (after.size, after.mtime_ns) == (before.size, before.mtime_ns))
            with self.lock:
                known = self.state.same_file(step.output, before) if untouched else None
            if known is not None:  # Go kept the very file we recorded, unedited: its hash and inspection hold
                tmp.replace(step.output)
                return replace(known, seconds=seconds, relinked=False, cached=False)
            info, mismatch = _verify(step, tmp)
            if info is None or mismatch:
                return Artifact.unbuilt(step.target, ArtifactStatus.FAILED, mismatch or "unreadable output", seconds)
            tmp.replace(step.output)
            return Artifact.built(step.target, step.output, sha256=sha256_file(step.output), seconds=seconds,
                                  relinked=relinked, inspection=_inspection(info, step.output))
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

    def _go_build(self, step: BuildStep, tmp: Path) -> Completed | None:
        """``go build`` writing to ``tmp``, its diagnostics in order; None when cancelled before it started."""
        argv = step.argv(tmp)
        logger.debug("%s: %s", step.target.name, " ".join(argv))
        cache, hint = self.cache, None
        if cache is not None:
            hint = self._read_ahead_key(step)
            if cache.builds_locally(hint):  # all it needs is in GOCACHE: Go reads it without the helper
                cache = None
        cache_env = cache.env_for(hint) if cache is not None else {}
        env = self.plan.toolchain.environ({**self.run_env, **cache_env, **step.env})
        done = self.executor.run(argv, env=env, cwd=self.plan.package_dir, merge_stderr=True)
        if cache is not None and hint is not None and done is not None and done.returncode == 0:
            cache.build_succeeded(hint)
        return done

    def _read_ahead_key(self, step: BuildStep) -> str:
        """The key of this target's read-ahead list in the shared cache (cacheprog/prefetch.py): what decides
        which actions Go asks for — never the output's or the checkout's path, which differ between runners
        (a cgo step's environment names the compiler's path, as Go's own action IDs for cgo packages do)."""
        from gocross.cacheprog.prefetch import hint_for

        return hint_for(self.plan.toolchain.version, (self.plan.name, step.package, step.flags,
                                                      sorted(step.env.items()), self.requirements))


def _seed_temporary(output: Path, tmp: Path) -> int | None:
    """Hard-link the previous output to the temporary name so Go can see it is up to date; return its inode.

    Only a Go binary is offered (Go refuses to overwrite an existing file that is not an object file), and
    only a regular file with no other name: Go may copy its new output *into* the file at ``-o`` (when its
    work directory is on another filesystem), so a link planted at the output's name (a symlink, or a hard
    link to a file elsewhere) must never be handed to it — that file would be overwritten.
    """
    from gocross.binary import inspect_record
    from gocross.errors import InspectError

    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    try:
        st = output.lstat()
        if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
            return None
        if not inspect_record(output, runs_here=False)["is_go"]:
            return None
        os.link(output, tmp, follow_symlinks=False)
        return tmp.lstat().st_ino
    except (OSError, InspectError):
        return None


def _verify(step: BuildStep, built: Path) -> tuple[BinaryInfo | None, str | None]:
    """Inspect what Go wrote and check it is what was asked for; a mismatch fails the target."""
    from gocross.binary import inspect
    from gocross.errors import InspectError

    try:
        info = inspect(built, runs_here=False)
    except InspectError as exc:
        return None, f"the output cannot be read back as a binary: {exc}"
    t = step.target
    got = (info.goos, info.goarch, info.variant if t.variant else None)
    if got != (t.goos, t.goarch, t.variant):
        what = "/".join(str(x) for x in got if x)
        return info, (f"go build produced a {what} binary, not the {t.name} that was asked for "
                      f"({info.description})")
    return info, check_built(step.cgo, info) if step.cgo is not None else None


def _inspection(info: BinaryInfo, output: Path) -> dict[str, Any]:
    """The inspection artifacts.json records: the facts read before the rename, with the final name (relative,
    like the manifest's own paths). No runs-here verdict: that is a fact about this host, not the build."""
    from gocross.binary import to_json

    data = to_json(info)
    data["path"] = output.name
    data["runs_here"] = None
    return data


def _remove_stale_temporaries(out_dir: Path) -> None:
    """Remove temporaries left by a gocross that was killed outright (SIGKILL cannot be cleaned up after)."""
    for path in out_dir.glob(f"{TMP_MARK}*"):
        pid = path.name.removeprefix(TMP_MARK).split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            with contextlib.suppress(OSError):
                path.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _check_reproducible(plan: BuildPlan, first: BuildResult) -> BuildResult:
    """Build again from a copy of the module at another path, with an empty GOCACHE, and compare bytes."""
    from gocross.config import module_root

    root = module_root(plan.package_dir) or plan.package_dir
    with tempfile.TemporaryDirectory(prefix="gocross-repro-") as scratch:
        copy_root = Path(scratch) / "src" / root.name
        shutil.copytree(root, copy_root, symlinks=True,
                        ignore=shutil.ignore_patterns(plan.out_dir.name) if plan.out_dir.parent == root else None)
        second = _replan(plan, copy_root / plan.package_dir.relative_to(root), Path(scratch) / "out")
        cache = {"GOCACHE": str(Path(scratch) / "gocache")}
        steps = tuple(replace(s, env={**s.env, **cache}) for s in second.steps)
        again = run_plan(replace(second, steps=steps))  # no cache server either: everything compiles again
        hashes = {a.target: a.sha256 for a in again.artifacts if a.ok}
    differ = tuple(a.target for a in first.built if hashes.get(a.target) != a.sha256)
    return replace(first, not_reproducible=differ)


def _replan(plan: BuildPlan, package_dir: Path, out_dir: Path) -> BuildPlan:
    out_dir.mkdir(parents=True)
    steps = []
    for step in plan.steps:
        if step.skip_reason:
            continue
        steps.append(replace(step, output=out_dir / step.output.name))
    return replace(plan, package_dir=package_dir, out_dir=out_dir, steps=tuple(steps), incremental=False)


def raise_for_failures(result: BuildResult) -> None:
    """For callers that want an exception: summarise which targets failed (the CLI exit status)."""
    if result.not_reproducible:
        raise BuildFailed(f"{len(result.not_reproducible)} target(s) are not reproducible: "
                          f"{', '.join(result.not_reproducible)}; two builds from different folders differ.")
    if result.failed:
        names = ", ".join(a.target for a in result.failed)
        raise BuildFailed(f"{len(result.failed)} of {len(result.artifacts)} target(s) failed to build: {names}; "
                          "see the compiler output above.")
    if not result.built:
        raise BuildFailed("Nothing was built: every selected target was skipped; see the reasons above.")
