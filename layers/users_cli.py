"""The ``zongzhi user`` commands: add accounts, list them, lift a lockout.

Plugged into the root command line through the ``zongzhi.commands`` entry point
``user = "layers.users_cli:register"``. Commands act as the operator at the console (owner
connection) and every change is written to the audit log with the actor ``cli``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from layers import accounts, audit
from layers.database import apply_scope, make_engine, resolve_urls
from layers.errors import DomainError
from layers.model import Role, User
from layers.settings import Settings

console = Console()
CLI_ACTOR = "cli"


@contextmanager
def _owner_session() -> Iterator[Session]:
    engine = make_engine(resolve_urls(Settings.from_env()).owner, pool_size=1)
    try:
        with Session(engine) as session, session.begin():
            apply_scope(session, None)
            yield session
    finally:
        engine.dispose()


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


def add(
    name: str = typer.Argument(..., help="Login name."),
    role: str = typer.Option(..., "--role", help="Role: " + ", ".join(Role.labels())),
    scope: str = typer.Option(..., "--scope", help="12-digit jurisdiction code of the scope."),
    display_name: str | None = typer.Option(None, "--display-name", help="Shown name."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of stdin."
    ),
    unmask: bool = typer.Option(
        False, "--unmask", help="May read sealed personal data (with a reason, audited)."
    ),
    worker_id: int | None = typer.Option(None, "--worker-id", help="Worker record (grid workers)."),
) -> None:
    """Create the account NAME with a role and a jurisdiction scope."""
    password = _read_password(password_stdin)
    try:
        with _owner_session() as session:
            user = accounts.create_user(
                session,
                username=name,
                password=password,
                role=role,
                scope_code=scope,
                display_name=display_name or name,
                can_unmask=unmask,
                worker_id=worker_id,
            )
            audit.record(
                session,
                actor_id=None,
                actor_name=CLI_ACTOR,
                action="user.add",
                object_type="user",
                object_id=str(user.id),
                detail={"role": role, "scope": scope, "can_unmask": unmask},
            )
            user_id = user.id
    except DomainError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=1) from exc
    console.print(f"user {name} created (id {user_id}, role {role}, scope {scope})")


def list_users() -> None:
    """List the accounts with their role, scope and lock state."""
    table = Table("id", "user", "name", "role", "scope", "unmask", "active", "locked until")
    with _owner_session() as session:
        for user in session.scalars(select(User).order_by(User.id)):
            table.add_row(
                str(user.id),
                user.username,
                user.display_name,
                user.role,
                user.scope_code,
                "yes" if user.can_unmask else "",
                "yes" if user.active else "no",
                f"{user.locked_until:%Y-%m-%d %H:%M}" if user.locked_until else "",
            )
    console.print(table)


def unlock(name: str = typer.Argument(..., help="Login name.")) -> None:
    """Lift the lockout of NAME and reset its failure counter."""
    with _owner_session() as session:
        user = session.scalar(select(User).where(User.username == name))
        if user is None:
            console.print(f"[bold red]error:[/] no user {name!r}")
            raise typer.Exit(code=1)
        user.locked_until = None
        user.failed_logins = 0
        audit.record(
            session,
            actor_id=None,
            actor_name=CLI_ACTOR,
            action="user.unlock",
            object_type="user",
            object_id=str(user.id),
        )
    console.print(f"user {name} unlocked")


def register(app: typer.Typer) -> None:
    """Add the ``user`` command group to the root command line.

    Parameters
    ----------
    app : typer.Typer
        The root application.
    """
    group = typer.Typer(help="User accounts.", no_args_is_help=True)
    group.command("add")(add)
    group.command("list")(list_users)
    group.command("unlock")(unlock)
    app.add_typer(group, name="user")
