"""The report as one self-contained HTML page: the data, a Jinja2 template (package data), inline SVG charts.

Nothing on the page is loaded from elsewhere — styles, the few lines of script and the charts are inline —
so it works from ``file://``, attached to a CI run, or printed. Status is always a word as well as a colour;
every cell is a button (Tab, Enter, arrow keys); without script every cell's details are simply listed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gocross.errors import OutputError
from gocross.report.data import Cell, Outcome, ReportData, Verdict
from gocross.safefs import atomic_write

_MEANING = {
    Verdict.PASSED: "built, and every smoke or test check that ran here passed",
    Verdict.BUILT: "built; nothing here checked it",
    Verdict.ATTENTION: "built, but its runner could not start it here",
    Verdict.FAILED: "the build, a smoke check or a test failed",
    Verdict.SKIPPED: "not built (skipped or cancelled)",
}
_CSS = {Verdict.PASSED: "passed", Verdict.BUILT: "built", Verdict.ATTENTION: "attention", Verdict.FAILED: "failed",
        Verdict.SKIPPED: "skipped"}


@dataclass(frozen=True)
class _Legend:
    css: str
    word: str
    meaning: str


@dataclass(frozen=True)
class _CellView:
    cell: Cell
    lines: tuple[str, ...]
    tooltip: str
    facts: tuple[tuple[str, str], ...]
    outputs: tuple[tuple[str, str], ...]

    def __getattr__(self, name: str) -> object:  # the template reads the cell's own fields through the view
        return getattr(self.cell, name)

    @property
    def verdict_css(self) -> str:
        return _CSS[self.cell.verdict]


@dataclass(frozen=True)
class _Row:
    goos: str
    variant: str | None  # "GOARM=7" for a sub-row of one variant
    cells: tuple[_CellView | None, ...]


def _size(n: int | None) -> str:
    if n is None:
        return "-"
    return f"{n / (1 << 20):.1f} MiB" if n >= 1 << 20 else f"{n / 1024:.0f} KiB"


def _runs_line(c: Cell) -> str:
    if c.runs_here == "native":
        return "runs here: native"
    if c.runs_here == "emulated":
        return f"runs here: {c.runner}"
    return "does not run here"


def _view(c: Cell) -> _CellView:
    if c.size is not None and c.seconds is not None:
        first = f"{_size(c.size)} · {c.seconds:.1f} s"
    else:
        first = f"not built ({c.status})" if c.status else "not in the build"
    lines = [first, _runs_line(c)]
    if c.smoke:
        lines.append(f"smoke: {c.smoke.status}")
    if c.tests:
        lines.append(f"tests: {c.tests.status}")
    facts = [("status", f"{c.verdict} (build: {c.status or 'not in this build'})")]
    why = c.error if c.status in ("skipped", "cancelled") else None
    for label, value in (("why not built", why), ("file", c.file), ("size", f"{c.size:,} bytes" if c.size else None),
                         ("build time", f"{c.seconds:.2f} s" if c.seconds is not None else None),
                         ("Go version", c.go_version), ("linkage", c.linkage), ("min glibc", c.min_glibc),
                         ("min OS", c.min_os), ("runs here", c.runs_here), ("why", c.runs_reason),
                         ("runner", c.runner), ("smoke", _outcome(c.smoke)), ("tests", _outcome(c.tests))):
        if value:
            facts.append((label, value))
    outputs = [(label, text) for label, text in (("build output", c.error if c.status == "failed" else None),
                                                 ("smoke output", c.smoke.output if c.smoke else None),
                                                 ("test output", c.tests.output if c.tests else None)) if text]
    tooltip = f"{c.target}: {c.verdict}; " + "; ".join(lines)
    return _CellView(c, tuple(lines), tooltip, tuple(facts), tuple(outputs))


def _outcome(o: Outcome | None) -> str | None:
    if o is None:
        return None
    return f"{o.status} — {o.summary}" if o.summary else o.status


def _rows(data: ReportData, views: dict[str, _CellView]) -> Iterator[_Row]:
    columns = data.goarch_columns
    for goos in data.goos_rows:
        mine = [c for c in data.cells if c.goos == goos]
        variants = sorted({c.variant for c in mine}, key=lambda v: (v is not None, v or ""))
        for variant in variants:
            row = [c for c in mine if c.variant == variant]
            by_arch = {c.goarch: views[c.target] for c in row}
            label = ", ".join(sorted({f"{c.variant_var or 'variant'}={variant}" for c in row})) if variant else None
            yield _Row(goos, label, tuple(by_arch.get(a) for a in columns))


def render_html(data: ReportData) -> str:
    """The whole page."""
    import jinja2

    from gocross.report import charts

    env = jinja2.Environment(loader=jinja2.PackageLoader("gocross.report", "templates"), autoescape=True,
                             trim_blocks=False, undefined=jinja2.StrictUndefined)
    views = {c.target: _view(c) for c in data.cells}
    legend = [_Legend(_CSS[v], str(v), _MEANING[v]) for v in Verdict]
    counts = [(str(v), n) for v in Verdict if (n := data.counts().get(str(v), 0))]
    sizes_file = None
    if data.sizes is not None:
        sizes_file = next((c.file for c in data.cells if c.target == data.sizes_target), None)
    return env.get_template("report.html.j2").render(
        d=data, verdicts=legend, counts=counts, rows=list(_rows(data, views)), cells=list(views.values()),
        size_svg=charts.size_chart(data.cells),
        package_svg=charts.package_chart(data.sizes) if data.sizes else None,
        sizes_file=sizes_file or "FILE")


def write_report(data: ReportData, out: Path | None = None) -> Path:
    """Write the page (default DIST/report.html) atomically; OutputError when the folder is not writable."""
    from gocross.report.data import REPORT_NAME

    path = out if out is not None else data.dist / REPORT_NAME
    try:
        atomic_write(path, render_html(data))
    except OSError as exc:
        raise OutputError(f"Cannot write {path} ({exc.strerror}); choose another --out file.") from None
    return path
