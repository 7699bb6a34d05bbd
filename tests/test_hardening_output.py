"""Issue 12, big outputs: `run --json` and `smoke --json` keep the last 1 MiB of a program's output and say
how much was cut, so a program printing 1 GiB costs gocross tens of megabytes, not gigabytes. Peak memory
is the child gocross's own ru_maxrss (os.wait4), measured for real."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import write_module

from gocross.builder import build
from gocross.executor import OUTPUT_LIMIT
from gocross.plan import BuildOptions

GIB = 1 << 30

# Writes MIB mebibytes of "x", then a last line.
FLOOD = """
package main

import (
	"bytes"
	"os"
	"strconv"
)

func main() {
	n, _ := strconv.Atoi(os.Args[1])
	chunk := bytes.Repeat([]byte("x"), 1<<20)
	for i := 0; i < n; i++ {
		os.Stdout.Write(chunk)
	}
	os.Stdout.WriteString("\\nthe end\\n")
}
"""


@pytest.fixture(scope="module")
def flood(tmp_path_factory: pytest.TempPathFactory) -> Path:
    mod = write_module(tmp_path_factory.mktemp("flood") / "flood", {"main.go": FLOOD})
    result = build(BuildOptions(package_dir=mod, targets=("linux/amd64",)))
    assert result.ok, [a.error for a in result.failed]
    return mod / "dist"


def _peak(*args: str | Path) -> tuple[int, str, int]:
    """(exit status, stdout, peak resident KiB) of `gocross ARGS` run as a child."""
    proc = subprocess.Popen([sys.executable, "-m", "gocross", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, out, usage.ru_maxrss


def test_run_json_of_a_program_printing_1_gib_stays_under_100_mb(flood: Path) -> None:
    code, out, peak_kib = _peak("run", "--json", flood / "flood_linux_amd64", "--", "1024")
    assert code == 0
    result = json.loads(out)
    assert result["stdout"].endswith("x\nthe end\n") and len(result["stdout"]) == OUTPUT_LIMIT
    assert result["stdout_cut"] == GIB + len("\nthe end\n") - OUTPUT_LIMIT
    assert peak_kib < 100 * 1024, f"peak {peak_kib} KiB"


def test_smoke_json_keeps_a_tail_and_says_it_was_cut(flood: Path) -> None:
    code, out, peak_kib = _peak("smoke", flood, "--json", "--args", "256", "--expect", "the end")
    assert code == 0
    (check,) = json.loads(out)["checks"]
    assert check["status"] == "pass" and len(check["output"]) == OUTPUT_LIMIT
    assert check["output_cut"] == (256 << 20) + len("\nthe end\n") - OUTPUT_LIMIT
    assert peak_kib < 100 * 1024, f"peak {peak_kib} KiB"
