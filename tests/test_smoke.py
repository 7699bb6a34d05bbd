"""`gocross smoke`: the post's scenario end to end, and each way a smoke check can end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import POST_TARGETS, BuildGo
from tests.helpers import gocross

from gocross import artifacts as artifacts_module
from gocross.artifacts import Artifact, ArtifactStatus
from gocross.smoketest import SmokeOptions, smoke

# A server that takes its address from argv (for the {port} placeholder) and answers with its GOARCH.
ARGV_SERVER = """
package main

import (
	"fmt"
	"net/http"
	"os"
	"runtime"
)

func main() {
	http.HandleFunc("/arch", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "arch", runtime.GOARCH)
	})
	if err := http.ListenAndServe(os.Args[1], nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
"""

# Never listens, never ends.
SILENT = """
package main

import "time"

func main() {
	for {
		time.Sleep(time.Second)
	}
}
"""

QUICK = """
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Println("args", os.Args[1:])
	os.Exit(len(os.Args) - 1)
}
"""


def write_manifest(dist: Path, entries: list[tuple[str, Path | None, str]]) -> Path:
    """An artifacts.json as `gocross build` writes it (through the same writer): (target, binary, status)."""
    dist.mkdir(parents=True, exist_ok=True)
    artifacts = []
    for target, binary, status in entries:
        goos, goarch, *variant = target.split("/")
        path = None
        if binary is not None:
            path = dist / f"{goos}_{goarch}_{binary.name}"
            path.write_bytes(binary.read_bytes())
            path.chmod(0o755)
        artifacts.append(Artifact(target, goos, goarch, variant[0] if variant else None, None, path, None, None,
                                  0.0, ArtifactStatus(status), None if status == "ok" else "failed"))
    artifacts_module.write_manifest(dist, artifacts, {"gocross": "test", "go": "go1.27.3", "package": "test",
                                                      "cancelled": False})
    return dist


def test_post_scenario_every_arch_answers_hello_world(hello_dist: Path) -> None:
    report = smoke(hello_dist, SmokeOptions(serve=True, expect="hello world"))
    assert report.ok, report
    assert sorted(c.target for c in report.checks) == sorted(POST_TARGETS)
    for check in report.checks:
        assert check.status == "pass", check
        assert check.http_status == 200 and check.output == "hello world\n"
    runners = {c.target: c.runner for c in report.checks}
    assert runners["linux/amd64"] == "native" and runners["linux/s390x"] == "qemu-user"


def test_post_scenario_cli_table(hello_dist: Path) -> None:
    proc = gocross("smoke", hello_dist, "--serve", "--expect", "hello world")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = [line for line in proc.stdout.splitlines() if "linux/" in line]
    assert len(rows) == len(POST_TARGETS)
    assert all(" pass " in row and "hello world" in row for row in rows), proc.stdout


def test_args_mode(hello_dist: Path) -> None:
    proc = gocross("smoke", hello_dist, "--args", "--version", "--expect", "dev", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["ok"] and data["mode"] == "args" and data["counts"] == {"pass": len(POST_TARGETS)}
    bad = gocross("smoke", hello_dist, "--args", "--version", "--expect", "v9.9.9", "-t", "linux/arm64")
    assert bad.returncode == 7
    assert "fail" in bad.stdout and "lacks 'v9.9.9'" in bad.stdout
    assert bad.stderr.count("\n") == 1 and "linux/arm64 (fail)" in bad.stderr


def test_port_placeholder_in_args_and_http_path(build_go: BuildGo, tmp_path: Path) -> None:
    dist = write_manifest(tmp_path / "dist", [
        ("linux/amd64", build_go(ARGV_SERVER, "linux", "amd64"), "ok"),
        ("linux/arm64", build_go(ARGV_SERVER, "linux", "arm64"), "ok"),
        ("linux/riscv64", None, "failed"),
    ])
    opts = SmokeOptions(serve=True, args=("127.0.0.1:{port}",), port_env=None, path="/arch", expect="arch")
    report = smoke(dist, opts)
    assert report.ok, report
    assert {c.target: c.output for c in report.checks} == {"linux/amd64": "arch amd64\n",
                                                          "linux/arm64": "arch arm64\n"}
    assert report.skipped == ("linux/riscv64",)
    missing = smoke(dist, SmokeOptions(serve=True, args=("127.0.0.1:{port}",), path="/nope", port_env=None))
    assert not missing.ok
    assert all(c.status == "fail" and c.http_status == 404 for c in missing.checks)


def test_server_that_never_listens_or_exits_early(build_go: BuildGo, tmp_path: Path) -> None:
    dist = write_manifest(tmp_path / "dist", [
        ("linux/amd64", build_go(SILENT, "linux", "amd64"), "ok"),
        ("linux/ppc64le", build_go(QUICK, "linux", "ppc64le"), "ok"),
    ])
    report = smoke(dist, SmokeOptions(serve=True, timeout=2))
    by_target = {c.target: c for c in report.checks}
    assert by_target["linux/amd64"].status == "timeout"
    assert "did not accept connections" in by_target["linux/amd64"].detail
    assert by_target["linux/ppc64le"].status == "fail"
    assert "exited (0) before accepting connections" in by_target["linux/ppc64le"].detail


def test_exit_code_and_not_runnable_targets(build_go: BuildGo, tmp_path: Path) -> None:
    dist = write_manifest(tmp_path / "dist", [
        ("linux/mips64le", build_go(QUICK, "linux", "mips64le"), "ok"),
        ("darwin/arm64", build_go(QUICK, "darwin", "arm64"), "ok"),
    ])
    report = smoke(dist, SmokeOptions(args=("a", "b"), expect="args [a b]", expect_exit=2))
    statuses = {c.target: c.status for c in report.checks}
    assert statuses == {"linux/mips64le": "pass", "darwin/arm64": "not-run"}
    assert report.ok  # targets nothing here can run do not fail a smoke test
    wrong = smoke(dist, SmokeOptions(args=("a",)))
    check = next(c for c in wrong.checks if c.target == "linux/mips64le")
    assert check.status == "fail" and "exit 1, expected 0" in check.detail and check.exit_code == 1


def test_missing_manifest_is_a_clean_error(tmp_path: Path) -> None:
    proc = gocross("smoke", tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "No artifacts.json" in proc.stderr


@pytest.mark.parametrize("serve", [False, True])
def test_missing_emulator_is_could_not_run(build_go: BuildGo, tmp_path: Path, serve: bool,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    dist = write_manifest(tmp_path / "dist", [("linux/s390x", build_go(QUICK, "linux", "s390x"), "ok")])
    monkeypatch.setenv("PATH", str(tmp_path))
    report = smoke(dist, SmokeOptions(serve=serve))
    (check,) = report.checks
    assert check.status == "could-not-run" and "apt-get install qemu-user-static" in check.detail
    assert not report.ok
