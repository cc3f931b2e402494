"""账号管理: an administrator's accounts of their scope, created, changed, reset, enabled.

The console's side of ``zongzhi user`` (:mod:`layers.account_admin` has the rules). A new
account and a reset get a generated password, answered once and stored only as its hash; its
owner changes it at first login. Every change is audited with the administrator as actor, a
refused one too.

An account locked by repeated failed logins says until when and why, and its lock can be lifted
early (解除锁定). 登录限制 lists the client addresses whose logins wait because failures from them
spread over many login names (:mod:`layers.login_throttle`, kept in the database), and lifts one
(解除): any administrator's, since an address belongs to no unit's scope, and the list names no
account. Both are audited with the administrator as actor.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api.deps import Principal, SessionDep, SettingsDep, require_roles, utcnow
from api.downloads import XLSX, xlsx_response
from api.routers.cases import IdPath, audited_refusal
from geo.codes import CodeError, written_division_code
from layers import account_admin, accounts, audit, login_throttle, worker_accounts
from layers.account_posts import change_post
from layers.china_time import CHINA
from layers.errors import Conflict, InvalidInput
from layers.model import Role, User

router = APIRouter(prefix="/api/users", tags=["users"])
AdminUser = Annotated[Principal, Depends(require_roles(Role.ADMIN.value))]


class AccountOut(BaseModel):
    """An account as 账号管理 lists it."""

    id: int
    username: str
    display_name: str
    role: str
    role_label: str
    scope_code: str
    scope_name: str
    active: bool
    locked_until: datetime | None = Field(description="Locked until then (None: not locked)")
    lock_reason: str | None = Field(
        default=None, description="Why it is locked (Chinese; None: not locked)"
    )
    can_unmask: bool = Field(description="Holds the unmask right and may use it")
    unmask_void: bool = Field(description="Holds a flag its role or scope makes void")
    may_unmask: bool = Field(description="Its role and scope may hold the unmask right")
    must_change_password: bool
    worker_id: int | None = Field(description="The worker on record a grid worker's account is")
    worker_name: str | None = Field(description="That worker's name")
    server_managed: bool = Field(
        description="An administrator's or auditor's: managed on the server only (三员分立)"
    )


class WorkerChoiceOut(BaseModel):
    """A worker of your scope on the roster that no account stands for yet."""

    id: int
    name: str
    area_code: str
    area_name: str
    home_grid: str | None
    grid_name: str | None = None
    village_code: str = Field(description="The village they work in: the account's scope")
    village_name: str


class AccountIn(BaseModel):
    """A new account (its password is generated)."""

    username: str = Field(min_length=2, max_length=50)
    display_name: str = Field(min_length=1, max_length=50)
    role: str = Field(max_length=20)
    scope: str = Field(max_length=20, description="12 digits, or a unit's first 2/4/6/9")
    can_unmask: bool = False
    unmask_reason: str | None = Field(
        default=None,
        max_length=500,
        description="On what grounds it may unmask (required with can_unmask; in the audit log)",
    )
    worker_id: int | None = Field(
        default=None, ge=1, le=2**63 - 1, description="A grid worker's: their worker record"
    )


class PostIn(BaseModel):
    """A change of post: what is given changes."""

    role: str | None = Field(default=None, max_length=20)
    scope: str | None = Field(default=None, max_length=20, description="As for a new account")
    display_name: str | None = Field(default=None, max_length=50)
    worker_id: int | None = Field(
        default=None, ge=1, le=2**63 - 1, description="Another worker record (grid workers)"
    )


class WorkerAccountsIn(BaseModel):
    """The township or village whose grid workers get accounts at once."""

    scope: str = Field(max_length=20, description="12 digits, or a township's first 9")


class SkippedOut(BaseModel):
    """A worker no account is opened for, and why."""

    name: str
    area_name: str
    reason: str


class WorkerAccountsPlan(BaseModel):
    """What opening the accounts would do."""

    unit_name: str
    opening: int = Field(description="Accounts that would be opened")
    skipped: list[SkippedOut] = Field(description="Workers without a login name to give")


class ActiveIn(BaseModel):
    """Enable (true) or disable (false)."""

    active: bool


class UnmaskIn(BaseModel):
    """Grant (true) or revoke (false) the unmask right; a grant says on what grounds."""

    allowed: bool
    reason: str | None = Field(
        default=None,
        max_length=500,
        description="Why the account needs the right (required to grant; in the audit log)",
        examples=["岗位职责需核实走访对象身份"],
    )


GROUNDS_NEEDED = "授予查看明文的权限须写明依据（如岗位职责、批准文件），将记入审计日志"


class HandedOver(BaseModel):
    """An account and the password generated for it, shown this once."""

    account: AccountOut
    password: str
    unmask_withdrawn: str | None = Field(
        default=None,
        description="A reset took back the account's unmask right: what the administrator is"
        " told (Chinese); None when it had none",
    )


class PostOut(BaseModel):
    """An account after a change of post."""

    account: AccountOut
    changed: list[str] = Field(description="The attributes changed")
    unmask_refusal: str | None = Field(description="Why the unmask right was taken away")


def _out(account: account_admin.ListedAccount) -> AccountOut:
    user = account.user
    effective = accounts.unmask_effective(
        user.role, can_unmask=user.can_unmask, scope_code=user.scope_code
    )
    now = utcnow()
    locked = user.locked_until if user.locked_until and user.locked_until > now else None
    return AccountOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        role_label=Role.label_of(user.role),
        scope_code=user.scope_code,
        scope_name=account.scope_name,
        active=user.active,
        locked_until=locked,
        lock_reason=accounts.LOCK_REASON if locked else None,
        can_unmask=effective,
        unmask_void=user.can_unmask and not effective,
        may_unmask=accounts.may_hold_unmask(user.role, user.scope_code),
        must_change_password=user.must_change_password,
        worker_id=user.worker_id,
        worker_name=account.worker_name,
        server_managed=user.role in account_admin.SERVER_ROLES,
    )


def _one(session: Session, user: User) -> AccountOut:
    return _out(account_admin.listed(session, user))


def _scope(written: str) -> str:
    try:
        return written_division_code(written)
    except CodeError as exc:
        raise InvalidInput(str(exc)) from exc


def _audit(
    session: Session,
    admin: Principal,
    action: str,
    user: User,
    detail: dict[str, Any] | None,
    reason: str | None = None,
) -> None:
    audit.record(
        session,
        actor_id=admin.id,
        actor_name=admin.username,
        action=action,
        object_type="user",
        object_id=str(user.id),
        reason=reason,
        detail=detail,
    )


@router.get("", response_model=list[AccountOut], summary="The accounts of your scope")
def list_accounts(admin: AdminUser, session: SessionDep) -> list[AccountOut]:
    """Return the accounts whose scope lies inside yours, by scope then login name."""
    return [_out(each) for each in account_admin.list_accounts(session, admin.scope_code)]


@router.get(
    "/workers",
    response_model=list[WorkerChoiceOut],
    summary="Workers of your scope without an account, to open one for",
)
def workers_without_account(
    admin: AdminUser,
    session: SessionDep,
    q: Annotated[str, Query(max_length=50, description="Part of the name or village")] = "",
    scope: Annotated[
        str, Query(max_length=20, description="The scope typed: only workers of its villages")
    ] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[WorkerChoiceOut]:
    """Return the workers of your scope's villages whom no account stands for yet.

    Each with their village and grid (:func:`layers.account_admin.workers_to_pick`); a scope
    still being typed (not yet a unit's code) is not applied.
    """
    try:
        within = written_division_code(scope) if scope.strip() else None
    except CodeError:
        within = None
    return [
        WorkerChoiceOut(**vars(choice))
        for choice in account_admin.workers_to_pick(
            session, admin.scope_code, q, within=within, limit=limit
        )
    ]


def _worker_plan(session: Session, admin: Principal, written: str) -> worker_accounts.Plan:
    scope = _scope(written)
    account_admin.check_given_scope(admin.scope_code, scope)
    return worker_accounts.plan(session, scope)


@router.post(
    "/worker-accounts/plan",
    response_model=WorkerAccountsPlan,
    summary="How many grid workers of a township or village would get an account",
)
def plan_worker_accounts(
    body: WorkerAccountsIn, admin: AdminUser, session: SessionDep
) -> WorkerAccountsPlan:
    """Count the workers on the roster without an account, and those who have no login name."""
    planned = _worker_plan(session, admin, body.scope)
    return WorkerAccountsPlan(
        unit_name=planned.unit_name,
        opening=len(planned.openings) - len(planned.skipped),
        skipped=[
            SkippedOut(name=o.worker.name, area_name=o.worker.area_name, reason=str(o.refusal))
            for o in planned.skipped
        ],
    )


@router.post(
    "/worker-accounts",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
    summary="Open accounts for the grid workers of a township or village (批量开通), XLSX",
)
def open_worker_accounts(
    body: WorkerAccountsIn, admin: AdminUser, session: SessionDep, settings: SettingsDep
) -> Response:
    """Open an account for each worker on the roster without one; answer the passwords once.

    Each login name is the worker's mobile number, else their 工号; each account is audited
    (``user.add``) and its password is changed by its owner first.
    """
    with audited_refusal(session, admin, "user.add", "user", None):
        planned = _worker_plan(session, admin, body.scope)
        opened = worker_accounts.open_accounts(session, planned, policy=settings.password_policy)
        for each in opened:
            detail = {
                "role": "grid_worker",
                "scope": each.opening.worker.area_code,
                "worker_id": each.opening.worker.id,
                "batch": True,
            }
            _audit(session, admin, "user.add", each.user, detail)
    now = utcnow()
    return xlsx_response(
        worker_accounts.handover_workbook(planned, opened, now=now),
        f"网格员账号_{planned.unit_name}_{now.astimezone(CHINA):%Y%m%d}.xlsx",
        "worker-accounts.xlsx",
        {"Cache-Control": "no-store", "X-Accounts-Opened": str(len(opened))},
    )


@router.post(
    "", response_model=HandedOver, status_code=status.HTTP_201_CREATED, summary="Add an account"
)
def add_account(
    body: AccountIn, admin: AdminUser, session: SessionDep, settings: SettingsDep
) -> HandedOver:
    """Create an account in your scope with a generated password, answered this once."""
    with audited_refusal(session, admin, "user.add", "user", None):
        scope = _scope(body.scope)
        account_admin.check_given_scope(admin.scope_code, scope)
        account_admin.check_given_role(body.role)
        account_admin.require_worker(body.role, body.worker_id)
        grounds = (body.unmask_reason or "").strip()
        if body.can_unmask and not grounds:
            raise InvalidInput(GROUNDS_NEEDED)
        password = accounts.generate_password(settings.password_policy)
        user = accounts.create_user(
            session,
            username=body.username,
            password=password,
            role=body.role,
            scope_code=scope,
            display_name=body.display_name,
            can_unmask=body.can_unmask,
            worker_id=body.worker_id,
            policy=settings.password_policy,
            must_change_password=True,
        )
        detail = {"role": body.role, "scope": scope, "can_unmask": body.can_unmask}
        if body.worker_id is not None:
            detail["worker_id"] = body.worker_id
        checked = audit.check_reason(grounds) if body.can_unmask else None
        _audit(session, admin, "user.add", user, detail, reason=checked)
    return HandedOver(account=_one(session, user), password=password)


@router.post("/{user_id}/password", response_model=HandedOver, summary="Give a new password")
def reset_password(
    user_id: IdPath, admin: AdminUser, session: SessionDep, settings: SettingsDep
) -> HandedOver:
    """Give the account a generated password, answered this once.

    Its lock is lifted, its open sessions end, and its owner changes the password first. Its
    unmask right is taken back (the administrator knows the password): the answer and the
    audit entry say so, and giving it again is a grant of its own.
    """
    with audited_refusal(session, admin, "user.password_reset", "user", str(user_id)):
        user = account_admin.managed_account(session, admin.scope_code, user_id, admin_id=admin.id)
        done = account_admin.reset_password(
            session, user, now=utcnow(), policy=settings.password_policy
        )
        withdrawn = done.audit_reason  # as zongzhi user password audits it
        _audit(session, admin, "user.password_reset", user, done.audit_detail, reason=withdrawn)
    return HandedOver(
        account=_one(session, user), password=done.password, unmask_withdrawn=withdrawn
    )


@router.patch("/{user_id}", response_model=PostOut, summary="Change an account's post")
def change_account(user_id: IdPath, body: PostIn, admin: AdminUser, session: SessionDep) -> PostOut:
    """Give the account a new role, scope (inside yours), shown name or worker record (调岗)."""
    with audited_refusal(session, admin, "user.changed", "user", str(user_id)):
        user = account_admin.managed_account(session, admin.scope_code, user_id, admin_id=admin.id)
        scope = None if body.scope is None else _scope(body.scope)
        if body.role is not None or scope is not None:
            account_admin.not_oneself(admin.id, user, "调岗")
        if body.role is not None:
            account_admin.check_given_role(body.role)
        if scope is not None:
            account_admin.check_given_scope(admin.scope_code, scope)
        role = body.role or user.role
        kept = user.worker_id if role == Role.GRID_WORKER else None
        account_admin.require_worker(role, body.worker_id or kept)
        done = change_post(
            session,
            user,
            role=body.role,
            scope_code=scope,
            display_name=body.display_name,
            worker_id=body.worker_id,
        )
        if done.changed:
            detail = {key: list(values) for key, values in done.changed.items()}
            _audit(session, admin, "user.changed", user, detail)
    return PostOut(
        account=_one(session, user), changed=list(done.changed), unmask_refusal=done.unmask_refusal
    )


@router.post("/{user_id}/active", response_model=AccountOut, summary="Enable or disable")
def set_active(
    user_id: IdPath, body: ActiveIn, admin: AdminUser, session: SessionDep
) -> AccountOut:
    """Enable or disable the account (a disabled one's open sessions end at once)."""
    action = "user.enable" if body.active else "user.disable"
    with audited_refusal(session, admin, action, "user", str(user_id)):
        user = account_admin.managed_account(session, admin.scope_code, user_id, admin_id=admin.id)
        if not body.active:
            account_admin.not_oneself(admin.id, user, "停用")
        if account_admin.set_active(session, user, active=body.active):
            _audit(session, admin, action, user, None)
    return _one(session, user)


@router.post(
    "/{user_id}/unlock",
    response_model=AccountOut,
    responses={409: {"description": "Not locked (its lock may have ended)"}},
    summary="Lift a lock (解除锁定)",
)
def unlock(user_id: IdPath, admin: AdminUser, session: SessionDep) -> AccountOut:
    """Lift the account's lock before it ends, and reset its failed logins.

    Audited (``user.unlock``, with until when it was locked); an account of another scope is
    not found, one not locked is refused (409), both audited too.
    """
    with audited_refusal(session, admin, "user.unlock", "user", str(user_id)):
        user = account_admin.managed_account(session, admin.scope_code, user_id, admin_id=admin.id)
        held = account_admin.unlock(session, user, now=utcnow())
        if held is None:
            raise Conflict(f"账号 {user.username} 未被锁定（锁定可能已到期），无需解除")
        _audit(session, admin, "user.unlock", user, {"locked_until": held.isoformat()})
    return _one(session, user)


class ThrottledAddressOut(BaseModel):
    """A client address whose logins wait (登录限制)."""

    address: str
    names: int = Field(description="Different login names that failed from it in the window")
    last_failed_at: datetime
    until: datetime = Field(description="When it may log in again, unless more names fail")


class LoginThrottleOut(BaseModel):
    """The addresses whose logins wait, and the rule that holds them back."""

    max_names: int = Field(description="Names failing from one address that hold it back")
    window_minutes: int = Field(description="Within how many minutes")
    addresses: list[ThrottledAddressOut] = Field(description="The latest failing first")


class AddressIn(BaseModel):
    """The address whose throttle is lifted."""

    address: str = Field(
        min_length=1,
        max_length=login_throttle.ADDRESS_MAX,
        pattern=r"^[0-9A-Za-z.:_%\[\]-]+$",
        description="As 登录限制 lists it (an IPv4 or IPv6 address)",
        examples=["10.20.1.1"],
    )


@router.get(
    "/login-throttle",
    response_model=LoginThrottleOut,
    summary="Client addresses whose logins wait (登录限制)",
)
def throttled_addresses(
    admin: AdminUser, session: SessionDep, settings: SettingsDep
) -> LoginThrottleOut:
    """Return the addresses held back because failed logins from them spread over many names.

    Any administrator's: an address belongs to no unit, and the failed names are kept only as
    hashes (the list names no account).
    """
    rules = settings.login_throttle
    return LoginThrottleOut(
        max_names=rules.max_names,
        window_minutes=rules.window_minutes,
        addresses=[
            ThrottledAddressOut(**vars(each))
            for each in login_throttle.throttled_addresses(session, utcnow(), rules)
        ],
    )


@router.post(
    "/login-throttle/clear",
    response_model=ThrottledAddressOut,
    responses={404: {"description": "The address does not wait now"}},
    summary="Lift an address's throttle (解除)",
)
def clear_throttled_address(
    body: AddressIn, admin: AdminUser, session: SessionDep, settings: SettingsDep
) -> ThrottledAddressOut:
    """Let the address log in again at once: its failed logins are forgotten.

    Audited (``login_throttle.clear``, the address with how many names had failed and until
    when it would have waited), a refusal too. The accounts' own locks stay.
    """
    address = body.address
    with audited_refusal(session, admin, "login_throttle.clear", "address", address):
        lifted = login_throttle.clear_address(session, address, utcnow(), settings.login_throttle)
        audit.record(
            session,
            actor_id=admin.id,
            actor_name=admin.username,
            action="login_throttle.clear",
            object_type="address",
            object_id=address,
            detail={"names": lifted.names, "until": lifted.until.isoformat()},
        )
    return ThrottledAddressOut(**vars(lifted))


@router.post("/{user_id}/unmask", response_model=AccountOut, summary="Grant or revoke unmasking")
def set_unmask(
    user_id: IdPath, body: UnmaskIn, admin: AdminUser, session: SessionDep
) -> AccountOut:
    """Grant the right to read clear personal data (where the post may hold it), or revoke it.

    A grant states its grounds (``reason``, a real one: :func:`layers.audit.check_reason`),
    written to the audit entry with it.
    """
    action = "user.unmask_granted" if body.allowed else "user.unmask_revoked"
    with audited_refusal(session, admin, action, "user", str(user_id)):
        user = account_admin.managed_account(session, admin.scope_code, user_id, admin_id=admin.id)
        if accounts.set_unmask(session, user, allowed=body.allowed):
            reason = (body.reason or "").strip()
            if body.allowed and not reason:
                raise InvalidInput(GROUNDS_NEEDED)
            grounds = audit.check_reason(reason) if reason else None
            _audit(session, admin, action, user, None, reason=grounds)
    return _one(session, user)
