"""`gocross ci github` / `gocross ci gitlab`: write CI configuration that shards the build; and the hidden
`gocross cacheprog`, the GOCACHEPROG helper under gocross's own name (the same as `python -m gocross.cacheprog`)."""

from __future__ import annotations

from collections.abc import Callable

import click

from gocross.ci.common import DEFAULT_INSTALL
from gocross.cli.app import App, pass_app
from gocross.cli.options import F, stacked


@click.group()
def ci() -> None:
    """Write CI configuration that builds the matrix in shards and merges it."""


def _writer_options(output: str, what: str, max_shards: int | None = None) -> Callable[[F], F]:
    """The options `ci github` and `ci gitlab` share; ``output`` is the default path of the file they write."""
    return stacked(
        click.argument("package", required=False, default="."),
        click.option("--shards", type=click.IntRange(min=1, max=max_shards), default=3, show_default=True,
                     help="Shard jobs."),
        click.option("-t", "--target", "targets", multiple=True, metavar="SELECTOR",
                     help="Targets (default: gocross.toml's, else first-class), written into the build step."),
        click.option("--output", "output", default=output, show_default=True,
                     help=f"Where to write the {what}; - prints it."),
        click.option("--install", default=DEFAULT_INSTALL, show_default=True,
                     help="The command that installs gocross on the runner."),
        click.option("--force", is_flag=True, help=f"Replace an existing {what} file."),
    )


def _write(app: App, kind: str, package: str, shards: int, targets: tuple[str, ...], output: str, install: str,
           force: bool) -> None:
    from gocross.ci.common import WorkflowOptions
    from gocross.cli.root import COMMANDS

    opts = WorkflowOptions(shards=shards, package=package, targets=targets, install=install,
                           release="release" in COMMANDS)
    if kind == "github":
        from gocross.ci.github import write_workflow as write
    else:
        from gocross.ci.gitlab import write_pipeline as write
    text = write(opts, output, force=force)
    if output == "-":
        click.echo(text, nl=False)
    else:
        app.console.print(f"wrote {output}: {shards} shard jobs and a merge job", markup=False)


@ci.command()
@_writer_options(".github/workflows/gocross.yml", "workflow")
@pass_app
def github(app: App, package: str, shards: int, targets: tuple[str, ...], output: str, install: str,
           force: bool) -> None:
    """A GitHub Actions workflow: a matrix job per shard, then a merge (and release) job."""
    _write(app, "github", package, shards, targets, output, install, force)


@ci.command()
@_writer_options(".gitlab-ci.yml", "pipeline", max_shards=200)  # GitLab's limit for `parallel:`
@pass_app
def gitlab(app: App, package: str, shards: int, targets: tuple[str, ...], output: str, install: str,
           force: bool) -> None:
    """A GitLab CI pipeline: a `parallel:` shard job, then a merge job (a release on v* tags)."""
    _write(app, "gitlab", package, shards, targets, output, install, force)


@click.command(hidden=True, context_settings={"ignore_unknown_options": True, "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def cacheprog(args: tuple[str, ...]) -> None:
    """The GOCACHEPROG helper Go runs (see gocross.cacheprog)."""
    from gocross.cacheprog.__main__ import main

    raise SystemExit(main(list(args)))
