"""Grid workers and their accounts: the picker of 账号管理 and 批量开通网格员账号.

A grid worker's account stands for a worker on record (:func:`layers.accounts.check_worker`).
:func:`without_account` offers the workers of a scope on the roster that no account stands for
yet, to open one for. When a centre goes live, each of its grid workers needs a login; a county
has a thousand of them. :func:`plan` lists the workers of a unit who have none, each with the
login name they would get: their mobile number (网格员 log in to the 网格通 app with it),
else their 工号, else none (that worker is said, not opened). :func:`open_accounts`
opens the planned accounts with generated passwords that their owners change at first login,
each standing for its worker with the worker's village as scope (:func:`layers.accounts.
create_user`): their home grid's, also for a worker the roster files under the township, whose
record then moves to that village (:func:`layers.accounts.hold_worker`), as for one account
opened in 账号管理 (trial AT M1). The passwords are hashed two at a time (argon2 leaves the
interpreter while it works) with :func:`layers.accounts.handover_hasher`;
:func:`handover_workbook` lists them once, to be printed and handed over.

A township or a village at a time: a township of 600 workers takes some seconds.
"""

from __future__ import annotations

import io
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl import Workbook
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from geo.codes import division_level, scope_range
from layers import accounts
from layers.china_time import CHINA
from layers.errors import InvalidInput, NotFound
from layers.model import Grid, Jurisdiction, Role, User, Worker, WorkerStatus
from layers.workbooks import table_sheet

MOBILE = re.compile(r"^1[3-9]\d{9}$")
"""A mainland mobile number: the login name a grid worker gets first."""
NO_NAME = "没有可作登录名的手机号或工号，请在账号管理中逐个开通"
TAKEN = "手机号和工号都已被其他账号用作登录名，请在账号管理中逐个开通"
RETIRED = "所在村（社区）已撤销，请先以新的花名册更新其所属单位"
WIDE = "请按乡镇（街道）或村（社区）逐个批量开通（每次开通一个乡镇的网格员）"
PARALLEL_HASHES = 2
"""Passwords hashed at a time."""


@dataclass(frozen=True)
class WorkerChoice:
    """A worker on the roster whom no account stands for yet.

    Attributes
    ----------
    id : int
        The worker record.
    name : str
        The worker's name (the account's shown name).
    area_code, area_name : str
        Their unit, the account's scope: the village of their home grid when it lies in the
        unit their record is filed under (a township), else that unit.
    home_grid : str or None
        Their grid's code.
    grid_name : str or None
        Their grid's name (the administrator picks a worker by it, not by 15 digits).
    """

    id: int
    name: str
    area_code: str
    area_name: str
    home_grid: str | None
    grid_name: str | None = None


@dataclass(frozen=True)
class Opening:
    """A worker without an account, and the login name they would get.

    Attributes
    ----------
    worker : WorkerChoice
        The worker.
    username : str or None
        Their login name; None when they have none to give (``refusal`` says why).
    refusal : str or None
        Why no account is opened for them here.
    """

    worker: WorkerChoice
    username: str | None
    refusal: str | None = None


@dataclass(frozen=True)
class Opened:
    """An account opened for a worker, and its password to hand over once.

    Attributes
    ----------
    opening : Opening
        The worker and the login name.
    user : layers.model.User
        The account.
    password : str
        Its generated password (its owner changes it at first login).
    """

    opening: Opening
    user: User
    password: str


def without_account(
    session: Session, scope_code: str, words: str = "", *, limit: int = 50
) -> list[WorkerChoice]:
    """Return the workers of the scope on the roster that no account stands for yet.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session that sees the scope's workers.
    scope_code : str
        The administrator's scope.
    words : str
        Words each found in the name or the unit's name, or starting its code (blank: any).
    limit : int
        At most so many, by unit then name.

    Returns
    -------
    list of WorkerChoice
        The workers (not those of a retired unit: it is no account's scope).
    """
    return [
        choice
        for choice, retired in _waiting(session, scope_code, words, limit=limit)
        if not retired
    ]


@dataclass(frozen=True)
class Plan:
    """The accounts a batch would open.

    Attributes
    ----------
    unit_name : str
        The township or village.
    openings : list of Opening
        Its workers on the roster without an account, by unit then name.
    """

    unit_name: str
    openings: list[Opening]

    @property
    def skipped(self) -> list[Opening]:
        """The workers no account would be opened for (``refusal`` says why)."""
        return [o for o in self.openings if o.username is None]


def plan(session: Session, scope_code: str) -> Plan:
    """Return the workers of a township or village on the roster with no account, by village.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session that sees the unit's workers.
    scope_code : str
        12-digit code of a township or a village.

    Returns
    -------
    Plan
        The unit's name, and each worker with the login name they would get, or why none.

    Raises
    ------
    InvalidInput
        A unit above a township (:data:`WIDE`).
    NotFound
        No such unit.
    """
    if division_level(scope_code) < 4:
        raise InvalidInput(WIDE)
    unit = session.get(Jurisdiction, scope_code)
    if unit is None:
        raise NotFound(f"辖区 {scope_code} 不存在")
    rows = session.execute(_waiting_query(scope_code)).all()
    workers = [row[0] for row in rows]
    candidates = {n for w in workers for n in (w.phone, w.external_id) if n is not None}
    taken = set(session.scalars(select(User.username).where(User.username.in_(candidates))))
    planned = []
    for worker, area_name, retired_on, grid_name, village, village_name in rows:
        area_code, area_name = _working_unit(worker, area_name, village, village_name)
        choice = WorkerChoice(
            worker.id, worker.name, area_code, area_name, worker.home_grid, grid_name
        )
        if retired_on is not None:  # no account's scope (layers.accounts.check_scope)
            planned.append(Opening(choice, None, RETIRED))
            continue
        names = [
            name
            for name, fit in ((worker.phone, MOBILE), (worker.external_id, accounts.USERNAME))
            if name is not None and fit.match(name)
        ]
        free = [n for n in names if n not in taken]
        username = free[0] if free else None
        if username is not None:
            taken.add(username)  # two workers sharing a phone: the second gets their 工号
        refusal = None if username else (TAKEN if names else NO_NAME)
        planned.append(Opening(choice, username, refusal))
    return Plan(unit.name, planned)


