"""Running the Alembic migrations and checking that the models match the database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from geoalchemy2 import alembic_helpers
from sqlalchemy import Connection, Engine

from layers.database import ensure_leakproof_bbox
from layers.model import Base

MIGRATIONS = Path(__file__).with_name("migrations")
IGNORED_TABLES = frozenset({"spatial_ref_sys"})


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Tell Alembic which objects are ours: not PostGIS's tables; GeoAlchemy2's index rules.

    Parameters
    ----------
    obj, name, type_, reflected, compare_to
        As Alembic passes them.

    Returns
    -------
    bool
        Whether to compare or migrate the object.
    """
    if type_ == "table" and name in IGNORED_TABLES:
        return False
    geoalchemy_rule = cast(Callable[..., bool], alembic_helpers.include_object)
    return geoalchemy_rule(obj, name, type_, reflected, compare_to)


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    """Return an Alembic configuration for the platform's migration history.

    Parameters
    ----------
    url : str, optional
        Database URL (owner role).
    connection : sqlalchemy.Connection, optional
        An open connection to run on instead of ``url``.

    Returns
    -------
    alembic.config.Config
        The configuration.
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database of ``engine`` to ``revision``.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        Engine of the owner role.
    revision : str
        Target revision. At ``head`` the bounding-box operators' ``LEAKPROOF`` mark is
        re-asserted too, since ``ALTER EXTENSION postgis UPDATE`` drops it
        (see :func:`layers.database.ensure_leakproof_bbox`).
    """
    with engine.begin() as conn:
        command.upgrade(alembic_config(connection=conn), revision)
        if revision == "head":
            ensure_leakproof_bbox(conn)


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at, ``None`` if it was never migrated.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        Any engine on the database.

    Returns
    -------
    str or None
        The revision.
    """
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    """Return the revision the code's models need (the migrations' head).

    Returns
    -------
    str
        The head revision.

    Examples
    --------
    >>> head_revision() == sorted(p.name for p in (MIGRATIONS / "versions").glob("0*.py"))[-1][:4]
    True
    """
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package ships its migrations
        raise RuntimeError(f"no migrations under {MIGRATIONS}")
    return head


def schema_drift(engine: Engine) -> list[Any]:
    """Return the differences between the models and the migrated schema (empty when equal).

    Parameters
    ----------
    engine : sqlalchemy.Engine
        Engine of the migrated database.

    Returns
    -------
    list
        Alembic's ``compare_metadata`` diff.
    """
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"include_object": include_object, "compare_type": True}
        )
        return list(compare_metadata(ctx, Base.metadata))
