"""Folium maps that load every JS/CSS file from the platform's own ``/static/vendor/``.

Folium elements declare their resources as ``default_js``/``default_css`` lists of
``(name, CDN URL)`` pairs. Before an :class:`OfflineMap` renders, every element in its tree
gets its own copy of those lists with each URL replaced by the vendored file registered under
that name in :data:`LOCAL_ASSETS`; an element asking for a name that is not vendored raises
:class:`UnvendoredAssetError` instead of silently loading from a CDN.

``folium.Map`` itself lists, besides Leaflet, jQuery, the Bootstrap bundle and stylesheet,
awesome-markers with its rotation classes, Font Awesome and Glyphicons, for folium elements that
use them without declaring them (:func:`folium_needs`). An :class:`OfflineMap` loads Leaflet and
only those of the others that an element of its tree uses: the console's pages, whose layers
their own scripts draw, load Leaflet alone (7 files fewer on a first open of each map page).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import folium
from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from folium.plugins import FastMarkerCluster
from folium.template import Template

from web.basemap import Basemap, BasemapKind

STATIC_VENDOR_URL = "/static/vendor"

#: folium's resource names -> file under ``web/static/vendor/`` (see VENDORED.md).
LOCAL_ASSETS: dict[str, str] = {
    # folium.Map (its "bootstrap" bundle is not vendored: nothing uses it, see folium_needs)
    "leaflet": "leaflet/leaflet.js",
    "jquery": "jquery/jquery.min.js",
    "awesome_markers": "leaflet.awesome-markers/leaflet.awesome-markers.min.js",
    "leaflet_css": "leaflet/leaflet.css",
    "bootstrap_css": "bootstrap/css/bootstrap.min.css",
    "glyphicons_css": "bootstrap-glyphicons/css/glyphicons.css",
    "awesome_markers_font_css": "fontawesome-free/css/all.min.css",
    "awesome_markers_css": "leaflet.awesome-markers/leaflet.awesome-markers.css",
    "awesome_rotate_css": "leaflet.awesome-markers/leaflet.awesome.rotate.css",
    # folium.plugins.MarkerCluster
    "markerclusterjs": "leaflet.markercluster/leaflet.markercluster.js",
    "markerclustercss": "leaflet.markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "leaflet.markercluster/MarkerCluster.Default.css",
    # folium.plugins.HeatMap
    "leaflet-heat.js": "leaflet.heat/leaflet-heat.js",
    # folium.plugins.Fullscreen
    "Control.Fullscreen.js": "leaflet.fullscreen/Control.FullScreen.js",
    "Control.FullScreen.css": "leaflet.fullscreen/Control.FullScreen.css",
    # our own elements
    "leaflet.vectorgrid": "leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js",
    "pmtiles": "pmtiles/pmtiles.js",
    "protomaps-leaflet": "protomaps-leaflet/protomaps-leaflet.js",
}


class UnvendoredAssetError(ValueError):
    """A folium element asks for a JS/CSS resource that is not vendored."""


def local_url(name: str, static_prefix: str = STATIC_VENDOR_URL) -> str:
    """Return the platform URL of the vendored resource folium knows as ``name``.

    Parameters
    ----------
    name : str
        folium's resource name (the first item of a ``default_js``/``default_css`` pair).
    static_prefix : str
        URL under which ``web/static/vendor/`` is served.

    Returns
    -------
    str
        The local URL.

    Raises
    ------
    UnvendoredAssetError
        If no vendored file is registered under ``name``.

    Examples
    --------
    >>> local_url("leaflet")
    '/static/vendor/leaflet/leaflet.js'
    """
    try:
        path = LOCAL_ASSETS[name]
    except KeyError:
        raise UnvendoredAssetError(
            f"folium resource {name!r} is not vendored; add it to web/vendor.py and "
            "web/folium_offline.py LOCAL_ASSETS"
        ) from None
    return f"{static_prefix.rstrip('/')}/{path}"


def walk(element: Element) -> Iterator[Element]:
    """Yield ``element`` and all its descendants.

    Parameters
    ----------
    element : branca.element.Element
        Root of the walk.

    Yields
    ------
    branca.element.Element
        Each element, depth first.
    """
    yield element
    for child in list(element._children.values()):
        yield from walk(child)


def localise(
    root: Element,
    static_prefix: str = STATIC_VENDOR_URL,
    versioned: Callable[[str], str] | None = None,
) -> None:
    """Point every JS/CSS resource of the elements under ``root`` at the vendored files.

    Each element gets instance-level lists, so folium's class-level lists are left untouched.

    Parameters
    ----------
    root : branca.element.Element
        Usually the map.
    static_prefix : str
        URL under which ``web/static/vendor/`` is served.
    versioned : callable, optional
        Local URL -> the URL pages link (the console's content-versioned URLs,
        :meth:`web.static_assets.AssetManifest.versioned`); the local URL itself when omitted.

    Raises
    ------
    UnvendoredAssetError
        If an element needs a resource that is not vendored.
    """

    def url(name: str) -> str:
        local = local_url(name, static_prefix)
        return versioned(local) if versioned is not None else local

    for element in walk(root):
        if isinstance(element, JSCSSMixin):
            element.default_js = [(name, url(name)) for name, _ in element.default_js]
            element.default_css = [(name, url(name)) for name, _ in element.default_css]


MAP_RESOURCES = frozenset({"leaflet", "leaflet_css"})
"""What every :class:`OfflineMap` loads of ``folium.Map``'s default resources: Leaflet."""

