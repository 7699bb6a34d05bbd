"""The report's charts: Vega-Lite specs, rendered to SVG here by vl-convert (no browser, no network).

A chart is declared as data plus encodings (which field is the bar length, which the colour); the Vega-Lite
compiler does the scales, axes, ticks and legend layout that hand-written SVG geometry would get wrong. The
SVG is inlined into the page, so the report needs no script library to draw them and prints as vectors.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from gocross.binary.sizes import PackageKind, SizeBreakdown
from gocross.report.data import Cell

_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"  # an identifier only: nothing is fetched
_MIB = 1 << 20
# Okabe–Ito colours, which stay apart for the common colour-vision deficiencies.
KIND_COLOURS = {
    str(PackageKind.MAIN): "#0072B2",
    str(PackageKind.DEPENDENCY): "#E69F00",
    str(PackageKind.STD): "#009E73",
    str(PackageKind.UNKNOWN): "#56B4E9",
    "not a package": "#999999",
}
_TOP = 14  # packages drawn one by one; the rest are one bar


def render(spec: dict[str, Any]) -> str:
    """A Vega-Lite spec as an inline SVG element."""
    import vl_convert

    svg: str = vl_convert.vegalite_to_svg(json.dumps(spec))
    return svg[svg.index("<svg"):]


def _base(description: str, values: list[dict[str, Any]], height: int) -> dict[str, Any]:
    fonts = {"labelFontSize": 11, "titleFontSize": 12}
    config = {"font": "sans-serif", "axis": fonts, "legend": fonts, "view": {"stroke": None}}
    return {"$schema": _SCHEMA, "description": description, "data": {"values": values}, "width": 560,
            "height": height, "config": config}


def size_chart(cells: Sequence[Cell]) -> str | None:
    """Every built binary's size, largest first."""
    values = [{"target": c.target, "MiB": round(c.size / _MIB, 2), "os": c.goos} for c in cells if c.size]
    if not values:
        return None
    spec = _base("Binary size per target, in MiB", values, 18 * len(values))
    spec["layer"] = [
        {"mark": {"type": "bar", "color": "#4C78A8"}},
        {"mark": {"type": "text", "align": "left", "dx": 3, "fontSize": 11}, "encoding": {"text": {"field": "MiB"}}},
    ]
    spec["encoding"] = {"y": {"field": "target", "type": "nominal", "sort": "-x", "title": None},
                        "x": {"field": "MiB", "type": "quantitative", "title": "size (MiB)"}}
    return render(spec)


def package_chart(b: SizeBreakdown) -> str:
    """The chosen binary's packages: the main module's and the dependencies' always, the largest standard
    library ones, one bar for the rest of the standard library, then the bytes no package owns."""
    own = [p for p in b.packages if p.kind != PackageKind.STD][:_TOP]
    std = [p for p in b.packages if p.kind == PackageKind.STD]
    shown = sorted([*own, *std[:max(_TOP - len(own), 4)]], key=lambda p: -p.size)
    values = [{"part": p.package, "KiB": round(p.size / 1024, 1), "kind": str(p.kind)} for p in shown]
    rest = [p for p in b.packages if p not in shown]
    if rest:
        kind = rest[0].kind if all(p.kind == rest[0].kind for p in rest) else PackageKind.STD
        values.append({"part": f"{len(rest)} more packages", "KiB": round(sum(p.size for p in rest) / 1024, 1),
                       "kind": str(kind)})
    values += [{"part": f"{o.section}: {o.what}", "KiB": round(o.size / 1024, 1), "kind": "not a package"}
               for o in b.other if o.size >= 1024]
    spec = _base(f"Size of {b.goos}/{b.goarch} by Go package, in KiB", values, 18 * len(values))
    kinds = [k for k in KIND_COLOURS if any(v["kind"] == k for v in values)]
    spec["layer"] = [
        {"mark": "bar"},
        {"mark": {"type": "text", "align": "left", "dx": 3, "fontSize": 11},
         "encoding": {"text": {"field": "KiB"}, "color": {"value": "black"}}},
    ]
    spec["encoding"] = {
        "y": {"field": "part", "type": "nominal", "sort": None, "title": None, "axis": {"labelLimit": 360}},
        "x": {"field": "KiB", "type": "quantitative", "title": "size (KiB)"},
        "color": {"field": "kind", "type": "nominal", "title": "whose code",
                  "scale": {"domain": kinds, "range": [KIND_COLOURS[k] for k in kinds]},
                  "legend": {"orient": "bottom", "direction": "horizontal"}},
    }
    return render(spec)
