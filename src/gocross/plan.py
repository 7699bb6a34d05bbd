"""From options to a build plan: which targets, which output names, which exact ``go build`` argv and env.

Planning does no building, so mistakes (unknown target, clashing names, unwritable folder, missing package)
are reported before a single compiler runs.
"""

from __future__ import annotations

import os
import string
import subprocess
import tempfile
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gocross.artifacts import MANIFEST_NAME
from gocross.cgo import CgoOptions, CgoSetup, Libc, compiler_env
from gocross.config import Config, load_config, module_root
from gocross.errors import OutputError, UsageError
from gocross.safefs import OWN_PREFIX, name_problem, quoted
from gocross.shard import shard_record, shard_targets
from gocross.targets import Target, select_targets
from gocross.toolchain import Toolchain, go_field

if TYPE_CHECKING:
    from gocross.cacheprog.session import CacheSession
    from gocross.shard import Shard

DEFAULT_TEMPLATE = "{name}_{os}_{arch}{variant}{ext}"
DEFAULT_SET = "first-class"
TEMPLATE_FIELDS = {"name", "os", "arch", "variant", "ext", "version", "target"}
RESERVED_NAMES = frozenset({MANIFEST_NAME})  # besides every name starting with safefs.OWN_PREFIX


@dataclass(frozen=True)
class BuildOptions:
    """What the user asked for; ``None`` means "take it from gocross.toml, else the default"."""

    package_dir: Path = Path()
    targets: tuple[str, ...] = ()
    out_dir: Path | None = None
    name_template: str | None = None
    ldflags: str | None = None
    tags: tuple[str, ...] | None = None
    trimpath: bool | None = None
    strip: bool | None = None
    version: str | None = None
    cgo: bool | None = None
    libc: Libc | None = None  # cgo's C library on Linux (None: gocross.toml's, else gnu)
    glibc: str | None = None  # with gnu: the newest glibc the binaries may need (None: cgo.DEFAULT_GLIBC)
    jobs: int | None = None
    check_reproducible: bool = False
    force: bool = False  # ignore gocross's record of earlier builds; Go's own up-to-date check still applies
    extra_env: Mapping[str, str] = field(default_factory=dict)
    shard: Shard | None = None  # build only this slice of the targets (gocross.shard), into a partial manifest
    cache: str | None = None  # shared Go build cache URL (None: gocross.toml's `cache`, else GOCROSS_CACHE)


@dataclass(frozen=True)
class BuildStep:
    """One target's ``go build``: flags, output and package kept apart; the argv is made on demand.

    The builder writes to a temporary name and the reproducibility check to another folder, so the output is
    never baked into a stored argv.
    """

    target: Target
    output: Path
    go: Path
    flags: tuple[str, ...]  # everything between `go build` and `-o`: -trimpath, -tags=…, -ldflags=…
    env: Mapping[str, str]
    package: str = "."
    skip_reason: str | None = None
    cgo: CgoSetup | None = None  # the C toolchain of a cgo build (its env is in ``env`` already)

    def argv(self, output: Path | None = None) -> list[str]:
        """``go build FLAGS -o OUTPUT PACKAGE``, writing to ``output`` instead of the final name when given."""
        return [str(self.go), "build", *self.flags, "-o", str(output or self.output), self.package]


@dataclass(frozen=True)
class BuildPlan:
    toolchain: Toolchain
    package_dir: Path
    out_dir: Path
    name: str
    steps: tuple[BuildStep, ...]
    jobs: int
    default_targets: bool  # True when neither --target nor gocross.toml chose the targets
    config_path: Path | None
    incremental: bool = True  # may reuse an output whose recorded inputs are all unchanged
    shard: Mapping[str, Any] | None = None  # the partial manifest's `shard` record (gocross.shard.shard_record)
    cache: CacheSession | None = None  # the shared build cache every step's go talks to (GOCACHEPROG)


