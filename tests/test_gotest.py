"""`gocross test` end to end: real toolchain, real qemu, the post's five architectures, tiny fixtures."""

from __future__ import annotations

import json
import os
from pathlib import Path

import junitparser
import pytest
from tests.conftest import HELLO, POST_TARGETS, REPO, write_module
from tests.helpers import assert_clean_error, gocross

from gocross import binfmt, errors
from gocross.config import Config
from gocross.errors import UsageError
from gocross.gotest import (
    BUILD_FAILED,
    COULD_NOT_RUN,
    FAILED,
    NOT_RUN,
    PASSED,
    PackageResult,
    TestCase,
    TestOptions,
    TestRun,
    cgo_by_target,
    has_c_compiler,
    junit,
    native_target,
    parse_duration,
    parse_go_test_flags,
    raise_for_failures,
    run_tests,
    with_config_flags,
    with_events,
)
from gocross.targets import Target
from gocross.toolchain import Toolchain

FIXTURES = REPO / "tests" / "fixtures"
ENDIAN = FIXTURES / "endian"
GO_ACTIONS = {"start", "run", "pause", "cont", "pass", "bench", "fail", "output", "skip"}


def _failing(result: PackageResult | None) -> list[str]:
    assert result is not None
    return [c.name for c in result.tests if c.status == "fail"]


# ------------------------------------------------------------------------------------------ end to end


def test_hello_five_arches_matrix_and_junit(tmp_path: Path) -> None:
    """The post's five architectures in one command: a matrix of passes, and JUnit a real parser reads."""
    report = tmp_path / "junit.xml"
    wide = {**os.environ, "COLUMNS": "200"}  # pytest's process may have COLUMNS=80 in its C environment
    proc = gocross("test", "./...", "--target", ",".join(POST_TARGETS), "--junit", report, cwd=HELLO, env=wide)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    header = next(ln for ln in proc.stdout.splitlines() if "linux/amd64" in ln)
    assert all(t in header for t in POST_TARGETS), proc.stdout
    row = next(ln for ln in proc.stdout.splitlines() if "example.com/hello" in ln)
    assert row.count("passed") == 5, proc.stdout
    assert "reference column" not in proc.stdout  # amd64 was selected: nothing added
    xml = junitparser.JUnitXml.fromfile(str(report))
    suites = list(xml)
    assert sorted(s.name for s in suites) == sorted(f"example.com/hello ({t})" for t in POST_TARGETS)
    for suite in suites:
        assert (suite.tests, suite.failures, suite.errors) == (2, 0, 0)
        assert {c.name for c in suite} == {"TestHelloWorld", "TestAddrDefaultsToPostsPort"}
        assert all(c.is_passed for c in suite)


def test_endian_fails_on_s390x_only_cli() -> None:
    """The issue's must-show: amd64 passes, s390x fails, naming exactly the byte-order test."""
    proc = gocross("test", "--target", "linux/amd64,linux/s390x", cwd=ENDIAN)
    assert proc.returncode == 7, proc.stdout + proc.stderr
    row = next(ln for ln in proc.stdout.splitlines() if "example.com/endian" in ln)
    assert row.index("passed") < row.index("failed"), row
    details = proc.stdout.split("linux/s390x example.com/endian: failed", 1)[1]
    assert "--- FAIL: TestReadHeaderNativeOrder" in details
    assert "TestReadHeaderLittleEndian" not in details
    assert "gocross: error:" in proc.stderr and "failed on linux/s390x" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_endian_json_events_are_tagged_and_closed() -> None:
    proc = gocross("test", "./...", "--target", "linux/s390x", "--json", "--", "-count", "1", cwd=ENDIAN)
    assert proc.returncode == 7, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    assert events
    assert {e["Target"] for e in events} == {"linux/amd64", "linux/s390x"}  # the reference column too
    assert all(e["Action"] in GO_ACTIONS and e["Package"] == "example.com/endian" for e in events)
    finals = [e for e in events if "Status" in e]
    assert {(e["Target"], e["Action"], e["Status"]) for e in finals} == {
        ("linux/amd64", "pass", PASSED), ("linux/s390x", "fail", FAILED)}
    failed = {(e["Target"], e["Test"]) for e in events if e["Action"] == "fail" and e.get("Test")}
    assert failed == {("linux/s390x", "TestReadHeaderNativeOrder")}


