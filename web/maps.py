"""Folium maps embedded in console pages.

:func:`page_map` builds an offline folium map (vendored resources, configured basemap) and
splits its rendering into the parts a console template places: the ``<head>`` resources, the
map ``<div>`` and the script. The script also publishes the Leaflet map as ``window.zzMap`` so
that the page's own scripts add the layers they fetch from the API.

:func:`layer_config` serialises the console's layers (:data:`CONSOLE_LAYERS`) with their
catalog definitions (Chinese title, style, zoom range, who may read features) into the JSON the
command view's script reads: one definition of each layer, in ``layers/catalog.py``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from branca.element import Element, Figure
from markupsafe import Markup

from layers.catalog import COLLECTIONS, readable
from layers.model import Role
from web.basemap import Basemap
from web.folium_offline import ChineseScale, VendoredLibraries, offline_map
from web.static_assets import AssetManifest, static_manifest

CHINA_CENTRE = (35.0, 105.0)

CONSOLE_STYLESHEETS = ("bootstrap_css",)
"""Bootstrap's stylesheet, the console's own (its top bar, buttons, forms, tables).

``console_base.html`` links it itself on a page without a map; a map page has it among the
map's resources, after ``leaflet.css`` as when ``folium.Map`` brought it, since an
:class:`web.folium_offline.OfflineMap` loads of folium's defaults only Leaflet and what its
elements use (:func:`web.folium_offline.folium_needs`), and the console draws its layers itself.
"""


@dataclass(frozen=True)
class MapParts:
    """A rendered folium map, cut into the pieces a page template places.

    Attributes
    ----------
    header : markupsafe.Markup
        ``<script>``/``<link>`` tags and styles for ``<head>``.
    html : markupsafe.Markup
        The map ``<div>``.
    script : markupsafe.Markup
        The ``<script>`` that creates the map and sets ``window.zzMap``.
    name : str
        Folium's JS variable name of the map.
    """

    header: Markup
    html: Markup
    script: Markup
    name: str


def page_map(
    basemap: Basemap | None = None,
    *,
    libraries: tuple[str, ...] = ("leaflet.vectorgrid",),
    elements: tuple[Element, ...] = (),
    stylesheets: tuple[str, ...] = (),
    scale: bool = True,
) -> MapParts:
    """Build the page's map and return its rendered parts.

    Parameters
    ----------
    basemap : Basemap, optional
        Basemap settings; read from the environment (``ZONGZHI_BASEMAP``) when omitted.
    libraries : tuple of str
        Extra vendored scripts the page's layers need (names in ``LOCAL_ASSETS``).
    elements : tuple of branca.element.Element
        Further folium elements to add (plugins, controls).
    stylesheets : tuple of str
        Vendored stylesheets those libraries need (names in ``LOCAL_ASSETS``).
    scale : bool
        Add a metric scale bar labelled in Chinese (:class:`web.folium_offline.ChineseScale`).

    Returns
    -------
    MapParts
        The pieces to place in the template.

    Examples
    --------
    >>> parts = page_map(Basemap.from_env({}))
    >>> "window.zzMap" in parts.script and "leaflet.js" in parts.header
    True
    >>> "bootstrap.min.css" in parts.header and "jquery" not in parts.header
    True
    """
    manifest = static_manifest()
    map_ = offline_map(
        basemap if basemap is not None else Basemap.from_env(),
        versioned=manifest.versioned,  # the browser keeps each file a year (web.static_assets)
        location=list(CHINA_CENTRE),
        zoom_start=5,
        prefer_canvas=True,
    )
    if scale:
        ChineseScale().add_to(map_)
    VendoredLibraries(js=libraries, css=(*CONSOLE_STYLESHEETS, *stylesheets)).add_to(map_)
    for element in elements:
        element.add_to(map_)
    name = map_.get_name()
    root = map_.get_root()
    assert isinstance(root, Figure)
    root.render()
    return MapParts(
        header=Markup(root.header.render()),
        html=Markup(root.html.render()),
        script=Markup(
            default_icon_script(manifest) + root.script.render() + f"\nwindow.zzMap = {name};\n"
        ),
        name=name,
    )


DEFAULT_ICON_FILES = {
    "iconUrl": "vendor/leaflet/images/marker-icon.png",
    "iconRetinaUrl": "vendor/leaflet/images/marker-icon-2x.png",
    "shadowUrl": "vendor/leaflet/images/marker-shadow.png",
}
"""Leaflet's default marker images, under ``web/static``."""


def default_icon_script(manifest: AssetManifest) -> str:
    """Return the script giving Leaflet's default marker its images' versioned URLs.

    Leaflet finds the folder of its marker images from ``leaflet.css`` (the
    ``.leaflet-default-icon-path`` image, or the stylesheet's link ending in ``leaflet.css``);
    both end in ``?v=…`` once versioned, so the folder is not found and a marker would ask the
    page's own folder for ``marker-icon.png``. The URLs are therefore set whole.

    Parameters
    ----------
    manifest : AssetManifest
        The static files' versions.

    Returns
    -------
    str
        JavaScript to run after ``leaflet.js``.

    Examples
    --------
    >>> print(default_icon_script(static_manifest()))  # doctest: +ELLIPSIS
    L.Icon.Default.imagePath = "";
    L.Icon.Default.mergeOptions({"iconUrl": "/static/vendor/leaflet/images/marker-icon.png?v=...
    """
    urls = {option: manifest.url(path) for option, path in DEFAULT_ICON_FILES.items()}
    return f'L.Icon.Default.imagePath = "";\nL.Icon.Default.mergeOptions({json.dumps(urls)});\n'


