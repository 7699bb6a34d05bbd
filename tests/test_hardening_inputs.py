"""Issue 12, odd inputs: files that are no files (FIFO, device, /proc), a sparse 10 GiB file, time limits that
are no time limits, unknown variants, unbalanced quotes, program arguments that look like qemu's, gocross.toml
values (jobs, sets, selectors) and a file given as a package directory."""

from __future__ import annotations

import json
import os
import struct
import sys
import time
from pathlib import Path

import pytest
from tests.conftest import BuildGo, write_module
from tests.helpers import assert_clean_error, gocross, peak_run
from tests.recorded import recorded_toolchain

from gocross.builder import build
from gocross.errors import UsageError
from gocross.plan import BuildOptions, make_plan

RECORDED = recorded_toolchain()

ARGS = """
package main

import (
	"fmt"
	"os"
)

func main() { fmt.Printf("%q\\n", os.Args[1:]) }
"""


@pytest.fixture
def module(tmp_path: Path) -> Path:
    return write_module(tmp_path / "app", {"main.go": "package main\n\nfunc main() {}\n"})


def test_inspect_refuses_fifos_devices_and_proc_files_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero"), Path("/proc/self/status")):
        assert_clean_error(gocross("inspect", path, timeout=20), 6, "is not a regular file")
    (tmp_path / "empty").write_bytes(b"")
    assert "empty file" in gocross("inspect", tmp_path / "empty").stdout


# (target, the format inspect names, goarch in the record); wasm's zeros after the header are no valid
# sections, so that file is a one-sentence "truncated or corrupt" error, in the same bounded time.
SPARSE = [("linux/amd64", "ELF", "amd64"), ("windows/amd64", "PE", "amd64"), ("darwin/arm64", "Mach-O", "arm64"),
          ("aix/ppc64", "XCOFF", "ppc64"), ("plan9/amd64", "plan9", "amd64"), ("js/wasm", None, None)]


@pytest.mark.parametrize(("target", "fmt", "goarch"), SPARSE, ids=[t for t, _f, _a in SPARSE])
def test_a_sparse_10_gib_file_with_only_a_header_is_read_by_its_headers(
        tmp_path: Path, build_go: BuildGo, target: str, fmt: str | None, goarch: str | None) -> None:
    """Every scan is bounded by what the headers claim: no format's reader walks 10 GiB of zeros (each took
    60-90 s and 10 GB of resident pages before, for all but ELF)."""
    real = build_go(ARGS, *target.split("/"))
    sparse = tmp_path / "sparse"
    with sparse.open("wb") as handle:
        handle.write(real.read_bytes()[:4096])
        handle.truncate(10 << 30)
    code, out, err, peak_kib, elapsed = peak_run([sys.executable, "-m", "gocross", "inspect", "--json", sparse],
                                                 tmp_path)  # gocross's own peak, not pytest's
    assert elapsed < 20, elapsed
    assert peak_kib < 200 * 1024, f"peak {peak_kib} KiB"
    if fmt is None:
        assert code == 6 and b"truncated or corrupt" in out + err and b"Traceback" not in err, (out, err)
        return
    assert code == 0, err
    record = json.loads(out)
    record = record[0] if isinstance(record, list) else record
    assert record["format"] == fmt and record["size"] == 10 << 30 and record["goarch"] == goarch, record


def test_a_sparse_10_gib_universal_file_is_read_by_its_headers(tmp_path: Path, build_go: BuildGo) -> None:
    """A 64-bit fat header whose one slice claims the rest of 10 GiB, holding only a Mach-O header: the slice's
    own load commands bound its scans (well under the seconds a whole read would take)."""
    head = build_go(ARGS, "darwin", "arm64").read_bytes()[:4096]
    sparse = tmp_path / "universal"
    with sparse.open("wb") as handle:
        handle.write(struct.pack(">IIiiQQII", 0xCAFEBABF, 1, 0x0100000C, 0, 0x4000, (10 << 30) - 0x4000, 14, 0))
        handle.seek(0x4000)
        handle.write(head)
        handle.truncate(10 << 30)
    code, out, err, peak_kib, seconds = peak_run([sys.executable, "-m", "gocross", "inspect", "--json", sparse],
                                                 tmp_path)
    assert code == 0, err
    assert seconds < 5, seconds
    assert peak_kib < 100 * 1024, f"peak {peak_kib} KiB"
    record = json.loads(out)
    record = record[0] if isinstance(record, list) else record
    assert (record["format"], record["size"]) == ("Mach-O universal", 10 << 30)
    assert [(s["format"], s["goarch"]) for s in record["slices"]] == [("Mach-O", "arm64")]


