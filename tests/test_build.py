"""`gocross build` end to end with the real toolchain."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.conftest import HELLO, POST_TARGETS, write_module
from tests.helpers import ELF_MACHINE, assert_clean_error, elf_machine, gocross

from gocross.artifacts import sha256_file
from gocross.builder import build
from gocross.plan import BuildOptions, make_plan
from gocross.targets import list_targets
from gocross.toolchain import Toolchain

TINY = {"main.go": """
    package main

    import "fmt"

    var version = "dev"

    func main() { fmt.Println("tiny", version) }
"""}


def test_post_five_arches_cli(tmp_path: Path) -> None:
    """The post's loop, done right: five binaries with the right ELF machine and byte order, and a manifest."""
    out = tmp_path / "dist"
    proc = gocross("build", HELLO, "--target", ",".join(POST_TARGETS), "--out", out)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    manifest = json.loads((out / "artifacts.json").read_text())
    entries = {e["target"]: e for e in manifest["artifacts"]}
    assert sorted(entries) == sorted(POST_TARGETS)
    for target, entry in entries.items():
        goarch = target.split("/")[1]
        path = out / entry["path"]
        assert path.name == f"hello_linux_{goarch}"
        assert entry["status"] == "ok" and entry["error"] is None
        assert (entry["goos"], entry["goarch"]) == ("linux", goarch)
        assert entry["sha256"] == sha256_file(path)
        assert entry["size"] == path.stat().st_size
        assert elf_machine(path) == ELF_MACHINE[goarch]
        assert f"linux/{goarch}" in proc.stdout and f"hello_linux_{goarch}" in proc.stdout
    assert "5 of 5 targets built" in proc.stdout
    assert not [p for p in out.iterdir() if ".gocross-tmp-" in p.name], "temporaries left behind"


def test_second_build_does_not_relink(hello_dist: Path) -> None:
    before = {p.name: (p.stat().st_ino, p.stat().st_size) for p in hello_dist.glob("hello_*")}
    result = build(BuildOptions(package_dir=HELLO, targets=POST_TARGETS, out_dir=hello_dist))
    assert result.ok
    assert [a.relinked for a in result.artifacts] == [False] * 5
    after = {p.name: (p.stat().st_ino, p.stat().st_size) for p in hello_dist.glob("hello_*")}
    assert after == before
    assert [a.cached for a in result.artifacts] == [True] * 5, "a no-op rebuild ran go build"


def test_json_output_is_the_manifest(tmp_path: Path) -> None:
    proc = gocross("build", HELLO, "-t", "linux/arm64", "-o", tmp_path, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    on_disk = json.loads((tmp_path / "artifacts.json").read_text())
    assert data["artifacts"] == on_disk["artifacts"]
    assert data["artifacts"][0]["sha256"] == sha256_file(tmp_path / "hello_linux_arm64")


def test_one_failing_target_keeps_the_others(tmp_path: Path) -> None:
    mod = write_module(tmp_path / "prog", {
        **TINY,
        "broken_s390x.go": "package main\n\nfunc broken() int { return undefinedThing }\n",
    })
    proc = gocross("build", mod, "-t", "linux/amd64,linux/s390x,linux/arm64", "-o", tmp_path / "out")
    assert proc.returncode == 5, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    manifest = json.loads((tmp_path / "out" / "artifacts.json").read_text())
    status = {e["target"]: e for e in manifest["artifacts"]}
    assert status["linux/amd64"]["status"] == "ok" and status["linux/arm64"]["status"] == "ok"
    assert status["linux/s390x"]["status"] == "failed"
    assert "undefined: undefinedThing" in status["linux/s390x"]["error"]
    assert "undefined: undefinedThing" in proc.stdout  # the compiler's output, shown for that target
    assert "1 of 3 target(s) failed to build: linux/s390x" in proc.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.name != ".gocross-state.json") == [
        "artifacts.json", "prog_linux_amd64", "prog_linux_arm64"]


def test_reproducible_from_two_directories(tmp_path: Path) -> None:
    digests = []
    for where in ("first/place", "second/somewhere/else"):
        src = tmp_path / where / "hello"
        shutil.copytree(HELLO, src, ignore=shutil.ignore_patterns("dist"))
        result = build(BuildOptions(package_dir=src, targets=("linux/arm64", "linux/s390x"),
                                    version="1.2.3"))
        assert result.ok
        digests.append([(a.path.name, a.path.read_bytes()) for a in result.artifacts if a.path])
    assert digests[0] == digests[1]


@pytest.mark.slow  # the second build starts from an empty GOCACHE, by design: the standard library, every run
def test_check_reproducible(tmp_path: Path) -> None:
    mod = write_module(tmp_path / "tiny", TINY)
    proc = gocross("build", mod, "-t", "linux/amd64", "--check-reproducible")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "NOT REPRODUCIBLE" not in proc.stdout


