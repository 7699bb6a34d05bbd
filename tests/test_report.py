"""`gocross report`: the page of a real build, smoke and test run, opened in headless Chromium.

The matrix is checked from the DOM Chromium builds (after the page's script ran), not from the HTML text;
the screenshot is the README's (set GOCROSS_WRITE_SCREENSHOT=1 to write it to docs/report.png).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import struct
import subprocess
import tarfile
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from tests.conftest import HELLO, REPO
from tests.helpers import assert_clean_error, gocross

TEN = ("linux/amd64", "linux/arm64", "linux/ppc64le", "linux/s390x", "linux/arm/v7", "linux/riscv64",
       "windows/amd64", "darwin/arm64", "js/wasm", "ios/arm64")
_CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                   "--disable-background-networking", "--disable-component-update", "--disable-sync")


class _Matrix(HTMLParser):
    """The matrix as the DOM has it: {target: (row header, column header, verdict word, cell text)}."""

    def __init__(self) -> None:
        super().__init__()
        self.columns: list[str] = []
        self.cells: dict[str, tuple[str, str, str, str]] = {}
        self.html_class = ""
        self._in_matrix = self._in_head = False
        self._row = ""
        self._col = -1
        self._text: list[str] | None = None
        self._button: dict[str, str] | None = None
        self._grab: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.html_class = a.get("class", "")
        if tag == "table" and a.get("id") == "matrix":
            self._in_matrix = True
        if not self._in_matrix:
            return
        if tag == "thead":
            self._in_head = True
        elif tag == "tr":
            self._col = -1
        elif tag in ("th", "td"):
            self._col += 1
            self._grab = []
        elif tag == "button":
            self._button, self._text = a, []

    def handle_endtag(self, tag: str) -> None:
        if not self._in_matrix:
            return
        if tag == "table":
            self._in_matrix = False
        elif tag == "thead":
            self._in_head = False
        elif tag == "th" and self._grab is not None:
            text = " ".join("".join(self._grab).split())
            if self._in_head:
                self.columns.append(text)
            else:
                self._row = text
            self._grab = None
        elif tag == "button" and self._button is not None and self._text is not None:
            text = " ".join("".join(self._text).split())
            self.cells[self._button["data-target"]] = (self._row, self.columns[self._col], self._button["data-verdict"],
                                                       text)
            self._button = self._text = None

    def handle_data(self, data: str) -> None:
        if self._grab is not None:
            self._grab.append(data)
        if self._text is not None:
            self._text.append(data)


def _chromium(*args: str) -> subprocess.CompletedProcess[str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("chromium is not installed; scripts/test.sh installs it (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="gocross-chromium-") as profile:
        return subprocess.run([chromium, *_CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=180, check=False)


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def _no_network(page: str) -> None:
    """Self-contained: nothing is loaded from anywhere (an SVG namespace URI is a name, not a fetch)."""
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)
    assert "<link" not in page and "@import" not in page and "url(" not in page


@pytest.fixture(scope="module")
def full_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/hello built for ten targets with --report, smoke-tested, then tested with --report."""
    dist = tmp_path_factory.mktemp("report") / "dist"
    build = gocross("build", HELLO, "--out", dist, "--target", ",".join(TEN), "--report", timeout=1800)
    assert build.returncode == 0, build.stderr
    assert (dist / "report.html").is_file() and "report:" in build.stderr
    smoke = gocross("smoke", dist, "--serve", "--expect", "hello world", "--json", timeout=900)
    # js/wasm has no sockets under node, so its server cannot listen: the one real failure on the page
    assert smoke.returncode == 7 and "js/wasm (fail)" in smoke.stderr, smoke.stderr
    (dist / "smoke.json").write_text(smoke.stdout)
    tested = [t for t in TEN if not t.startswith("ios/")]
    test = gocross("test", "-C", HELLO, "--target", ",".join(tested), "--no-reference", "--report",
                   "--dist", dist, timeout=1800)
    # darwin is compiled and vetted but nothing here runs it: "built, not run" is exit 7
    assert test.returncode in (0, 7), test.stderr
    assert (dist / "test-results.jsonl").stat().st_size > 0
    return dist