def make_plan(toolchain: Toolchain, options: BuildOptions, jobs: int) -> BuildPlan:
    """The plan; ``jobs`` is the default width, used when neither the options nor gocross.toml set one."""
    package_dir = _check_package_dir(options.package_dir)
    config = load_config(package_dir)
    jobs = options.jobs or config.jobs or jobs
    selectors = options.targets or config.targets
    default_targets = not selectors
    selection = select_targets(toolchain, selectors or (DEFAULT_SET,), config.sets)
    cgo = options.cgo if options.cgo is not None else bool(config.cgo)
    targets = shard_targets(selection, options.shard, cgo=cgo)
    out_dir = _prepare_out_dir(_out_dir(options, config, package_dir))
    name = _program_name(package_dir)
    template = options.name_template or config.name or DEFAULT_TEMPLATE
    flags = _go_build_flags(options, config, package_dir)
    cache = _cache(toolchain, options, config)
    steps = []
    cgo_options = _cgo_options(options, config, flags) if cgo else None
    for target in targets:
        output = out_dir / _render_name(template, name, target, options.version)
        _check_output_kind(output)
        env = {**target.env, "CGO_ENABLED": "1" if cgo else "0", **options.extra_env}
        skip = None if cgo else target.external_link_reason()
        setup = compiler_env(target, cgo_options) if cgo_options is not None else None
        if isinstance(setup, str):
            skip, setup = setup, None
        elif setup is not None:
            env = {**target.env, **setup.env, **options.extra_env}
        steps.append(BuildStep(target, output, toolchain.go, flags, env, skip_reason=skip, cgo=setup))
    _check_unique_outputs(steps, template)
    shard = None if options.shard is None else shard_record(
        options.shard, selection, targets, go=toolchain.version, package_dir=package_dir, out_dir=out_dir,
        options={"flags": list(flags), "cgo": cgo, "name": template, "program": name})  # {name}: the binaries' names
    return BuildPlan(toolchain, package_dir, out_dir, name, tuple(steps), jobs, default_targets, config.path,
                     incremental=not options.force, shard=shard, cache=cache)


def _cache(toolchain: Toolchain, options: BuildOptions, config: Config) -> CacheSession | None:
    """The shared build cache for this build; its server runs while the plan does (builder.build)."""
    from gocross.cacheprog.session import cache_session, resolve_cache_url

    url = resolve_cache_url(options.cache, config.cache)
    return cache_session(url, toolchain) if url else None


def _cgo_options(options: BuildOptions, config: Config, flags: tuple[str, ...]) -> CgoOptions:
    from gocross.cgo import glibc_version

    libc = options.libc or Libc(config.libc or Libc.GNU)
    glibc = options.glibc or config.glibc
    ldflags = next((f.removeprefix("-ldflags=") for f in flags if f.startswith("-ldflags=")), "")
    return CgoOptions(libc, glibc_version(glibc) if glibc else None, ldflags)


def _check_package_dir(path: Path) -> Path:
    path = path.resolve()
    if path.is_file():
        raise UsageError(f"{path} is a file, not a package directory; pass the folder that holds it, "
                         f"e.g. `gocross build {path.parent}`.")
    if not path.is_dir():
        raise UsageError(f"Package directory {path} does not exist; pass the folder that holds your main "
                         "package, e.g. `gocross build examples/hello`.")
    if not any(p.suffix == ".go" for p in path.iterdir()):
        raise UsageError(f"{path} holds no .go files; pass the folder of your main package.")
    if module_root(path) is None:
        raise UsageError(f"{path} is not inside a Go module (no go.mod found); run `go mod init` there first.")
    return path


def _out_dir(options: BuildOptions, config: Config, package_dir: Path) -> Path:
    if options.out_dir is not None:
        return _existing_or_new(options.out_dir, "--out")
    if config.out is not None and config.path:
        if not config.out:
            raise UsageError(f"{config.path}: 'out' is empty; name the output folder, e.g. out = \"dist\".")
        return _existing_or_new(config.path.parent / config.out, f"'out' in {config.path}")
    return _existing_or_new(package_dir / "dist", "the default output folder")


def _existing_or_new(path: Path, what: str) -> Path:
    """The output folder, resolved; a dangling symlink is an error, not a folder created where it points."""
    if not str(path):
        raise UsageError(f"{what} is empty; name the output folder, e.g. --out dist.")
    if path.is_symlink() and not path.exists():
        raise OutputError(f"{what} {path} is a symbolic link to {path.readlink()}, which does not exist; "
                          "create that folder or pass another --out.")
    return path.resolve()


