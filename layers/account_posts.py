"""A change of post (调岗): an account's role, scope, shown name or worker record changed in place.

A grid worker who becomes a township dispatcher, a commander moved to another county: the
account keeps its login, its password and its history in the audit log, and every request it
makes from then on reads the new role and scope (each request reads the account again,
:func:`layers.database.read_account_and_scope`). What the new post may not keep is taken away
in the same change:

* the unmask permission, when the new role or scope may not hold it
  (:func:`layers.accounts.unmask_refusal` says why);
* the link to a worker record, when the account is no longer a grid worker's (a roster that
  later lists that worker as gone would otherwise disable the dispatcher's account,
  :mod:`layers.worker_identity`).

A grid worker's account narrowed to the village of their home grid files their record, which
the roster filed under the township, under that village (:func:`layers.accounts.hold_worker`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from layers import accounts
from layers.errors import InvalidInput
from layers.model import Role, User


@dataclass(frozen=True)
class PostChange:
    """What :func:`change_post` changed.

    Attributes
    ----------
    changed : dict of str to tuple
        Each changed attribute of the account (``role``, ``scope_code``, ``display_name``,
        ``worker_id``, ``can_unmask``) with its value before and after; ``worker_area_code``
        when the worker record moved to the village of its home grid, the account's new scope
        (:func:`layers.accounts.hold_worker`).
    unmask_refusal : str or None
        Why the unmask permission was taken away (the new post may not hold it), else None.
    """

    changed: dict[str, tuple[object, object]]
    unmask_refusal: str | None = None


def change_post(
    session: Session,
    user: User,
    *,
    role: str | None = None,
    scope_code: str | None = None,
    display_name: str | None = None,
    worker_id: int | None = None,
) -> PostChange:
    """Give ``user`` a new role, scope, shown name or worker record; flush, do not commit.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session the user belongs to (owner session, or a scope containing the new one).
    user : layers.model.User
        The account.
    role : str, optional
        New :class:`layers.model.Role` code.
    scope_code : str, optional
        12-digit code of the new scope: an existing, live jurisdiction.
    display_name : str, optional
        New shown name (1–50 characters).
    worker_id : int, optional
        The worker record of a grid worker's account (only for one, after the change).

    Returns
    -------
    PostChange
        What changed; empty when the account already was as asked.

    Raises
    ------
    InvalidInput
        A bad role or shown name, a retired scope, or a worker record for an account that is
        not a grid worker's.
    NotFound
        No such jurisdiction or worker.
    """
    new_role = user.role if role is None else role
    new_scope = user.scope_code if scope_code is None else scope_code
    new_name = user.display_name if display_name is None else display_name.strip()
    accounts.check_role(new_role)
    accounts.check_display_name(new_name)
    if scope_code is not None and scope_code != user.scope_code:
        accounts.check_scope(session, scope_code)
    new_worker = user.worker_id if worker_id is None else worker_id
    if new_role != Role.GRID_WORKER:
        if worker_id is not None:
            raise InvalidInput(
                f"只有网格员账号可以对应网格员记录，该账号调整后为{Role.labels()[new_role]}"
            )
        new_worker = None
    elif new_worker is not None and (worker_id is not None or new_scope != user.scope_code):
        # a new record, or the old one under a new scope: it must still be the account's to hold
        accounts.check_worker(session, new_worker, role=new_role, scope_code=new_scope)
    refusal = accounts.unmask_refusal(new_role, new_scope) if user.can_unmask else None
    after: dict[str, object] = {
        "role": new_role,
        "scope_code": new_scope,
        "display_name": new_name,
        "worker_id": new_worker,
        "can_unmask": user.can_unmask and refusal is None,
    }
    changed = {
        name: (getattr(user, name), value)
        for name, value in after.items()
        if getattr(user, name) != value
    }
    for name, (_, value) in changed.items():
        setattr(user, name, value)
    if new_worker is not None and ("worker_id" in changed or "scope_code" in changed):
        # narrowed to the village of the worker's home grid: the record follows (trial AT, M1)
        moved = accounts.hold_worker(session, new_worker, role=new_role, scope_code=new_scope)
        if moved is not None:
            changed["worker_area_code"] = moved
    session.flush()
    return PostChange(changed, refusal if "can_unmask" in changed else None)
