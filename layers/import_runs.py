"""Provenance of imports: one ``import_runs`` row per imported file, opened then closed.

Both statements run in the import's own transaction, so a load that is rolled back leaves no
run behind, and a committed one records its file, checksum, source CRS, user and counts. The
cases an import adds reach the live consoles as one notice when it commits, not one per case
(:func:`layers.live.quiet_case_events`, :func:`layers.live.announce_import`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, text

from geo.codes import scope_range
from layers import live

_START = text(
    "INSERT INTO import_runs (kind, file_name, sha256, source_crs, crs_assumed, username, "
    "rows_total, rows_loaded, rows_rejected, status, area_code) VALUES (:kind, :file, :sha, "
    ":crs, :assumed, :user, :total, 0, 0, 'running', :area) RETURNING id"
)
_FINISH = text(
    "UPDATE import_runs SET finished_at = clock_timestamp(), rows_loaded = :loaded, "
    "rows_rejected = :rejected, status = :status, "
    "area_code = coalesce(area_code, CAST(:area AS bpchar)) WHERE id = :id"
)


def start_run(
    conn: Connection,
    *,
    kind: str,
    file_name: str,
    sha256: str,
    source_crs: str,
    user: str,
    rows_total: int,
    crs_assumed: bool = False,
    area_code: str | None = None,
) -> int:
    """Record the start of an import and return its id.

    Parameters
    ----------
    conn : sqlalchemy.Connection
        The import's connection, inside its transaction.
    kind : str
        What is imported (``cases``, ``grids`` …).
    file_name : str
        Name of the file (cut to 300 characters).
    sha256 : str
        Hex SHA-256 of the file's bytes.
    source_crs : str
        The coordinates' system as given (cut to 30 characters).
    user : str
        Who imports (cut to 50 characters).
    rows_total : int
        Data rows in the file.
    crs_assumed : bool
        The CRS was assumed: no ``--crs`` given, none the file confirmed (a later ``--crs``
        may correct the points read in it, :func:`layers.point_moves.assumed_crs`).
    area_code : str, optional
        The jurisdiction the file was imported for (``--within``): a commander of it follows
        the import (:func:`command_line_runs`).

    Returns
    -------
    int
        ``import_runs.id``, stamped on the imported rows.
    """
    live.quiet_case_events(conn)
    return int(
        conn.execute(
            _START,
            {
                "kind": kind,
                "file": file_name[:300],
                "sha": sha256,
                "crs": source_crs[:30],
                "assumed": crs_assumed,
                "area": area_code,
                "user": user[:50],
                "total": rows_total,
            },
        ).scalar_one()
    )


def finish_run(
    conn: Connection, import_id: int, *, loaded: int, rejected: int, area_code: str | None = None
) -> ImportRecord:
    """Record the end of an import (rows loaded, rows rejected, ``loaded`` or ``partial``).

    Live consoles are told of the cases it added, once, when the transaction commits.

    Parameters
    ----------
    conn : sqlalchemy.Connection
        The import's connection, inside its transaction.
    import_id : int
        From :func:`start_run`.
    loaded : int
        Rows inserted or updated.
    rejected : int
        Rows left out (a partial import).
    area_code : str, optional
        The one county its rows lie in, for an import without ``--within`` (a commander of it
        follows the import, :func:`command_line_runs`); a run's ``--within`` stays.

    Returns
    -------
    ImportRecord
        The import as recorded (its file, checksum, user and counts).
    """
    row = (
        conn.execute(
            text(f"{_FINISH.text} RETURNING {_RUN_COLUMNS}"),
            {
                "loaded": loaded,
                "rejected": rejected,
                "status": "partial" if rejected else "loaded",
                "area": area_code,
                "id": import_id,
            },
        )
        .mappings()
        .one()
    )
    live.announce_import(conn, import_id)
    return ImportRecord(**row)


@dataclass(frozen=True)
class ImportRecord:
    """One recorded import.

    Attributes
    ----------
    id : int
        ``import_runs.id``, stamped on the rows it wrote.
    kind, file_name, sha256, source_crs, username, status : str
        What was imported, from which file (name and SHA-256), in which CRS, by whom; status
        ``loaded`` or ``partial`` (``running`` only while it runs).
    started_at : datetime
        When it started.
    rows_total, rows_loaded, rows_rejected : int
        Data rows of the file, rows inserted or updated, rows left out.
    """

    id: int
    kind: str
    file_name: str
    sha256: str
    source_crs: str
    username: str
    status: str
    started_at: datetime
    rows_total: int
    rows_loaded: int
    rows_rejected: int

    @property
    def started(self) -> str:
        """When it started, as a clerk in China reads it (``2026-10-05 09:30``)."""
        return self.started_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


CHINA = ZoneInfo("Asia/Shanghai")
"""The time zone imports are told in."""

_RUN_COLUMNS = (
    "id, kind, file_name, sha256, coalesce(source_crs, '') AS source_crs, username, status, "
    "started_at, rows_total, rows_loaded, rows_rejected"
)


def recent_runs(
    conn: Connection, *, limit: int = 20, kind: str | None = None
) -> list[ImportRecord]:
    """Return the latest imports, newest first.

    Parameters
    ----------
    conn : sqlalchemy.Connection
        A connection that sees every import (owner role, scope all).
    limit : int
        How many.
    kind : str, optional
        Only imports of this kind.

    Returns
    -------
    list of ImportRecord
        Newest first.
    """
    rows = conn.execute(
        text(
            f"SELECT {_RUN_COLUMNS} FROM import_runs "
            "WHERE CAST(:kind AS text) IS NULL OR kind = :kind ORDER BY id DESC LIMIT :limit"
        ),
        {"kind": kind, "limit": limit},
    ).mappings()
    return [ImportRecord(**row) for row in rows]


def earlier_run(
    conn: Connection,
    sha256: str,
    kind: str,
    *,
    part: str = "",
    before: int | None = None,
    wrote_first: bool = False,
) -> ImportRecord | None:
    """Return the latest import of the same file (by SHA-256) as the same kind.

    Parameters
    ----------
    conn : sqlalchemy.Connection
        A connection that sees every import.
    sha256 : str
        The file's checksum.
    kind : str
        What it was imported as.
    part : str
        The end of the recorded file name that names its sheet or layer (``（工作表“盘溪镇”）``):
        only imports of that part count.
    before : int, optional
        Only imports older than this one (the import just made).
    wrote_first : bool
        The latest that wrote rows, if any did: the import that brought the file in, not a
        later one that found everything as it was (what a clerk is told of).

    Returns
    -------
    ImportRecord or None
        The latest such import, or ``None`` when the file was never imported as ``kind``.
    """
    first = "rows_loaded > 0 DESC, " if wrote_first else ""
    row = (
        conn.execute(
            text(
                f"SELECT {_RUN_COLUMNS} FROM import_runs WHERE sha256 = :sha AND kind = :kind "
                "AND right(file_name, length(:part)) = :part "
                "AND id < coalesce(CAST(:before AS bigint), 9223372036854775807) "
                f"AND status <> 'running' ORDER BY {first}id DESC LIMIT 1"
            ),
            {"sha": sha256, "kind": kind, "part": part, "before": before},
        )
        .mappings()
        .first()
    )
    return ImportRecord(**row) if row is not None else None


def superseding_run(
    conn: Connection, earlier: ImportRecord, *, before: int | None = None
) -> ImportRecord | None:
    """Return the latest import of another file of ``earlier``'s kind that wrote rows after it.

    A roster sent again a month late would take back what the newer files since then said
    (who left, who moved): such an import is what its repetition would overwrite.

    Parameters
    ----------
    conn : sqlalchemy.Connection
        A connection that sees every import.
    earlier : ImportRecord
        The latest import of the same file (:func:`earlier_run`).
    before : int, optional
        Only imports older than this one (the import being made).

    Returns
    -------
    ImportRecord or None
        The latest such import, or ``None`` when nothing of that kind was written since.
    """
    row = (
        conn.execute(
            text(
                f"SELECT {_RUN_COLUMNS} FROM import_runs WHERE kind = :kind AND id > :earlier "
                "AND id < coalesce(CAST(:before AS bigint), 9223372036854775807) "
                "AND sha256 <> :sha AND status IN ('loaded', 'partial') AND rows_loaded > 0 "
                "ORDER BY id DESC LIMIT 1"
            ),
            {"kind": earlier.kind, "earlier": earlier.id, "sha": earlier.sha256, "before": before},
        )
        .mappings()
        .first()
    )
    return ImportRecord(**row) if row is not None else None


PERSONAL_KINDS = ("persons", "visits")
"""Kinds a supervisor who does not read persons one by one is not shown."""


def command_line_runs(
    conn: Connection, scope_code: str, *, personal: bool, limit: int = 20
) -> list[ImportRecord]:
    """Return the imports run on the server for a scope, not from the console, newest first.

    A commander follows the console's imports of the jurisdiction (督导,
    :func:`layers.import_jobs.supervised`); the ones run by ``zongzhi import … --within`` on the
    server were missing there (trial AD: the villages, grids, cases and a CRS correction a county
    loaded by the command line). These are the runs whose ``--within``, or the one county all
    their rows lie in, lies in the scope, and that no console job ran.

    Parameters
    ----------
    conn : sqlalchemy.Connection
        A connection (``import_runs`` and ``import_jobs`` are not scoped).
    scope_code : str
        12-digit code of the supervisor's scope.
    personal : bool
        Include the imports of persons and visits (:data:`PERSONAL_KINDS`).
    limit : int
        How many.

    Returns
    -------
    list of ImportRecord
        Newest first.
    """
    lo, hi = scope_range(scope_code)
    rows = conn.execute(
        text(
            f"SELECT {_RUN_COLUMNS} FROM import_runs AS r"
            " WHERE r.area_code >= :lo AND r.area_code < :hi AND r.status <> 'running'"
            " AND (:personal OR r.kind <> ALL(:personal_kinds))"
            " AND NOT EXISTS (SELECT FROM import_jobs AS j WHERE j.result IS NOT NULL"
            "  AND (j.result -> 'import_id' = to_jsonb(r.id)"
            "   OR coalesce(j.result -> 'import_ids', '[]'::jsonb) @> to_jsonb(r.id)))"
            " ORDER BY r.id DESC LIMIT :limit"
        ),
        {
            "lo": lo,
            "hi": hi,
            "personal": personal,
            "personal_kinds": list(PERSONAL_KINDS),
            "limit": limit,
        },
    ).mappings()
    return [ImportRecord(**row) for row in rows]