@pytest.mark.slow
def test_matrix_in_chromium_and_screenshot(full_report: Path, tmp_path: Path) -> None:
    page = full_report / "report.html"
    _no_network(page.read_text())
    dom = _chromium("--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr
    matrix = _Matrix()
    matrix.feed(dom.stdout)
    assert "js" in matrix.html_class.split()  # the page's script ran in the browser
    assert set(matrix.cells) == set(TEN)
    for target, (row, column, _verdict, _text) in matrix.cells.items():
        goos, goarch, *variant = target.split("/")
        assert column == goarch, (target, column)
        assert row.split(" · ")[0] == goos, (target, row)
        if variant:
            assert row == f"{goos} · GOARM={variant[0].removeprefix('v')}", row
    verdicts = {t: v for t, (_r, _c, v, _x) in matrix.cells.items()}
    texts = {t: x for t, (_r, _c, _v, x) in matrix.cells.items()}
    assert verdicts["ios/arm64"] == "skipped"
    assert verdicts["linux/amd64"] == "passed" and "runs here: native" in texts["linux/amd64"]
    assert "smoke: pass" in texts["linux/amd64"] and "tests: passed" in texts["linux/amd64"]
    assert verdicts["linux/s390x"] == "passed" and "qemu-s390x" in texts["linux/s390x"]
    assert verdicts["windows/amd64"] == "passed" and "wine" in texts["windows/amd64"]  # runs under wine
    assert "does not run here" in texts["darwin/arm64"]
    assert verdicts["js/wasm"] == "failed" and "smoke: fail" in texts["js/wasm"]
    assert 'data-module="example.com/hello"' in dom.stdout and 'data-module="std"' in dom.stdout
    linked = _chromium("--dump-dom", page.as_uri() + "#cell-js-wasm")  # the script opens a linked cell
    opened = re.findall(r'<section class="detail( shown)?" id="(cell-[^"]+)"', linked.stdout)
    assert [anchor for shown, anchor in opened if shown] == ["cell-js-wasm"], opened
    detail = linked.stdout.split('id="cell-js-wasm"', 1)[1].split("</section>", 1)[0]
    assert "<dt>smoke</dt><dd>fail" in detail and "<dt>runner</dt><dd>node" in detail, detail
    shot = tmp_path / "report.png"
    taken = _chromium("--hide-scrollbars", "--window-size=1200,1500", f"--screenshot={shot}", page.as_uri())
    assert taken.returncode == 0 and shot.is_file(), taken.stderr
    assert _png_size(shot) == (1200, 1500) and shot.stat().st_size > 50_000  # a page, not a blank
    pdf = tmp_path / "report.pdf"
    printed = _chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    assert printed.returncode == 0 and pdf.read_bytes()[:5] == b"%PDF-", printed.stderr
    if os.environ.get("GOCROSS_WRITE_SCREENSHOT") == "1":
        shutil.copyfile(shot, REPO / "docs" / "report.png")


def test_report_of_one_target(tmp_path: Path) -> None:
    """A quick one: the host's target plus a skipped one, read back from the HTML gocross wrote."""
    dist = tmp_path / "dist"
    build = gocross("build", HELLO, "--out", dist, "--target", "linux/amd64,ios/arm64")
    assert build.returncode == 0, build.stderr
    # a release made by hand (until `gocross release` lists its files in the manifest): an archive and checksums
    with tarfile.open(dist / "hello_linux_amd64.tar.gz", "w:gz") as tar:
        tar.add(dist / "hello_linux_amd64", arcname="hello")
    digest = hashlib.sha256((dist / "hello_linux_amd64.tar.gz").read_bytes()).hexdigest()
    (dist / "checksums.txt").write_text(f"{digest}  hello_linux_amd64.tar.gz\n")
    out = tmp_path / "page.html"
    proc = gocross("report", dist, "--out", out)
    assert proc.returncode == 0, proc.stderr
    page = out.read_text()
    _no_network(page)
    matrix = _Matrix()
    matrix.feed(page)
    assert set(matrix.cells) == {"linux/amd64", "ios/arm64"}
    assert matrix.cells["ios/arm64"][2] == "skipped" and matrix.cells["linux/amd64"][2] == "built"
    assert "<svg" in page and 'data-module="example.com/hello"' in page and 'data-package="main"' in page
    assert "gocross inspect --sizes --json hello_linux_amd64" in page
    assert '<a href="hello_linux_amd64.tar.gz">' in page and '<a href="checksums.txt">' in page


@pytest.mark.slow  # ≈ 7 s: three more targets built and reported
def test_size_view_of_windows_and_darwin(tmp_path: Path) -> None:
    """A matrix without Linux: the size view is the host architecture's PE binary, or the Mach-O or wasm one
    asked for, by package (the main module and the standard library)."""
    dist = tmp_path / "dist"
    build = gocross("build", HELLO, "--out", dist, "--target", "darwin/arm64,windows/amd64,js/wasm")
    assert build.returncode == 0, build.stderr
    for binary, file, fmt in ((None, "hello_windows_amd64.exe", "PE"),
                              ("darwin/arm64", "hello_darwin_arm64", "Mach-O")):
        out = tmp_path / f"{fmt}.html"
        proc = gocross("report", dist, "--out", out, *(("--binary", binary) if binary else ()))
        assert proc.returncode == 0, proc.stderr
        page = out.read_text()
        assert f"gocross inspect --sizes --json {file}" in page, page
        assert 'data-module="example.com/hello"' in page and 'data-module="std"' in page
        assert 'data-package="main"' in page and f"{fmt} symbols have no size" in page
    wasm = tmp_path / "wasm.html"
    proc = gocross("report", dist, "--out", wasm, "--binary", "js/wasm")
    assert proc.returncode == 0, proc.stderr
    page = wasm.read_text()
    assert 'data-package="main"' in page and "wasm has no symbol table for variables" in page


class _ReleaseRows(HTMLParser):
    """The release table as the DOM has it: one (kind, format, href, target, sha256 prefix) per row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str, str, str, str, str]] = []
        self._row: dict[str, str] | None = None
        self._cells: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "tr" and "data-release" in a:
            self._row, self._cells = {"kind": a["data-release"], "format": a.get("data-format", "")}, []
        elif self._row is not None and tag == "a":
            self._row["href"] = a["href"]
        elif self._row is not None and tag == "td":
            self._cells.append("")

    def handle_data(self, data: str) -> None:
        if self._row is not None and self._cells:
            self._cells[-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr" and self._row is not None:
            r = self._row
            self.rows.append((r["kind"], r["format"], r.get("href", ""), self._cells[2], self._cells[4]))
            self._row = None


@pytest.mark.slow  # a release (archives, SBOMs, .deb/.rpm/.apk) and a browser
def test_release_section_of_a_real_release_in_chromium(tmp_path: Path) -> None:
    """`gocross release` for two targets, then `gocross report`: the page lists every file the manifest's
    release list names, each linked to the file beside it, with its kind, format, target and sha256."""
    from tests.test_release import _hello_repo

    from gocross.artifacts import read_manifest

    repo = _hello_repo(tmp_path / "hello")
    released = gocross("release", repo, "-t", "linux/amd64,windows/amd64", timeout=900)
    assert released.returncode == 0, released.stderr
    dist = repo / "dist"
    proc = gocross("report", dist)
    assert proc.returncode == 0, proc.stderr
    dom = _chromium("--dump-dom", (dist / "report.html").as_uri())
    assert dom.returncode == 0, dom.stderr
    table = _ReleaseRows()
    table.feed(dom.stdout)
    manifest = read_manifest(dist)
    expected = sorted((str(f.kind), f.format, f.path.name, f.target or "", f.sha256[:12]) for f in manifest.release)
    assert sorted(table.rows) == expected
    kinds = {(kind, fmt) for kind, fmt, *_ in table.rows}
    assert {("archive", "tar.gz"), ("archive", "zip"), ("checksums", "sha256"), ("package", "deb"),
            ("package", "rpm"), ("package", "apk"), ("sbom", "cyclonedx")} <= kinds
    for _kind, _fmt, href, _target, digest in table.rows:
        linked = dist / href  # a link relative to the page, to a file that is there
        assert linked.is_file() and hashlib.sha256(linked.read_bytes()).hexdigest().startswith(digest), href


def test_bad_inputs_are_one_sentence(tmp_path: Path) -> None:
    assert_clean_error(gocross("report", tmp_path), 2, "No artifacts.json")
    (tmp_path / "artifacts.json").write_text('{"gocross": "0", "go": "go1", "package": ".", "cancelled": false, '
                                             '"artifacts": []}')
    assert_clean_error(gocross("report", tmp_path, "--tests", tmp_path / "none.jsonl"), 2, "does not exist")
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    assert_clean_error(gocross("report", tmp_path, "--tests", bad), 2, "is not the output of `gocross test --json`")
    assert_clean_error(gocross("report", tmp_path, "--binary", "linux/amd64"), 2, "No built artifact")
