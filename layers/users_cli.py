"""The ``zongzhi user`` commands: accounts, their passwords, their posts and the unmask right.

``add``, ``list``, ``unlock``, ``enable``, ``disable``; ``password`` gives an account a new
password (its lock lifted, its open sessions ended, its unmask right taken back as the
console's 重设密码 does: :func:`layers.account_admin.reset_password`); ``change`` gives it a new
role, scope, shown name or worker record on a change of post
(:func:`layers.account_posts.change_post`); ``grant-unmask`` (with its grounds, ``--reason``)
and ``revoke-unmask``; ``workers`` lists the workers on the roster with no account yet, with
the 编号 ``--worker-id`` takes.

Plugged into the root command line through the ``zongzhi.commands`` entry point
``user = "layers.users_cli:register"``. Commands act as the operator at the console (owner
connection) and every change is written to the audit log with the operating-system user who
ran the command as its actor (:func:`layers.cli_session.os_user`). The unmask permission
follows :func:`layers.accounts.unmask_refusal`: ``add --unmask`` and ``grant-unmask`` refuse
a role that may not hold it, and an account above a county (省、市级, which reads persons as
counts only), naming the levels that may; ``revoke-unmask`` takes it back from any account,
and ``list`` says 可看明文 only of an account that can really unmask (明文权限无效 of a flag its
role or its scope makes void). SQLAlchemy and the model are imported when a command runs
(``zongzhi --help`` loads this module).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer
from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

from layers.china_time import CHINA
from layers.cli_session import fail, os_user, owner_session

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from layers.model import Jurisdiction, User

console = Console()
ROLE_HELP = (
    "admin 系统管理员、auditor 安全审计员、commander 指挥中心值班员、dispatcher 乡镇调度员、"
    "grid_worker 网格员、department 部门处置人员、analyst 研判分析员"
)
"""The roles of :class:`layers.model.Role` with their labels, for the help (which must not
import the model: ``tests/test_cli_startup.py`` checks that the two agree)."""
SCOPE_HELP = "可管辖范围：辖区的12位区划代码，省、市、县、乡镇也可只写前2、4、6、9位。"


UNMASK_WITHDRAWN_SAID = (
    "其查看个人信息明文的权限已一并收回，如仍需要，须在本人修改密码后重新授予"
    "（zongzhi user grant-unmask 登录名 --reason 授权依据）"
)
"""What ``user password`` adds when the reset took the account's unmask right back."""
GROUNDS_NEEDED = (
    "授予查看明文的权限须写明依据：请用 --reason 写明（如岗位职责、批准文件），将记入审计日志"
)
"""The refusal of ``grant-unmask`` without its grounds (the console asks them the same)."""

HANDED_OVER = "{}（只显示这一次，请当面交给本人，本人登录后须先修改）："
"""What precedes a generated password (初始密码, 新密码), printed once (``--generate-password``)."""


def _read_password(from_stdin: bool, generate: bool = False) -> str:
    if generate:
        from layers.accounts import PasswordPolicy, generate_password

        if from_stdin:
            raise fail("--generate-password 与 --password-stdin 只能选一个")
        return generate_password(PasswordPolicy.from_env())
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    while True:
        value: str = typer.prompt("密码", hide_input=True)
        if typer.prompt("再输入一次密码", hide_input=True) == value:
            return value
        console.print("两次输入的密码不一致，请重新输入")


