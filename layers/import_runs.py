"""Provenance of imports: one ``import_runs`` row per imported file, opened then closed.

Both statements run in the import's own transaction, so a load that is rolled back leaves no
run behind, and a committed one records its file, checksum, source CRS, user and counts.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

_START = text(
    "INSERT INTO import_runs (kind, file_name, sha256, source_crs, username, "
    "rows_total, rows_loaded, rows_rejected, status) VALUES (:kind, :file, :sha, "
    ":crs, :user, :total, 0, 0, 'running') RETURNING id"
)
_FINISH = text(
    "UPDATE import_runs SET finished_at = clock_timestamp(), rows_loaded = :loaded, "
    "rows_rejected = :rejected, status = :status WHERE id = :id"
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

    Returns
    -------
    int
        ``import_runs.id``, stamped on the imported rows.
    """
    return int(
        conn.execute(
            _START,
            {
                "kind": kind,
                "file": file_name[:300],
                "sha": sha256,
                "crs": source_crs[:30],
                "user": user[:50],
                "total": rows_total,
            },
        ).scalar_one()
    )


def finish_run(conn: Connection, import_id: int, *, loaded: int, rejected: int) -> None:
    """Record the end of an import: rows loaded, rows rejected, ``loaded`` or ``partial``.

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
    """
    conn.execute(
        _FINISH,
        {
            "loaded": loaded,
            "rejected": rejected,
            "status": "partial" if rejected else "loaded",
            "id": import_id,
        },
    )
