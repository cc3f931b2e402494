"""A registered person put into a grid from the console (划入网格 / 调整网格), and their 帮扶责任人.

A person registered by their 居住地址 or 所属村（社区） in a village of several grids may be saved
with no grid (暂不划入网格, :mod:`layers.person_village`): on no worker's 走访 list
(:data:`layers.visits_due.FOLLOWED_BY` reads the grid and the responsibles). A roster names a
grid too, and may name the wrong one. Until now only the next roster could set it; the
console's 走访 list now does, as 注销 does (:mod:`layers.person_closing`):

* :func:`person_place` reads where the person is on record and who is named to follow them;
* :func:`village_grids` lists the live grids of a village of the operator's scope to choose
  from (the person's own by default), with :func:`layers.person_entry.candidates_at` giving
  each grid's workers as 帮扶责任人, as the registration form does for a point;
* :func:`set_grid` puts the person into the grid chosen: ``grid_code``, and ``area_code`` the
  grid's village, so a grid of another village (or township) of the scope moves the person
  there; the 帮扶责任人 become those chosen (of the new place, ``person_responsibles.area_code``
  with them). A residence point is kept as it is (the map shows the home where it was picked);
  one lying outside the grid chosen is said, not moved: no point is made up.

Visits stay with their person (migration 0043): after a move to another village or township the
new unit's 走访 list, due day and overdue counts read the visits made before the move (the due
day still runs from the last visit); the old unit keeps counting the visits made in it (its
走访逐期统计) but no longer sees the person. The new grid's workers then hold the person on their
走访 list.

Who may: the operators who close a person out (:data:`layers.person_closing.ENDING_ROLES`, a
county or below); the person and the grid both in the scope (checked here, and by row-level
security on the update). The caller audits the change under the person (:data:`ACTION`,
:meth:`GridSet.audit_detail`): codes only, no name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import scope_range
from layers.accounts import refuse_retired_unit
from layers.catalog import MASKED_NAME_SQL, grid_name_sql, name_sql
from layers.errors import Conflict, InvalidInput, NotFound
from layers.model import Level
from layers.person_closing import check_operator
from layers.person_entry import Residence, candidates_at, check_responsibles
from layers.person_village import GridChoice, grid_village, live_grids

ACTION = "person.grid"
"""The audit action: a person put into a grid (or another grid) from the console."""
VIEW = "grid"
"""The ``view`` of the audit entry of the 划入网格 dialog's read of a person (``layer.read``)."""
RESPONSIBLES_MAX = 20
"""Most 帮扶责任人 one person is given (as the registration takes)."""
NOT_FOUND = "该人员不存在或不在您的辖区内"
GRID_REFUSED = "网格 {code} 不存在、已撤销或不在您的辖区内"
VILLAGE_REFUSED = "该村（社区）不存在或不在您的辖区内"
ROLE_REFUSED = (
    "{role}不能调整人员的网格：请由乡镇（街道）、社区（村）或县综治中心的指挥中心、调度员账号办理"
)
SCOPE_REFUSED = "{role}账号只查看特殊人群统计数，不能调整人员的网格：请由县级及以下的综治中心办理"


@dataclass(frozen=True)
class PersonPlace:
    """Where a person is on record, masked, and who is named to follow them.

    Attributes
    ----------
    id : int
        The record.
    category : str
        Its category code.
    name_masked : str
        The surname and ``*``.
    area_code : str
        Their unit (a village).
    area_name : str or None
        Its name.
    grid_code, grid_name : str or None
        Their grid (None: 未划入网格).
    responsible_ids : tuple of int
        The workers named 帮扶责任人 that the scope reads.
    """

    id: int
    category: str
    name_masked: str
    area_code: str
    area_name: str | None
    grid_code: str | None
    grid_name: str | None
    responsible_ids: tuple[int, ...]


