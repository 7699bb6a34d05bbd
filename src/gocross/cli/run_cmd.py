"""`gocross run BINARY [-- ARGS...]`: run a binary of any target here, under the runner its headers call for."""

from __future__ import annotations

import shlex
import sys
from typing import TYPE_CHECKING

import click

from gocross.cli.app import App, pass_app
from gocross.cli.options import SECONDS
from gocross.log import logger
from gocross.safefs import quoted

if TYPE_CHECKING:
    from gocross.launch import RunPlan, RunResult


def _shown_command(plan: RunPlan, args: tuple[str, ...]) -> str:
    """The command as a person would type it: the runner's env assignments, then the argv, quoted."""
    argv = plan.command(args)  # raises CannotRun when nothing here runs it
    assert plan.choice is not None
    env = [f"{key}={shlex.quote(value)}" for key, value in plan.choice.env.items()]
    return " ".join([*env, shlex.join(argv)])


def _exit_code_for(result: RunResult) -> int:
    """The program's own exit code when it ran; the matching gocross error code when it did not."""
    from gocross.errors import GocrossError
    from gocross.launch import raise_for_outcome

    if result.ran and result.exit_code is not None:
        return result.exit_code
    try:
        raise_for_outcome(result)
    except GocrossError as exc:
        return exc.exit_code
    return 1


@click.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.argument("binary", type=click.Path(dir_okay=False))
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.option("--timeout", type=SECONDS, metavar="SECONDS",
              help="Kill it (and everything it started) after this long; 0 = no limit. "
                   "Default: 120 s, ×10 under qemu, ×60 for soft-float, ×3 for wasm.")
@click.option("--print", "print_only", is_flag=True, help="Show the exact command instead of running it.")
@click.option("--target", metavar="GOOS/GOARCH", help="Run it as this target instead of reading the binary.")
@click.option("--variant", metavar="VALUE",
              help="Emulate the CPU of this variant level (Go's spelling, e.g. 6 for GOARM=6, power9).")
@click.option("--cpu", metavar="MODEL", help="Force the emulated CPU model (QEMU_CPU), e.g. arm1176.")
@click.option("--json", "as_json", is_flag=True,
              help="Capture the output and print the run's result as JSON (exit code as without --json).")
@pass_app
def run(app: App, binary: str, args: tuple[str, ...], timeout: float | None, print_only: bool,
        target: str | None, variant: str | None, cpu: str | None, as_json: bool) -> None:
    """Run BINARY here with the right runner (native, qemu, node, wasmtime); ARGS go to the program.

    The exit code is the program's. "Could not run" is reported apart from "ran and failed": 126 no
    runner here, 127 runner not installed (with the install command), 132 the (emulated) CPU lacks an
    instruction the binary uses (SIGILL), 124 timed out.
    """
    from gocross.launch import RunOutcome, plan_for, raise_for_outcome

    if args[:1] == ("--",):  # `gocross run BINARY -- ARGS`: the separator is ours, not the program's
        args = args[1:]
    plan = plan_for(binary, target=target, variant=variant, cpu=cpu)
    if variant is not None:
        _check_variant(plan.goarch, variant)
    if print_only:
        _print_plan(app, plan, args, as_json)
        return
    if as_json:
        result = plan.run(args, timeout=timeout, capture=True)
        app.print_json(result.to_json())
        sys.exit(_exit_code_for(result))
    sys.stdout.flush()
    result = raise_for_outcome(plan.run(args, timeout=timeout, capture=False))
    for line in result.runner_messages:
        logger.info("%s: %s", result.runner, line)
    if result.outcome == RunOutcome.SIGNALED:
        click.echo(f"gocross: {plan.binary.name} {result.reason}", err=True)
    sys.exit(result.exit_code or 0)


def _check_variant(goarch: str, variant: str) -> None:
    """--variant must be a value Go knows for the binary's architecture (any Go release's)."""
    from gocross.errors import UsageError
    from gocross.variants import parse_variant

    parsed = parse_variant(goarch, variant.replace(",", "+"), (1, 999))
    if isinstance(parsed, str):
        raise UsageError(f"--variant {quoted(variant)} is not a variant of {goarch}: "
                         f"{parsed.rsplit(' with go', 1)[0]}.")


def _print_plan(app: App, plan: RunPlan, args: tuple[str, ...], as_json: bool) -> None:
    if as_json:
        choice = plan.choice
        app.print_json({
            "binary": str(plan.binary), "target": plan.target, "variant": plan.variant,
            "runner": choice.name if choice else None, "installed": choice.installed if choice else False,
            "install_hint": choice.install_hint if choice else None,
            "env": dict(choice.env) if choice else {},
            "command": choice.command(plan.binary, args) if choice else None,
            "reason": plan.reason,
        })
        return
    click.echo(_shown_command(plan, args))
    choice = plan.choice
    if choice is not None and not choice.installed:
        click.echo(f"gocross: {choice.program} is not installed; install it with `{choice.install_hint}`",
                   err=True)
