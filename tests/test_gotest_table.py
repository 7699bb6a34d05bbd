"""`gocross test`'s table when not on a terminal: COLUMNS honoured, package paths never cut ambiguously."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from gocross.cli.app import App
from gocross.cli.test_cmd import _render, common_prefix
from gocross.gotest import FAILED, PASSED, VET_FAILED, PackageResult, TestRun, with_events

MODULE = "github.com/someone/a-rather-long-module-name"
PACKAGES = (f"{MODULE}/internal/parser", f"{MODULE}/internal/lexer", MODULE)
TARGETS = ("linux/amd64", "linux/arm64", "linux/ppc64le", "linux/s390x", "linux/riscv64", "linux/mips64le")


def _run(targets: tuple[str, ...]) -> TestRun:
    results = [with_events(PackageResult(t, p, FAILED if t == "linux/s390x" else PASSED, 3, 0, 1, 0.4,
                                         "native" if t == "linux/amd64" else "qemu"), None)
               for t in targets for p in PACKAGES]
    results.append(with_events(PackageResult(targets[0], f"{MODULE}/cmd/tool", VET_FAILED, reason="vet"), None))
    return TestRun(Path(), targets, targets, PACKAGES, (f"{MODULE}/cmd/tool",), tuple(results), None, False,
                   2, 1.0, "go1.27")


def _rendered(monkeypatch: pytest.MonkeyPatch, columns: str, targets: tuple[str, ...]) -> str:
    monkeypatch.setenv("COLUMNS", columns)
    monkeypatch.setenv("CI", "1")
    out = io.StringIO()
    app = App()
    app.__dict__["console"] = Console(file=out, no_color=True, highlight=False, soft_wrap=False, width=200)
    _render(app, _run(targets), verbose=False, junit_file=None)
    return out.getvalue()


def test_common_prefix_is_whole_path_segments() -> None:
    assert common_prefix(list(PACKAGES)) == f"{MODULE}/"  # the module's own package is shown as "."
    assert common_prefix([f"{MODULE}/a", f"{MODULE}/b"]) == f"{MODULE}/"
    assert common_prefix([f"{MODULE}/ab", f"{MODULE}/ac"]) == f"{MODULE}/"  # never a cut inside a name
    assert common_prefix([MODULE]) == ""  # one package: nothing to shorten


def test_narrow_columns_put_targets_in_rows_and_never_cut_a_name(monkeypatch: pytest.MonkeyPatch) -> None:
    text = _rendered(monkeypatch, "80", TARGETS)
    table = [ln for ln in text.splitlines() if ln[:1] in "┏┃┡│└"]
    assert table and max(len(ln) for ln in table) <= 80, text
    assert "…" not in text, text
    assert text.count(f"packages below {MODULE}/ are shown as ./PATH") == 1
    lines = table
    for target in TARGETS:  # each target's name whole, on a row of its own per package
        assert sum(f" {target} (" in ln for ln in lines) == len(PACKAGES) + 1, (target, text)
    assert sum("./internal/parser" in ln for ln in table) == 1 and sum(" . " in ln for ln in table) == 1
    assert "vet failed" in text  # the package without tests that failed vet has its row


def test_wide_columns_keep_the_matrix_with_whole_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    text = _rendered(monkeypatch, "200", TARGETS[:3])
    header = next(ln for ln in text.splitlines() if "linux/amd64" in ln)
    assert all(t in header for t in TARGETS[:3]), text
    assert max(len(ln) for ln in text.splitlines()) <= 200
    assert "…" not in text