@dataclass(frozen=True)
class GridSet:
    """A person put into a grid.

    Attributes
    ----------
    id : int
        The record.
    category : str
        Its category code.
    name_masked : str
        The surname and ``*``.
    from_area, from_grid : str, str or None
        Where they were.
    area_code, grid_code : str
        Where they are now (the grid's village, the grid).
    area_name, grid_name : str or None
        Their names.
    responsibles : int
        How many 帮扶责任人 they now have.
    point_grid : str or None
        The grid the residence point lies in, when it lies outside the grid chosen (its name,
        or ``不在任何网格内``); None: no point, or a point inside the grid.
    """

    id: int
    category: str
    name_masked: str
    from_area: str
    from_grid: str | None
    area_code: str
    area_name: str | None
    grid_code: str
    grid_name: str | None
    responsibles: int
    point_grid: str | None = None

    def message(self) -> str:
        """Return what the console's toast says.

        Examples
        --------
        >>> moved = GridSet(1, "drug", "王*", "530424101001", None, "530424101001",
        ...                 "复安社区", "530424101001002", "复安第2网格", 1)
        >>> moved.message()
        '已将 王* 划入 复安社区 复安第2网格，已列入该网格网格员的走访名单，帮扶责任人 1 名'
        >>> elsewhere = GridSet(1, "drug", "王*", "530424101001", "530424101001001",
        ...                     "530424102003", "南河社区", "530424102003001", "南河第1网格", 0)
        >>> elsewhere.message().split("；")[1]
        '已转入另一乡镇（街道）：走访记录随人员转入，应访日期仍从上次走访起算，原乡镇（街道）不再看到该人员'
        """
        verb = "调整到" if self.from_grid else "划入"
        said = (
            f"已将 {self.name_masked} {verb} {self.area_name or self.area_code} "
            f"{self.grid_name or self.grid_code}，已列入该网格网格员的走访名单"
        )
        if self.responsibles:
            said += f"，帮扶责任人 {self.responsibles} 名"
        if self.from_area[:9] != self.area_code[:9]:
            said += (
                "；已转入另一乡镇（街道）：走访记录随人员转入，应访日期仍从上次走访起算，"
                "原乡镇（街道）不再看到该人员"
            )
        elif self.from_area != self.area_code:
            said += "；已转入另一村（社区）：走访记录随人员转入，应访日期仍从上次走访起算"
        if self.point_grid is not None:
            said += f"；居住位置在地图上仍标在原处（{self.point_grid}），与所选网格不一致"
        return said

    def audit_detail(self) -> dict[str, Any]:
        """Return the audit entry's facts: codes of the places, no name.

        Examples
        --------
        >>> GridSet(1, "drug", "王*", "530424101001", None, "530424101001", "复安社区",
        ...         "530424101001002", "复安第2网格", 1).audit_detail()["grid_code"]
        '530424101001002'
        """
        return {
            "category": self.category,
            "from_area": self.from_area,
            "from_grid": self.from_grid,
            "area_code": self.area_code,
            "area_name": self.area_name,
            "grid_code": self.grid_code,
            "grid_name": self.grid_name,
            "responsibles": self.responsibles,
            "by": "console",
        }


def check_may_set(role: str, scope_code: str) -> None:
    """Refuse an account that may not put a person into a grid.

    Parameters
    ----------
    role : str
        The account's role.
    scope_code : str
        Its scope (12 digits).

    Raises
    ------
    Forbidden
        A role outside :data:`layers.person_closing.ENDING_ROLES`, or an operator above a
        county.

    Examples
    --------
    >>> from layers.errors import Forbidden
    >>> check_may_set("commander", "530424101000")
    >>> try:
    ...     check_may_set("grid_worker", "530424101001")
    ... except Forbidden as refused:
    ...     print(str(refused)[:12])
    网格员不能调整人员的网格
    """
    check_operator(role, scope_code, role_refused=ROLE_REFUSED, scope_refused=SCOPE_REFUSED)


def _check_village_of_scope(session: Session, code: str, scope_code: str) -> None:
    """Refuse a code that is not a village's (村、社区) on record in the scope."""
    lo, hi = scope_range(scope_code)
    level = None
    if lo <= code < hi:
        level = session.scalar(text("SELECT level FROM jurisdictions WHERE code = :c"), {"c": code})
    if level != Level.VILLAGE:
        raise NotFound(VILLAGE_REFUSED)