def test_a_fifo_at_an_output_name_neither_blocks_nor_is_written(module: Path) -> None:
    out = module / "dist"
    out.mkdir()
    os.mkfifo(out / "app_linux_amd64")
    proc = gocross("build", module, "-t", "linux/amd64", timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (out / "app_linux_amd64").is_file()


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "abc"])
def test_a_timeout_that_is_no_time_limit_is_a_usage_error(tmp_path: Path, value: str) -> None:
    binary = tmp_path / "b"
    binary.write_bytes(b"")
    for command in (["run", "--timeout", value, binary], ["smoke", tmp_path, "--timeout", value]):
        proc = gocross(*command)
        assert proc.returncode == 2 and "is not a" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


@pytest.fixture(scope="module")
def arm64_args(tmp_path_factory: pytest.TempPathFactory) -> Path:
    mod = write_module(tmp_path_factory.mktemp("args") / "args", {"main.go": ARGS})
    result = build(BuildOptions(package_dir=mod, targets=("linux/arm64",)))
    assert result.ok, [a.error for a in result.failed]
    return mod / "dist"


def test_run_arguments_after_the_separator_go_to_the_program_not_qemu(arm64_args: Path) -> None:
    binary = arm64_args / "args_linux_arm64"
    proc = gocross("run", binary, "--", "-L/x", "-cpu", "max")
    assert (proc.returncode, proc.stdout) == (0, '["-L/x" "-cpu" "max"]\n'), proc.stderr
    assert gocross("run", binary, "--", "--", "-L/x").stdout == '["--" "-L/x"]\n'


def test_run_an_unknown_variant_and_smoke_an_unbalanced_quote(arm64_args: Path) -> None:
    assert_clean_error(gocross("run", "--variant", "zzz", arm64_args / "args_linux_arm64"), 2,
                       "--variant 'zzz' is not a variant of arm64", "v8.0")
    assert_clean_error(gocross("smoke", arm64_args, "--args", 'a "b'), 2, "--args", "balance its quotes")


def test_jobs_from_gocross_toml_is_honoured(module: Path) -> None:
    (module / "gocross.toml").write_text("jobs = 1\n")
    assert make_plan(RECORDED, BuildOptions(package_dir=module, targets=("linux/amd64",)), 3).jobs == 1
    assert make_plan(RECORDED, BuildOptions(package_dir=module, targets=("linux/amd64",), jobs=2), 3).jobs == 2
    (module / "gocross.toml").write_text("jobs = 0\n")
    with pytest.raises(UsageError, match="'jobs' is 0"):
        make_plan(RECORDED, BuildOptions(package_dir=module, targets=("linux/amd64",)), 3)


@pytest.mark.parametrize(("sets", "needle"), [
    ('"linux/amd64" = ["linux/arm64"]', "is a target of this toolchain"),
    ('all = ["linux/arm64"]', "is a built-in set"),
    ('"linux/*" = ["linux/arm64"]', "looks like a selector"),
])
def test_a_set_named_like_a_target_is_an_error(module: Path, sets: str, needle: str) -> None:
    (module / "gocross.toml").write_text(f"[sets]\n{sets}\n")
    with pytest.raises(UsageError, match=needle):
        make_plan(RECORDED, BuildOptions(package_dir=module, targets=("linux/amd64",)), 2)


def test_a_deep_set_chain_is_an_error(module: Path) -> None:
    chain = "\n".join(f's{i} = ["s{i + 1}"]' for i in range(40))
    (module / "gocross.toml").write_text(f'[sets]\n{chain}\ns40 = ["linux/amd64"]\n')
    with pytest.raises(UsageError, match="nest deeper than 16 levels"):
        make_plan(RECORDED, BuildOptions(package_dir=module, targets=("s0",)), 2)


def test_a_huge_selector_is_refused_quickly_and_quoted_short(module: Path) -> None:
    started = time.monotonic()
    with pytest.raises(UsageError) as caught:
        make_plan(RECORDED, BuildOptions(package_dir=module, targets=("linux/" + "a" * 1_000_000,)), 2)
    assert time.monotonic() - started < 1
    message = str(caught.value)
    assert "longer than 200 characters" in message and len(message) < 300
    with pytest.raises(UsageError) as caught:
        make_plan(RECORDED, BuildOptions(package_dir=module, targets=("lnux/amd64" + "x" * 150,)), 2)
    assert len(str(caught.value)) < 300  # quotes at most 80 characters of the value
    assert_clean_error(gocross("build", module, "-t", "x" * 100_000), 2, "longer than 200 characters")


def test_a_file_given_as_the_package_directory_says_so(module: Path) -> None:
    assert_clean_error(gocross("build", module / "main.go"), 2, "is a file, not a package directory")


def test_a_file_given_to_test_as_its_directory_says_so(module: Path) -> None:
    assert_clean_error(gocross("test", "-C", module / "main.go"), 2, "is a file, not a package directory")
