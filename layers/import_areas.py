"""The 导入范围 of the console's import: the unit of the account's scope a file is for.

The command line's ``--within`` confines an import to a jurisdiction: rows outside it are
refused, and ``--complete`` ends only what lies inside it. The 数据导入 page gives it as a
choice of names (trial AR S1, M1: a province's administrator had no way to say that a file was
one county's, or one village's): the account's own unit by default, or any unit in use under
it down to a village, chosen level by level (:func:`area_choices`). What the page sends is
checked here (:func:`import_area`): a unit on record, in use, and inside the account's scope.
Names and codes only: nothing here reads a record of a person.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import CodeError, scope_range, written_division_code
from layers.errors import Forbidden
from layers.features import InvalidParameter

VILLAGE_LEVEL = 5
"""The deepest unit an import may be confined to (村（社区））."""
OUTSIDE_SCOPE = "导入范围只能是本账号辖区（{scope}）或其下的乡镇（街道）、村（社区）"
"""Why a unit outside the account's scope is refused."""


@dataclass(frozen=True)
class ImportArea:
    """A unit an import may be confined to.

    Attributes
    ----------
    code : str
        Its 12-digit code.
    name : str
        Its name.
    level : int
        1 province … 5 village.
    """

    code: str
    name: str
    level: int

    @property
    def label(self) -> str:
        """``华宁县（530424000000）``, as the import's summary names its 范围."""
        return f"{self.name}（{self.code}）"


def _unit(session: Session, code: str) -> ImportArea | None:
    row = session.execute(
        text(
            "SELECT code, name, level FROM jurisdictions WHERE code = :code AND retired_on IS NULL"
        ),
        {"code": code},
    ).one_or_none()
    return None if row is None else ImportArea(str(row.code), str(row.name), int(row.level))


def import_area(session: Session, scope_code: str, raw: str | None) -> ImportArea:
    """Return the unit an import is confined to: ``raw``, or the account's own unit.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    scope_code : str
        The account's scope (12 digits).
    raw : str or None
        The code the page sent (12 digits, or a unit's 2, 4, 6, 9 leading digits); empty or
        ``None``: the account's unit.

    Returns
    -------
    ImportArea
        The unit, in use, inside the account's scope.

    Raises
    ------
    layers.features.InvalidParameter
        Not a division code, or no unit in use has it.
    layers.errors.Forbidden
        A unit outside the account's scope.
    """
    own = _unit(session, scope_code)
    scope = own.label if own is not None else scope_code
    value = (raw or "").strip()
    if not value:
        if own is None:
            raise InvalidParameter(f"本账号的辖区 {scope_code} 不在区划表中，请联系管理员")
        return own
    try:
        code = written_division_code(value)
    except CodeError as exc:
        raise InvalidParameter(f"导入范围 {value[:20]!r} 不是区划代码") from exc
    lo, hi = scope_range(scope_code)
    if not lo <= code < hi:
        raise Forbidden(OUTSIDE_SCOPE.format(scope=scope))
    found = _unit(session, code)
    if found is None:
        raise InvalidParameter(f"区划表中没有在用的单位 {code}，请重新选择导入范围")
    return found


def area_choices(
    session: Session, scope_code: str, parent: str | None
) -> tuple[ImportArea, list[ImportArea]]:
    """Return a unit of the account's scope and its children in use, to choose an area from.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    scope_code : str
        The account's scope.
    parent : str or None
        The unit whose children are asked for; ``None``: the account's own unit.

    Returns
    -------
    tuple
        ``(unit, children)``: the children in code order, none below a village.

    Raises
    ------
    layers.features.InvalidParameter, layers.errors.Forbidden
        As :func:`import_area`.
    """
    unit = import_area(session, scope_code, parent)
    if unit.level >= VILLAGE_LEVEL:
        return unit, []
    rows = session.execute(
        text(
            "SELECT code, name, level FROM jurisdictions WHERE parent_code = :code"
            " AND retired_on IS NULL AND level <= :deepest ORDER BY code"
        ),
        {"code": unit.code, "deepest": VILLAGE_LEVEL},
    ).all()
    return unit, [ImportArea(str(r.code), str(r.name), int(r.level)) for r in rows]


def job_area(scope_code: str, chosen: object) -> str:
    """Return the ``--within`` of a console job: its 导入范围 if inside its account's scope.

    The 导入范围 was checked when the job was queued (:func:`import_area`); checked again here,
    a job's options never widen its import beyond the account's scope.

    Parameters
    ----------
    scope_code : str
        The scope of the account that queued the job.
    chosen : object
        The job's ``options["within"]``.

    Returns
    -------
    str
        ``chosen`` when it is a 12-digit code under ``scope_code``, else ``scope_code``.

    Examples
    --------
    >>> job_area("530424000000", "530424102001"), job_area("530424101000", "530424")
    ('530424102001', '530424101000')
    >>> job_area("530424101000", "530424000000")
    '530424101000'
    """
    lo, hi = scope_range(scope_code)
    if isinstance(chosen, str) and len(chosen) == 12 and chosen.isdigit() and lo <= chosen < hi:
        return chosen
    return scope_code