def open_accounts(
    session: Session, planned: Plan, *, policy: accounts.PasswordPolicy
) -> list[Opened]:
    """Open the planned accounts (those with a login name); flush, do not commit.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session of the administrator.
    planned : Plan
        From :func:`plan`.
    policy : layers.accounts.PasswordPolicy
        The deployment's password rules.

    Returns
    -------
    list of Opened
        Each account opened and its generated password (to hand over once).
    """
    opening = [o for o in planned.openings if o.username is not None]
    passwords = [accounts.generate_password(policy) for _ in opening]
    hasher = accounts.handover_hasher()
    with ThreadPoolExecutor(PARALLEL_HASHES) as pool:
        hashes = list(pool.map(hasher.hash, passwords))
    opened = []
    for each, password, hashed in zip(opening, passwords, hashes, strict=True):
        user = accounts.create_user(
            session,
            username=str(each.username),
            password=password,
            role=Role.GRID_WORKER.value,
            scope_code=each.worker.area_code,
            display_name=each.worker.name,
            worker_id=each.worker.id,
            policy=policy,
            must_change_password=True,
            password_hash=hashed,
        )
        opened.append(Opened(each, user, password))
    return opened


def handover_workbook(planned: Plan, opened: list[Opened], *, now: datetime) -> bytes:
    """Return the sheet of logins and initial passwords to hand over, and the workers skipped.

    Parameters
    ----------
    planned : Plan
        From :func:`plan`.
    opened : list of Opened
        From :func:`open_accounts`.
    now : datetime
        When they were opened.

    Returns
    -------
    bytes
        The ``.xlsx`` file: 初始密码 (login, name, unit, grid, password) and, when some were
        skipped, 未开通 (name, unit, why).
    """
    book = Workbook()
    notes = book.active
    notes.title = "说明"
    when = f"{now.astimezone(CHINA):%Y-%m-%d %H:%M}"
    for line in (
        f"{planned.unit_name} 网格员账号，{when} 开通 {len(opened)} 个。",
        "初始密码只在本表中出现一次，请分发到本人后销毁本表；本人首次登录须修改密码。",
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 80
    handed = [(e.opening.username, e.opening.worker, e.password) for e in opened]
    table_sheet(
        book,
        "初始密码",
        ["登录名", "姓名", "所属单位", "网格", "初始密码"],
        [
            [login, w.name, w.area_name, w.grid_name or w.home_grid or "", pw]
            for login, w, pw in handed
        ],
    )
    if planned.skipped:
        table_sheet(
            book,
            "未开通",
            ["姓名", "所属单位", "原因"],
            [[o.worker.name, o.worker.area_name, o.refusal] for o in planned.skipped],
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _working_unit(
    worker: Worker, area_name: str, village: str | None, village_name: str | None
) -> tuple[str, str]:
    """Return the unit a worker's account is scoped to: their grid's village inside their unit."""
    lo, hi = scope_range(worker.area_code)
    if village is not None and village_name is not None and lo <= village < hi:
        return village, village_name
    return worker.area_code, area_name


def _waiting_query(
    scope_code: str, words: str = ""
) -> Select[Worker, str, date | None, str | None, str | None, str | None]:
    lo, hi = scope_range(scope_code)
    holder = aliased(User)
    village = aliased(Jurisdiction)
    query = (
        select(
            Worker,
            Jurisdiction.name,
            Jurisdiction.retired_on,
            Grid.name,
            village.code,
            village.name,
        )
        .join(Jurisdiction, Jurisdiction.code == Worker.area_code)
        .outerjoin(Grid, Grid.code == Worker.home_grid)
        .outerjoin(village, village.code == Grid.area_code)
        .where(
            Worker.area_code >= lo,
            Worker.area_code < hi,
            Worker.status != WorkerStatus.LEFT,
            ~select(holder.id).where(holder.worker_id == Worker.id).exists(),
        )
        .order_by(Worker.area_code, Worker.name, Worker.id)
    )
    for word in words.split():
        query = query.where(
            Worker.name.contains(word, autoescape=True)
            | Jurisdiction.name.contains(word, autoescape=True)
            | Worker.area_code.startswith(word, autoescape=True)
        )
    return query


def _waiting(
    session: Session, scope_code: str, words: str, *, limit: int
) -> list[tuple[WorkerChoice, bool]]:
    rows = session.execute(_waiting_query(scope_code, words).limit(limit))
    return [
        (
            WorkerChoice(
                w.id, w.name, *_working_unit(w, area_name, village, name), w.home_grid, grid_name
            ),
            retired is not None,
        )
        for w, area_name, retired, grid_name, village, name in rows
    ]