AWESOME_MARKERS = frozenset({"awesome_markers", "awesome_markers_css", "awesome_rotate_css"})
"""awesome-markers' script, its stylesheet and folium's ``fa-rotate-N`` classes (``Icon.angle``)."""

ICON_FONTS = {"glyphicon": "glyphicons_css"}
"""An ``Icon``'s prefix -> the stylesheet of its glyphs; any other prefix is Font Awesome's."""


def folium_needs(element: Element) -> frozenset[str]:
    """Return which of ``folium.Map``'s default resources ``element`` uses without declaring them.

    folium's own elements count on the map to load them: an ``Icon`` (also a ``GeoJson``'s
    marker's, and ``FastMarkerCluster``'s default markers) is drawn by ``L.AwesomeMarkers`` with
    a glyph of Glyphicons or Font Awesome; a ``Popup`` parses its content with jQuery
    (``$(`...`)[0]``), as the map does for ``keep_in_front``. Nothing of folium uses the
    Bootstrap bundle; the console's pages, which use Bootstrap's stylesheet, declare it
    (:func:`web.maps.page_map`), as any other element that needs one of them should.

    Parameters
    ----------
    element : branca.element.Element
        One element of a map's tree (its children are not looked at).

    Returns
    -------
    frozenset of str
        Names in :data:`LOCAL_ASSETS`; empty for most elements.

    Examples
    --------
    >>> sorted(folium_needs(folium.Icon(prefix="fa", icon="video")))
    ['awesome_markers', 'awesome_markers_css', 'awesome_markers_font_css', 'awesome_rotate_css']
    >>> sorted(folium_needs(folium.Popup("事件")))
    ['jquery']
    >>> folium_needs(folium.CircleMarker([30.0, 120.0]))
    frozenset()
    """
    if isinstance(element, folium.Icon):
        font = ICON_FONTS.get(str(element.options.get("prefix")), "awesome_markers_font_css")
        return AWESOME_MARKERS | {font}
    if isinstance(element, folium.Popup):
        return frozenset({"jquery"})
    if isinstance(element, folium.Map) and element.objects_to_stay_in_front:
        return frozenset({"jquery"})
    if isinstance(element, folium.GeoJson):
        icon = getattr(element.marker, "icon", None)
        return folium_needs(icon) if isinstance(icon, folium.Icon) else frozenset()
    if isinstance(element, FastMarkerCluster) and "L.AwesomeMarkers" in element.callback:
        return folium_needs(folium.Icon())
    return frozenset()


def map_resources(root: Element) -> frozenset[str]:
    """Return the names of ``folium.Map``'s default resources a map's tree needs.

    Parameters
    ----------
    root : branca.element.Element
        Usually the map.

    Returns
    -------
    frozenset of str
        :data:`MAP_RESOURCES` and what :func:`folium_needs` finds for each element.

    Examples
    --------
    >>> sorted(map_resources(offline_map()))
    ['leaflet', 'leaflet_css']
    """
    needed = set(MAP_RESOURCES)
    for element in walk(root):
        needed |= folium_needs(element)
    return frozenset(needed)


POPUP_MAX_WIDTH = 360


