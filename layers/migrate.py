"""Running the Alembic migrations and checking that the models match the database.

Alembic (with mako and pygments) is imported by the functions that migrate or compare, not
by this module: ``zongzhi import`` checks the schema's revision before each import
(:func:`current_revision`, :func:`head_revision`), and reads both without it (about 0.15 s
of CPU less per import child).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Engine, text

from layers.database import ensure_leakproof_bbox

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
IGNORED_TABLES = frozenset({"spatial_ref_sys"})
VERSION_TABLE = "alembic_version"
"""Alembic's table of the applied revision (its default name, in the default schema)."""
_REVISION_LINE = re.compile(
    r"^(down_revision|revision)\s*(?::[^=]+)?=\s*(?:None|[\"']([^\"']+)[\"'])\s*$", re.M
)


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
    from geoalchemy2 import alembic_helpers

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
    from alembic.config import Config

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
    from alembic import command

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
        if conn.execute(text("SELECT to_regclass(:t)"), {"t": VERSION_TABLE}).scalar() is None:
            return None
        found = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(found) > 1:  # what Alembic's MigrationContext refuses too
        raise RuntimeError(f"{VERSION_TABLE} holds more than one revision: {sorted(found)}")
    return found[0] if found else None


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
    heads = _heads_of_files()
    if len(heads) == 1:
        return heads[0]
    from alembic.script import ScriptDirectory  # a branch or a file unread: Alembic decides

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package ships its migrations
        raise RuntimeError(f"no migrations under {MIGRATIONS}")
    return head


def _heads_of_files() -> list[str]:
    """Return the revisions no migration file revises, read from the files' text.

    Returns
    -------
    list of str
        The heads; empty when a file's ``revision`` or ``down_revision`` could not be read
        (a merge's tuple, say), so that :func:`head_revision` asks Alembic instead.
    """
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict(_REVISION_LINE.findall(path.read_text("utf-8")))
        if "revision" not in found or "down_revision" not in found or not found["revision"]:
            return []
        revisions.add(found["revision"])
        if found["down_revision"]:
            revised.add(found["down_revision"])
    return sorted(revisions - revised)


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
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from layers.model import Base

    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"include_object": include_object, "compare_type": True}
        )
        return list(compare_metadata(ctx, Base.metadata))
