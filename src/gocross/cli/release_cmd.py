"""`gocross release`: build (or take a build) and ship it — archives, checksums, SBOMs, packages, signature."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from gocross.cli.app import App, pass_app
from gocross.cli.options import build_flags, build_options, given_options
from gocross.cli.progress import MatrixProgress

if TYPE_CHECKING:
    from gocross.release import ReleaseProgress, ReleaseResult


@click.command()
@click.argument("package_dir", required=False, type=click.Path(path_type=Path))
@click.option("--version", "version", metavar="V", help="The release's version (default: the git tag at HEAD).")
@click.option("--from", "from_dir", type=click.Path(path_type=Path),
              help="Release the build in this folder (its artifacts.json) instead of building.")
@click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path),
              help="Where the release goes (default: the build's folder).")
@click.option("--allow-dirty", is_flag=True, help="Release even if the git tree has uncommitted changes.")
@click.option("--packages/--no-packages", default=True, help="Make .deb/.rpm/.apk for linux targets (nfpm).")
@click.option("--sbom/--no-sbom", default=True, help="Write a CycloneDX SBOM per archive.")
@click.option("--sign", "sign_method", type=click.Choice(["gpg", "ssh"]),
              help="Sign the checksums file (default: gocross.toml [release] sign, else unsigned).")
@click.option("--key", help="The GnuPG key id or SSH private key file to sign with.")
@build_flags
@click.option("--json", "as_json", is_flag=True, help="Print the release's files as JSON instead of a table.")
@pass_app
def release(app: App, /, package_dir: Path | None, version: str | None, from_dir: Path | None, out_dir: Path | None,
            allow_dirty: bool, packages: bool, sbom: bool, sign_method: str | None, key: str | None,
            as_json: bool, **flags: Any) -> None:
    """Release PACKAGE_DIR (default: .): reproducible archives, checksums, SBOMs, Linux packages, signature.

    It builds as `gocross build` does, with the same flags and gocross.toml, unless --from names a build.
    With --shard I/N it releases one shard's targets; `gocross merge` joins the parts and writes the checksums
    file and signature.
    """
    from gocross.errors import UsageError
    from gocross.release import ReleaseOptions, SignMethod
    from gocross.release import release as run_release

    given = given_options(click.get_current_context(), [name for name in flags if name != "jobs"])
    if from_dir is not None and given:
        raise UsageError(f"--from releases an existing build as it is; drop {'/'.join(given)} or build again "
                         "without --from.")
    build = build_options(package_dir or Path(), flags)
    options = ReleaseOptions(package_dir=package_dir, build=build, from_dir=from_dir, out_dir=out_dir,
                             version=version, allow_dirty=allow_dirty, packages=packages, sbom=sbom,
                             sign=SignMethod(sign_method) if sign_method else None, key=key, jobs=flags["jobs"])
    toolchain = app.toolchain if from_dir is None else None
    with MatrixProgress(app, "releasing", quiet=as_json) as view:
        result = run_release(options, toolchain=toolchain, progress=_progress(view))
    if as_json:
        app.print_json({"manifest": str(result.manifest), "version": result.version, "commit": result.commit,
                        "release": [f.to_json(result.out_dir) for f in result.files]})
    else:
        _render(app, result)


def _progress(view: MatrixProgress) -> ReleaseProgress:
    def report(event: str, label: str, file: object) -> None:
        if event == "start":
            view.started(label)
        else:
            view.finished(label, label if event == "built" else f"wrote {label}")

    return report


def _render(app: App, result: ReleaseResult) -> None:
    from rich.table import Table

    table = Table(title_justify="left", title=f"{result.version}: {len(result.files)} files for "
                  f"{len(result.released)} targets in {result.seconds:.1f}s, {result.jobs} in parallel")
    for column, justify in (("file", "left"), ("kind", "left"), ("target", "left"), ("size", "right"),
                            ("sha256", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for f in result.files:
        table.add_row(f.path.name, f"{f.kind} {f.format}", f.target or "-", _size(f.size), f.sha256[:16])
    app.console.print(table)
    if result.skipped:
        app.console.print(f"skipped by the build (not released): {', '.join(result.skipped)}", markup=False)
    app.console.print(f"\nmanifest: {result.manifest}", markup=False)


def _size(size: int) -> str:
    return f"{size / (1 << 20):.1f} MiB" if size >= 1 << 20 else f"{size / 1024:.1f} KiB"