def add(
    name: str = typer.Argument(..., help="登录名。"),
    role: str = typer.Option(..., "--role", help=f"角色：{ROLE_HELP}。"),
    scope: str = typer.Option(..., "--scope", help=SCOPE_HELP),
    display_name: str | None = typer.Option(
        None, "--display-name", help="显示的姓名（默认同登录名）。"
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="从标准输入的第一行读取密码（不在终端提示输入）。"
    ),
    generate: bool = typer.Option(
        False, "--generate-password", help="由平台生成随机初始密码，只显示这一次。"
    ),
    unmask: bool = typer.Option(
        False,
        "--unmask",
        help=(
            "可查看加密的个人信息明文（仅限县、乡镇、村社区级的指挥中心值班员、乡镇调度员、"
            "网格员；每次须填写理由，并记入审计日志）。"
        ),
    ),
    worker_id: int | None = typer.Option(
        None, "--worker-id", help="对应的网格员记录编号（网格员账号）。"
    ),
    reason: str | None = typer.Option(
        None,
        "--reason",
        help="授权依据（与 --unmask 同用时必填，如岗位职责、批准文件；将记入审计日志）。",
    ),
) -> None:
    """Create the account NAME with a role and a jurisdiction scope.

    ``--unmask`` grants the unmask right at once: its grounds (``--reason``) are required and
    checked as ``grant-unmask``'s (:func:`layers.audit.check_reason`), and written to the
    ``user.add`` audit entry, as the console's 授权依据 (trial AV M4). What can be refused
    without the database (the scope's code, the unmask right and its grounds, a cost of
    passwords refused: :class:`layers.settings.Argon2CostRefused`), then all the database can
    refuse but the password (:func:`layers.accounts.check_new_account`: the login name, taken
    or not, the role, a scope unknown or retired, the worker record) is said before the
    password is asked, and checked again as the account is written.
    """
    from geo.codes import CodeError, written_division_code
    from layers import accounts
    from layers.errors import DomainError
    from layers.model import Jurisdiction, Role

    try:
        scope = written_division_code(scope)
    except CodeError as exc:
        raise fail(str(exc)) from exc
    refused_unmask = (
        accounts.unmask_refusal(role, scope) if unmask and role in Role.labels() else None
    )
    if refused_unmask is not None:  # said before the password is asked
        raise fail(refused_unmask)
    grounds = _add_grounds(unmask, reason)  # also said before the password is asked
    accounts.password_hasher()  # a cost of passwords refused: said before it is asked too
    try:  # and all the database can refuse but the password, in one read-only transaction
        with owner_session(read_only=True) as session:
            accounts.check_new_account(
                session,
                username=name,
                role=role,
                scope_code=scope,
                display_name=display_name or name,
                can_unmask=unmask,
                worker_id=worker_id,
            )
    except DomainError as exc:
        raise fail(str(exc)) from exc
    password = _read_password(password_stdin, generate)
    try:
        with owner_session() as session:
            user = accounts.create_user(
                session,
                username=name,
                password=password,
                role=role,
                scope_code=scope,
                display_name=display_name or name,
                can_unmask=unmask,
                worker_id=worker_id,
                must_change_password=True,
                policy=accounts.PasswordPolicy.from_env(),
            )
            detail: dict[str, object] = {"role": role, "scope": scope, "can_unmask": unmask}
            _audit(session, "user.add", user, detail, reason=grounds)
            said = (
                f"已新建账号 {name}（编号 {user.id}）：{Role.labels()[role]}，"
                f"管辖范围 {_unit_label(session.get(Jurisdiction, scope), scope)}；"
                "本人首次登录须先修改密码"
            )
            if role == Role.GRID_WORKER and worker_id is None:
                said += "\n" + unlinked_note(session, name, scope, display_name or name)
    except DomainError as exc:
        raise fail(str(exc)) from exc
    console.print(said, soft_wrap=True)
    if generate:
        said = HANDED_OVER.format("初始密码") + password
        console.print(said, soft_wrap=True, markup=False, highlight=False)


REASON_WITHOUT_UNMASK = "--reason 是授予查看明文权限的依据，只与 --unmask 同用"
"""The refusal of ``user add --reason`` without ``--unmask``: it would be recorded for nothing."""


def _add_grounds(unmask: bool, reason: str | None) -> str | None:
    """Return the checked grounds of ``user add --unmask``, or refuse the command (exit 1).

    ``--unmask`` without ``--reason`` is refused with :data:`GROUNDS_NEEDED`, as
    ``grant-unmask`` is; the grounds are checked as a reason is (no resident ID or mobile
    number, not a mere word: :func:`layers.audit.check_reason`).
    """
    from layers import audit
    from layers.errors import InvalidInput

    if not unmask:
        if reason is not None and reason.strip():
            raise fail(REASON_WITHOUT_UNMASK)
        return None
    if reason is None or not reason.strip():
        raise fail(GROUNDS_NEEDED)
    try:
        return audit.check_reason(reason)
    except InvalidInput as exc:
        raise fail(f"授权依据不合要求：{exc}") from exc


