"""The demo's logins: one per role and level, created through :func:`layers.accounts.create_user`.

User names carry the county's 6-digit code (``commander.county.530424``) so that demos of two
counties can live side by side; re-running a county's demo replaces its logins. The county's
bureaus (县住建局 …) and the city's departments (市公安局 …) are department accounts, one per
department, named as dispatches name it; ``department.{county}`` is the county's 县人社局.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from importers.demo.staff import CITY_DEPARTMENTS, COUNTY_DEPARTMENTS
from layers import accounts
from layers.accounts import create_user
from layers.model import Role, WorkerRole

if TYPE_CHECKING:
    from importers.demo.dataset import DemoData


@dataclass(frozen=True)
class DemoLogin:
    """One demo account.

    Attributes
    ----------
    username : str
        Login name.
    role : str
        :class:`layers.model.Role` code.
    scope_code : str
        Jurisdiction it sees.
    scope_name : str
        Name of that jurisdiction.
    can_unmask : bool
        Whether it may open sealed personal data.
    listed : bool
        Printed among the demo's logins (one per role and level: the county's other bureaus
        are not, :data:`UNLISTED_NOTE` names them).
    """

    username: str
    role: str
    scope_code: str
    scope_name: str
    can_unmask: bool
    listed: bool = True


#: The county bureau whose account keeps the login ``department.{county}``.
LISTED_BUREAU = "labour"
#: What the demo prints of the county's bureaus it does not list one by one.
UNLISTED_NOTE = "县其他职能部门账号：{logins}（显示名即部门名称，如县住建局）"


def operator_role(level: int) -> str:
    """Return the role of the account that acts for a centre of ``level`` (1 province … 5 village).

    A township's centre acts through its 乡镇调度员 (every township has one, ``dispatcher.*``), any
    other level through its 指挥中心值班员 (``commander.*``).

    Parameters
    ----------
    level : int
        The centre's level.

    Returns
    -------
    str
        A :class:`layers.model.Role` code.

    Examples
    --------
    >>> operator_role(4), operator_role(3)
    ('dispatcher', 'commander')
    """
    return str(Role.DISPATCHER if level == 4 else Role.COMMANDER)


def account_name(unit_name: str, role: str) -> str:
    """Return the display name of a demo account of ``role`` at the unit ``unit_name``.

    What the console writes into a case's timeline for an action of the account (its display
    name), so that the demo's own events name their actors alike.

    Parameters
    ----------
    unit_name : str
        Name of the account's jurisdiction.
    role : str
        A :class:`layers.model.Role` code.

    Returns
    -------
    str
        At most 50 characters (``users.display_name``).

    Examples
    --------
    >>> account_name("华宁县", "commander"), account_name("盘溪镇", operator_role(4))
    ('华宁县指挥中心值班员', '盘溪镇乡镇调度员')
    """
    return f"{unit_name}{Role.labels()[role]}"[:50]


def _bureau_login(key: str, c6: str) -> str:
    return f"department.{c6}" if key == LISTED_BUREAU else f"department.{key}.{c6}"


def _plan(data: DemoData) -> list[tuple[str, str, str, bool]]:
    tr = data.territory
    c6 = tr.county.code[:6]
    village = tr.villages[0]
    plan: list[tuple[str, str, str, bool]] = [
        (f"admin.{c6}", Role.ADMIN, tr.province.code, False),
        (f"auditor.{c6}", Role.AUDITOR, tr.province.code, False),
        (f"commander.province.{c6}", Role.COMMANDER, tr.province.code, False),
        (f"commander.city.{c6}", Role.COMMANDER, tr.city.code, False),
        (f"commander.county.{c6}", Role.COMMANDER, tr.county.code, True),
        (f"commander.township.{c6}", Role.COMMANDER, tr.townships[0].code, False),
        (f"commander.village.{c6}", Role.COMMANDER, village.code, False),
    ]
    plan += [(f"dispatcher.{t.code[:9]}", Role.DISPATCHER, t.code, False) for t in tr.townships]
    plan += [
        (f"analyst.{c6}", Role.ANALYST, tr.county.code, False),
        # the worker a case is dispatched to phones its parties within the 联系时限 (trial AH)
        (f"gridworker.{c6}", Role.GRID_WORKER, village.code, True),
    ]
    # the county's bureaus, named as a dispatch names them (COUNTY_DEPARTMENTS, trial AQ S1)
    plan += [
        (_bureau_login(key, c6), Role.DEPARTMENT, tr.county.code, False)
        for key, _ in sorted(COUNTY_DEPARTMENTS, key=lambda kv: kv[0] != LISTED_BUREAU)
    ]
    # the city's departments, named as a dispatch names them (CITY_DEPARTMENTS)
    plan += [
        (f"department.city.{key}.{c6}", Role.DEPARTMENT, tr.city.code, False)
        for key, _ in CITY_DEPARTMENTS
    ]
    return plan


def demo_usernames(data: DemoData) -> list[str]:
    """Return the user names the demo of ``data``'s county creates.

    Parameters
    ----------
    data : DemoData
        The generated county.

    Returns
    -------
    list of str
        Login names.
    """
    return [name for name, *_ in _plan(data)]


def create_demo_users(
    session: Session, data: DemoData, worker_ids: list[int], *, password: str
) -> list[DemoLogin]:
    """Create the demo accounts (one argon2id hash for them all, password policy checked).

    Every demo account has the same documented password, so it is hashed once per load and
    that hash (one salt) stored for each account: 26 hashes at full cost (about 0.2 s of CPU
    each) were several seconds of CPU per ``zongzhi demo``. Each account's password is still
    checked against the policy.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Owner session in the loading transaction.
    data : DemoData
        The generated county.
    worker_ids : list of int
        Database ids of ``data.staff`` (the grid-worker login is linked to the first grid worker
        of its village).
    password : str
        Password of every account (hashed once).

    Returns
    -------
    list of DemoLogin
        The accounts, in creation order.
    """
    names = {u.code: u.name for u in data.territory.units}
    village = data.territory.villages[0].code
    first = next(
        (
            i
            for i, w in enumerate(data.staff)
            if w.role == WorkerRole.GRID_WORKER and w.area_code == village
        ),
        None,
    )
    grid_worker = None if first is None else worker_ids[first]
    c6 = data.territory.county.code[:6]
    bureaus = {f"department.city.{key}.{c6}": name for key, name in CITY_DEPARTMENTS}
    bureaus |= {_bureau_login(key, c6): name for key, name in COUNTY_DEPARTMENTS}
    unlisted = {_bureau_login(key, c6) for key, _ in COUNTY_DEPARTMENTS} - {f"department.{c6}"}
    logins: list[DemoLogin] = []
    shared_hash = accounts.hash_password(password)
    for username, role, scope, unmask in _plan(data):
        display = bureaus.get(username) or account_name(names[scope], role)
        if role == Role.GRID_WORKER and first is not None:
            # the worker's own name, as the case's 派单记录 names them (not 某村网格员)
            display = data.staff[first].name
        create_user(
            session,
            username=username,
            password=password,
            role=str(role),
            scope_code=scope,
            display_name=display[:50],
            can_unmask=unmask,
            worker_id=grid_worker if role == Role.GRID_WORKER else None,
            password_hash=shared_hash,
        )
        listed = username not in unlisted
        logins.append(DemoLogin(username, str(role), scope, names[scope], unmask, listed))
    return logins
