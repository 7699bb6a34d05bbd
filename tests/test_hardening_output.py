"""Issue 12, big outputs: `run --json` and `smoke --json` keep the last 1 MiB of a program's output and say
how much was cut, so a program printing 1 GiB costs gocross tens of megabytes, not gigabytes. Peak memory
is the child gocross's own ru_maxrss (os.wait4), measured for real."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from tests.conftest import write_module
from tests.helpers import peak_run

from gocross.builder import build
from gocross.executor import OUTPUT_LIMIT
from gocross.gotest import TestOptions, TestStatus, junit, run_tests
from gocross.plan import BuildOptions
from gocross.toolchain import Toolchain

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
    """(exit status, stdout, peak resident KiB) of `gocross ARGS`: its own (helpers.peak_run), not pytest's."""
    with tempfile.TemporaryDirectory() as scratch:
        code, out, _err, kib, _seconds = peak_run([sys.executable, "-m", "gocross", *args], Path(scratch))
    return code, out.decode(), kib


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


# A test that prints 3 MiB of 1 KiB lines, then passes.
LOUD_TEST = """
package loud

import (
	"fmt"
	"strings"
	"testing"
)

func TestLoud(t *testing.T) {
	line := strings.Repeat("x", 1023)
	for i := 0; i < 3*1024; i++ {
		fmt.Println(line)
	}
	fmt.Println("the end")
}
"""


def test_go_test_says_how_much_output_it_cut(tmp_path: Path) -> None:
    """`gocross test` parses only the last 1 MiB of a test binary's output and says so: in the result, the
    closing --json event, the JUnit properties and a note beside the table; the verdict comes from the tail."""
    from gocross.gotest import TestOptions, TestStatus, run_tests

    mod = write_module(tmp_path / "loud", {"go.mod": "module example.com/loud\n\ngo 1.21\n",
                                           "loud_test.go": LOUD_TEST}, module="example.com/loud")
    run = run_tests(TestOptions(targets=("linux/amd64",), directory=mod))
    (result,) = run.results
    framing = 512  # test2json's own lines (=== RUN, --- PASS, PASS, ok) around the 3 MiB
    assert result.status == TestStatus.PASSED and result.passed == 1, result
    assert 2 * OUTPUT_LIMIT <= result.output_cut < 2 * OUTPUT_LIMIT + framing, result.output_cut
    closing = result.events[-1]
    assert closing["Action"] == "pass" and closing["OutputCut"] == result.output_cut

    junit = tmp_path / "junit.xml"
    proc = subprocess.run([sys.executable, "-m", "gocross", "test", "-C", str(mod), "-t", "linux/amd64",
                           "--junit", str(junit)], capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    assert f"linux/amd64 example.com/loud: output cut: {result.output_cut:,} bytes came before the last 1 MiB" \
        in proc.stdout, proc.stdout
    assert f'<property name="output_cut" value="{result.output_cut}"' in junit.read_text()


# A test that prints BIG_TEST_BYTES (when BIG=1): numbered lines, the last one "end of big".
BIG_TEST = """
package main

import (
	"bytes"
	"fmt"
	"os"
	"testing"
)

func TestBig(t *testing.T) {
	if os.Getenv("BIG") != "1" {
		return
	}
	var b bytes.Buffer
	for i := 0; b.Len() < 2<<20; i++ {
		fmt.Fprintf(&b, "line %07d\\n", i)
	}
	b.WriteString("end of big\\n")
	os.Stdout.Write(b.Bytes())
}
"""


def _big() -> bytes:
    """What BIG_TEST prints, rebuilt here byte for byte."""
    lines, size, i = [], 0, 0
    while size < 2 << 20:
        line = b"line %07d\n" % i
        lines.append(line)
        size += len(line)
        i += 1
    return b"".join(lines) + b"end of big\n"


def test_go_test_cut_is_exact_and_keeps_the_last_bytes(tmp_path: Path, toolchain: Toolchain) -> None:
    """A real Go test printing 2 MiB: the result, the closing event and JUnit say exactly how many bytes were
    cut (the framing Go writes around it measured on the same binary), and what is kept is the last bytes."""
    mod = write_module(tmp_path / "bigtest", {"main.go": "package main\n\nfunc main() {}\n",
                                              "big_test.go": BIG_TEST})
    # The framing the test binary writes around a test's output, measured on the same binary printing nothing.
    binary = tmp_path / "big.test"
    assert toolchain.run(["test", "-c", "-o", str(binary), "."], cwd=mod).returncode == 0
    quiet = subprocess.run([binary, "-test.v=test2json"], env={**os.environ, "BIG": "0"}, cwd=mod,
                           capture_output=True, check=True).stdout
    framing, after = len(quiet), len(quiet) - (quiet.index(b"\n") + 1)  # all of it; what follows "=== RUN"
    big = _big()
    cut = framing + len(big) - OUTPUT_LIMIT
    kept_of_big = big[-(OUTPUT_LIMIT - after):].decode()  # the tail: the end of big, then Go's last lines

    os.environ["BIG"] = "1"  # the test binary inherits gocross's environment
    try:
        run = run_tests(TestOptions(targets=("linux/amd64",), directory=mod, reference=False))
    finally:
        del os.environ["BIG"]
    (result,) = run.results
    assert result.status == TestStatus.PASSED and result.output_cut == cut, (result.status, result.output_cut)
    assert result.output.startswith(kept_of_big), result.output[:80]  # exactly the last bytes, not one more
    assert [c.name for c in result.tests] == ["TestBig"]
    assert result.events[-1]["OutputCut"] == cut
    suite = ET.fromstring(junit.to_xml(run)).find("testsuite")
    assert suite is not None
    assert {p.get("name"): p.get("value") for p in suite.iter("property")}["output_cut"] == str(cut)