def unlinked_note(session: Session, username: str, scope: str, shown: str) -> str:
    """Say that a grid worker's account stands for no one on the roster, and who it may be.

    Without the link its owner cannot go on duty, report a position or be sent cases: the
    roster's workers of the scope with no account whose name is the account's shown name are
    offered, with the command that links one.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Owner session.
    username : str
        The new account's login.
    scope : str
        Its scope.
    shown : str
        Its shown name.

    Returns
    -------
    str
        The note (Chinese).
    """
    from layers.account_admin import workers_to_pick

    offered = workers_to_pick(session, None, shown, within=scope, limit=20)
    named = [w for w in offered if w.name == shown]
    lead = "注意：此网格员账号未关联网格员名册记录，不能上岗、上报位置，调度员也不能向其派单"
    if not named:
        return (
            f"{lead}；管辖范围内的名册中没有未开通账号、名为“{shown}”的网格员："
            "请先导入网格员花名册，再用 zongzhi user workers 查到其编号，"
            "用 zongzhi user change 登录名 --worker-id 编号 关联"
            "（或在 账号管理 → 调岗 中选择对应网格员）"
        )
    found = "、".join(
        f"{w.name}（编号 {w.id}，{w.village_name}"
        + (f"，{w.grid_name or '网格 ' + w.home_grid}" if w.home_grid else "")
        + "）"
        for w in named
    )
    return (
        f"{lead}；名册中同名的网格员：{found}。"
        f"请核对后运行 zongzhi user change {username} --worker-id {named[0].id} 关联"
        "（或在 账号管理 → 调岗 中选择对应网格员）"
    )


def _audit(
    session: Session,
    action: str,
    user: User,
    detail: dict[str, object] | None = None,
    *,
    reason: str | None = None,
) -> None:
    """Write ``action`` on account ``user`` to the audit log, by the OS user running the command."""
    from layers import audit

    audit.record(
        session,
        actor_id=None,
        actor_name=os_user(),
        action=action,
        object_type="user",
        object_id=str(user.id),
        reason=reason,
        detail=detail,
    )


def _unit_label(unit: Jurisdiction | None, code: str) -> str:
    """Return ``甘州区（620702000000）``, or the code alone for a unit not on record."""
    return f"{unit.name}（{code}）" if unit is not None else code


def list_users() -> None:
    """List the accounts with their role, scope and lock state."""
    from sqlalchemy import select

    from layers.model import Jurisdiction, Role, User

    roles = Role.labels()
    with owner_session() as session:
        rows = session.execute(
            select(User, Jurisdiction.name)
            .join(Jurisdiction, Jurisdiction.code == User.scope_code)
            .order_by(User.id)
        ).all()
        # A login name is copied from here: it is never broken across lines (trial AT, m1).
        # 编号 and 登录名 are as wide as their longest, the scope (whose 12-digit code is never
        # cut) and the state have fixed widths (rich's min_width gives way when the table is
        # too wide); the shown name folds to make room, and the role too when whole it would
        # leave the name less than 8 cells.
        ids = max((len(str(user.id)) for user, _ in rows), default=1)
        longest = max((cell_len(user.username) for user, _ in rows), default=6)
        widths = {"编号": max(ids, cell_len("编号")), "登录名": max(longest, cell_len("登录名"))}
        role_width = max((cell_len(roles.get(u.role, u.role)) for u, _ in rows), default=4)
        room = console.width - sum(widths.values()) - 12 - 12 - 2 * 5  # 5 gaps of 2 cells
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        for header, width in widths.items():
            table.add_column(header, no_wrap=True, width=width)
        table.add_column("姓名", overflow="fold")
        if room - role_width >= 8:
            table.add_column("角色", no_wrap=True, width=role_width)
        else:
            table.add_column("角色", overflow="fold")
        table.add_column("管辖范围", overflow="fold", width=12)
        table.add_column("状态", overflow="fold", width=12)
        for user, unit in rows:
            table.add_row(
                str(user.id),
                user.username,
                user.display_name,
                roles.get(user.role, user.role),
                f"{unit}\n{user.scope_code}",
                _state(user.active, user.locked_until)
                + _unmask_state(user)
                + ("\n待本人改密" if user.must_change_password else ""),
            )
    console.print(table)


