"""Generate the whole demo county in memory, deterministically from a seed."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, is_dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import shapely

from importers.demo.cameras import CameraRecord, build_cameras
from importers.demo.cases import CaseRecord, Source, build_cases
from importers.demo.people import VISIT_RULES, PersonRecord, build_people
from importers.demo.plan import DEFAULT_SEED, DemoScale, scale_for
from importers.demo.staff import StaffMember, build_staff
from importers.demo.territory import Territory, build_territory
from importers.divisions import children
from layers.model import WorkerRole

__all__ = ["DEFAULT_SEED", "DemoData", "generate"]


@dataclass(frozen=True)
class DemoData:
    """Everything the demo loads (clear resident IDs only in memory).

    Attributes
    ----------
    county_code : str
        12-digit code of the county.
    seed : int
        Seed of the generator.
    now : datetime
        Reference time.
    scale : DemoScale
        Sizes asked for.
    territory : Territory
        Jurisdictions and grids.
    staff : list of StaffMember
        Workers.
    people : list of PersonRecord
        Special-population records.
    cases : list of CaseRecord
        Cases with events and dispatches.
    cameras : list of CameraRecord
        Video points.
    sources : list of Source
        Where the cases come from (hot spots included).
    visit_rules : dict
        ``{(category, level): interval_days}``.
    """

    county_code: str
    seed: int
    now: datetime
    scale: DemoScale
    territory: Territory
    staff: list[StaffMember]
    people: list[PersonRecord]
    cases: list[CaseRecord]
    cameras: list[CameraRecord]
    sources: list[Source]
    visit_rules: dict[tuple[str, int], int]

    def digest(self) -> str:
        """Return a SHA-256 of every generated value (geometry as WKB, rounded to 1e-9 degrees).

        Returns
        -------
        str
            Hex digest; equal seeds, counties, scales and reference times give equal digests.
        """
        h = hashlib.sha256()
        for unit in self.territory.units:
            h.update(_canon([unit.code, unit.name, unit.level, unit.parent_code, unit.source]))
            h.update(_wkb(unit.boundary))
        for g in self.territory.grids:
            h.update(_canon([g.code, g.name, g.village_code, g.weight]))
            h.update(_wkb(g.boundary))
        for part in (self.staff, self.people, self.cases, self.cameras):
            for record in part:
                h.update(_canon(record))
        h.update(_canon(sorted(self.visit_rules.items())))
        return h.hexdigest()


def _wkb(geom: Any) -> bytes:
    return bytes(shapely.to_wkb(shapely.set_precision(geom, 1e-9)))


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    raise TypeError(f"cannot digest {type(value).__name__}")


def _canon(value: Any) -> bytes:
    if is_dataclass(value) and not isinstance(value, type):
        value = asdict(value)
    return json.dumps(value, default=_default, ensure_ascii=False, sort_keys=True).encode()


def generate(
    county: str,
    *,
    seed: int = DEFAULT_SEED,
    now: datetime,
    scale: DemoScale | None = None,
    factor: float | None = None,
) -> DemoData:
    """Generate the demo data of ``county``.

    Parameters
    ----------
    county : str
        6- or 12-digit county code.
    seed : int
        Seed: the same seed, county, scale and ``now`` give the same data.
    now : datetime
        Reference time (timezone-aware): the history ends there, positions are fresh relative
        to it.
    scale : DemoScale, optional
        Explicit sizes.
    factor : float, optional
        Multiplier of the 华宁县 sizes when ``scale`` is not given (default: townships / 5).

    Returns
    -------
    DemoData
        Everything to load.

    Raises
    ------
    ValueError
        If ``now`` is naive or the county has no townships.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    code = county.ljust(12, "0")
    rng = np.random.default_rng(seed)
    if scale is None:
        scale = scale_for(len(children(code)), factor)
    territory = build_territory(code, scale, rng)
    staff = build_staff(territory, scale.workers, now, rng)
    staff_by_grid: dict[str, list[int]] = {}
    police_by_town: dict[str, list[int]] = {}
    for i, w in enumerate(staff):
        if w.home_grid is not None and w.role == WorkerRole.GRID_WORKER:
            staff_by_grid.setdefault(w.home_grid, []).append(i)
        if w.role == WorkerRole.POLICE:
            police_by_town.setdefault(w.area_code, []).append(i)
    people = build_people(
        territory, scale.persons, staff_by_grid, police_by_town, now, rng, years=scale.years
    )
    cases, sources = build_cases(territory, staff, scale, now, rng)
    cameras = build_cameras(territory, sources, scale.cameras, now, rng)
    return DemoData(
        county_code=code,
        seed=seed,
        now=now,
        scale=scale,
        territory=territory,
        staff=staff,
        people=people,
        cases=cases,
        cameras=cameras,
        sources=sources,
        visit_rules=dict(VISIT_RULES),
    )
