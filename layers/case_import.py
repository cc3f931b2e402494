"""SQL of an import of cases: the platform code of each imported case, and its first event.

Both run inside the ``INSERT … SELECT`` that moves staged cases into ``cases`` (see
:func:`layers.bulk.upsert`): the code is computed from the staged row (alias ``s``) after the
database checks have filled in any missing area code, and the event is appended by a
data-modifying CTE over the newly inserted rows, so a case and its first event are written by
the same statement.
"""

from __future__ import annotations

from psycopg import sql

EVENT_COLUMNS = ("id", "area_code", "state")
"""Columns of the inserted cases the first events are made from."""


def case_code() -> sql.Composed:
    """Return the SQL expression of an imported case's code (一案一码) over staging alias ``s``.

    It is ``IM`` + the area code + the first 18 hex digits of SHA-256 of the channel and the
    source number joined by U+001F: the same value as :func:`importers.kinds.case_code`, stable
    across re-imports.

    Returns
    -------
    psycopg.sql.Composed
        The expression.
    """
    return sql.SQL(
        "'IM' || s.area_code::text || left(encode(sha256(convert_to("
        "s.channel || chr(31) || s.external_no, 'UTF8')), 'hex'), 18)"
    ).format()


def first_events(actor: str, note: str = "imported") -> sql.Composed:
    """Return the statement appending one ``import`` event per case of the ``inserted`` CTE.

    Parameters
    ----------
    actor : str
        Who imports (``actor_name``, cut to 50 characters).
    note : str
        The events' note.

    Returns
    -------
    psycopg.sql.Composed
        ``INSERT INTO case_events … SELECT … FROM inserted`` (:data:`EVENT_COLUMNS`).
    """
    return sql.SQL(
        "INSERT INTO case_events (case_id, area_code, actor_name, action, to_state, note) "
        "SELECT id, area_code, {actor}, 'import', state, {note} FROM inserted"
    ).format(actor=sql.Literal(actor[:50]), note=sql.Literal(note))