@dataclass(frozen=True)
class ConsoleLayer:
    """How the command view shows one catalog collection (or a view of one).

    Attributes
    ----------
    id : str
        Layer id in the page (the switcher's checkbox, ``zzLayers[id]``).
    collection : str
        The catalog collection it draws (:data:`layers.catalog.COLLECTIONS`).
    source : str
        ``outline`` (unit and children, KPI shading), ``tiles`` (vector tiles), ``points``
        (hexagon tiles below the collection's aggregation zoom, bbox-limited items above,
        clustered), ``hotspots`` (latest run's cells) or ``heat`` (density points).
    on : bool
        Shown when the page opens.
    suffix : str
        Appended to the collection's title (a second view of the same collection).
    """

    id: str
    collection: str
    source: str
    on: bool = True
    suffix: str = ""


CONSOLE_LAYERS: tuple[ConsoleLayer, ...] = (
    ConsoleLayer("units", "jurisdictions", "outline"),
    ConsoleLayer("grids", "grids", "tiles"),
    ConsoleLayer("cases", "cases", "points"),
    ConsoleLayer("video_points", "video_points", "points"),
    ConsoleLayer("workers", "workers", "points", on=False),
    ConsoleLayer("persons", "persons", "points", on=False),
    ConsoleLayer("hotspots", "hotspots", "hotspots"),
    ConsoleLayer("heat", "cases", "heat", on=False, suffix="热力图"),
)
"""The command view's layers, in switcher order; names, styles and zooms come from the catalog."""


def layer_config(layers: tuple[ConsoleLayer, ...] = CONSOLE_LAYERS) -> list[dict[str, Any]]:
    """Serialise the console's layers with their catalog definitions for the page's script.

    Parameters
    ----------
    layers : tuple of ConsoleLayer
        The layers to describe.

    Returns
    -------
    list of dict
        Per layer: ``id``, ``collection``, ``source``, ``on``, ``title`` (Chinese, from the
        catalog), ``geometry_type``, ``personal``, ``min_zoom``, ``max_zoom``,
        ``aggregate_below_zoom``, ``style`` (``color``, ``fill``, ``opacity``, ``radius``),
        ``tiles`` and ``items`` URL templates, and the roles that may read its features
        (``feature_roles``) or only its aggregates (``aggregate_roles``); a feature role whose
        scope is wider than ``feature_from_level`` (1 province … 5 village) reads aggregates
        only (a city commander on the special-population layer).

    Examples
    --------
    >>> config = {layer["id"]: layer for layer in layer_config()}
    >>> config["persons"]["title"], config["persons"]["aggregate_below_zoom"]
    ('特殊人群', 14)
    >>> "analyst" in config["persons"]["feature_roles"]
    False
    >>> "department" in config["persons"]["feature_roles"] + config["persons"]["aggregate_roles"]
    False
    >>> config["persons"]["feature_from_level"]
    3
    >>> config["heat"]["title"]
    '矛盾纠纷与事件热力图'
    """
    out = []
    for layer in layers:
        c = COLLECTIONS[layer.collection]
        out.append(
            {
                "id": layer.id,
                "collection": c.id,
                "source": layer.source,
                "on": layer.on,
                "title": c.title + layer.suffix,
                "geometry_type": c.geometry_type,
                "personal": c.personal,
                "min_zoom": c.min_zoom,
                "max_zoom": c.max_zoom,
                "aggregate_below_zoom": c.aggregate_below_zoom,
                "style": asdict(c.style),
                "tiles": f"/tiles/{c.id}/{{z}}/{{x}}/{{y}}.mvt",
                "items": f"/ogc/collections/{c.id}/items",
                "feature_roles": [r.value for r in Role if readable(r.value, c, scope_code=None)],
                "aggregate_roles": [
                    r.value
                    for r in Role
                    if readable(r.value, c, scope_code=None, aggregated=True)
                    and not readable(r.value, c, scope_code=None)
                ],
                "feature_from_level": c.feature_from_level,
            }
        )
    return out


def layer_config_json(layers: tuple[ConsoleLayer, ...] = CONSOLE_LAYERS) -> str:
    """Return :func:`layer_config` as JSON text for a ``<script type="application/json">``.

    Parameters
    ----------
    layers : tuple of ConsoleLayer
        The layers to describe.

    Returns
    -------
    str
        The JSON (non-ASCII kept; ``<`` escaped so that it cannot close the script element).
    """
    return json.dumps(layer_config(layers), ensure_ascii=False).replace("<", "\\u003c")