def test_endian_big_endian_targets_only(toolchain: Toolchain) -> None:
    run = run_tests(TestOptions(targets=("linux/ppc64le", "linux/ppc64", "linux/s390x"), directory=ENDIAN),
                    toolchain=toolchain)
    assert run.reference == "linux/amd64" and run.targets[0] == "linux/amd64"
    pkg = "example.com/endian"
    for target in ("linux/amd64", "linux/ppc64le"):
        result = run.result(target, pkg)
        assert result is not None and result.status == PASSED and result.passed == 2, result
    for target in ("linux/ppc64", "linux/s390x"):
        result = run.result(target, pkg)
        assert result is not None and result.status == FAILED and result.runner == "qemu"
        assert _failing(result) == ["TestReadHeaderNativeOrder"]
        assert "want 42" in result.tests[0].output
    with pytest.raises(errors.TestsFailed, match=r"linux/ppc64 example\.com/endian"):
        raise_for_failures(run)


@pytest.mark.slow
def test_oscompile_could_not_build_and_darwin_built_not_run(toolchain: Toolchain) -> None:
    """One OS lacks a symbol: "could not build" with the compiler's words; the rest of darwin is vetted."""
    run = run_tests(TestOptions(packages=("./...",), targets=("linux/arm64", "darwin/arm64"),
                                directory=FIXTURES / "oscompile"), toolchain=toolchain)
    pagesize, greet = "example.com/oscompile/pagesize", "example.com/oscompile/greet"
    broken = run.result("darwin/arm64", pagesize)
    assert broken is not None and broken.status == BUILD_FAILED
    assert "undefined: pageSize" in broken.output
    vetted = run.result("darwin/arm64", greet)
    assert vetted is not None and vetted.status == NOT_RUN and vetted.runner is None
    assert vetted.vet == "go vet darwin/arm64: ok" and "Mac" in (vetted.reason or "")
    for target in ("linux/amd64", "linux/arm64"):
        for pkg in (pagesize, greet):
            result = run.result(target, pkg)
            assert result is not None and result.status == PASSED, result
    assert not run.ok


def test_reexec_under_qemu_is_the_binfmt_limit(toolchain: Toolchain) -> None:
    run = run_tests(TestOptions(targets=("linux/arm64",), directory=FIXTURES / "reexec",
                                go_test_flags=("-timeout", "30s")), toolchain=toolchain)
    native = run.result("linux/amd64", "example.com/reexec")
    assert native is not None and native.status == PASSED  # re-exec works natively
    emulated = run.result("linux/arm64", "example.com/reexec")
    assert emulated is not None and emulated.status == COULD_NOT_RUN, emulated
    case = next(c for c in emulated.tests if c.name == "TestReexecSelf")
    assert case.status == "binfmt" and case.note and "os.Args[0]" in case.note and "ENOEXEC" in case.note
    assert "gocross doctor --binfmt" in (emulated.reason or "")
    assert {c.name: c.status for c in emulated.tests}["TestPlain"] == "pass"


def test_hang_is_killed_and_named(toolchain: Toolchain, tmp_path: Path) -> None:
    mod = write_module(tmp_path / "hang", {"hang_test.go": """
        package hang

        import (
            "testing"
            "time"
        )

        func TestQuick(t *testing.T) {}

        func TestHang(t *testing.T) { time.Sleep(time.Hour) }
    """}, module="example.com/hang")
    run = run_tests(TestOptions(targets=("linux/amd64",), directory=mod, go_test_flags=("-timeout=1s",)),
                    toolchain=toolchain)
    result = run.result("linux/amd64", "example.com/hang")
    assert result is not None and result.status == FAILED
    assert "TestHang" in (result.reason or "") and "1s" in (result.reason or ""), result.reason
    assert {c.name: c.status for c in result.tests} == {"TestQuick": "pass", "TestHang": "fail"}
    hang = next(c for c in result.tests if c.name == "TestHang")
    assert hang.note == "TestHang hung and was stopped by the 1s test timeout"


