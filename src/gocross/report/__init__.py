"""``gocross report``: one self-contained HTML page that shows a whole build.

The target matrix (status, size, build time, runs here and how, smoke and test outcome per cell), a size
chart across targets, one binary's size by Go package, and the release files — gathered by :mod:`.data`
from what ``build``, ``test --json`` and ``smoke --json`` wrote, drawn by :mod:`.charts` (Vega-Lite, rendered
to SVG by vl-convert) and laid out by :mod:`.html` (a Jinja2 template).
"""

from __future__ import annotations

from pathlib import Path

from gocross.report.data import (
    REPORT_NAME,
    SMOKE_NAME,
    TESTS_NAME,
    Cell,
    Outcome,
    ReleaseEntry,
    ReportData,
    ReportOptions,
    Verdict,
    gather,
    read_smoke,
    read_test_events,
)
from gocross.report.html import render_html, write_report

__all__ = [
    "REPORT_NAME",
    "SMOKE_NAME",
    "TESTS_NAME",
    "Cell",
    "Outcome",
    "ReleaseEntry",
    "ReportData",
    "ReportOptions",
    "Verdict",
    "gather",
    "read_smoke",
    "read_test_events",
    "render_html",
    "report",
    "write_report",
]


def report(options: ReportOptions, out: Path | None = None) -> Path:
    """Gather DIST's results and write the page (default DIST/report.html); returns its path."""
    return write_report(gather(options), out)
