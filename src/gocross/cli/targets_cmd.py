"""`gocross targets`: the installed toolchain's ports, filtered by selectors."""

from __future__ import annotations

import click

from gocross.cli.app import App, pass_app


@click.command()
@click.argument("selectors", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the fields of `go tool dist list -json`).")
@click.option("--variants", is_flag=True, help="Also list each target's variant tokens (v6, v3, power10, …).")
@pass_app
def targets(app: App, selectors: tuple[str, ...], as_json: bool, variants: bool) -> None:
    """List the targets the Go toolchain can build; SELECTORS filter it (e.g. 'linux/*' '!*/386')."""
    from pathlib import Path

    from gocross import variants as variant_table
    from gocross.config import load_config
    from gocross.targets import list_targets

    config = load_config(Path.cwd())
    infos = list_targets(app.toolchain, selectors, config.sets)
    go = app.toolchain.version_tuple[:2]
    runs = _runner_kinds([(i.goos, i.goarch) for i in infos])
    if as_json:
        app.print_json([
            {"GOOS": i.goos, "GOARCH": i.goarch, "CgoSupported": i.cgo_supported, "FirstClass": i.first_class,
             "Runs": runs.get((i.goos, i.goarch)),
             "Variants": variant_table.all_variant_tokens(i.goarch, go)}
            for i in infos
        ])
        return
    from rich.table import Table

    table = Table(title=f"{len(infos)} targets of {app.toolchain.version}", title_justify="left")
    for column in ("target", "first-class", "cgo", "runs here", *(["variants"] if variants else [])):
        table.add_column(column)
    for i in infos:
        row = [i.name, "yes" if i.first_class else "", "yes" if i.cgo_supported else "",
               runs.get((i.goos, i.goarch)) or "?"]
        if variants:
            row.append(" ".join(variant_table.all_variant_tokens(i.goarch, go)))
        table.add_row(*row)
    app.console.print(table)


def _runner_kinds(pairs: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """How each target runs here ("native", "qemu", "node", "wasmtime" or "no"), asked of the runner table."""
    from gocross.runners import runner_kind

    return {pair: str(runner_kind(*pair)) for pair in pairs}
