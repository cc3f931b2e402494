"""One person closed out in the console (注销): 解除矫正, 期满解除帮教, 死亡, 迁出 or 其他.

Until trial AW (M1) a person left the register only by a roster's 在册状态 in an import. The
console's 注销 stores the same as the import does (:mod:`layers.person_register`): ``ended_on``,
the day, and ``ended_reason``, the reason as the roster would write it, its 去向 or 说明 in
brackets (``迁出（迁往昆明市官渡区）``). The person leaves the map, the due list and the follow-up
counts (each says ``ended_on IS NULL``); the visits stay. A later roster saying 在册 puts them
back, as it does a person an import ended.

Who may: a commander or a dispatcher (the operators) of a county or below whose scope holds the
person (:func:`check_may_end`); a grid worker reports the change to the township. The caller
audits the change under the person (``person.end``, :func:`audit_detail`): the reason and the
day, no name, no 去向.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import scope_range
from geo.personal_numbers import NumberKind
from layers import free_text
from layers.catalog import MASKED_NAME_SQL, sees_persons_individually
from layers.errors import Conflict, Forbidden, InvalidInput, NotFound
from layers.model import Role

REASONS: tuple[str, ...] = ("解除矫正", "期满解除帮教", "死亡", "迁出", "其他")
"""The reasons the console's 注销 offers, words an import's 在册状态 takes as 注销 too."""
DETAIL_MAX = 40
"""Most characters of the 去向 / 说明 (``ended_reason`` holds 50 with the reason and brackets)."""
ACTION = "person.end"
"""The audit action: a person left the register (the import's striking-off writes it too)."""
ENDING_ROLES = frozenset({Role.COMMANDER.value, Role.DISPATCHER.value})
"""The roles that close a person out: the operators of the township, the village, the county."""
DETAIL_ADVICE: Mapping[NumberKind, str] = {
    "resident_id": "该人员的身份证号已在其记录中加密保存，不必写入",
    "mobile": "电话不要写入去向或说明（随人员记录供他人查看）",
}
"""Where a 去向 / 说明 should put a number it holds."""
NOT_FOUND = "该人员不存在或不在您的辖区内"
ROLE_REFUSED = (
    "{role}不能注销人员：请由乡镇（街道）、社区（村）或县综治中心的指挥中心、调度员账号办理"
)
"""The refusal of a role that does not close persons out (a grid worker reports it)."""
SCOPE_REFUSED = "{role}账号只查看特殊人群统计数，不能注销人员：请由县级及以下的综治中心办理"
"""The refusal of an operator above a county (which reads persons as counts only)."""


@dataclass(frozen=True)
class EndedPerson:
    """A person closed out.

    Attributes
    ----------
    id : int
        The record.
    category : str
        Its category code.
    name_masked : str
        The surname and ``*`` (what the console shows).
    ended_on : datetime.date
        The day they left the register.
    reason : str
        One of :data:`REASONS`.
    ended_reason : str
        As stored: the reason, its 去向 / 说明 in brackets.
    """

    id: int
    category: str
    name_masked: str
    ended_on: date
    reason: str
    ended_reason: str

    def message(self) -> str:
        """Return what the console's toast says (the import's words for a person ended).

        Examples
        --------
        >>> moved = EndedPerson(1, "drug", "王**", date(2026, 12, 6), "迁出", "迁出（迁往官渡区）")
        >>> moved.message()
        '已注销 王**（迁出）：不再显示在地图上，不计入走访统计，走访记录保留'
        """
        return (
            f"已注销 {self.name_masked}（{self.reason}）：不再显示在地图上，不计入走访统计，"
            "走访记录保留"
        )

    def audit_detail(self) -> dict[str, Any]:
        """Return the audit entry's facts: category, reason and day; no name, no 去向.

        Examples
        --------
        >>> moved = EndedPerson(1, "drug", "王**", date(2026, 12, 6), "迁出", "迁出（迁往官渡区）")
        >>> moved.audit_detail()
        {'category': 'drug', 'reason': '迁出', 'ended_on': '2026-12-06', 'by': 'console'}
        """
        return {
            "category": self.category,
            "reason": self.reason,
            "ended_on": self.ended_on.isoformat(),
            "by": "console",
        }


def check_may_end(role: str, scope_code: str) -> None:
    """Refuse an account that may not close a person out.

    Parameters
    ----------
    role : str
        The account's role.
    scope_code : str
        Its scope (12 digits).

    Raises
    ------
    Forbidden
        A role outside :data:`ENDING_ROLES`, or an operator above a county.

    Examples
    --------
    >>> check_may_end("dispatcher", "530424101000")
    >>> try:
    ...     check_may_end("grid_worker", "530424101001")
    ... except Forbidden as refused:
    ...     print(str(refused)[:9])
    网格员不能注销人员
    """
    check_operator(role, scope_code, role_refused=ROLE_REFUSED, scope_refused=SCOPE_REFUSED)


def check_operator(role: str, scope_code: str, *, role_refused: str, scope_refused: str) -> None:
    """Refuse an account that may not change a person's record (注销, 划入网格).

    Parameters
    ----------
    role : str
        The account's role.
    scope_code : str
        Its scope (12 digits).
    role_refused, scope_refused : str
        What a role outside :data:`ENDING_ROLES` is told, and what an operator above a county
        is told; each with ``{role}``, the role's Chinese label.

    Raises
    ------
    Forbidden
        A role outside :data:`ENDING_ROLES`, or an operator above a county.
    """
    label = Role.label_of(role)
    if role not in ENDING_ROLES:
        raise Forbidden(role_refused.format(role=label))
    if not sees_persons_individually(role, scope_code):
        raise Forbidden(scope_refused.format(role=label))


def ended_reason(reason: str, detail: str | None) -> str:
    """Return the reason as stored: the roster's way, its 去向 / 说明 in brackets.

    Parameters
    ----------
    reason : str
        One of :data:`REASONS`.
    detail : str or None
        Where to, or what happened (trimmed).

    Returns
    -------
    str
        At most 50 characters.

    Examples
    --------
    >>> ended_reason("迁出", "迁往昆明市官渡区"), ended_reason("死亡", None)
    ('迁出（迁往昆明市官渡区）', '死亡')
    """
    return f"{reason}（{detail}）" if detail else reason


def end_person(
    session: Session,
    person_id: int,
    *,
    reason: str,
    detail: str | None,
    ended_on: date | None,
    today: date,
    scope_code: str,
) -> EndedPerson:
    """Close one person out: the day and the reason stored as an import's 注销 stores them.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session in a transaction scoped to the operator.
    person_id : int
        The person.
    reason : str
        One of :data:`REASONS`.
    detail : str or None
        去向 (迁往何处) or 说明 (needed for 其他); no resident ID, no mobile number.
    ended_on : datetime.date or None
        The day they left (default ``today``): not in the future, not before they were put on
        record.
    today : datetime.date
        Today in Beijing.
    scope_code : str
        The operator's scope: the person must lie in it.

    Returns
    -------
    EndedPerson
        The person, masked.

    Raises
    ------
    InvalidInput
        A reason outside the list, 其他 without 说明, a 去向 too long or holding a resident ID or a
        mobile number, a day in the future or before the person was on record.
    NotFound
        No such person in scope.
    Conflict
        The person has left the register already.
    """
    if reason not in REASONS:
        raise InvalidInput(f"注销原因须为以下之一：{'、'.join(REASONS)}")
    detail = " ".join((detail or "").split()) or None
    if reason == "其他" and detail is None:
        raise InvalidInput("注销原因为“其他”时，请在“说明”中写明原因")
    if detail is not None and len(detail) > DETAIL_MAX:
        raise InvalidInput(f"去向或说明最多 {DETAIL_MAX} 字")
    free_text.refuse_personal_numbers(detail, field="去向或说明", advice=DETAIL_ADVICE)
    day = ended_on or today
    if day > today:
        raise InvalidInput("注销日期不能晚于今天")
    lo, hi = scope_range(scope_code)
    found = session.execute(
        text(
            f"SELECT t.id, t.category, {MASKED_NAME_SQL} AS masked, t.ended_on, t.ended_reason,"
            " t.on_record_since FROM persons t"
            " WHERE t.id = :id AND t.area_code >= :lo AND t.area_code < :hi FOR UPDATE"
        ),
        {"id": person_id, "lo": lo, "hi": hi},
    ).one_or_none()
    if found is None:
        raise NotFound(NOT_FOUND)
    if found.ended_on is not None:
        raise Conflict(
            f"该人员已于 {found.ended_on:%Y-%m-%d} 注销（{found.ended_reason or '原因未注明'}），"
            "不能再次注销"
        )
    if found.on_record_since is not None and day < found.on_record_since:
        raise InvalidInput(f"注销日期不能早于该人员的在册日期 {found.on_record_since:%Y-%m-%d}")
    stored = ended_reason(reason, detail)
    session.execute(
        text("UPDATE persons SET ended_on = :day, ended_reason = :why WHERE id = :id"),
        {"day": day, "why": stored, "id": person_id},
    )
    return EndedPerson(
        id=int(found.id),
        category=str(found.category),
        name_masked=str(found.masked),
        ended_on=day,
        reason=reason,
        ended_reason=stored,
    )
