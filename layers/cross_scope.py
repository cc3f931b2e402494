"""A registration that met a record of another township: that township told, probes limited.

A registrar typing a resident ID on record outside their scope is refused in one neutral answer
(:data:`layers.person_entry.ELSEWHERE`, trial AW M7) that says nothing of the record. The match
was audited only: the township holding the person learnt nothing of it, and a registrar could try
ID after ID. Now:

- the township holding the record (and its county, whose scope holds it) reads a notice,
  「外辖区登记尝试：…」, naming the registrar's unit and account and the time, the person by the
  masked ID alone (no name) and the record's number (:func:`note_attempt`, :func:`notices`);
  migration 0040's ``zongzhi_note_cross_scope_attempt`` writes it, as the registrar's scope may
  not write a row of another township;
- an account whose registrations met such records :data:`PROBES_PER_DAY` times on a day (北京时间)
  is refused further registrations that day, in a neutral answer (:data:`PROBES_REFUSAL`,
  :func:`check_probes`), and the audit log gets an entry the auditor sees flagged
  (:data:`PROBES_ACTION`, about the account).

Neither the notice nor the audit entry holds a name or an unmasked ID.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from layers import audit
from layers.china_time import CHINA
from layers.errors import Forbidden

PROBES_PER_DAY = 3
"""Registrations an account may see refused on a record out of its scope in one day (北京时间):
after them it is refused further registrations (ID checks) until the next day."""
PROBES_REFUSAL = (
    "本账号今日的身份证号核验次数已达上限，暂不能登记人员：请明日再试；急需登记的，"
    "请联系县综治中心办理"
)
"""The answer to a registration of an account past :data:`PROBES_PER_DAY`: it says nothing of
the records met, and holds whatever the form says."""
PROBES_ACTION = "person.id_probes"
"""Audit action of the account reaching :data:`PROBES_PER_DAY` (object: the account), which the
auditor's page shows flagged."""
NOTICE_TITLE = "外辖区登记尝试"
"""How a notice starts, on the desk of the township holding the record."""
NOTICES_LISTED = 50
"""Most notices :func:`notices` returns."""
NOTICE_DAYS = 30
"""How far back :func:`notices` reads."""


def day_start(now: datetime) -> datetime:
    """Return the start of ``now``'s day in China (北京时间).

    Parameters
    ----------
    now : datetime.datetime
        Aware time.

    Returns
    -------
    datetime.datetime
        Midnight of that day, in :data:`layers.china_time.CHINA`.

    Examples
    --------
    >>> from datetime import timezone
    >>> day_start(datetime(2026, 12, 6, 17, 30, tzinfo=timezone.utc)).isoformat()
    '2026-12-07T00:00:00+08:00'
    """
    return datetime.combine(now.astimezone(CHINA).date(), time(0), tzinfo=CHINA)


def check_probes(session: Session, actor_id: int, *, now: datetime) -> None:
    """Refuse a registration of an account whose probes today reached :data:`PROBES_PER_DAY`.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the registrar.
    actor_id : int
        The registrar's account.
    now : datetime.datetime
        The time of the registration.

    Raises
    ------
    Forbidden
        :data:`PROBES_REFUSAL`.
    """
    seen = session.scalar(
        text("SELECT zongzhi_cross_scope_attempts(:actor, :since)"),
        {"actor": actor_id, "since": day_start(now)},
    )
    if int(seen or 0) >= PROBES_PER_DAY:
        raise Forbidden(PROBES_REFUSAL)