def list_workers(
    scope: str | None = typer.Option(
        None,
        "--scope",
        help="只列出这一辖区内的村（社区）的网格员：" + SCOPE_HELP.partition("：")[2],
    ),
    name: str | None = typer.Option(None, "--name", help="姓名（或其一部分）。"),
) -> None:
    """List the workers on the roster with no account yet, with the 编号 of ``--worker-id``.

    As the console's picker offers them (:func:`layers.account_admin.workers_to_pick`): each
    with their village (the account's scope) and grid (trial AT, m3).
    """
    from geo.codes import CodeError, written_division_code
    from layers.account_admin import workers_to_pick

    try:
        within = None if scope is None else written_division_code(scope)
    except CodeError as exc:
        raise fail(str(exc)) from exc
    limit = 200
    with owner_session() as session:
        found = workers_to_pick(session, None, name or "", within=within, limit=limit + 1)
    if not found:
        console.print("没有找到尚无账号的在册网格员（已离职的、已有账号的不列出）", soft_wrap=True)
        return
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("编号", no_wrap=True)
    table.add_column("姓名", overflow="fold")
    table.add_column("村（社区）", overflow="fold")
    table.add_column("网格", overflow="fold")
    for w in found[:limit]:
        table.add_row(
            str(w.id),
            w.name,
            f"{w.village_name}\n{w.village_code}",
            w.grid_name or w.home_grid or "—",
        )
    console.print(table)
    if len(found) > limit:
        console.print(f"只列出前 {limit} 名，请用 --scope 或 --name 缩小范围", soft_wrap=True)
    console.print(
        "开通：zongzhi user add 登录名 --role grid_worker --scope 村（社区）代码 --worker-id 编号；"
        "关联已有账号：zongzhi user change 登录名 --worker-id 编号",
        soft_wrap=True,
    )


def _state(active: bool, locked_until: datetime | None) -> str:
    """Return an account's state as listed: 启用, 停用, or 锁定至 … (Beijing time)."""
    if not active:
        return "停用"
    if locked_until is None or locked_until <= datetime.now(UTC):
        return "启用"
    return f"锁定至 {locked_until.astimezone(CHINA):%m-%d %H:%M}"


def _unmask_state(user: User) -> str:
    """Return the second line of an account's state: 可看明文, 明文权限无效, or nothing."""
    from layers.accounts import unmask_effective

    if not user.can_unmask:
        return ""
    effective = unmask_effective(user.role, can_unmask=True, scope_code=user.scope_code)
    return "\n可看明文" if effective else "\n明文权限无效"


def _account(session: Session, name: str) -> User:
    """Return the account NAME, or fail with 没有账号 NAME."""
    from sqlalchemy import select

    from layers.model import User

    user = session.scalar(select(User).where(User.username == name))
    if user is None:
        raise fail(f"没有账号 {name}")
    return user


def unlock(name: str = typer.Argument(..., help="登录名。")) -> None:
    """Lift the lockout of NAME and reset its failure counter."""
    from layers.account_admin import unlock as lift_lock

    with owner_session() as session:
        user = _account(session, name)
        lift_lock(session, user)
        _audit(session, "user.unlock", user)
    console.print(f"已解除账号 {name} 的锁定", soft_wrap=True)


def _set_active(name: str, active: bool) -> None:
    """Enable or disable the account NAME (audited); an account of a worker who left stays off."""
    from layers.account_admin import set_active
    from layers.errors import InvalidInput

    with owner_session() as session:
        user = _account(session, name)
        try:
            set_active(session, user, active=active)
        except InvalidInput as exc:
            raise fail(str(exc)) from exc
        _audit(session, "user.enable" if active else "user.disable", user)
    console.print(f"已{'启用' if active else '停用'}账号 {name}", soft_wrap=True)


def enable(name: str = typer.Argument(..., help="登录名。")) -> None:
    """Enable the account NAME again (e.g. of a worker who left and was rehired)."""
    _set_active(name, True)


def disable(name: str = typer.Argument(..., help="登录名。")) -> None:
    """Disable the account NAME: no login, and its open sessions end at their next request."""
    _set_active(name, False)


