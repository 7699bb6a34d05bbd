"""``gocross ci github``: a GitHub Actions workflow that lets the CI engine run the shards.

A matrix job per shard installs gocross, restores the local GOCACHE (``actions/cache``) and uses the shared
build cache when the repository secret ``GOCROSS_CACHE`` names one, builds ``--shard I/N`` and uploads
its partial dist (as a tar, since artifact uploads drop the executable bit); a merge job downloads every
part and merges them. On a ``v*`` tag (with ``release``) each shard job runs ``release --shard I/N``
instead — archives, SBOMs and packages of its slice — and the merge joins them and writes the checksums file
(and signature), the same bytes one machine would make; the merged release dist is uploaded. No scheduler of our own:
GitHub runs the matrix, gocross only decides (deterministically) which targets each shard builds.
"""

from __future__ import annotations

from gocross.ci.common import DEFAULT_INSTALL, RELEASE_INSTALL, WorkflowOptions, write_config
from gocross.ci.common import yaml_str as _q

__all__ = ["DEFAULT_INSTALL", "DEFAULT_PATH", "RELEASE_INSTALL", "WorkflowOptions", "workflow", "write_workflow"]

DEFAULT_PATH = ".github/workflows/gocross.yml"


def _run(name: str, command: str, indent: int = 6) -> list[str]:
    pad = " " * indent
    return [f"{pad}- name: {_q(name)}", f"{pad}  run: {_q(command)}"]


def _when(step: list[str], condition: str) -> list[str]:
    """The step run only when ``condition`` (a GitHub expression) holds."""
    return [*step, f"        if: {_q(condition) if condition.startswith('$') else condition}"]


def _setup(opts: WorkflowOptions) -> list[str]:
    return ["      - uses: actions/checkout@v4",
            "      - uses: actions/setup-python@v5",
            "        with:",
            f"          python-version: {_q(opts.python)}",
            *_run("Install gocross", opts.install_command())]


def workflow(opts: WorkflowOptions) -> str:
    """The workflow's YAML text."""
    n = opts.shards
    # the tag names the version (v1.2.3 → 1.2.3): a shallow checkout need not hold the tag for git to find
    build, release = opts.shard_commands("${{ matrix.shard }}", "${GITHUB_REF_NAME#v}")
    on_tag = "startsWith(github.ref, 'refs/tags/v')"
    if opts.release:
        steps = [*_when(_run("Build this shard", build), f"${{{{ !{on_tag} }}}}"),
                 *_when(_run("Release this shard", release), on_tag)]
    else:
        steps = _run("Build this shard", build)
    lines = [
        f"# Written by `gocross ci github --shards {n}`: {n} shard jobs build the matrix, one job merges it.",
        f"name: {_q(opts.name)}",
        "on:",
        "  push:",
        "    branches: [main]",
        "    tags: [\"v*\"]",
        "  pull_request:",
        "  workflow_dispatch:",
        "permissions:",
        "  contents: read",
        "env:",
        "  # A shared Go build cache (Bazel remote-cache HTTP protocol; may hold credentials): a repository secret.",
        "  GOCROSS_CACHE: ${{ secrets.GOCROSS_CACHE }}",
        "jobs:",
        "  build:",
        f"    name: build shard ${{{{ matrix.shard }}}}/{n}",
        "    runs-on: ubuntu-latest",
        "    strategy:",
        "      fail-fast: false",
        "      matrix:",
        f"        shard: [{', '.join(str(i) for i in range(1, n + 1))}]",
        "    steps:",
        *_setup(opts),
        "      - name: Restore the local Go build cache",
        "        uses: actions/cache@v4",
        "        with:",
        "          path: ~/.cache/go-build",
        "          key: go-build-${{ runner.os }}-shard-${{ matrix.shard }}-${{ github.sha }}",
        "          restore-keys: go-build-${{ runner.os }}-shard-${{ matrix.shard }}-",
        *steps,
        *_run("Pack the partial dist", "tar -cf \"dist-${{ matrix.shard }}.tar\" \"dist-${{ matrix.shard }}\""),
        "      - uses: actions/upload-artifact@v4",
        "        with:",
        "          name: dist-${{ matrix.shard }}",
        "          path: dist-${{ matrix.shard }}.tar",
        "          if-no-files-found: error",
        "  merge:",
        "    needs: build",
        "    runs-on: ubuntu-latest",
        "    steps:",
        *_setup(opts),
        "      - uses: actions/download-artifact@v4",
        "        with:",
        "          pattern: dist-*",
        "          path: parts",
        "          merge-multiple: true",
        *_run("Unpack the partial dists", "for part in parts/*.tar; do tar -xf \"$part\"; done"),
        *_run("Merge the shards", opts.merge_command()),
        "      - uses: actions/upload-artifact@v4",
        "        with:",
        "          name: dist",
        "          path: dist",
        "          if-no-files-found: error",
    ]
    return "\n".join(lines) + "\n"


def write_workflow(opts: WorkflowOptions, path: str, *, force: bool = False) -> str:
    """Write the workflow to ``path`` (``-`` returns it only); refuse to replace a file unless ``force``."""
    return write_config(workflow(opts), path, force=force, what="workflow")
