"""Synthetic grid workers: who they are, where their grid is, whether they are on duty and where.

Every grid gets one full-time grid worker (专职网格员); every village a grid leader (网格长) and a
mediator (人民调解员); each township a few community police officers (社区民警) and the county some
department staff; part-time grid workers (兼职网格员) fill up the total. Availability follows the
dispatch rules the console applies: on duty with a fresh position (last few minutes), on duty but
stale (over 30 minutes old, so not suggested), off duty; workers with an active dispatch are set
to busy later, when the cases are generated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from importers.demo.geometry import jitter_inside, random_points_in
from importers.demo.names import person_name, phone_number
from importers.demo.territory import Territory
from layers.model import WorkerRole, WorkerStatus

#: Share of workers by availability before busy ones are chosen.
FRESH_SHARE, STALE_SHARE = 0.62, 0.14
#: The county's bureaus, one department account each (login suffix, name, as dispatches name
#: them; trial AQ S1: one shared account acted for all of them). ``labour`` keeps the login
#: ``department.{county}`` (:mod:`importers.demo.users`).
COUNTY_DEPARTMENTS = (
    ("justice", "县司法局"),
    ("police", "县公安局"),
    ("labour", "县人社局"),
    ("housing", "县住建局"),
    ("market", "县市场监管局"),
    ("land", "县自然资源局"),
)
DEPARTMENTS = tuple(name for _, name in COUNTY_DEPARTMENTS)
#: The city's own departments, one department account each (login suffix, name): a case the
#: county escalates to the city goes to them, not back to the county's bureaus (trial AM M1).
CITY_DEPARTMENTS = (
    ("police", "市公安局"),
    ("market", "市市场监管局"),
    ("land", "市自然资源局"),
    ("labour", "市人社局"),
    ("housing", "市住建局"),
    ("justice", "市司法局"),
)


@dataclass
class StaffMember:
    """One dispatchable person (local index = position in the list).

    Attributes
    ----------
    external_id : str
        Staff number, unique.
    name, phone, role, unit : str
        Identity, :class:`layers.model.WorkerRole` code and unit.
    home_grid : str or None
        Grid code (None for department staff).
    area_code : str
        Jurisdiction code of the village/township/county the worker belongs to.
    status : str
        :class:`layers.model.WorkerStatus` code.
    position : tuple of float or None
        Last position (lon, lat).
    last_seen_at : datetime or None
        When it was reported.
    trail : list
        Earlier positions ``(at, lon, lat)`` for the position history.
    """

    external_id: str
    name: str
    phone: str
    role: str
    unit: str
    home_grid: str | None
    area_code: str
    status: str
    position: tuple[float, float] | None
    last_seen_at: datetime | None
    trail: list[tuple[datetime, float, float]] = field(default_factory=list)


def build_staff(
    territory: Territory, total: int, now: datetime, rng: np.random.Generator
) -> list[StaffMember]:
    """Generate ``total`` workers for the territory.

    Parameters
    ----------
    territory : Territory
        Grids and villages.
    total : int
        Number of workers (at least one per grid is attempted; fewer grids get one if short).
    now : datetime
        Reference time of positions.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    list of StaffMember
        The workers; the first ``len(grids)`` are the grids' full-time workers, in grid order.
    """
    county = territory.county
    plan: list[tuple[str, str | None, str, str]] = []  # role, grid, area, unit
    village_name = {v.code: v.name for v in territory.villages}
    for g in territory.grids:
        plan.append((WorkerRole.GRID_WORKER, g.code, g.village_code, village_name[g.village_code]))
    first_grid: dict[str, str] = {}
    for g in territory.grids:
        first_grid.setdefault(g.village_code, g.code)
    for v in territory.villages:
        plan.append((WorkerRole.GRID_LEADER, first_grid[v.code], v.code, v.name))
    for v in territory.villages:
        plan.append((WorkerRole.MEDIATOR, first_grid[v.code], v.code, v.name + "调委会"))
    for t in territory.townships:
        codes = [g.code for g in territory.grids if g.village_code[:9] == t.code[:9]]
        for k in range(3):
            plan.append((WorkerRole.POLICE, codes[k % len(codes)], t.code, t.name + "派出所"))
    for k in range(max(6, total // 60)):
        plan.append((WorkerRole.DEPARTMENT, None, county.code, DEPARTMENTS[k % len(DEPARTMENTS)]))
    plan = plan[:total]
    grids = territory.grids
    while len(plan) < total:
        g = grids[int(rng.integers(len(grids)))]
        plan.append((WorkerRole.PART_TIME, g.code, g.village_code, village_name[g.village_code]))
    grid_by_code = {g.code: g for g in grids}
    shape_of = {u.code: u.boundary for u in territory.units}
    staff: list[StaffMember] = []
    for i, (role, grid_code, area, unit) in enumerate(plan):
        sex = "M" if rng.random() < 0.55 else "F"
        draw = rng.random()
        if draw < FRESH_SHARE:
            status, age = WorkerStatus.ON_DUTY, timedelta(seconds=float(rng.uniform(10, 600)))
        elif draw < FRESH_SHARE + STALE_SHARE:
            status, age = WorkerStatus.ON_DUTY, timedelta(minutes=float(rng.uniform(35, 360)))
        else:
            status, age = WorkerStatus.OFF_DUTY, timedelta(hours=float(rng.uniform(6, 72)))
        if grid_code is not None:
            poly = grid_by_code[grid_code].boundary
            centre = random_points_in(poly, 1, rng)
        else:
            centre = np.array([[county.seat.x, county.seat.y]])
        # positions stay in the worker's own village (township, county for the departments)
        shape = shape_of[area]
        pos = jitter_inside(centre, 150.0, shape, rng)[0]
        seen = now - age
        trail = []
        if status == WorkerStatus.ON_DUTY:
            back = pos.copy()
            for k in range(1, 5):
                back = jitter_inside(back[None, :], 120.0, shape, rng)[0]
                trail.append((seen - timedelta(minutes=5 * k), float(back[0]), float(back[1])))
        staff.append(
            StaffMember(
                external_id=f"{county.code[:6]}-W{i + 1:05d}",
                name=person_name(rng, sex),
                phone=phone_number(rng),
                role=str(role),
                unit=unit,
                home_grid=grid_code,
                area_code=area,
                status=str(status),
                position=(float(pos[0]), float(pos[1])),
                last_seen_at=seen,
                trail=trail,
            )
        )
    return staff
