"""Folium maps embedded in console pages.

:func:`page_map` builds an offline folium map (vendored resources, configured basemap) and
splits its rendering into the parts a console template places: the ``<head>`` resources, the
map ``<div>`` and the script. The script also publishes the Leaflet map as ``window.zzMap`` so
that the page's own scripts add the layers they fetch from the API.
"""

from __future__ import annotations

from dataclasses import dataclass

from branca.element import Element, Figure
from markupsafe import Markup

from web.basemap import Basemap
from web.folium_offline import VendoredLibraries, offline_map

CHINA_CENTRE = (35.0, 105.0)


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

    Returns
    -------
    MapParts
        The pieces to place in the template.

    Examples
    --------
    >>> parts = page_map(Basemap.from_env({}))
    >>> "window.zzMap" in parts.script and "leaflet.js" in parts.header
    True
    """
    map_ = offline_map(
        basemap if basemap is not None else Basemap.from_env(),
        location=list(CHINA_CENTRE),
        zoom_start=5,
        control_scale=True,
        prefer_canvas=True,
    )
    if libraries:
        VendoredLibraries(js=libraries).add_to(map_)
    for element in elements:
        element.add_to(map_)
    name = map_.get_name()
    root = map_.get_root()
    assert isinstance(root, Figure)
    root.render()
    return MapParts(
        header=Markup(root.header.render()),
        html=Markup(root.html.render()),
        script=Markup(root.script.render() + f"\nwindow.zzMap = {name};\n"),
        name=name,
    )