def _person(session: Session, person_id: int, scope_code: str, *, lock: bool) -> Any:
    lo, hi = scope_range(scope_code)
    found = session.execute(
        text(
            f"SELECT t.id, t.category, {MASKED_NAME_SQL} AS masked, t.area_code, t.grid_code,"
            f" {name_sql('t.area_code')} AS area_name, {grid_name_sql('t.grid_code')} AS grid_name,"
            " t.ended_on, t.ended_reason, t.residence IS NOT NULL AS has_point FROM persons t"
            " WHERE t.id = :id AND t.area_code >= :lo AND t.area_code < :hi"
            + (" FOR UPDATE" if lock else "")
        ),
        {"id": person_id, "lo": lo, "hi": hi},
    ).one_or_none()
    if found is None:
        raise NotFound(NOT_FOUND)
    if found.ended_on is not None:
        raise Conflict(
            f"该人员已于 {found.ended_on:%Y-%m-%d} 注销（{found.ended_reason or '原因未注明'}），"
            "不能调整网格"
        )
    return found


def _responsible_ids(session: Session, person_id: int) -> tuple[int, ...]:
    return tuple(
        int(i)
        for i in session.scalars(
            text(
                "SELECT r.worker_id FROM person_responsibles r JOIN workers w ON w.id = r.worker_id"
                " WHERE r.person_id = :id ORDER BY r.worker_id"
            ),
            {"id": person_id},
        )
    )


def person_place(session: Session, person_id: int, *, scope_code: str) -> PersonPlace:
    """Return where a person of the scope is on record, and their 帮扶责任人.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the operator.
    person_id : int
        The person.
    scope_code : str
        The operator's scope.

    Returns
    -------
    PersonPlace
        The person, masked.

    Raises
    ------
    NotFound
        No such person in the scope.
    Conflict
        The person has left the register.
    """
    found = _person(session, person_id, scope_code, lock=False)
    return PersonPlace(
        id=int(found.id),
        category=str(found.category),
        name_masked=str(found.masked),
        area_code=str(found.area_code),
        area_name=found.area_name,
        grid_code=found.grid_code,
        grid_name=found.grid_name,
        responsible_ids=_responsible_ids(session, person_id),
    )


def village_grids(session: Session, village_code: str, *, scope_code: str) -> list[GridChoice]:
    """Return the live grids of a village of the scope, by code.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the operator.
    village_code : str
        The village (12 digits).
    scope_code : str
        The operator's scope: the village must lie in it.

    Returns
    -------
    list of GridChoice
        Empty for a village with no grid in use.

    Raises
    ------
    NotFound
        The code is not a village's of the scope (none, a township's, or not digits 0-9).
    InvalidInput
        It is retired (the refusal names its successor).
    """
    _check_village_of_scope(session, village_code, scope_code)
    refuse_retired_unit(session, village_code)
    return live_grids(session, village_code)


def grid_workers(
    session: Session, *, grid_code: str | None, area_code: str | None, scope_code: str
) -> Residence:
    """Return a grid (or a village with no grid chosen) and the workers who may follow a person.

    What the registration form and the 划入网格 dialog offer as 帮扶责任人 once a grid is
    chosen, as :func:`layers.person_entry.residence_at` does for a point: the grid's workers
    first, then the village's others.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the operator.
    grid_code : str or None
        A live grid of the scope; or, with none,
    area_code : str or None
        a village of the scope (暂不划入网格: its workers only).
    scope_code : str
        The operator's scope.

    Returns
    -------
    layers.person_entry.Residence
        The place by name and the candidates.

    Raises
    ------
    InvalidInput
        Neither given, or the grid is not a live grid of the scope.
    NotFound
        The code is not a village's of the scope (none, a township's, or not digits 0-9).
    """
    lo, hi = scope_range(scope_code)
    if grid_code:
        area = grid_village(session, grid_code)
        if area is None or not lo <= area < hi:
            raise InvalidInput(GRID_REFUSED.format(code=grid_code))
        return candidates_at(session, area, grid_code)
    if not area_code:
        raise InvalidInput("请指定网格或村（社区）")
    _check_village_of_scope(session, area_code, scope_code)
    return candidates_at(session, area_code, None)