def test_killed_by_signal_after_tests_started_is_a_failure(toolchain: Toolchain, tmp_path: Path) -> None:
    mod = write_module(tmp_path / "kill", {"kill_test.go": """
        package kill

        import (
            "syscall"
            "testing"
        )

        func TestKilled(t *testing.T) { syscall.Kill(syscall.Getpid(), syscall.SIGKILL) }
    """}, module="example.com/kill")
    run = run_tests(TestOptions(targets=("linux/amd64",), directory=mod), toolchain=toolchain)
    result = run.result("linux/amd64", "example.com/kill")
    assert result is not None and result.status == FAILED  # it started and ran tests: go test says FAIL
    assert "SIGKILL" in (result.reason or "") and "TestKilled" in (result.reason or "")
    assert [(c.name, c.status) for c in result.tests] == [("TestKilled", "fail")]


def test_missing_emulator_is_could_not_run_with_install_command(
        toolchain: Toolchain, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    run = run_tests(TestOptions(targets=("linux/s390x",), directory=ENDIAN, reference=False),
                    toolchain=toolchain)
    assert run.targets == ("linux/s390x",)
    (result,) = run.results
    assert result.status == COULD_NOT_RUN and "apt-get install qemu-user-static" in (result.reason or "")
    assert result.vet == "go vet linux/s390x: ok"


def test_bad_target_is_one_clear_line() -> None:
    proc = gocross("test", "--target", "linux/s390z", cwd=ENDIAN)
    assert_clean_error(proc, 2, "linux/s390z", "linux/s390x")


def test_bad_flag_and_bad_package_are_usage_errors() -> None:
    assert_clean_error(gocross("test", "--", "-frobnicate", cwd=ENDIAN), 2, "-frobnicate")
    assert_clean_error(gocross("test", "./nosuchdir", cwd=ENDIAN), 2, "nosuchdir")


# ------------------------------------------------------------------------------------------ units


def test_go_test_flags_split_into_build_and_test() -> None:
    flags = parse_go_test_flags(["-run", "TestX", "-count=1", "-short", "-tags", "netgo", "-v",
                                 "-ldflags=-s -w", "-timeout", "1m30s", "-bench", "."])
    assert flags.test == ("-test.run=TestX", "-test.count=1", "-test.short", "-test.bench=.")
    assert flags.build == ("-tags=netgo", "-ldflags=-s -w")
    assert flags.timeout == 90 and flags.verbose
    assert parse_go_test_flags(["-timeout=0"]).timeout is None
    assert parse_duration("250ms") == 0.25
    with pytest.raises(UsageError, match="Go duration"):
        parse_duration("10 minutes")
    with pytest.raises(UsageError, match="needs a value"):
        parse_go_test_flags(["-run"])


def _synthetic_run() -> TestRun:
    cases = (TestCase("TestOK", "pass", 0.1, "ok\n"), TestCase("TestBad", "fail", 0.2, "bad <&> \x1b\n"),
             TestCase("TestSelf", "binfmt", 0.0, "exec format error\n", "needs binfmt"))
    results = [
        PackageResult("linux/arm64", "m/a", FAILED, 1, 2, 0, 0.5, "qemu", cases, "2 failed"),
        PackageResult("windows/amd64", "m/a", BUILD_FAILED, reason="does not compile", output="undefined: x"),
        PackageResult("darwin/arm64", "m/a", NOT_RUN, reason="needs a Mac", vet="go vet darwin/arm64: ok"),
    ]
    return TestRun(Path(), ("linux/arm64", "windows/amd64", "darwin/arm64"),
                   ("linux/arm64", "windows/amd64", "darwin/arm64"), ("m/a",), (),
                   tuple(with_events(r, None) for r in results), None, False, 2, 1.0, "go1.27")


def test_junit_statuses_parse(tmp_path: Path) -> None:
    path = junit.write(_synthetic_run(), tmp_path / "out" / "junit.xml")
    suites = {s.name: s for s in junitparser.JUnitXml.fromfile(str(path))}
    arm = suites["m/a (linux/arm64)"]
    assert (arm.tests, arm.failures, arm.errors) == (3, 1, 1)
    assert suites["m/a (windows/amd64)"].errors == 1
    assert suites["m/a (darwin/arm64)"].skipped == 1
    bad = next(c for c in arm if c.name == "TestBad")
    assert "bad <&>" in bad.result[0].text


def test_binfmt_register_and_remove_in_a_fake_proc(tmp_path: Path) -> None:
    root = tmp_path / "binfmt_misc"
    root.mkdir()
    mounted: list[Path] = []
    written: list[tuple[str, str]] = []

    def mounter(path: Path) -> None:
        mounted.append(path)
        (path / "register").write_text("")
        (path / "qemu-s390x").write_text(  # an existing distro entry: left alone
            "enabled\ninterpreter /usr/libexec/qemu-binfmt/s390x-binfmt-P\nflags: POF\noffset 0\n"
            "magic 7f454c4602020100000000000000000000020016\n")

    def write(path: Path, text: str) -> None:
        written.append((path.name, text))
        if path.name == "register":
            (root / text.split(":")[1]).write_text(f"enabled\nmagic {binfmt.elf_magic('arm64')[0].hex()}\n")

    change = binfmt.register(root, write=write, mounter=mounter)
    assert mounted == [root] and change.mounted
    assert "gocross-qemu-aarch64" in change.registered
    assert any(a.startswith("s390x (by qemu-s390x)") for a in change.already)
    rule = next(t for name, t in written if "aarch64" in t)
    assert rule.startswith(":gocross-qemu-aarch64:M::\\x7f\\x45\\x4c\\x46\\x02\\x01") and rule.endswith(":F")
    removed = binfmt.remove(root, write=write)
    assert removed.removed and all(n.startswith("gocross-qemu-") for n in removed.removed)
    assert ("qemu-s390x", "-1") not in written
    with pytest.raises(UsageError, match="needs root"):
        binfmt.require_root(euid=1000)


def test_wasm_targets_run_under_node_and_wasmtime() -> None:
    """js/wasm under node and wasip1/wasm under wasmtime give Go's own events back, test by test."""
    run = run_tests(TestOptions(directory=ENDIAN, targets=("js/wasm", "wasip1/wasm")))
    for target, runner in (("js/wasm", "node"), ("wasip1/wasm", "wasmtime")):
        result = run.result(target, "example.com/endian")
        assert result is not None and result.status == PASSED, (target, result)
        assert result.runner == runner
        assert sorted((c.name, c.status) for c in result.tests) == [
            ("TestReadHeaderLittleEndian", "pass"), ("TestReadHeaderNativeOrder", "pass")]
        assert (result.passed, result.failed) == (2, 0)
    assert run.ok


def test_gc_tuning_reaches_the_compiler_not_the_tests(toolchain: Toolchain, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """`go test -c` gets the builder's GOGC=400; the test binaries run with the environment as it was."""
    monkeypatch.delenv("GOGC", raising=False)
    monkeypatch.delenv("GOMEMLIMIT", raising=False)
    mod = write_module(tmp_path / "gcenv", {"gc_test.go": """
        package gcenv

        import (
            "os"
            "testing"
        )

        func TestNoInheritedGCTuning(t *testing.T) {
            if v := os.Getenv("GOGC") + os.Getenv("GOMEMLIMIT"); v != "" {
                t.Fatalf("test binary inherited %q", v)
            }
        }
    """}, module="example.com/gcenv")
    run = run_tests(TestOptions(targets=("linux/amd64", "linux/arm64"), directory=mod), toolchain=toolchain)
    for target in ("linux/amd64", "linux/arm64"):
        result = run.result(target, "example.com/gcenv")
        assert result is not None and result.status == PASSED, (target, result)


def test_concurrent_run_builds_in_a_private_folder(toolchain: Toolchain, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """While another run holds the module's test-binary folder, a second run builds elsewhere and cleans up.

    Both writing the same pkg.test would fail with "text file busy" once one of them is running it.
    """
    import fcntl

    from gocross.gotest import binaries_dir

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    mod = write_module(tmp_path / "busy", {"busy_test.go": """
        package busy

        import "testing"

        func TestOK(t *testing.T) {}
    """}, module="example.com/busy")
    shared = binaries_dir(mod)
    shared.mkdir(parents=True)
    options = TestOptions(targets=("linux/amd64", "linux/arm64"), directory=mod)
    with (shared / ".lock").open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # "another gocross test" (a separate open file)
        run = run_tests(options, toolchain=toolchain)
        assert run.ok and sorted(p.name for p in shared.parent.iterdir()) == [shared.name]
        assert [p.name for p in shared.iterdir()] == [".lock"]
    run = run_tests(options, toolchain=toolchain)  # the lock is free again: the shared folder is used
    assert run.ok and sorted(p.name for p in shared.iterdir()) == [".lock", "linux_amd64", "linux_arm64"]


# ------------------------------------------------------------------------------------------ gocross.toml, cgo


def test_config_tags_and_ldflags_go_first_and_the_command_line_wins() -> None:
    config = Config(tags=("special", "netgo"), ldflags="-X main.v=1")
    assert with_config_flags(parse_go_test_flags([]), config).build == ("-tags=special,netgo", "-ldflags=-X main.v=1")
    given = with_config_flags(parse_go_test_flags(["-tags", "other", "-run", "X"]), config)
    assert given.build == ("-ldflags=-X main.v=1", "-tags=other") and given.test == ("-test.run=X",)
    assert with_config_flags(parse_go_test_flags(["-v"]), Config()) == parse_go_test_flags(["-v"])


def test_cgo_is_what_was_asked_else_only_on_the_host_with_a_c_compiler(toolchain: Toolchain) -> None:
    host, foreign = Target("linux", "amd64"), Target("linux", "s390x")
    assert cgo_by_target(toolchain, [host, foreign], host, True) == {"linux/amd64": True, "linux/s390x": True}
    assert cgo_by_target(toolchain, [host, foreign], host, False) == {"linux/amd64": False, "linux/s390x": False}
    auto = cgo_by_target(toolchain, [host, foreign], host, None)
    assert auto == {"linux/amd64": has_c_compiler(toolchain), "linux/s390x": False}
    assert cgo_by_target(toolchain, [host], None, None) == {"linux/amd64": False}


def test_a_test_that_needs_a_tag_from_gocross_toml_passes(toolchain: Toolchain, tmp_path: Path) -> None:
    mod = write_module(tmp_path / "tagged", {
        "gocross.toml": 'tags = ["special"]\n',
        "special.go": """
            //go:build special

            package tagged

            func Special() string { return "special" }
        """,
        "tagged_test.go": """
            package tagged

            import "testing"

            func TestSpecial(t *testing.T) {
                if Special() != "special" {
                    t.Fatal("wrong")
                }
            }
        """,
    }, module="example.com/tagged")
    targets = ("linux/amd64", "linux/arm64")
    run = run_tests(TestOptions(targets=targets, directory=mod), toolchain=toolchain)
    for target in targets:
        result = run.result(target, "example.com/tagged")
        assert result is not None and result.status == PASSED, (target, result)
        assert [(c.name, c.status) for c in result.tests] == [("TestSpecial", "pass")]
    overridden = run_tests(TestOptions(targets=("linux/amd64",), directory=mod, go_test_flags=("-tags=other",)),
                           toolchain=toolchain)
    result = overridden.result("linux/amd64", "example.com/tagged")
    assert result is not None and result.status == BUILD_FAILED, result


def test_host_column_matches_go_test_for_a_package_that_needs_cgo(toolchain: Toolchain, tmp_path: Path) -> None:
    native = native_target()
    assert native is not None
    mod = write_module(tmp_path / "withcgo", {
        "add.go": """
            package withcgo

            // static int add(int a, int b) { return a + b; }
            import "C"

            func Add(a, b int) int { return int(C.add(C.int(a), C.int(b))) }
        """,
        "add_test.go": """
            package withcgo

            import "testing"

            func TestAdd(t *testing.T) {
                if Add(2, 3) != 5 {
                    t.Fatal("2+3")
                }
            }
        """,
    }, module="example.com/withcgo")
    plain = toolchain.run(["test", "-count=1", "."], cwd=mod, timeout=600)
    run = run_tests(TestOptions(targets=(native.name,), directory=mod), toolchain=toolchain)
    result = run.result(native.name, "example.com/withcgo")
    assert result is not None
    assert plain.returncode == 0  # gcc is installed here, so go test passes ...
    assert result.status == (PASSED if plain.returncode == 0 else FAILED), (plain.stdout, result)  # ... and so do we
    # --no-cgo on the command line turns it off (the cgo file drops out, the test cannot compile).
    proc = gocross("test", "--no-cgo", "--json", "--target", native.name, cwd=mod)
    closing = [json.loads(line) for line in proc.stdout.splitlines() if '"Status"' in line]
    assert proc.returncode == 7 and [e["Status"] for e in closing] == ["could not build"], proc.stderr
