"""Issue 12, "never write outside the output folder, never through a link": name templates, links at an
output's name (with Go's work directory on another filesystem, where Go copies into the existing file),
gocross's own temporaries on a full disk, and --out values that are no folder."""

from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import write_module
from tests.helpers import assert_clean_error, gocross
from tests.recorded import recorded_toolchain

from gocross.artifacts import read_manifest, sha256_file
from gocross.builder import TMP_MARK, build
from gocross.errors import UsageError
from gocross.plan import BuildOptions, make_plan

RECORDED = recorded_toolchain()

PRINTS = """
package main

import "fmt"

func main() { fmt.Println("%s") }
"""

SHM = Path("/dev/shm")


def _module(root: Path, text: str = "one") -> Path:
    return write_module(root, {"main.go": PRINTS % text})


@pytest.mark.parametrize(("template", "needle"), [
    ("../x_{arch}", "is a path, not a file name"),
    ("/tmp/abs_{arch}", "is a path, not a file name"),
    ("{arch}/../{name}", "is a path, not a file name"),
    ("artifacts.json", "a file gocross keeps there itself"),
    (".gocross-state.json", "a file gocross keeps there itself"),
    ("{name", "is malformed"),
    ("x}", "is malformed"),
    ("{name:>300}", "names are at most 200 bytes"),
    ("{name:%}", "cannot be filled in"),
    ("{0}", "unknown field(s) 0"),
])
def test_a_bad_name_template_is_refused_before_anything_is_built(tmp_path: Path, template: str,
                                                                  needle: str) -> None:
    mod = _module(tmp_path / "m")
    with pytest.raises(UsageError, match=re.escape(needle)) as caught:
        make_plan(RECORDED, BuildOptions(package_dir=mod, targets=("linux/amd64",), name_template=template,
                                         out_dir=tmp_path / "out"), 2)
    assert "\n" not in str(caught.value)
    assert not [p for p in (tmp_path / "out").iterdir()], "something was written before the error"
    assert not (tmp_path / "x_amd64").exists() and not Path("/tmp/abs_amd64").exists()


def test_a_bad_name_template_on_the_command_line_is_one_line(tmp_path: Path) -> None:
    mod = _module(tmp_path / "m")
    assert_clean_error(gocross("build", mod, "-t", "linux/amd64", "--name", "../{name}"), 2, "is a path")


def test_a_template_from_gocross_toml_is_checked_too(tmp_path: Path) -> None:
    mod = _module(tmp_path / "m")
    (mod / "gocross.toml").write_text('name = "../{name}"\n')
    with pytest.raises(UsageError, match="is a path, not a file name"):
        make_plan(RECORDED, BuildOptions(package_dir=mod, targets=("linux/amd64",)), 2)


def test_an_error_quotes_at_most_80_characters_of_the_template(tmp_path: Path) -> None:
    mod = _module(tmp_path / "m")
    with pytest.raises(UsageError, match="is malformed") as caught:
        make_plan(RECORDED, BuildOptions(package_dir=mod, targets=("linux/amd64",),
                                         name_template="{name" + "x" * 5000), 2)
    assert "(5005 characters)" in str(caught.value) and len(str(caught.value)) < 400


def _built_once(tmp_path: Path) -> tuple[Path, Path]:
    """A module built once (its output is a real Go binary), and that module edited so the next build
    must link a new binary."""
    mod = _module(tmp_path / "m", "one")
    first = build(BuildOptions(package_dir=mod, targets=("linux/amd64",), out_dir=tmp_path / "dist"))
    assert first.ok
    (mod / "main.go").write_text(PRINTS % "two")
    return mod, tmp_path / "dist" / "m_linux_amd64"


@pytest.mark.skipif(not SHM.is_dir() or SHM.stat().st_dev == Path("/tmp").stat().st_dev,
                    reason="needs /dev/shm on another filesystem than the test's folder")
