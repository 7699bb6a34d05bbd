"""``gocross ci gitlab``: a GitLab CI pipeline (``.gitlab-ci.yml``) that lets GitLab run the shards.

A ``parallel: N`` job — GitLab starts N copies and numbers them ``CI_NODE_INDEX`` 1…N of ``CI_NODE_TOTAL`` —
installs gocross on a Python image, keeps the local GOCACHE inside the project directory (GitLab's ``cache:``
holds only project paths; one cache per shard, as the shards build different targets; ignored by git, so that
Go does not stamp the binaries ``vcs.modified=true`` for it), uses the shared build cache when the CI/CD
variable ``GOCROSS_CACHE`` names one (GitLab exports it and gocross reads it), builds ``--shard
"$CI_NODE_INDEX/$CI_NODE_TOTAL"`` and keeps ``dist-$CI_NODE_INDEX`` as a job artifact. The runner's
artifact zip records each file's mode and its extractor restores it (gitlab-runner's
``helpers/archives/zip_extract.go`` chmods every entry), so unlike GitHub's upload no tar is needed to keep
the binaries executable. A merge job ``needs:`` the shards — which brings their artifacts — merges
``dist-1 … dist-N`` and keeps ``dist/``. On a ``v*`` tag (``rules:``, with ``release``) a ``release`` job runs
instead of ``build``: ``gocross release --shard … --version "${CI_COMMIT_TAG#v}"`` with ``gocross[release]``,
and the merge joins the partial releases and writes the checksums file and signature.

``parallel: 1`` (``--shards 1``) is accepted by GitLab since mid-2023 (its "Allow just one parallel job"
change); older versions ask for 2 or more.
"""

from __future__ import annotations

from gocross.ci.common import WorkflowOptions, write_config
from gocross.ci.common import yaml_str as _q

DEFAULT_PATH = ".gitlab-ci.yml"
GOCACHE = "$CI_PROJECT_DIR/.cache/go-build"
ON_TAG = "$CI_COMMIT_TAG =~ /^v/"  # a CI_COMMIT_TAG that is not set matches no pattern
# The restored cache is an untracked folder in the checkout, and Go stamps a binary built in a checkout with
# untracked files `vcs.modified=true`: the shard jobs first tell git to ignore it (in .git/info/exclude, once).
IGNORE_CACHE = ('exclude="$(git rev-parse --git-path info/exclude)" && mkdir -p "$(dirname "$exclude")" && '
                '{ grep -qxF /.cache/ "$exclude" 2>/dev/null || echo /.cache/ >> "$exclude"; }')


def _script(commands: list[str], key: str = "script") -> list[str]:
    return [f"  {key}:", *(f"    - {_q(c)}" for c in commands)]


def pipeline(opts: WorkflowOptions) -> str:
    """The ``.gitlab-ci.yml`` text."""
    n = opts.shards
    build, release = opts.shard_commands("$CI_NODE_INDEX", "${CI_COMMIT_TAG#v}", "$CI_NODE_TOTAL")
    lines = [
        f"# Written by `gocross ci gitlab --shards {n}`: {n} parallel shard jobs build the matrix, one job merges it.",
        "# A shared Go build cache (Bazel remote-cache HTTP protocol; may hold credentials): set the CI/CD variable",
        "# GOCROSS_CACHE (Settings > CI/CD > Variables, masked); gocross reads it from the job's environment.",
        "stages: [build, merge]",
        "default:",
        f"  image: {_q('python:' + opts.python)}",
        "variables:",
        "  # Go's local build cache, inside the project directory: GitLab's cache keeps only paths there.",
        f"  GOCACHE: {_q(GOCACHE)}",
        ".gocross-shard:",
        "  stage: build",
        f"  parallel: {n}",
        "  cache:",
        "    key: \"go-build-shard-$CI_NODE_INDEX\"",
        "    paths: [\".cache/go-build/\"]",
        "  artifacts:",
        "    # this shard's dist-$CI_NODE_INDEX; the artifact zip keeps the binaries' executable bit",
        "    paths: [\"dist-*/\"]",
        "    expire_in: \"1 week\"",
        "  # the restored .cache/ stays out of `git status`, or Go would stamp every binary vcs.modified=true",
        *_script([IGNORE_CACHE], "before_script"),
        "build:",
        "  extends: .gocross-shard",
    ]
    if opts.release:
        lines += ["  rules:", f"    - if: {_q(ON_TAG)}", "      when: never", "    - when: on_success"]
    lines += _script([opts.install, build])  # building needs no release extra
    needs = ["  needs: [build]"]
    if opts.release:
        lines += ["release:", "  extends: .gocross-shard", "  rules:", f"    - if: {_q(ON_TAG)}",
                  *_script([opts.install_command(), release])]
        # exactly one of the two runs in a pipeline; either brings its artifacts
        needs = ["  needs:", "    - job: build", "      optional: true", "    - job: release", "      optional: true"]
    lines += [
        "merge:",
        "  stage: merge",
        *needs,
        # partial releases (a tag): merge also writes the checksums file and the signature
        *_script([opts.install_command(), opts.merge_command()]),
        "  artifacts:",
        "    paths: [\"dist/\"]",
    ]
    return "\n".join(lines) + "\n"


def write_pipeline(opts: WorkflowOptions, path: str, *, force: bool = False) -> str:
    """Write the pipeline to ``path`` (``-`` returns it only); refuse to replace a file unless ``force``."""
    return write_config(pipeline(opts), path, force=force, what="pipeline")