def test_version_stamp_and_strip(tmp_path: Path) -> None:
    mod = write_module(tmp_path / "tiny", TINY)
    result = build(BuildOptions(package_dir=mod, targets=("linux/amd64",), version="v9.8.7", strip=True))
    (artifact,) = result.artifacts
    assert artifact.path is not None
    out = subprocess.run([artifact.path], capture_output=True, text=True, check=True).stdout
    assert out == "tiny v9.8.7\n"
    unstripped = build(BuildOptions(package_dir=mod, targets=("linux/amd64",), out_dir=tmp_path / "u"))
    assert unstripped.artifacts[0].size is not None and artifact.size is not None
    assert artifact.size < unstripped.artifacts[0].size
    assert b".symtab" not in artifact.path.read_bytes()


def test_config_file_and_cli_override(tmp_path: Path) -> None:
    mod = write_module(tmp_path / "cfg", TINY)
    (mod / "gocross.toml").write_text(
        'targets = ["mine"]\nname = "{name}-{os}-{arch}{ext}"\nout = "release"\n'
        '[sets]\nmine = ["linux/amd64", "windows/amd64"]\n')
    result = build(BuildOptions(package_dir=mod))
    assert sorted(a.path.name for a in result.artifacts if a.path) == ["cfg-linux-amd64", "cfg-windows-amd64.exe"]
    assert all(a.path and a.path.parent == mod / "release" for a in result.artifacts)
    result = build(BuildOptions(package_dir=mod, targets=("linux/amd64",), name_template="x_{arch}"))
    assert [a.path.name for a in result.artifacts if a.path] == ["x_amd64"]
    (mod / "gocross.toml").write_text('target = ["linux/amd64"]\n')
    assert_clean_error(gocross("build", mod), 2, "unknown key 'target'")


def test_default_is_first_class(toolchain: Toolchain, tmp_path: Path) -> None:
    mod = write_module(tmp_path / "d", TINY)
    plan = make_plan(toolchain, BuildOptions(package_dir=mod), jobs=2)
    assert plan.default_targets
    assert [s.target.name for s in plan.steps] == [i.name for i in list_targets(toolchain) if i.first_class]


def test_external_linking_targets_are_explained(tmp_path: Path) -> None:
    mod = write_module(tmp_path / "x", TINY)
    proc = gocross("build", mod, "-t", "linux/amd64,ios/arm64,android/amd64")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ios/arm64 needs cgo and Apple's toolchain" in proc.stdout
    assert "android/amd64 needs cgo and the Android NDK" in proc.stdout
    proc = gocross("build", mod, "-t", "ios/*")
    assert proc.returncode == 5
    assert "Nothing was built" in proc.stderr


def test_bad_inputs_are_one_line(tmp_path: Path) -> None:
    mod = write_module(tmp_path / "p", TINY)
    assert_clean_error(gocross("build", mod, "-t", "linux/amd46"), 2, "did you mean linux/amd64")
    assert_clean_error(gocross("build", tmp_path / "nowhere"), 2, "does not exist")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert_clean_error(gocross("build", mod, "-t", "linux/amd64", "-o", blocker / "dist"), 4,
                       "Cannot write to the output folder", "--out")
    assert_clean_error(gocross("build", mod, "-t", "linux/amd64", "--name", "{nme}"), 2, "unknown field(s) nme")
    assert_clean_error(gocross("build", mod, "-t", "linux/*", "--name", "{name}_{os}"), 2, "same file name")