def fix_popup_widths(root: Element, max_width: int = POPUP_MAX_WIDTH) -> None:
    """Give every popup whose ``max_width`` is a percentage a width in pixels.

    Leaflet's ``maxWidth`` is a number of pixels; folium's default ``"100%"`` makes Leaflet
    compute no width at all, so text without spaces (Chinese) wraps one character per line.

    Parameters
    ----------
    root : branca.element.Element
        Usually the map.
    max_width : int
        Pixels to use instead.
    """
    for element in walk(root):
        if isinstance(element, folium.Popup) and isinstance(element.options.get("max_width"), str):
            element.options["max_width"] = max_width


class OfflineMap(folium.Map):
    """A ``folium.Map`` with no tiles by default whose resources are the vendored files.

    Of ``folium.Map``'s default resources it loads Leaflet and only those an element of its
    tree uses (:func:`map_resources`), not jQuery, Bootstrap, awesome-markers and two icon
    fonts on every map. Popups with folium's default percentage width get
    :data:`POPUP_MAX_WIDTH` pixels; Leaflet's attribution prefix (a link to leafletjs.com) is
    removed.

    Parameters
    ----------
    static_prefix : str
        URL under which ``web/static/vendor/`` is served.
    versioned : callable, optional
        Local URL -> the URL the page links (see :func:`localise`).
    **kwargs
        Passed to ``folium.Map``; ``tiles`` defaults to None (no outside tiles). ``min_zoom``
        and ``max_zoom`` (default 0 and 18) are set on the map itself, since with no tile layer
        Leaflet would not know them (MarkerCluster needs ``maxZoom``).
    """

    def __init__(
        self,
        static_prefix: str = STATIC_VENDOR_URL,
        versioned: Callable[[str], str] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("tiles", None)
        min_zoom = kwargs.setdefault("min_zoom", 0)
        max_zoom = kwargs.setdefault("max_zoom", 18)
        super().__init__(**kwargs)
        self.options["min_zoom"] = min_zoom
        self.options["max_zoom"] = max_zoom
        self.static_prefix = static_prefix
        self.versioned = versioned
        self.add_child(NoAttributionPrefix())

    def render(self, **kwargs: Any) -> Any:
        """Localise the resources of the whole tree, then render as folium does.

        Parameters
        ----------
        **kwargs
            Passed to ``folium.Map.render``.

        Returns
        -------
        Any
            What ``folium.Map.render`` returns.
        """
        # folium.Map's lists load jQuery, Bootstrap, awesome-markers and the icon fonts for
        # every map; this map keeps, in folium's order, Leaflet and what its elements use
        needed = map_resources(self)
        self.default_js = [(n, url) for n, url in folium.Map.default_js if n in needed]
        self.default_css = [(n, url) for n, url in folium.Map.default_css if n in needed]
        localise(self, self.static_prefix, self.versioned)
        fix_popup_widths(self)
        return super().render(**kwargs)  # type: ignore[no-untyped-call]


class VendoredLibraries(JSCSSMixin, MacroElement):
    """Load vendored libraries folium has no element for (e.g. ``leaflet.vectorgrid``).

    Parameters
    ----------
    js : tuple of str
        Names in :data:`LOCAL_ASSETS` of scripts to load, in order.
    css : tuple of str
        Names in :data:`LOCAL_ASSETS` of stylesheets to load.

    Raises
    ------
    UnvendoredAssetError
        If a name is not vendored.

    Examples
    --------
    >>> map_ = offline_map()
    >>> _ = VendoredLibraries(js=("leaflet.vectorgrid",)).add_to(map_)
    >>> "Leaflet.VectorGrid.bundled.min.js" in map_.get_root().render()
    True
    """

    _template = Template("")

    def __init__(self, js: tuple[str, ...] = (), css: tuple[str, ...] = ()) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "VendoredLibraries"
        self.default_js = [(name, local_url(name)) for name in js]
        self.default_css = [(name, local_url(name)) for name in css]


class NoAttributionPrefix(MacroElement):
    """Remove Leaflet's attribution prefix (an outside link and a non-Chinese label)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            if ({{ this._parent.get_name() }}.attributionControl) {
                {{ this._parent.get_name() }}.attributionControl.setPrefix(false);
            }
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "NoAttributionPrefix"


class ChineseScale(MacroElement):
    """A metric scale bar labelled in Chinese (米 / 公里) instead of Leaflet's m/km and ft/mi.

    Parameters
    ----------
    position : str
        Leaflet control position.

    Examples
    --------
    >>> map_ = offline_map()
    >>> _ = ChineseScale().add_to(map_)
    >>> "公里" in map_.get_root().render()
    True
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = new (L.Control.Scale.extend({
                _updateMetric: function (maxMeters) {
                    var meters = this._getRoundNum(maxMeters);
                    var text = meters < 1000 ? meters + " 米" : meters / 1000 + " 公里";
                    this._updateScale(this._mScale, text, meters / maxMeters);
                }
            }))({imperial: false, position: {{ this.position|tojson }}})
                .addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, position: str = "bottomright") -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "ChineseScale"
        self.position = position