def set_grid(
    session: Session,
    person_id: int,
    grid_code: str,
    *,
    responsible_ids: tuple[int, ...],
    scope_code: str,
) -> GridSet:
    """Put a person into a grid of the scope and name their 帮扶责任人 (flushed, not committed).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session in a transaction scoped to the operator.
    person_id : int
        The person.
    grid_code : str
        The grid (15 digits), live and of the scope; its village becomes the person's unit.
    responsible_ids : tuple of int
        The workers who follow them up from now on (none: the grid's workers do, as of their
        grid); they replace those named before.
    scope_code : str
        The operator's scope.

    Returns
    -------
    GridSet
        The person, masked, where they were and where they are.

    Raises
    ------
    NotFound
        No such person in the scope.
    Conflict
        The person has left the register.
    InvalidInput
        The grid is not a live grid of the scope, its village is retired, a responsible is not
        a worker of the scope on duty or not of the grid's township
        (:func:`layers.person_entry.check_responsibles`), or nothing would change.
    """
    found = _person(session, person_id, scope_code, lock=True)
    grid = session.execute(
        text(
            "SELECT g.code, g.name, g.area_code, (SELECT p.residence IS NULL"
            "  OR ST_Covers(g.boundary, p.residence) OR g.boundary IS NULL"
            "  FROM persons p WHERE p.id = :id) AS covers"
            " FROM grids g WHERE g.code = :g AND g.retired_on IS NULL"
        ),
        {"g": grid_code, "id": person_id},
    ).one_or_none()
    lo, hi = scope_range(scope_code)
    if grid is None or not lo <= str(grid.area_code) < hi:
        raise InvalidInput(GRID_REFUSED.format(code=grid_code))
    refuse_retired_unit(session, str(grid.area_code))
    chosen = tuple(sorted(set(responsible_ids)))
    if len(chosen) > RESPONSIBLES_MAX:
        raise InvalidInput(f"帮扶责任人最多 {RESPONSIBLES_MAX} 名")
    if found.grid_code == grid_code and chosen == _responsible_ids(session, person_id):
        raise InvalidInput(f"该人员已在{grid.name}，帮扶责任人也未改变")
    check_responsibles(session, chosen, str(grid.area_code))
    session.execute(
        text("UPDATE persons SET grid_code = :g, area_code = :a WHERE id = :id"),
        {"g": grid_code, "a": grid.area_code, "id": person_id},
    )
    session.execute(
        text("DELETE FROM person_responsibles WHERE person_id = :id"), {"id": person_id}
    )
    session.execute(
        text(
            "INSERT INTO person_responsibles (person_id, worker_id, area_code, duty)"
            " SELECT :person, w, :area, '帮扶责任人' FROM unnest(CAST(:ids AS bigint[])) w"
        ),
        {"person": person_id, "area": grid.area_code, "ids": list(chosen)},
    )
    point_grid = None
    if not grid.covers:
        point_grid = session.scalar(
            text(
                "SELECT coalesce((SELECT g.name FROM grids g WHERE g.retired_on IS NULL"
                "  AND ST_Covers(g.boundary, p.residence) ORDER BY g.code LIMIT 1),"
                " '不在任何网格内') FROM persons p WHERE p.id = :id"
            ),
            {"id": person_id},
        )
    return GridSet(
        id=int(found.id),
        category=str(found.category),
        name_masked=str(found.masked),
        from_area=str(found.area_code),
        from_grid=found.grid_code,
        area_code=str(grid.area_code),
        area_name=session.scalar(
            text(f"SELECT {name_sql('CAST(:a AS text)')}"), {"a": grid.area_code}
        ),
        grid_code=grid_code,
        grid_name=str(grid.name),
        responsibles=len(chosen),
        point_grid=point_grid,
    )