def _default_signals() -> None:
    """In the child: Ctrl-C and SIGTERM at their defaults. A suite started in the background inherits SIGINT
    ignored, and a child that ignores it would legitimately finish the build instead of stopping."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@pytest.mark.slow  # a cold GOCACHE, by design: the standard library for two architectures, every run
def test_ctrl_c_keeps_finished_targets_only(tmp_path: Path) -> None:
    """Interrupt while a cold compile is running: no partial binary, a manifest of the finished target."""
    mod = write_module(tmp_path / "int", TINY)
    out = tmp_path / "out"
    env = {**os.environ, "GOCACHE": str(tmp_path / "cold-cache")}
    # linux/amd64 first, then a second arch; one at a time so the second is mid-compile when we interrupt.
    proc = subprocess.Popen([sys.executable, "-m", "gocross", "build", str(mod), "-j", "1", "-o", str(out),
                             "-t", "linux/amd64,linux/riscv64"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=_default_signals)
    assert proc.stderr is not None
    line = proc.stderr.readline()
    assert "linux/amd64" in line and "ok" in line, line
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    manifest = json.loads((out / "artifacts.json").read_text())
    assert manifest["cancelled"] is True
    assert [(e["target"], e["status"]) for e in manifest["artifacts"]] == [("linux/amd64", "ok")]
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".gocross-state")) == [
        "artifacts.json", "int_linux_amd64"]


def test_variants_are_built_and_verified(tmp_path: Path) -> None:
    mod = write_module(tmp_path / "v", TINY)
    result = build(BuildOptions(package_dir=mod, targets=("linux/arm/v6", "linux/amd64/v3", "linux/arm/v7+softfloat")))
    assert result.ok, [a.error for a in result.failed]
    got = {a.target: (a.path.name if a.path else None, a.inspection and a.inspection["variant"])
           for a in result.artifacts}
    assert got == {
        "linux/arm/v6": ("v_linux_arm_v6", "6"),
        "linux/amd64/v3": ("v_linux_amd64_v3", "v3"),
        "linux/arm/v7+softfloat": ("v_linux_arm_v7+softfloat", "7,softfloat"),
    }
    manifest = json.loads((mod / "dist" / "artifacts.json").read_text())
    inspected = {e["target"]: e["inspection"] for e in manifest["artifacts"]}
    assert inspected["linux/arm/v6"]["goarch"] == "arm" and inspected["linux/arm/v6"]["variant_var"] == "GOARM"


def test_output_that_is_not_what_was_asked_fails_that_target(tmp_path: Path) -> None:
    """An environment that overrides GOARCH makes Go build something else: caught by inspecting the output."""
    mod = write_module(tmp_path / "m", TINY)
    result = build(BuildOptions(package_dir=mod, targets=("linux/amd64",), extra_env={"GOARCH": "arm64"}))
    (artifact,) = result.artifacts
    assert artifact.status == "failed"
    assert artifact.error is not None and "produced a linux/arm64 binary, not the linux/amd64" in artifact.error
    assert not (mod / "dist" / "m_linux_amd64").exists()


def test_incremental_rebuilds_exactly_what_changed(tmp_path: Path) -> None:
    mod = write_module(tmp_path / "inc", TINY)
    opts = BuildOptions(package_dir=mod, targets=("linux/amd64", "linux/arm64"))
    first = build(opts)
    assert [(a.relinked, a.cached) for a in first.artifacts] == [(True, False)] * 2
    same = build(opts)
    assert [(a.relinked, a.cached) for a in same.artifacts] == [(False, True)] * 2
    assert [a.sha256 for a in same.artifacts] == [a.sha256 for a in first.artifacts]

    (mod / "NOTES.txt").write_text("not Go, but gocross cannot know Go ignores it\n")
    unrelated = build(opts)  # go build runs, finds the outputs up to date, leaves them alone
    assert [(a.relinked, a.cached) for a in unrelated.artifacts] == [(False, False)] * 2
    assert [a.sha256 for a in unrelated.artifacts] == [a.sha256 for a in first.artifacts]

    (mod / "main.go").write_text((mod / "main.go").read_text().replace('"tiny"', '"edited"'))
    edited = build(opts)
    assert [(a.relinked, a.cached) for a in edited.artifacts] == [(True, False)] * 2
    assert all(a.sha256 != b.sha256 for a, b in zip(edited.artifacts, first.artifacts, strict=True))
    assert edited.artifacts[0].path is not None
    out = subprocess.run([edited.artifacts[0].path], capture_output=True, text=True, check=True).stdout
    assert out == "edited dev\n"

    victim = edited.artifacts[1].path
    assert victim is not None
    victim.write_bytes(b"overwritten by someone else")
    repaired = build(opts)
    assert repaired.artifacts[1].sha256 == edited.artifacts[1].sha256 == sha256_file(victim)
    assert not repaired.artifacts[1].cached

    forced = build(BuildOptions(package_dir=mod, targets=("linux/amd64",), force=True))
    assert (forced.artifacts[0].relinked, forced.artifacts[0].cached) == (False, False)


def test_toolchain_gc_tuning_respects_the_user(monkeypatch: pytest.MonkeyPatch) -> None:
    from gocross.builder import MEMORY_PER_JOB, TOOLCHAIN_GOGC, toolchain_gc_env

    monkeypatch.delenv("GOGC", raising=False)
    monkeypatch.delenv("GOMEMLIMIT", raising=False)
    env = toolchain_gc_env(3)
    assert env["GOGC"] == TOOLCHAIN_GOGC and int(env["GOMEMLIMIT"]) >= MEMORY_PER_JOB
    assert int(toolchain_gc_env(1)["GOMEMLIMIT"]) >= int(env["GOMEMLIMIT"])  # fewer jobs, bigger share
    for name in ("GOGC", "GOMEMLIMIT"):
        with monkeypatch.context() as m:
            m.setenv(name, "100" if name == "GOGC" else "1GiB")
            assert toolchain_gc_env(3) == {}


def test_gc_tuning_changes_no_output_byte(tmp_path: Path) -> None:
    """gocross's GOGC=400 for the toolchain against Go's default GOGC=100: the same bytes."""
    tuned = gocross("build", HELLO, "--target", "linux/arm64", "--out", tmp_path / "tuned", "--json")
    plain = gocross("build", HELLO, "--target", "linux/arm64", "--out", tmp_path / "plain", "--json",
                    env={**os.environ, "GOGC": "100"})
    assert tuned.returncode == 0 and plain.returncode == 0, tuned.stderr + plain.stderr
    a, b = tmp_path / "tuned" / "hello_linux_arm64", tmp_path / "plain" / "hello_linux_arm64"
    assert a.read_bytes() == b.read_bytes()