class PMTilesLayer(JSCSSMixin, MacroElement):
    """A PMTiles basemap: raster with ``pmtiles.leafletRasterLayer``, vector with protomaps.

    Parameters
    ----------
    url : str
        URL of the ``.pmtiles`` file (served by the platform).
    vector : bool
        True for a vector (Protomaps basemap schema) archive.
    attribution : str
        Attribution text.
    max_zoom : int
        Highest zoom.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {%- if this.vector %}
            var {{ this.get_name() }} = protomapsL.leafletLayer({
                url: {{ this.url|tojson }}, flavor: "light", lang: "zh",
                attribution: {{ this.attribution|tojson }}, maxZoom: {{ this.max_zoom }}
            }).addTo({{ this._parent.get_name() }});
        {%- else %}
            var {{ this.get_name() }} = pmtiles.leafletRasterLayer(
                new pmtiles.PMTiles({{ this.url|tojson }}),
                {attribution: {{ this.attribution|tojson }}, maxZoom: {{ this.max_zoom }}}
            ).addTo({{ this._parent.get_name() }});
        {%- endif %}
        {% endmacro %}
        """
    )

    def __init__(
        self, url: str, *, vector: bool = False, attribution: str = "", max_zoom: int = 18
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "PMTilesLayer"
        self.url = url
        self.vector = vector
        self.attribution = attribution
        self.max_zoom = max_zoom
        self.default_js = [("protomaps-leaflet", "")] if vector else [("pmtiles", "")]


def add_basemap(map_: folium.Map, basemap: Basemap) -> Element | None:
    """Add the configured basemap to a map.

    Parameters
    ----------
    map_ : folium.Map
        The map.
    basemap : Basemap
        The settings (``web.basemap.Basemap.from_env()``).

    Returns
    -------
    branca.element.Element or None
        The added layer, None for ``BasemapKind.NONE``.
    """
    layer: Element
    if basemap.kind is BasemapKind.NONE:
        return None
    if basemap.kind in (BasemapKind.PMTILES, BasemapKind.PMTILES_VECTOR):
        layer = PMTilesLayer(
            basemap.url,
            vector=basemap.kind is BasemapKind.PMTILES_VECTOR,
            attribution=basemap.attribution,
            max_zoom=basemap.max_zoom,
        )
    else:
        layer = folium.TileLayer(
            tiles=basemap.tile_url,
            attr=basemap.attribution or "底图",
            name="底图",
            min_zoom=basemap.min_zoom,
            max_zoom=basemap.max_zoom,
            subdomains="01234567" if basemap.kind is BasemapKind.TIANDITU else "abc",
        )
    layer.add_to(map_)
    return layer


def offline_map(
    basemap: Basemap | None = None,
    *,
    static_prefix: str = STATIC_VENDOR_URL,
    versioned: Callable[[str], str] | None = None,
    **kwargs: Any,
) -> OfflineMap:
    """Create a map whose resources and (by default absent) basemap are all local.

    Parameters
    ----------
    basemap : Basemap, optional
        Basemap settings; default none.
    static_prefix : str
        URL under which ``web/static/vendor/`` is served.
    versioned : callable, optional
        Local URL -> the URL the page links (see :func:`localise`).
    **kwargs
        Passed to ``folium.Map`` (``location``, ``zoom_start``, ...).

    Returns
    -------
    OfflineMap
        The map; render it with ``get_root().render()`` or ``save()``.

    Examples
    --------
    >>> html = offline_map(location=[30.0, 120.0], zoom_start=10).get_root().render()
    >>> "/static/vendor/leaflet/leaflet.js" in html and "cdn.jsdelivr" not in html
    True
    """
    map_ = OfflineMap(static_prefix=static_prefix, versioned=versioned, **kwargs)
    if basemap is not None:
        add_basemap(map_, basemap)
    return map_
