"""Basemap settings: none, a local tile folder, a PMTiles file, or a Tianditu node with its key.

Centres run on intranets, so the default is no basemap at all; nothing is fetched from outside
unless an operator configures a Tianditu node.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

LOCAL_TILES_URL = "/basemap/{z}/{x}/{y}.png"
TIANDITU_URL = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"
)


class BasemapKind(StrEnum):
    """Where basemap tiles come from."""

    NONE = "none"
    LOCAL_TILES = "tiles"
    PMTILES = "pmtiles"
    PMTILES_VECTOR = "pmtiles-vector"
    TIANDITU = "tianditu"


@dataclass(frozen=True)
class Basemap:
    """A configured basemap.

    Parameters
    ----------
    kind : BasemapKind
        The source of the tiles.
    url : str
        Tile URL template ({z}/{x}/{y}) for local tiles, the PMTiles file URL, or the Tianditu
        node's URL template ({s}, {z}, {x}, {y}, {layer}, {key}). Ignored for ``NONE``.
    tianditu_key : str
        The Tianditu key (``tk``); only for ``TIANDITU``.
    tianditu_layer : str
        Tianditu layer: ``vec`` (vector), ``img`` (imagery) or ``ter`` (terrain).
    attribution : str
        Attribution shown in the map corner.
    min_zoom, max_zoom : int
        Zoom range the tiles exist for.
    """

    kind: BasemapKind = BasemapKind.NONE
    url: str = ""
    tianditu_key: str = ""
    tianditu_layer: str = "vec"
    attribution: str = ""
    min_zoom: int = 0
    max_zoom: int = 18

    def __post_init__(self) -> None:
        """Check that the kind has what it needs.

        Raises
        ------
        ValueError
            If a Tianditu basemap has no key, or a non-empty kind has no URL.
        """
        if self.kind is BasemapKind.TIANDITU and not self.tianditu_key:
            raise ValueError("a Tianditu basemap needs its key (ZONGZHI_TIANDITU_KEY)")
        if self.kind not in (BasemapKind.NONE, BasemapKind.TIANDITU) and not self.url:
            raise ValueError(f"a {self.kind.value} basemap needs a URL (ZONGZHI_BASEMAP_URL)")
        if not 0 <= self.min_zoom <= self.max_zoom <= 24:
            raise ValueError(f"bad zoom range {self.min_zoom}-{self.max_zoom}")

    @property
    def tile_url(self) -> str:
        """The URL template Leaflet requests, with the Tianditu layer and key filled in.

        Returns
        -------
        str
            A ``{z}/{x}/{y}`` template (empty for ``NONE``).

        Examples
        --------
        >>> Basemap(BasemapKind.LOCAL_TILES, url=LOCAL_TILES_URL).tile_url
        '/basemap/{z}/{x}/{y}.png'
        >>> Basemap(BasemapKind.TIANDITU, tianditu_key="K").tile_url  # doctest: +ELLIPSIS
        'https://t{s}.tianditu.gov.cn/vec_w/wmts?...&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=K'
        """
        if self.kind is BasemapKind.TIANDITU:
            template = self.url or TIANDITU_URL
            return template.replace("{layer}", self.tianditu_layer).replace(
                "{key}", self.tianditu_key
            )
        return self.url

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Basemap:
        """Read the basemap from ``ZONGZHI_BASEMAP*`` and ``ZONGZHI_TIANDITU_*`` variables.

        Parameters
        ----------
        environ : Mapping, optional
            Variables to read (defaults to ``os.environ``).

        Returns
        -------
        Basemap
            ``ZONGZHI_BASEMAP`` = none (default) | tiles | pmtiles | pmtiles-vector | tianditu;
            ``ZONGZHI_BASEMAP_URL`` (tiles defaults to ``/basemap/{z}/{x}/{y}.png``);
            ``ZONGZHI_TIANDITU_KEY``, ``ZONGZHI_TIANDITU_LAYER``; ``ZONGZHI_BASEMAP_MAX_ZOOM``.

        Raises
        ------
        ValueError
            If ``ZONGZHI_BASEMAP`` names no known kind, or the kind lacks its URL or key.

        Examples
        --------
        >>> Basemap.from_env({}).kind
        <BasemapKind.NONE: 'none'>
        >>> Basemap.from_env({"ZONGZHI_BASEMAP": "tiles"}).url
        '/basemap/{z}/{x}/{y}.png'
        """
        env = os.environ if environ is None else environ
        name = env.get("ZONGZHI_BASEMAP", "none").strip().lower() or "none"
        try:
            kind = BasemapKind(name)
        except ValueError:
            known = ", ".join(k.value for k in BasemapKind)
            raise ValueError(f"ZONGZHI_BASEMAP={name!r} is not one of {known}") from None
        url = env.get("ZONGZHI_BASEMAP_URL", "")
        if kind is BasemapKind.LOCAL_TILES and not url:
            url = LOCAL_TILES_URL
        return cls(
            kind=kind,
            url=url,
            tianditu_key=env.get("ZONGZHI_TIANDITU_KEY", ""),
            tianditu_layer=env.get("ZONGZHI_TIANDITU_LAYER", "vec"),
            attribution="天地图" if kind is BasemapKind.TIANDITU else "",
            max_zoom=int(env.get("ZONGZHI_BASEMAP_MAX_ZOOM", "18")),
        )
