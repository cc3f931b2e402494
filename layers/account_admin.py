"""Accounts as an administrator manages them from the console (账号管理), inside their scope.

The same rules as the ``zongzhi user`` commands (:mod:`layers.users_cli`): creation under the
password policy with a generated password its owner changes first, a new password, a change of
post (:func:`layers.account_posts.change_post`), enabling (not the account of a worker who left)
and disabling, lifting a lock, the unmask right (:func:`layers.accounts.set_unmask`). Two rules
are the console's own:

* an administrator manages the accounts of their scope only, and gives no scope outside it
  (the ``users`` table has no row-level security: :func:`managed_account` checks);
* an administrator does not disable, demote or move their own account (the console would lock
  out the one who manages it; the command line still can);
* an administrator manages the business accounts only (:data:`SERVER_ROLES`): the accounts of
  administrators and auditors are made and changed on the server with ``zongzhi user``
  (三员分立: an administrator who could reset an auditor's password could read the audit log
  as the auditor, and one who could make administrators could make themselves another);
* a grid worker's account stands for a worker on record (:func:`require_worker`): it is picked
  from the workers of the scope who have none yet and work in a village, in the scope typed
  (:func:`workers_to_pick`, each with their village and grid; the pick fills the scope with the
  village), and the list says whose it is;
* a password reset takes back the account's unmask right (:func:`reset_password`): the
  administrator, who may not read clear personal data, knows the new password and could read
  it in the account's name (trial AI, S5). Giving the right again is a grant of its own,
  audited with its grounds. A second person's approval of a reset (full separation of duties)
  is not required here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from geo.codes import scope_range
from layers import accounts
from layers.cases import in_scope
from layers.errors import Forbidden, InvalidInput, NotFound
from layers.model import Grid, Jurisdiction, Role, User, Worker, WorkerStatus


@dataclass(frozen=True)
class ListedAccount:
    """An account as the console lists it.

    Attributes
    ----------
    user : layers.model.User
        The account.
    scope_name : str
        The name of its scope's unit.
    worker_name : str or None
        The name of the worker on record a grid worker's account stands for.
    """

    user: User
    scope_name: str
    worker_name: str | None = None


def list_accounts(session: Session, scope_code: str) -> list[ListedAccount]:
    """Return the accounts whose scope lies inside ``scope_code``, by scope then login name.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session (it must see the scope's units).
    scope_code : str
        The administrator's scope.

    Returns
    -------
    list of ListedAccount
        The accounts.
    """
    lo, hi = scope_range(scope_code)
    rows = session.execute(
        select(User, Jurisdiction.name, Worker.name)
        .join(Jurisdiction, Jurisdiction.code == User.scope_code)
        .outerjoin(Worker, Worker.id == User.worker_id)
        .where(User.scope_code >= lo, User.scope_code < hi)
        .order_by(User.scope_code, User.username)
    )
    return [ListedAccount(user, name, worker) for user, name, worker in rows]


def listed(session: Session, user: User) -> ListedAccount:
    """Return one account as the console lists it, with its scope's name.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    user : layers.model.User
        The account.

    Returns
    -------
    ListedAccount
        The account and its scope's name (the code when the unit is not on record).
    """
    unit = session.get(Jurisdiction, user.scope_code)
    worker = session.get(Worker, user.worker_id) if user.worker_id is not None else None
    return ListedAccount(
        user,
        unit.name if unit is not None else user.scope_code,
        worker.name if worker is not None else None,
    )


def require_worker(role: str, worker_id: int | None) -> None:
    """Refuse a grid worker's account that stands for no worker on record (the console's rule).

    Parameters
    ----------
    role : str
        The account's role (after the change).
    worker_id : int or None
        The worker record it stands for (after the change).

    Raises
    ------
    InvalidInput
        A grid worker's account without one: it could not take, handle or close its cases.
    """
    if role == Role.GRID_WORKER and worker_id is None:
        raise InvalidInput("网格员账号须选择对应的网格员记录（按姓名查找本辖区尚无账号的网格员）")


@dataclass(frozen=True)
class WorkerPick:
    """A worker on the roster whom no account stands for yet, as the picker offers them.

    Attributes
    ----------
    id : int
        The worker record (``--worker-id``).
    name : str
        The worker's name.
    area_code, area_name : str
        The unit their record is filed under (a township, for some rosters).
    home_grid, grid_name : str or None
        Their grid's code and name.
    village_code, village_name : str
        The village (村/社区) they work in (:func:`layers.accounts.worker_village`): a grid
        worker account's scope.
    """

    id: int
    name: str
    area_code: str
    area_name: str
    home_grid: str | None
    grid_name: str | None
    village_code: str
    village_name: str


def workers_to_pick(
    session: Session,
    scope_code: str | None,
    words: str = "",
    *,
    within: str | None = None,
    limit: int = 50,
) -> list[WorkerPick]:
    """Return the workers a grid worker's account may be opened for, by village then name.

    Those on the roster (not who left) of the scope whom no account stands for yet and who work
    in a live village: their home grid's, or their record's when it is a village. A record
    without a grid above a village (a county's department staff) is not offered: it would make
    a grid worker of the whole county (trial AT, M2).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session that sees the scope's workers.
    scope_code : str or None
        The administrator's scope (None: every unit, on the server).
    words : str
        Words each found in the name, the unit's, the village's or the grid's name, or
        starting the village's code (blank: any).
    within : str, optional
        The scope typed for the account: only workers whose village lies in it.
    limit : int
        At most so many.

    Returns
    -------
    list of WorkerPick
        The workers.
    """
    holder = aliased(User)
    area, village = aliased(Jurisdiction), aliased(Jurisdiction)
    own_village = case((func.right(Worker.area_code, 3) != "000", Worker.area_code), else_=None)
    village_code = func.coalesce(Grid.area_code, own_village)
    query = (
        select(Worker, area.name, Grid.name, village.code, village.name)
        .join(area, area.code == Worker.area_code)
        .outerjoin(Grid, Grid.code == Worker.home_grid)
        .join(village, village.code == village_code)
        .where(
            Worker.status != WorkerStatus.LEFT,
            area.retired_on.is_(None),
            village.retired_on.is_(None),
            ~select(holder.id).where(holder.worker_id == Worker.id).exists(),
        )
        .order_by(village.code, Worker.name, Worker.id)
        .limit(limit)
    )
    if scope_code is not None:
        lo, hi = scope_range(scope_code)
        query = query.where(Worker.area_code >= lo, Worker.area_code < hi)
    if within is not None:
        lo, hi = scope_range(within)
        query = query.where(village.code >= lo, village.code < hi)
    for word in words.split():
        query = query.where(
            Worker.name.contains(word, autoescape=True)
            | area.name.contains(word, autoescape=True)
            | village.name.contains(word, autoescape=True)
            | Grid.name.contains(word, autoescape=True)
            | village.code.startswith(word, autoescape=True)
        )
    return [
        WorkerPick(w.id, w.name, w.area_code, area_name, w.home_grid, grid, code, name)
        for w, area_name, grid, code, name in session.execute(query)
    ]


SERVER_ROLES = frozenset({Role.ADMIN.value, Role.AUDITOR.value})
"""Roles whose accounts only ``zongzhi user`` on the server makes and changes (三员分立)."""
SERVER_ONLY = (
    "系统管理员、安全审计员的账号只能在服务器上用 zongzhi user 管理"
    "（三员分立：控制台的管理员不创建、不改动管理员和审计员的账号）"
)


def managed_account(session: Session, scope_code: str, user_id: int, *, admin_id: int) -> User:
    """Return account ``user_id`` if the administrator manages it from the console.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    scope_code : str
        The administrator's scope.
    user_id : int
        The account.
    admin_id : int
        The administrator's own account (theirs is managed under :func:`not_oneself`).

    Returns
    -------
    layers.model.User
        The account.

    Raises
    ------
    NotFound
        No such account in the scope (one outside it is not said to exist).
    Forbidden
        Another administrator's or an auditor's account (:data:`SERVER_ROLES`).
    """
    user = session.get(User, user_id)
    if user is None or not in_scope(scope_code, user.scope_code):
        raise NotFound(f"本辖区没有编号为 {user_id} 的账号")
    if user.role in SERVER_ROLES and user.id != admin_id:
        raise Forbidden(SERVER_ONLY)
    return user


def check_given_role(role: str) -> None:
    """Refuse to give an account, from the console, a role only the server gives.

    Parameters
    ----------
    role : str
        The role given (a new account's, or an account's new one).

    Raises
    ------
    Forbidden
        An administrator's or an auditor's (:data:`SERVER_ROLES`).
    """
    if role in SERVER_ROLES:
        raise Forbidden(SERVER_ONLY)


def check_given_scope(scope_code: str, given: str) -> None:
    """Refuse a scope outside the administrator's own.

    Parameters
    ----------
    scope_code : str
        The administrator's scope.
    given : str
        The scope given to an account.

    Raises
    ------
    Forbidden
        ``given`` lies outside ``scope_code``.
    """
    if not in_scope(scope_code, given):
        raise Forbidden(f"只能给本辖区（{scope_code}）内的管辖范围，{given} 不在其中")


def not_oneself(admin_id: int, user: User, what: str) -> None:
    """Refuse an administrator's change of their own account's post or state.

    Parameters
    ----------
    admin_id : int
        The administrator's account.
    user : layers.model.User
        The account changed.
    what : str
        The change, as said (停用, 调岗 …).

    Raises
    ------
    Forbidden
        The account is the administrator's own.
    """
    if user.id == admin_id:
        raise Forbidden(
            f"不能在控制台{what}自己的账号（请由其他管理员，或在服务器上用 zongzhi user 操作）"
        )


def set_active(session: Session, user: User, *, active: bool) -> bool:
    """Enable or disable ``user``; return whether its state changed.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    user : layers.model.User
        The account.
    active : bool
        Enable (True) or disable.

    Returns
    -------
    bool
        False when it already was as asked.

    Raises
    ------
    InvalidInput
        Enabling the account of a worker who left (rehired: on a roster first).
    """
    worker = session.get(Worker, user.worker_id) if user.worker_id is not None else None
    if active and worker is not None and worker.status == WorkerStatus.LEFT:
        raise InvalidInput(
            f"账号 {user.username} 对应的网格员 {worker.name} 已离职，"
            "不能启用（重新列入花名册后再启用）"
        )
    if user.active == active:
        return False
    user.active = active
    session.flush()
    return True


def unlock(session: Session, user: User, *, now: datetime | None = None) -> datetime | None:
    """Lift the lock of ``user`` and reset its failure counter before the lock ends (解除锁定).

    Whether failures came from the owner's usual address is forgotten too: a lock from then on
    spares that address again (:func:`layers.accounts.authenticate`).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    user : layers.model.User
        The account.
    now : datetime, optional
        Current time (timezone-aware): a lock that ended before it is none to lift. When
        omitted, whatever lock is recorded is lifted.

    Returns
    -------
    datetime or None
        Until when the account was locked; None when it was not (the counter is reset all the
        same).
    """
    held = user.locked_until
    if held is not None and now is not None and held <= now:
        held = None
    user.locked_until = None
    user.failed_logins = 0
    user.failed_at_login_address = False
    session.flush()
    return held


UNMASK_WITHDRAWN = (
    "已收回该账号查看个人信息明文的权限：密码由管理员重设，为防他人以该账号查看个人信息，"
    "如仍需此权限，请在本人修改密码后重新授予（授予记入审计日志）"
)
"""What the administrator is told, and the audit entry of the reset says, when a reset took the
unmask right back."""


@dataclass(frozen=True)
class Reset:
    """A password reset done.

    Attributes
    ----------
    password : str
        The generated password, shown once, never stored in clear.
    unmask_withdrawn : bool
        The account held the unmask right (or a void flag of it): taken back.
    """

    password: str
    unmask_withdrawn: bool

    @property
    def audit_reason(self) -> str | None:
        """The reason of the reset's audit entry: :data:`UNMASK_WITHDRAWN`, or None."""
        return UNMASK_WITHDRAWN if self.unmask_withdrawn else None

    @property
    def audit_detail(self) -> dict[str, object] | None:
        """The detail of the reset's audit entry: ``{"unmask_revoked": True}``, or None."""
        return {"unmask_revoked": True} if self.unmask_withdrawn else None


def reset_password(
    session: Session,
    user: User,
    *,
    now: datetime,
    policy: accounts.PasswordPolicy,
    password: str | None = None,
) -> Reset:
    """Give ``user`` a new password its owner changes first, and take back its unmask right.

    Whoever resets a password knows the new one and could use the account until its owner
    changes it: the right to read clear personal data does not go with it
    (:data:`UNMASK_WITHDRAWN`). Its open sessions end (``password_changed_at``) and its lock
    is lifted. The console (``POST /api/users/{id}/password``) and ``zongzhi user password``
    both reset through here, so that the two cannot differ (trial AT, S1).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    user : layers.model.User
        The account.
    now : datetime
        Current time.
    policy : layers.accounts.PasswordPolicy
        The deployment's password rules.
    password : str, optional
        The new password, checked against ``policy`` (``zongzhi user password`` reads one);
        generated when omitted.

    Returns
    -------
    Reset
        The password (never stored in clear), and whether the unmask right was taken back.

    Raises
    ------
    WeakPassword
        A given password breaks the policy (nothing is changed).
    """
    password = accounts.generate_password(policy) if password is None else password
    accounts.set_password(session, user, password, now=now, policy=policy, by_owner=False)
    withdrawn = accounts.set_unmask(session, user, allowed=False)
    return Reset(password, withdrawn)