@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_a_link_at_the_output_is_replaced_and_its_target_untouched(tmp_path: Path, link: str) -> None:
    """Go's work directory on a tmpfs (GOTMPDIR=/dev/shm), dist on disk: Go then copies its output into the
    file at -o. A link planted at the output's name must be replaced, the file behind it left as it was."""
    mod, output = _built_once(tmp_path)
    victim = tmp_path / "victim"
    shutil.copy2(output, victim)  # a Go binary, which Go would agree to overwrite
    before = victim.read_bytes()
    output.unlink()
    if link == "symlink":
        output.symlink_to(victim)
    else:
        os.link(victim, output)
    gotmp = SHM / f"gocross-test-{os.getpid()}-{link}"
    gotmp.mkdir()
    try:
        result = build(BuildOptions(package_dir=mod, targets=("linux/amd64",), out_dir=tmp_path / "dist",
                                    extra_env={"GOTMPDIR": str(gotmp)}))
    finally:
        shutil.rmtree(gotmp, ignore_errors=True)
    assert result.ok, [a.error for a in result.failed]
    assert victim.read_bytes() == before, "gocross wrote through the link"
    assert not output.is_symlink() and output.stat().st_nlink == 1
    assert subprocess.run([output], capture_output=True, text=True, check=True).stdout == "two\n"
    (artifact,) = read_manifest(tmp_path / "dist").built
    assert artifact.sha256 == sha256_file(output)


def test_a_directory_at_an_output_name_is_one_line(tmp_path: Path) -> None:
    mod = _module(tmp_path / "m")
    (tmp_path / "out" / "m_linux_amd64").mkdir(parents=True)
    assert_clean_error(gocross("build", mod, "-t", "linux/amd64", "-o", tmp_path / "out"), 4, "is a directory")


def _fsize_limit(limit: int) -> None:
    """In the child: a 'full disk' for real — writes past ``limit`` bytes fail with EFBIG."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_full_disk_leaves_no_temporary(tmp_path: Path) -> None:
    """go build's output and gocross's own manifest both fail to be written: nothing partial is left."""
    mod = _module(tmp_path / "m")
    out = tmp_path / "out"
    env = {**os.environ, "GOCACHE": str(tmp_path / "cache")}  # a cache that cannot be written either
    proc = subprocess.run([sys.executable, "-m", "gocross", "build", str(mod), "-t", "linux/amd64",
                           "-o", str(out)], env=env, capture_output=True, text=True, timeout=600,
                          preexec_fn=lambda: _fsize_limit(200_000), check=False)
    assert proc.returncode in (4, 5), proc.stderr
    assert "Traceback" not in proc.stderr
    left = [p.name for p in out.iterdir() if p.name.startswith(TMP_MARK) or p.name.endswith(".tmp")]
    assert left == []
    assert not (out / "m_linux_amd64").exists()

    script = ("import sys; from pathlib import Path; from gocross.safefs import atomic_write\n"
              "try:\n    atomic_write(Path(sys.argv[1]), b'x' * 100_000)\nexcept OSError as e:\n"
              "    print(e.errno)\n")
    target = tmp_path / "report.json"
    done = subprocess.run([sys.executable, "-c", script, str(target)], capture_output=True, text=True,
                          preexec_fn=lambda: _fsize_limit(10_000), check=True)
    assert done.stdout.strip() == "27"  # EFBIG
    assert list(tmp_path.glob("*.tmp")) == [] and list(tmp_path.glob(".report.json*")) == []
    assert not target.exists()


def test_out_that_is_empty_or_a_dangling_link_is_an_error(tmp_path: Path) -> None:
    mod = _module(tmp_path / "m")
    assert_clean_error(gocross("build", mod, "-t", "linux/amd64", "--out", "", cwd=tmp_path), 2, "--out is empty")
    assert not (tmp_path / "m_linux_amd64").exists()
    dangling = tmp_path / "dist-link"
    dangling.symlink_to(tmp_path / "nowhere" / "dist")
    assert_clean_error(gocross("build", mod, "-t", "linux/amd64", "--out", dangling), 4,
                       "is a symbolic link to", "which does not exist")
    assert not (tmp_path / "nowhere").exists()
    (mod / "gocross.toml").write_text('out = ""\n')
    assert_clean_error(gocross("build", mod, "-t", "linux/amd64"), 2, "'out' is empty")
