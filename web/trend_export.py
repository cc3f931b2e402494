r"""A period's trend report as one standalone HTML file that opens offline.

The map is an :func:`web.folium_offline.offline_map` (vendored Leaflet only, no basemap), with
the period's Gi* cells, the emerging hot spot classes, the kernel density overlay (a ``data:``
PNG) and the hot spots no camera covers, then the tables of the report. folium links its
resources; :func:`inline_resources` replaces every ``/static/vendor/…`` ``<script src>`` and
stylesheet ``<link>`` by the file's content (images a stylesheet uses become ``data:`` URIs),
and writes ``://`` inside inlined code as ``:\/\/`` (the same string in JavaScript and CSS), so
the file names no outside address at all.

The header names the window (统计时段) and the cases counted (案件范围: sources, category),
and a retired unit's notice; the KPIs give the period's 案件数 (every case but the repeats,
重复反映, as the KPI and the tables' titles say) beside those with a location, and the remarks
say that the repeats are left out, how many had no location and which counts are suppressed.
The tables are those of the workbook (:mod:`layers.trend_report`): categories and children by
period, with totals.
"""

from __future__ import annotations

import base64
import mimetypes
import re
from pathlib import Path
from typing import Any

import folium
import shapely
from branca.element import Element, Figure, MacroElement
from folium.template import Template
from markupsafe import Markup, escape
from shapely.geometry import shape

from layers.china_time import CHINA
from layers.command import held_counties_note
from layers.trend_report import (
    CELL_ID_HEADER,
    HIDDEN_NOTE,
    NO_REPEATS,
    SUPPRESSED,
    VISITS_AS_OF,
    VISITS_WHEN,
    Report,
    case_change_text,
    category_table,
    cell_place,
    changes_note,
    changes_table,
    children_table,
    hidden,
    notes,
    uncovered_empty,
    unit_title,
    units_text,
    unlisted_note,
    visits_empty,
    visits_hidden,
)
from layers.trends import (
    BIN_LEGEND,
    PATTERN_COLOURS,
    PATTERN_LABELS,
    cell_size_label,
    window_label,
)
from web.folium_offline import STATIC_VENDOR_URL, ChineseScale, offline_map
from web.render import PRODUCT

VENDOR_DIR = Path(__file__).resolve().parent / "static" / "vendor"
_SCRIPT = re.compile(
    r'<script\s+src="' + re.escape(STATIC_VENDOR_URL) + r'/([^"]+)"\s*>\s*</script>'
)
_LINK = re.compile(
    r'<link\s+rel="stylesheet"\s+href="' + re.escape(STATIC_VENDOR_URL) + r'/([^"]+)"\s*/?>'
)
_CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")


def _vendored(path: str) -> Path:
    target = (VENDOR_DIR / path).resolve()
    if VENDOR_DIR not in target.parents:
        raise ValueError(f"{path} is not under the vendor folder")
    return target


def _no_scheme_separators(code: str) -> str:
    return code.replace("://", ":\\/\\/")


def _css_inline(path: Path) -> str:
    def data_uri(match: re.Match[str]) -> str:
        ref = match.group(1)
        if ref.startswith(("data:", "#")):
            return match.group(0)
        file = (path.parent / ref.split("?")[0].split("#")[0]).resolve()
        if not file.is_file() or VENDOR_DIR not in file.parents:
            return "url(data:,)"
        mime = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        return f"url(data:{mime};base64,{base64.b64encode(file.read_bytes()).decode()})"

    return _no_scheme_separators(_CSS_URL.sub(data_uri, path.read_text(encoding="utf-8")))


def inline_resources(html: str) -> str:
    """Replace the vendored ``<script src>`` and stylesheet links of ``html`` by their content.

    Parameters
    ----------
    html : str
        A page rendered by an offline folium map.

    Returns
    -------
    str
        The same page with every vendored resource embedded.

    Examples
    --------
    >>> page = inline_resources('<script src="/static/vendor/leaflet/leaflet.js"></script>')
    >>> page.startswith("<script>") and "L.version" not in page and "://" not in page
    True
    """

    def script(match: re.Match[str]) -> str:
        code = _vendored(match.group(1)).read_text(encoding="utf-8")
        return (
            "<script>" + _no_scheme_separators(code).replace("</script", "<\\/script") + "</script>"
        )

    def link(match: re.Match[str]) -> str:
        return "<style>" + _css_inline(_vendored(match.group(1))) + "</style>"

    return _LINK.sub(link, _SCRIPT.sub(script, html))


