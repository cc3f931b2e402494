"""The CRS a coordinate column's header names: ``经度（BD09）``, ``百度经度``, ``lng_gcj02``.

A 12345 system or a camera platform that stores web-map coordinates often says so in the header
(``百度经度``/``百度纬度``, ``高德经度``, ``经度(GCJ-02)``) while the clerk who exports the file
does not know it matters. Such a header declares the file's CRS, as a GIS file's ``.prj`` does:
the coordinates are read in it without ``--crs``, and the summary says which header told.
:func:`without_crs` lets ``百度经度`` find the 经度 field; :func:`coordinate_crs` reads the CRS.
Where no header names one, a file or sheet named for it (``点位_gcj02.csv``, ``高德采集点位.xlsx``)
does (:func:`named_crs`). Either way the CRS is still checked against the file's places and
records (:mod:`importers.crs_check`), as any CRS the user did not give.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

CRS_WORDS = {
    "bd09": ("bd09", "bd-09", "百度", "baidu"),
    "gcj02": ("gcj02", "gcj-02", "高德", "腾讯", "火星", "gaode", "amap"),
    "wgs84": ("wgs84", "wgs-84", "gps"),
    "cgcs2000": ("cgcs2000", "cgcs-2000", "国家2000", "2000国家大地坐标系"),
}
"""Words that name a CRS in a header (compared lower-cased, after NFKC)."""

_WORD = "|".join(re.escape(w) for words in CRS_WORDS.values() for w in words)
_COORDINATE = "经度|纬度|经纬度|坐标|lng|lon|lat|x|y|x坐标|y坐标"
_AFFIXED = re.compile(rf"(?:{_WORD})[_\s-]*({_COORDINATE})|({_COORDINATE})[_\s-]*(?:{_WORD})")
"""A coordinate header with a CRS word before or after it (``百度经度``, ``lng_gcj02``)."""
_CRS_OF = {w: crs for crs, words in CRS_WORDS.items() for w in words}
_NAMING = re.compile(
    "|".join(
        rf"(?<![a-z]){re.escape(w)}(?![a-z])" if w.isascii() else re.escape(w)
        for words in CRS_WORDS.values()
        for w in words
    )
)
"""A CRS word in a file name, a Latin one not part of a longer word (``gps``, not ``gpsx``)."""
_NOTED = re.compile(r"[(\[【]\s*([^()\[\]【】]*?)\s*[)\]】]")
_POINT_FIELDS = ("lon", "lat", "lonlat")


def crs_in_header(header: str) -> str | None:
    """Return the CRS a coordinate header names, if it names one.

    Parameters
    ----------
    header : str
        A column header as written.

    Returns
    -------
    str or None
        ``bd09``, ``gcj02``, ``wgs84`` or ``cgcs2000``.

    Examples
    --------
    >>> [crs_in_header(h) for h in ("经度（BD09）", "百度纬度", "lng_gcj02", "经度(2000)", "经度")]
    ['bd09', 'bd09', 'gcj02', 'cgcs2000', None]
    """
    text = unicodedata.normalize("NFKC", header).strip().lower()
    notes = " ".join(_NOTED.findall(text))
    if notes == "2000":  # 经度(2000): the national CRS of 2000
        return "cgcs2000"
    said = notes or (text if _AFFIXED.fullmatch(text) else "")
    return next((crs for crs, words in CRS_WORDS.items() if any(w in said for w in words)), None)


def without_crs(key: str) -> str:
    """Return a normalised header without the CRS word it is affixed with (``百度经度`` → ``经度``).

    Parameters
    ----------
    key : str
        A header as :func:`importers.mapping.normalise_header` gives it.

    Returns
    -------
    str
        The coordinate word, or ``key`` unchanged when it is not a coordinate header with a
        CRS word.

    Examples
    --------
    >>> without_crs("百度经度"), without_crs("lnggcj02"), without_crs("百度地址")
    ('经度', 'lng', '百度地址')
    """
    affixed = _AFFIXED.fullmatch(key)
    if affixed is None:
        return key
    return affixed.group(1) or affixed.group(2)


def coordinate_crs(columns: Mapping[str, str]) -> tuple[str, str] | None:
    """Return the CRS the point columns' headers name, and the header that names it.

    Parameters
    ----------
    columns : mapping
        Field → the file's header that feeds it.

    Returns
    -------
    tuple of str, or None
        The CRS and the first header naming it; ``None`` when no point header names one, or
        when two name different ones (the file then says nothing reliable).

    Examples
    --------
    >>> coordinate_crs({"lon": "百度经度", "lat": "百度纬度", "name": "名称"})
    ('bd09', '百度经度')
    >>> coordinate_crs({"lon": "经度（高德）", "lat": "纬度（百度）"}) is None
    True
    """
    headers = [columns[f] for f in _POINT_FIELDS if f in columns]
    named = [(crs, h) for h in headers if (crs := crs_in_header(h)) is not None]
    if not named or len({crs for crs, _ in named}) > 1:
        return None
    return named[0]


def named_crs(names: list[str | None]) -> tuple[str, str] | None:
    """Return the CRS a file's or sheet's name names, and that name.

    Parameters
    ----------
    names : list of str or None
        The sheet's name and the file's stem (``None`` for none).

    Returns
    -------
    tuple of str, or None
        The CRS and the name; ``None`` when no name names one, or when the names name
        different ones.

    Examples
    --------
    >>> named_crs(["Sheet1", "雪亮点位_GCJ02"])
    ('gcj02', '雪亮点位_GCJ02')
    >>> named_crs([None, "百度地图采集的纠纷点"])
    ('bd09', '百度地图采集的纠纷点')
    >>> named_crs([None, "gpsx点位"]) is None, named_crs(["高德", "百度"]) is None
    (True, True)
    """
    named = []
    for name in names:
        text = unicodedata.normalize("NFKC", name or "").lower()
        said = {_CRS_OF[word] for word in _NAMING.findall(text)}
        if len(said) == 1 and name:
            named.append((said.pop(), name))
        elif said:
            return None
    if not named or len({crs for crs, _ in named}) > 1:
        return None
    return named[0]