def _set_unmask(name: str, allowed: bool, reason: str | None = None) -> None:
    """Grant or revoke the unmask permission of NAME (audited when it changes).

    A grant states its grounds (``reason``), checked after the account's post may hold the
    right, and written to the audit entry (the console's 授权依据).
    """
    from layers import accounts, audit
    from layers.errors import InvalidInput

    with owner_session() as session:
        user = _account(session, name)
        grounds = None
        try:
            if allowed:
                refused = accounts.unmask_refusal(user.role, user.scope_code)
                if refused is not None:
                    raise InvalidInput(refused)
                if reason is None or not reason.strip():
                    raise InvalidInput(GROUNDS_NEEDED)
                try:
                    grounds = audit.check_reason(reason)
                except InvalidInput as exc:
                    raise InvalidInput(f"授权依据不合要求：{exc}") from exc
            changed = accounts.set_unmask(session, user, allowed=allowed)
        except InvalidInput as exc:
            raise fail(str(exc)) from exc
        if changed:
            action = "user.unmask_granted" if allowed else "user.unmask_revoked"
            _audit(session, action, user, reason=grounds)
    if not changed:
        said = "已有" if allowed else "本来就没有"
        console.print(f"账号 {name} {said}查看个人信息明文的权限，未作改动", soft_wrap=True)
    else:
        said = "授予" if allowed else "收回"
        console.print(f"已{said}账号 {name} 查看个人信息明文的权限", soft_wrap=True)


def grant_unmask(
    name: str = typer.Argument(..., help="登录名。"),
    reason: str | None = typer.Option(
        None,
        "--reason",
        help="授权依据（必填，如岗位职责、批准文件；将记入审计日志）。",
    ),
) -> None:
    """Give NAME the unmask permission (commanders, dispatchers, grid workers; county or below).

    The grounds are required and written to the audit entry, as the console's 授权依据 (trial
    AT, m2); they are checked as a reason is (:func:`layers.audit.check_reason`).
    """
    _set_unmask(name, True, reason)


def revoke_unmask(name: str = typer.Argument(..., help="登录名。")) -> None:
    """Take the unmask permission back from NAME (e.g. on a change of post)."""
    _set_unmask(name, False)


def reset_password(
    name: str = typer.Argument(..., help="登录名。"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="从标准输入的第一行读取新密码（不在终端提示输入）。"
    ),
    generate: bool = typer.Option(
        False, "--generate-password", help="由平台生成随机密码，只显示这一次。"
    ),
) -> None:
    """Give NAME a new password: its lock is lifted, its open sessions end, its unmask right goes.

    The console's 重设密码 rule (:func:`layers.account_admin.reset_password`, both reset
    through it): whoever resets a password knows the new one, so the right to read clear
    personal data is taken back and audited with the reset (trial AT, S1).
    """
    from layers import accounts
    from layers.account_admin import reset_password as reset
    from layers.errors import DomainError

    accounts.password_hasher()  # a cost of passwords refused is said before it is asked
    with owner_session(read_only=True) as session:
        _account(session, name)  # a mistyped name is said before the password is asked
    password = _read_password(password_stdin, generate)
    with owner_session() as session:
        user = _account(session, name)
        try:
            done = reset(
                session,
                user,
                now=datetime.now(UTC),
                policy=accounts.PasswordPolicy.from_env(),
                password=password,
            )
        except DomainError as exc:
            raise fail(str(exc)) from exc
        _audit(session, "user.password_reset", user, done.audit_detail, reason=done.audit_reason)
    console.print(
        f"已重设账号 {name} 的密码：其锁定一并解除，已登录的随即失效；"
        "请把新密码当面交给本人，本人登录后须先修改密码",
        soft_wrap=True,
    )
    if done.unmask_withdrawn:
        console.print(UNMASK_WITHDRAWN_SAID, soft_wrap=True)
    if generate:
        said = HANDED_OVER.format("新密码") + password
        console.print(said, soft_wrap=True, markup=False, highlight=False)