def _count(value: int | None) -> str:
    return SUPPRESSED if value is None else str(value)


def _cells(rep: Report) -> dict[str, Any]:
    t = rep.index
    features = []
    for cell in rep.series_json["cells"]:
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "id": cell["id"],
                    "area": cell["area_name"],
                    "bin": cell["bins"][t],
                    "binLabel": BIN_LEGEND.get(cell["bins"][t], ("不显著", ""))[0],
                    "count": _count(cell["counts"][t]),
                    "pattern": cell["pattern"],
                    "patternLabel": PATTERN_LABELS[cell["pattern"]],
                },
                "geometry": {"type": "Polygon", "coordinates": [cell["ring"]]},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _bin_style(feature: dict[str, Any]) -> dict[str, Any]:
    b = feature["properties"]["bin"]
    colour = BIN_LEGEND.get(b, ("", "#ffffff"))[1]
    return {
        "color": colour,
        "weight": 0.5 if b else 0,
        "fillColor": colour,
        "fillOpacity": 0.65 if b else 0,
    }


def _outline_style(feature: dict[str, Any]) -> dict[str, Any]:
    if feature["properties"]["role"] == "unit":
        return {"color": "#343a40", "weight": 2.5, "fill": False}
    return {
        "color": "#6c757d",
        "weight": 1,
        "dashArray": "4 3",
        "fillColor": "#ffffff",
        "fillOpacity": 0.6,
    }


def _pattern_style(feature: dict[str, Any]) -> dict[str, Any]:
    p = feature["properties"]["pattern"]
    colour = PATTERN_COLOURS[p]
    return {
        "color": colour,
        "weight": 2.5 if p != "no_pattern" else 0,
        "fill": False,
        "opacity": 1 if p != "no_pattern" else 0,
    }