def note_attempt(
    session: Session,
    *,
    person_id: int,
    actor_id: int,
    actor_name: str,
    actor_unit: str,
    now: datetime,
) -> int:
    """File the notice of a registration that met a record out of the registrar's scope.

    The notice goes to the township holding the record (nothing is written for a record the
    registrar's scope holds). The account's :data:`PROBES_PER_DAY`-th match of the day is
    audited as :data:`PROBES_ACTION` (outcome ``denied``): from then its registrations are
    refused until the next day (:func:`check_probes`). Flushed, not committed.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the registrar, in a transaction of its own (the refused
        registration's is rolled back).
    person_id : int
        The record the registration met.
    actor_id, actor_name : int, str
        The registrar's account and login name.
    actor_unit : str
        The registrar's scope (12-digit code).
    now : datetime.datetime
        The time of the registration.

    Returns
    -------
    int
        The account's matches today, this one included.
    """
    count = int(
        session.scalar(
            text(
                "SELECT zongzhi_note_cross_scope_attempt("
                ":person, :actor, :name, :unit, :at, :since)"
            ),
            {
                "person": person_id,
                "actor": actor_id,
                "name": actor_name,
                "unit": actor_unit,
                "at": now,
                "since": day_start(now),
            },
        )
        or 0
    )
    if count == PROBES_PER_DAY:
        audit.record(
            session,
            actor_id=actor_id,
            actor_name=actor_name,
            action=PROBES_ACTION,
            object_type=audit.ACCOUNT_OBJECT,
            object_id=str(actor_id),
            outcome="denied",
            reason=f"疑似试探身份证号：今日第 {count} 次登记遇到本辖区以外的在册人员，"
            "已暂停其当日登记",
            detail={"unit": actor_unit, "count": count},
        )
    return count


@dataclass(frozen=True)
class CrossScopeNotice:
    """A registration elsewhere that met a record of the reader's scope (masked).

    Attributes
    ----------
    id : int
        The notice.
    at : datetime.datetime
        When the registration was tried.
    person_id : int
        The record met (编号).
    id_masked : str
        Its masked resident ID.
    actor_name : str
        The registrar's login name.
    actor_unit, actor_unit_name : str, str or None
        The registrar's unit, its code and name.
    """

    id: int
    at: datetime
    person_id: int
    id_masked: str
    actor_name: str
    actor_unit: str
    actor_unit_name: str | None

    @property
    def text(self) -> str:
        """Return what the desk says of it (Chinese).

        Examples
        --------
        >>> from datetime import timezone
        >>> at = datetime(2026, 12, 6, 13, 40, tzinfo=timezone.utc)
        >>> n = CrossScopeNotice(1, at, 4526, "530424********1658", "dispatcher.1", "1", "宁州镇")
        >>> n.text  # doctest: +NORMALIZE_WHITESPACE
        '外辖区登记尝试：宁州镇 dispatcher.1 于 2026-12-06 21:40 登记身份证号
         530424********1658 的人员，该号码为本辖区在册人员（编号 4526），未予登记'
        """
        unit = self.actor_unit_name or self.actor_unit
        at = self.at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
        return (
            f"{NOTICE_TITLE}：{unit} {self.actor_name} 于 {at} 登记身份证号 {self.id_masked} "
            f"的人员，该号码为本辖区在册人员（编号 {self.person_id}），未予登记"
        )


def notices(
    session: Session, *, now: datetime, limit: int = NOTICES_LISTED
) -> tuple[list[CrossScopeNotice], int]:
    """Return the notices of the reader's scope of the last :data:`NOTICE_DAYS` days.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the reader: row-level security gives the notices of the townships
        it holds.
    now : datetime.datetime
        The reader's time.
    limit : int
        Most notices listed.

    Returns
    -------
    tuple of (list of CrossScopeNotice, int)
        The latest first, and how many there are in all.
    """
    params = {"since": now - timedelta(days=NOTICE_DAYS), "limit": max(1, limit)}
    rows = session.execute(
        text(
            "SELECT a.id, a.at, a.person_id, a.id_masked, a.actor_name, a.actor_unit,"
            " a.actor_unit_name AS unit_name, count(*) OVER () AS total"
            " FROM cross_scope_attempts a WHERE a.at >= :since"
            " ORDER BY a.at DESC, a.id DESC LIMIT :limit"
        ),
        params,
    ).all()
    listed = [
        CrossScopeNotice(
            r.id, r.at, r.person_id, r.id_masked, r.actor_name, r.actor_unit.strip(), r.unit_name
        )
        for r in rows
    ]
    return listed, int(rows[0].total) if rows else 0