def change(
    name: str = typer.Argument(..., help="登录名。"),
    role: str | None = typer.Option(None, "--role", help=f"新的角色：{ROLE_HELP}。"),
    scope: str | None = typer.Option(
        None, "--scope", help="新的管辖范围：" + SCOPE_HELP.partition("：")[2]
    ),
    display_name: str | None = typer.Option(None, "--display-name", help="新的显示姓名。"),
    worker_id: int | None = typer.Option(
        None, "--worker-id", help="对应的网格员记录编号（仅网格员账号）。"
    ),
) -> None:
    """Change the role, scope, shown name or worker record of NAME (a change of post)."""
    from geo.codes import CodeError, written_division_code
    from layers.account_posts import change_post
    from layers.errors import DomainError

    if role is None and scope is None and display_name is None and worker_id is None:
        raise fail("请至少给出 --role、--scope、--display-name、--worker-id 中的一项")
    try:
        scope = None if scope is None else written_division_code(scope)
    except CodeError as exc:
        raise fail(str(exc)) from exc
    with owner_session() as session:
        user = _account(session, name)
        try:
            done = change_post(
                session,
                user,
                role=role,
                scope_code=scope,
                display_name=display_name,
                worker_id=worker_id,
            )
        except DomainError as exc:
            raise fail(str(exc)) from exc
        if not done.changed:
            console.print(f"账号 {name} 本来就是这样，未作改动", soft_wrap=True)
            return
        _audit(
            session,
            "user.changed",
            user,
            {key: list(values) for key, values in done.changed.items()},
        )
        said = _changes_said(session, done.changed)
    if said:  # else only a flag the post already made void was taken away
        console.print(f"已调整账号 {name}：" + "；".join(said), soft_wrap=True)
    if done.unmask_refusal is not None:
        console.print(f"已收回其查看个人信息明文的权限：{done.unmask_refusal}", soft_wrap=True)
    console.print("已登录的在下一次操作时即按调整后的角色和管辖范围", soft_wrap=True)


def _changes_said(session: Session, changed: dict[str, tuple[object, object]]) -> list[str]:
    """Say each change of a post: ``角色 网格员 → 乡镇调度员``, ``管辖范围 盘溪镇（…） → …``."""
    from layers.model import Jurisdiction, Role

    roles, said = Role.labels(), []
    for key, (before, after) in changed.items():
        if key == "role":
            said.append(f"角色 {roles.get(str(before), before)} → {roles[str(after)]}")
        elif key == "scope_code":
            units = [_unit_label(session.get(Jurisdiction, c), str(c)) for c in (before, after)]
            said.append(f"管辖范围 {units[0]} → {units[1]}")
        elif key == "display_name":
            said.append(f"显示姓名 {before} → {after}")
        elif key == "worker_id":
            linked = after is not None
            said.append(f"对应网格员记录 {after}" if linked else f"不再对应网格员记录 {before}")
        elif key == "worker_area_code":
            units = [_unit_label(session.get(Jurisdiction, c), str(c)) for c in (before, after)]
            said.append(f"网格员记录的所属辖区随其网格 {units[0]} → {units[1]}")
    return said


def register(app: typer.Typer) -> None:
    """Add the ``user`` command group to the root command line.

    Parameters
    ----------
    app : typer.Typer
        The root application.
    """
    group = typer.Typer(
        help=(
            "用户账号：新建、列出、解除锁定、启用、停用、重设密码、调岗，授予或收回查看明文的权限；"
            "列出可关联的网格员。"
        ),
        no_args_is_help=True,
        rich_markup_mode=None,
    )
    group.command("add", help="新建账号 NAME，指定其角色和管辖范围。")(add)
    group.command("list", help="列出全部账号及其角色、管辖范围和锁定状态。")(list_users)
    group.command(
        "workers",
        help="列出尚无账号的在册网格员及其编号（供 --worker-id）、所在村（社区）和网格。",
    )(list_workers)
    group.command("unlock", help="解除账号 NAME 的锁定，并清零其登录失败次数。")(unlock)
    group.command(
        "enable", help="启用账号 NAME（如离职后重新列入花名册的网格员的账号，须先核实）。"
    )(enable)
    group.command("disable", help="停用账号 NAME：不能再登录，已登录的也随即失效。")(disable)
    group.command(
        "password",
        help=(
            "重设账号 NAME 的密码（本人忘记密码时）：同时解除锁定，已登录的随即失效，"
            "查看明文的权限一并收回。"
        ),
    )(reset_password)
    group.command(
        "change",
        help=(
            "调整账号 NAME 的角色、管辖范围、显示姓名或网格员记录（调岗）；"
            "新岗位不能保留的明文权限一并收回。"
        ),
    )(change)
    group.command(
        "grant-unmask",
        help=(
            "授予账号 NAME 查看个人信息明文的权限"
            "（仅限县、乡镇、村社区级的指挥中心值班员、乡镇调度员、网格员；须写明授权依据）。"
        ),
    )(grant_unmask)
    group.command(
        "revoke-unmask", help="收回账号 NAME 查看个人信息明文的权限（如调岗），已登录的随即失效。"
    )(revoke_unmask)
    app.add_typer(group, name="user")
