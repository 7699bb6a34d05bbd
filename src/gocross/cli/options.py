"""Option types shared by several commands, checked at parse time so a bad value is one usage line."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from click.core import ParameterSource

from gocross.safefs import quoted

# click.ParamType is generic only in newer click releases: subscripted for the type checker alone.
if TYPE_CHECKING:
    from gocross.plan import BuildOptions

F = TypeVar("F", bound=Callable[..., Any])

if TYPE_CHECKING:
    _ParamType = click.ParamType[float]
else:
    _ParamType = click.ParamType


class Seconds(_ParamType):
    """A time limit in seconds: a finite number, 0 or more (0 = no limit); nan, inf and negatives are refused."""

    name = "seconds"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, float):
            seconds = value
        else:
            try:
                seconds = float(value)
            except (TypeError, ValueError):
                self.fail(f"{quoted(value)} is not a number of seconds.", param, ctx)
        if not math.isfinite(seconds) or seconds < 0:
            self.fail(f"{quoted(value)} is not a time limit; give a finite number of seconds, 0 for none.",
                      param, ctx)
        return seconds


SECONDS = Seconds()


_BUILD_FLAGS = (
    click.option("-t", "--target", "targets", multiple=True, metavar="SELECTOR",
                 help="Targets to build: os/arch[/variant], globs, sets, !exclusions; repeat or comma-separate."),
    click.option("--name", "name_template", metavar="TEMPLATE",
                 help="Output name template (default {name}_{os}_{arch}{variant}{ext})."),
    click.option("--ldflags", help="Extra linker flags, passed to go build -ldflags."),
    click.option("--tags", help="Build tags, comma-separated."),
    click.option("--trimpath/--no-trimpath", default=None, help="Remove file system paths (default: on)."),
    click.option("--strip/--no-strip", default=None, help="Strip symbols and DWARF (-s -w)."),
    click.option("--cgo/--no-cgo", default=None,
                 help="CGO_ENABLED=1 with zig as each target's C compiler (pip install 'gocross[cgo]'; "
                      "default off)."),
    click.option("--libc", type=click.Choice(["gnu", "musl"]),
                 help="With --cgo on Linux: glibc, dynamic (default) or musl, fully static."),
    click.option("--glibc", metavar="2.N", help="With --cgo --libc gnu: the newest glibc the binaries may need "
                 "(default 2.17, or the architecture's first)."),
    click.option("-j", "--jobs", type=click.IntRange(min=1), help="Targets built in parallel (default: measured)."),
    click.option("--force", is_flag=True,
                 help="Run go build for every target even if gocross recorded no change."),
    click.option("--shard", "shard_spec", metavar="I/N",
                 help="Only shard I of N of the targets (balanced, deterministic), into a partial dist."),
    click.option("--cache", "cache", metavar="URL",
                 help="Shared Go build cache: http(s)://… (Bazel remote-cache protocol) or a folder; off "
                      "disables."),
)


def stacked(*options: Callable[[F], F]) -> Callable[[F], F]:
    """One decorator applying click options in the order listed (as if stacked above the function)."""
    def decorate(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command
    return decorate


build_flags = stacked(*_BUILD_FLAGS)
"""The options of how the matrix is built, the same on every command that builds (build, release)."""


def given_options(ctx: click.Context, names: Iterable[str]) -> list[str]:
    """The long spelling (``--strip``) of each of ``names`` the user set, on the command line or through the
    environment, rather than leaving it to its default."""
    long = {p.name: max(p.opts, key=len) for p in ctx.command.params}
    return [long[n] for n in names if ctx.get_parameter_source(n) not in (None, ParameterSource.DEFAULT)]


def build_options(package_dir: Path, flags: Mapping[str, Any], **more: Any) -> BuildOptions:
    """The BuildOptions of ``build_flags``' values (``flags``, by parameter name) plus ``more`` fields."""
    from gocross.cgo import Libc
    from gocross.plan import BuildOptions
    from gocross.shard import parse_shard

    tags, libc, shard = flags["tags"], flags["libc"], flags["shard_spec"]
    return BuildOptions(
        package_dir=package_dir, targets=flags["targets"], name_template=flags["name_template"],
        ldflags=flags["ldflags"], tags=tuple(t for t in tags.split(",") if t) if tags is not None else None,
        trimpath=flags["trimpath"], strip=flags["strip"], cgo=flags["cgo"], libc=Libc(libc) if libc else None,
        glibc=flags["glibc"], jobs=flags["jobs"], force=flags["force"],
        shard=parse_shard(shard) if shard else None, cache=flags["cache"], **more)
