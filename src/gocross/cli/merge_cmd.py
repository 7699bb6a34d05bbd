"""`gocross merge DIST... --out DIST`: the partial dists of `build --shard I/N` joined into one."""

from __future__ import annotations

from pathlib import Path

import click

from gocross.cli.app import App, pass_app


@click.command()
@click.argument("dists", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(path_type=Path),
              help="The merged dist (a folder of its own).")
@click.option("--json", "as_json", is_flag=True, help="Print the merged artifact list as JSON.")
@pass_app
def merge(app: App, dists: tuple[Path, ...], out_dir: Path, as_json: bool) -> None:
    """Merge the partial dists of `gocross build --shard I/N` (every shard, same source and options)."""
    from gocross.merge import merge as run_merge

    result = run_merge(dists, out_dir)
    if as_json:
        app.print_json({"manifest": str(result.manifest),
                        "artifacts": [a.to_json(result.out_dir) for a in result.artifacts],
                        "release": [f.to_json(result.out_dir) for f in result.release]})
        return
    built = sum(1 for a in result.artifacts if a.ok)
    app.console.print(f"merged {result.shards} shards: {built} of {len(result.artifacts)} targets built, "
                      f"into {result.out_dir}", markup=False)
    for a in result.artifacts:
        app.console.print(f"  {a.status:>9}  {a.target:<22} {a.path.name if a.path else '-'}", markup=False)
    if result.release:
        app.console.print(f"release: {len(result.release)} files, "
                          f"{', '.join(f.path.name for f in result.release if f.target is None)} written here",
                          markup=False)
    app.console.print(f"manifest: {result.manifest}", markup=False)