def _prepare_out_dir(out_dir: Path) -> Path:
    """Create the output folder and prove it is writable now, rather than after minutes of compiling."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=f"{OWN_PREFIX}probe-", dir=out_dir)  # O_EXCL: never a planted name
        os.close(fd)
        Path(probe).unlink()
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise OutputError(f"Cannot write to the output folder {out_dir} ({reason}); choose another with --out "
                          "or fix its permissions.") from None
    return out_dir


def _program_name(package_dir: Path) -> str:
    return package_dir.name or "main"


def _render_name(template: str, name: str, target: Target, version: str | None) -> str:
    """The output's file name; a template that is malformed or gives no plain file name is a usage error."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        raise UsageError(f"The name template {quoted(template)} is malformed ({exc}); write fields as "
                         "{name}, and a literal brace as {{ or }}.") from None
    unknown = sorted(set(fields) - TEMPLATE_FIELDS)
    if unknown:
        listed = quoted(", ".join(unknown)).strip("'")
        raise UsageError(f"The name template {quoted(template)} uses unknown field(s) {listed}; "
                         f"use {', '.join(sorted(TEMPLATE_FIELDS))}.")
    try:
        rendered = template.format(
            name=name, os=target.goos, arch=target.goarch, ext=target.exe_suffix, version=version or "",
            variant=f"_{target.variant_token}" if target.variant else "", target=target.name.replace("/", "_"),
        )
    except (ValueError, TypeError, IndexError, KeyError, AttributeError) as exc:
        raise UsageError(f"The name template {quoted(template)} cannot be filled in ({exc}); "
                         "check its format specs.") from None
    problem = name_problem(rendered, RESERVED_NAMES)
    if problem:
        raise UsageError(f"The name template {quoted(template)} gives {target.name} the name {quoted(rendered)}, "
                         f"which {problem}; outputs are plain file names inside --out.")
    return rendered


def _check_output_kind(output: Path) -> None:
    """A folder where an output goes cannot be replaced by a rename; anything else (a link) is replaced, the
    file it points to never touched."""
    if output.is_dir() and not output.is_symlink():
        raise OutputError(f"{output} is a directory, where the output of a target goes; remove it or choose "
                          "another --name.")


def _check_unique_outputs(steps: list[BuildStep], template: str) -> None:
    """Two targets may not share a file, also not one the filesystem would treat as the same name."""
    seen: dict[str, str] = {}
    for step in steps:
        key = os.path.normcase(unicodedata.normalize("NFC", os.path.normpath(step.output)))
        if key in seen:
            raise UsageError(f"The name template {quoted(template)} gives {seen[key]} and {step.target.name} "
                             "the same file name; add {os}, {arch} and {variant} to it.")
        seen[key] = step.target.name


def _go_build_flags(options: BuildOptions, config: Config, package_dir: Path) -> tuple[str, ...]:
    flags: list[str] = []
    trimpath = options.trimpath if options.trimpath is not None else (config.trimpath is not False)
    if trimpath:
        flags.append("-trimpath")
    tags = options.tags if options.tags is not None else config.tags
    if tags:
        flags.append(f"-tags={','.join(tags)}")
    ldflags = _ldflags(options, config, package_dir)
    if ldflags:
        flags.append(f"-ldflags={ldflags}")
    return tuple(flags)


def _ldflags(options: BuildOptions, config: Config, package_dir: Path) -> str:
    parts: list[str] = []
    base = options.ldflags if options.ldflags is not None else config.ldflags
    if base:
        parts.append(base)
    strip = options.strip if options.strip is not None else bool(config.strip)
    if strip:
        parts.append("-s -w")
    if options.version is not None:
        parts.append(f"-X {_ldflag_word('main.version=' + _check_version(options.version))}")
        commit, date = _git_stamp(package_dir)
        if commit:
            parts.append(f"-X main.commit={commit} -X main.date={date}")
    return " ".join(parts)


def _check_version(version: str) -> str:
    """--version is one value for one -X flag: never empty, never a control character."""
    if not version or any(ord(c) < 32 or ord(c) == 127 for c in version):
        raise UsageError(f"--version {quoted(version)} must be a non-empty value without control characters.")
    return version


def _ldflag_word(word: str) -> str:
    """``word`` as one field of Go's -ldflags (split on spaces, with '…' or "…" quoting), so a value with
    spaces (``1.0 -X main.other=1``) stamps exactly that string and never adds a linker flag."""
    try:
        return go_field(word)
    except ValueError:
        raise UsageError(f"--version {quoted(word.partition('=')[2])} holds both quote characters; "
                         "Go's -ldflags cannot carry that as one value.") from None


def _git_stamp(package_dir: Path) -> tuple[str | None, str | None]:
    """The checkout's commit and *commit* date: stamping the build time would break reproducibility."""
    try:
        proc = subprocess.run(["git", "log", "-1", "--format=%H %cI"], cwd=package_dir,
                              capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return None, None
    if proc.returncode != 0 or not proc.stdout.strip():
        return None, None
    commit, date = proc.stdout.split()
    return commit, date