def _table(header: list[str], rows: list[list[Any]], empty: str, *, fit: bool = False) -> str:
    """Return a table in its box: scrolled sideways, or wrapped to the box's width (``fit``)."""
    if not rows:
        return f'<p class="empty">{escape(empty)}</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in r) + "</tr>" for r in rows)
    return (
        f'<div class="{"fit" if fit else "scroll"}"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


CELLS_DIFFER = "各级页面格网大小不同，热点类别不宜跨级比较"
"""Said beside the cell size: a city's, a county's and a village's cells differ (trial AY M5)."""

VISIT_ROWS = 50
"""Most grids the page lists under 走访逾期 (the workbook lists them all)."""


def _visits_table(visits: dict[str, Any]) -> str:
    """走访逾期 by grid, the most overdue first, with its township; a cut list says so.

    A reader who may not see small counts reads the grids of at least that many overdue only,
    and is told so (:func:`layers.trend_report.unlisted_note`).
    """
    grids = visits["grids"]
    table = _table(
        ["网格", "所属乡镇（街道）", "所属村（社区）", "列管人数", "逾期人数"],
        [
            [
                g["grid_name"],
                g["township_name"],
                g["area_name"],
                str(hidden(g["persons"])),
                str(hidden(g["overdue"])),
            ]
            for g in grids[:VISIT_ROWS]
        ],
        visits_empty(visits),
    )
    floor = int(visits.get("listed_from") or 1)
    if len(grids) > VISIT_ROWS:
        which = f"逾期不少于 {floor} 人" if floor > 1 else "有逾期"
        table += (
            f'<p class="empty">共 {len(grids)} 个网格{which}，此处列出逾期人数最多的'
            f" {VISIT_ROWS} 个；全部见导出统计表的「走访逾期」表。</p>"
        )
    if visits.get("withheld"):
        return table
    if units_text(visits):
        label = visits.get("units_label") or "下级单位"
        table += (
            f'<p class="empty">各{escape(label)}走访逾期人数（与月总结相同）：'
            f"{escape(units_text(visits))}</p>"
        )
    told = "".join(f"{n}；" for n in (unlisted_note(visits),) if n)
    told += f"{HIDDEN_NOTE}；" if visits_hidden(visits) else ""
    if not grids and not told:
        return table
    return table + f'<p class="empty">注：{escape(told)}{VISITS_WHEN}。</p>'


_STYLE = """
body{margin:0;font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;
color:#222;background:#f4f6f9}
header.report{background:#1f3b57;color:#fff;padding:12px 20px}
header.report h1{font-size:20px;margin:0 0 4px}
header.report p{margin:0;font-size:13px;opacity:.85}
.kpis{display:flex;gap:10px;padding:12px 20px;flex-wrap:wrap}
.kpi{background:#fff;border-radius:6px;padding:8px 14px;min-width:120px;box-shadow:0 1px 2px #0002}
.kpi b{display:block;font-size:22px}.kpi span{font-size:12px;color:#666}
.kpi small{display:block;font-size:11px;color:#8a5a00}
.folium-map{margin:0 20px;border:1px solid #ccd;width:auto!important}
.legend{background:#fffe;padding:6px 10px;font-size:12px;border-radius:4px;max-width:330px;
box-shadow:0 1px 3px #0003}
.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-2px}
.legend .cols{display:grid;grid-template-columns:1fr 1fr;column-gap:10px}
section{margin:14px 20px;background:#fff;padding:10px 14px;border-radius:6px}
section h2{font-size:16px;margin:0 0 8px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border:1px solid #dde;padding:3px 6px;text-align:left}th{background:#eef2f7}
.leaflet-control-scale-line+.leaflet-control-scale-line{display:none}
.empty{color:#777;font-size:13px}footer{font-size:12px;color:#777;margin:10px 20px 20px}
.scroll{overflow-x:auto}.scroll td,.scroll th{white-space:nowrap}
.fit table{table-layout:auto}.fit td,.fit th{white-space:normal;overflow-wrap:anywhere}
@media (max-width:1400px){.fit table{font-size:12px}.fit td,.fit th{padding:2px 4px}}
.notes{margin:0 20px 10px;font-size:13px;color:#8a5a00}
.north{background:#fffe;border-radius:4px;box-shadow:0 1px 3px #0003;padding:2px 7px;
font-size:12px;line-height:1.1;text-align:center;font-weight:600}
.north b{display:block;font-size:16px}
.source{display:none;background:#fffe;padding:2px 6px;font-size:9pt;border-radius:3px}
header.report p.notice{color:#ffd37a;opacity:1;margin-top:4px}
header.report p.held{opacity:1;margin-top:4px}
@media print{@page{size:A4 landscape;margin:10mm}
body{background:#fff}header.report{print-color-adjust:exact;-webkit-print-color-adjust:exact}
.scroll{overflow:visible}.scroll td,.scroll th{white-space:normal}
table{font-size:8pt}th,td{padding:1px 3px}section{margin:6px 0;padding:4px 0}
.folium-map{break-inside:avoid}tr{break-inside:avoid}
.leaflet-control-zoom,.leaflet-control-layers{display:none}.source{display:block}
.legend{font-size:8pt;padding:3px 6px;max-width:250px;line-height:1.2}
.legend i{width:9px;height:9px}.north{font-size:8pt}.north b{font-size:12pt}}
"""


def _legend(rep: Report) -> str:
    bins = "".join(
        f'<div><i style="background:{c}"></i>{escape(label)}</div>'
        for _, (label, c) in BIN_LEGEND.items()
    )
    pats = "".join(
        f'<div><i style="border:2px solid {PATTERN_COLOURS[code]}"></i>{escape(label)}</div>'
        for code, label in PATTERN_LABELS.items()
    )
    return (
        '<b>本期热点</b><div class="cols">'
        + bins
        + '</div><b>新兴热点模式</b><div class="cols">'
        + pats
        + "</div>"
    )


class Legend(MacroElement):
    """A Leaflet control holding some HTML: the legend, in the bottom-right corner by default.

    Parameters
    ----------
    html : str
        The legend.
    position : str
        The map's corner (Leaflet's ``bottomright``, ``topleft``, …).
    css_class : str
        The control's class (``legend``; ``north`` for the north arrow, ``source`` for the
        printed page's data source and window).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
            {{ this.get_name() }}.onAdd = function () {
                var div = L.DomUtil.create("div", {{ this.css_class|tojson }});
                div.innerHTML = {{ this.html|tojson }};
                return div;
            };
            {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, html: str, position: str = "bottomright", css_class: str = "legend") -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Legend"
        self.html = html
        self.position = position
        self.css_class = css_class


def _count_sections(rep: Report) -> list[tuple[str, str]]:
    """Return the categories and the children by period (with totals) as titled tables."""
    by_period = "按季度" if "Q" in rep.period.key else "按月"
    sections = [
        (f"各类案件数（{by_period}，{NO_REPEATS}）", _table(*category_table(rep), "无数据"))
    ]
    by_child = children_table(rep)
    if by_child is not None:
        _, header, rows = by_child
        title = f"各{header[0]}案件数（{by_period}，{NO_REPEATS}）"
        sections.append((title, _table(header, rows, "无数据")))
    if rep.changes:  # each village's recent months against as many before (trial AO M1)
        heading, header, rows = changes_table(rep.changes)
        # words, not a grid of figures: wrapped within the page, never scrolled sideways (trial
        # AY m1: at 1280×720 「上升最多的案件类型」 was cut at the card's edge)
        table = _table(header, rows, "两段时间内均无案件", fit=True)
        sections.append(
            (heading, f'{table}<p class="notes">{escape(changes_note(rep.changes))}</p>')
        )
    return sections


def report_html(rep: Report) -> str:
    """Return the report of one period as a standalone HTML page.

    Parameters
    ----------
    rep : Report
        From :func:`layers.trend_report.report`.

    Returns
    -------
    str
        The page, every script, stylesheet and image embedded.
    """
    t = rep.index
    info = rep.series_json["periods"][t]
    unit = rep.unit
    cells = _cells(rep)
    shapes = [shape(f["geometry"]) for f in rep.outlines["features"] + cells["features"]]
    map_ = offline_map(None, location=[30.0, 110.0], zoom_start=10, height="540px")
    ChineseScale().add_to(map_)
    map_.default_js = [("leaflet", "")]
    map_.default_css = [("leaflet_css", "")]
    folium.GeoJson(
        rep.outlines,
        name="辖区边界",
        style_function=_outline_style,
        tooltip=folium.GeoJsonTooltip(fields=["name"], aliases=["辖区"]),
    ).add_to(map_)
    if rep.density is not None:
        png = base64.b64encode(rep.density.png).decode()
        folium.raster_layers.ImageOverlay(
            f"data:image/png;base64,{png}",
            bounds=rep.density.bounds,
            name="核密度",
            opacity=0.7,
        ).add_to(map_)
    tooltip = (
        folium.GeoJsonTooltip(
            fields=["area", "binLabel", "count", "patternLabel"],
            aliases=["所属辖区", "本期热点", "本期案件数", "新兴热点模式"],
        )
        if cells["features"]
        else None  # folium refuses a tooltip's fields on an empty collection
    )
    folium.GeoJson(cells, name="本期热点", style_function=_bin_style, tooltip=tooltip).add_to(map_)
    folium.GeoJson(
        {
            "type": "FeatureCollection",
            "features": [
                f for f in cells["features"] if f["properties"]["pattern"] != "no_pattern"
            ],
        },
        name="新兴热点模式",
        style_function=_pattern_style,
    ).add_to(map_)
    group = folium.FeatureGroup(name="无摄像机覆盖的热点")
    for cell in rep.coverage["uncovered"]:
        folium.CircleMarker(
            [cell["centre"][1], cell["centre"][0]],
            radius=7,
            color="#000000",
            weight=2,
            dash_array="3 3",
            fill=False,
            tooltip=f"无摄像机覆盖：{cell['area_name']}（{cell['pattern_label']}）",
        ).add_to(group)
    group.add_to(map_)
    folium.LayerControl(collapsed=False).add_to(map_)
    if rep.counties and cells["features"]:  # a city's or province's: the held counties' cells
        shapes = [shape(f["geometry"]) for f in cells["features"]]
    if shapes:
        west, south, east, north = shapely.union_all(shapes).bounds
        map_.fit_bounds([[south, west], [north, east]])
    root = map_.get_root()
    assert isinstance(root, Figure)
    title = f"{unit['name']} · {rep.period.label} 热点研判报告"
    root.header.add_child(Element(f"<title>{escape(title)} · {PRODUCT}</title>"))
    root.header.add_child(Element('<meta charset="utf-8"><link rel="icon" href="data:,">'))
    root.header.add_child(Element(f"<style>{_STYLE}</style>"))
    generated = rep.generated_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    changed = case_change_text(rep) or "统计时段内无可比的上期"
    kpis = [
        ("本期案件数", info["cases"]),
        ("有位置（参与热点分析）", info["located"]),
        ("热点单元（≥95%）", info["hot"] if info["judged"] else "不作判断"),
        ("无摄像机覆盖热点", len(rep.coverage["uncovered"])),
        (
            VISITS_AS_OF,
            "不显示" if rep.visits.get("withheld") else str(hidden(rep.visits["overdue"])),
        ),
    ]
    notice = rep.unit["notice"]
    held = held_counties_note(rep.counties, "本报告")
    top = (
        f'<header class="report"><h1>{escape(title)}</h1><p>{escape(unit_title(rep))} · 统计期 '
        f"{info['start']} 至 {info['end']} · 统计时段 {escape(window_label(rep.series.periods))}"
        f" · 案件范围 {escape(rep.series.case_filter.label)} · 生成于 {generated}</p>"
        + (f'<p class="notice">{escape(notice)}</p>' if notice else "")
        + (f'<p class="held">{escape(held)}</p>' if held else "")
        + '</header><div class="kpis">'
        + "".join(
            f"<div class=kpi><b>{escape(v)}</b><span>{escape(k)}</span>"
            + (f"<small>{NO_REPEATS}</small>" if k == "本期案件数" else "")
            # 环比 and 同比, as the page's KPI (trial AY M2)
            + (f"<small class=change>{escape(changed)}</small>" if k == "本期案件数" else "")
            + "</div>"
            for k, v in kpis
        )
        + "</div>"
        + (f'<p class="notes">{escape(notes(rep))}</p>' if notes(rep) else "")
    )
    root.html.add_child(Element(top), index=0)
    Legend(_legend(rep)).add_to(map_)
    # on paper: which way is north, and whose figures of which window the map shows, on the
    # map's own page (trial AY m2: the source was only in the footer, pages later)
    Legend("<b>↑</b>北", "topleft", "north").add_to(map_)
    Legend(
        escape(
            f"数据来源：{PRODUCT}（{unit_title(rep)}） · 统计期 {info['start']} 至 {info['end']}"
            f" · 统计时段 {window_label(rep.series.periods)} · 生成于 {generated}"
        ),
        "bottomleft",
        "source",
    ).add_to(map_)
    sections = _count_sections(rep) + [
        (
            "无摄像机覆盖的热点",
            _table(
                [
                    "所在村（社区）",
                    "所在乡镇（街道）",
                    "本期案件数",
                    "置信度",
                    "新兴热点模式",
                    CELL_ID_HEADER,
                ],
                [
                    [
                        *cell_place(rep.series, c["area_code"]),
                        _count(c["count"]),
                        BIN_LEGEND[c["bin"]][0],
                        c["pattern_label"],
                        c["id"],
                    ]
                    for c in rep.coverage["uncovered"]
                ],
                uncovered_empty(rep),
            ),
        ),
        (
            "特殊人群走访逾期（按网格）",
            _visits_table(rep.visits),
        ),
    ]
    rest = "".join(f"<section><h2>{escape(h)}</h2>{body}</section>" for h, body in sections)
    foot = (
        f"<footer>{escape(PRODUCT)} · 分析单元：{escape(cell_size_label(rep.series.resolution))}"
        f"（{CELLS_DIFFER}）；"
        "热点：Getis-Ord Gi*；新兴热点：时空立方体 + Mann-Kendall 趋势检验。"
        f"{escape(notes(rep))}</footer>"
    )
    page = str(Markup(root.render()))
    head, tail = page.rsplit("</body>", 1)
    return inline_resources(head + rest + foot + "</body>" + tail)
