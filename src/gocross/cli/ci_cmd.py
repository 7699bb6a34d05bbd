"""`gocross ci github`: write a CI workflow that shards the build; and the hidden `gocross cacheprog`, the
GOCACHEPROG helper under gocross's own name (the same as `python -m gocross.cacheprog`)."""

from __future__ import annotations

import click

from gocross.cli.app import App, pass_app


@click.group()
def ci() -> None:
    """Write CI configuration that builds the matrix in shards and merges it."""


@ci.command()
@click.argument("package", required=False, default=".")
@click.option("--shards", type=click.IntRange(min=1), default=3, show_default=True, help="Shard jobs.")
@click.option("-t", "--target", "targets", multiple=True, metavar="SELECTOR",
              help="Targets (default: gocross.toml's, else first-class), written into the build step.")
@click.option("--output", "output", default=".github/workflows/gocross.yml", show_default=True,
              help="Where to write the workflow; - prints it.")
@click.option("--install", default="python -m pip install gocross", show_default=True,
              help="The step that installs gocross on the runner.")
@click.option("--force", is_flag=True, help="Replace an existing workflow file.")
@pass_app
def github(app: App, package: str, shards: int, targets: tuple[str, ...], output: str, install: str,
           force: bool) -> None:
    """A GitHub Actions workflow: a matrix job per shard, then a merge (and release) job."""
    from gocross.ci.github import WorkflowOptions, write_workflow
    from gocross.cli.root import COMMANDS

    opts = WorkflowOptions(shards=shards, package=package, targets=targets, install=install,
                           release="release" in COMMANDS)
    text = write_workflow(opts, output, force=force)
    if output == "-":
        click.echo(text, nl=False)
    else:
        app.console.print(f"wrote {output}: {shards} shard jobs and a merge job", markup=False)


@click.command(hidden=True, context_settings={"ignore_unknown_options": True, "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def cacheprog(args: tuple[str, ...]) -> None:
    """The GOCACHEPROG helper Go runs (see gocross.cacheprog)."""
    from gocross.cacheprog.__main__ import main

    raise SystemExit(main(list(args)))
