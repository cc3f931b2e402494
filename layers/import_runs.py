"""Provenance of imports: one ``import_runs`` row per imported file, opened then closed.

Both statements run in the import's own transaction, so a load that is rolled back leaves no
run behind, and a committed one records its file, checksum, source CRS, user and counts (rows
inserted, updated, unchanged and ended too). An import refused whole (rows rejected, or a file
or option unusable) is recorded after its rollback, in a transaction of its own, with why in
one line (:func:`record_refused`): a supervisor follows every import, written or not
(:func:`command_line_runs`, trial AL M7); a dry run is no import and leaves none. The
cases an import adds reach the live consoles as one notice when it commits, not one per case
(:func:`layers.live.quiet_case_events`, :func:`layers.live.announce_import`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import Connection, text

from geo.codes import division_level, scope_range
from geo.personal_numbers import mask_personal_numbers
from layers import live
from layers.china_time import CHINA

_START = text(
    "INSERT INTO import_runs (kind, file_name, sha256, source_crs, crs_assumed, username, "
    "rows_total, rows_loaded, rows_rejected, status, area_code) VALUES (:kind, :file, :sha, "
    ":crs, :assumed, :user, :total, 0, 0, 'running', :area) RETURNING id"
)
_FINISH = text(
    "UPDATE import_runs SET finished_at = clock_timestamp(), rows_loaded = :loaded, "
    "rows_rejected = :rejected, status = :status, rows_inserted = :inserted, "
    "rows_updated = :updated, rows_unchanged = :unchanged, rows_ended = :ended, "
    "area_code = coalesce(area_code, CAST(:area AS bpchar)) WHERE id = :id"
)
_REFUSED = text(
    "INSERT INTO import_runs (kind, file_name, sha256, source_crs, crs_assumed, username, "
    "rows_total, rows_loaded, rows_rejected, status, area_code, finished_at, refusal) VALUES "
    "(:kind, :file, :sha, :crs, false, :user, :total, 0, :rejected, :status, :area, "
    "clock_timestamp(), :refusal) RETURNING id"
)
WRITTEN = ("loaded", "partial")
"""The statuses of a run that wrote (or found as they were) the file's valid rows."""
NOT_WRITTEN = ("rejected", "refused")
"""The statuses of an import that wrote nothing (:func:`record_refused`)."""
REFUSAL_CHARS = 160
"""How long a run's ``refusal`` is at most (one line, cut with …)."""


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
    conn: Connection,
    import_id: int,
    *,
    loaded: int,
    rejected: int,
    area_code: str | None = None,
    written: WrittenRows | None = None,
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
    written : WrittenRows, optional
        The rows inserted, updated, unchanged and ended (left NULL without).

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
                **dict.fromkeys(("inserted", "updated", "unchanged", "ended")),
                **(asdict(written) if written is not None else {}),
            },
        )
        .mappings()
        .one()
    )
    live.announce_import(conn, import_id)
    return ImportRecord(**row)


@dataclass(frozen=True)
class WrittenRows:
    """What an import wrote: rows inserted, updated (``ended`` among them), unchanged."""

    inserted: int
    updated: int
    unchanged: int
    ended: int = 0


def one_line(reason: str, limit: int = REFUSAL_CHARS) -> str:
    r"""Return a reason as one line of at most ``limit`` characters (its first line, cut with …).

    Examples
    --------
    >>> one_line("缺少必填列：经度、纬度\n请核对表头")
    '缺少必填列：经度、纬度'
    >>> one_line("甲" * 10, 5)
    '甲甲甲甲…'
    """
    first = next((line.strip() for line in reason.splitlines() if line.strip()), "")
    return first if len(first) <= limit else first[: limit - 1] + "…"


def record_refused(
    conn: Connection,
    *,
    kind: str,
    file_name: str,
    sha256: str,
    source_crs: str,
    user: str,
    rows_total: int,
    rows_rejected: int,
    refusal: str,
    rejected: bool,
    area_code: str | None = None,
) -> int:
    """Record an import that wrote nothing, after its transaction rolled back; return its id.

    Parameters
    ----------
    conn : sqlalchemy.Connection
        A connection in a transaction of its own (the import's has ended).
    kind, file_name, sha256, source_crs, user : str
        As :func:`start_run` (``sha256`` ``""`` when the file could not be read).
    rows_total, rows_rejected : int
        Data rows of the file (0 when not read), rows rejected.
    refusal : str
        Why nothing was written (:func:`one_line` makes it a line; a resident ID or mobile
        number in it is masked).
    rejected : bool
        Refused for its rejected rows (status ``rejected``), else for the file or an option
        (``refused``).
    area_code : str, optional
        Its ``--within``, or the one county its rows lie in.

    Returns
    -------
    int
        ``import_runs.id`` of the record (no rows bear it).
    """
    return int(
        conn.execute(
            _REFUSED,
            {
                "kind": kind,
                "file": file_name[:300],
                "sha": sha256,
                "crs": source_crs[:30],
                "user": user[:50],
                "total": rows_total,
                "rejected": rows_rejected,
                "status": "rejected" if rejected else "refused",
                "area": area_code,
                "refusal": one_line(mask_personal_numbers(refusal)),
            },
        ).scalar_one()
    )


@dataclass(frozen=True)
class ImportRecord:
    """One recorded import.

    Attributes
    ----------
    id : int
        ``import_runs.id``, stamped on the rows it wrote.
    kind, file_name, sha256, source_crs, username, status : str
        What was imported, from which file (name and SHA-256), in which CRS, by whom; status
        ``loaded`` or ``partial`` (``running`` only while it runs), or, for an import that
        wrote nothing, ``rejected`` (rows rejected) or ``refused`` (the file or an option).
    started_at : datetime
        When it started.
    rows_total, rows_loaded, rows_rejected : int
        Data rows of the file, rows inserted or updated, rows left out.
    rows_inserted, rows_updated, rows_unchanged, rows_ended : int or None
        What it wrote (``None`` for runs recorded before these were).
    refusal : str or None
        Why an import that wrote nothing wrote nothing, in one line.
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
    rows_inserted: int | None = None
    rows_updated: int | None = None
    rows_unchanged: int | None = None
    rows_ended: int | None = None
    refusal: str | None = None

    @property
    def started(self) -> str:
        """When it started, as a clerk in China reads it (``2026-10-05 09:30``)."""
        return self.started_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")

    @property
    def written(self) -> bool:
        """Whether its transaction committed (``loaded`` or ``partial``)."""
        return self.status in WRITTEN

    @property
    def outcome(self) -> str:
        """How it ended, as a console job's (:func:`layers.import_jobs.outcome_of`).

        ``done``, ``partial`` (rows rejected, ``--partial``), ``rejected`` (nothing written:
        rows rejected, or every row of a ``--partial`` run) or ``refused``; ``running``.
        """
        if self.status == "loaded":
            return "done"
        if self.status == "partial":
            every = self.rows_total and self.rows_rejected == self.rows_total
            return "rejected" if every else "partial"
        return self.status

    def counts(self) -> dict[str, int] | None:
        """Return its counts as a console job's (:func:`layers.import_jobs.counts_of`).

        ``None`` for a run that wrote rows before the rows inserted, updated and unchanged
        were recorded (its ``rows_loaded`` only).
        """
        if self.written and self.rows_inserted is None:
            return None
        return {
            "rows": self.rows_total,
            "inserted": self.rows_inserted or 0,
            "updated": self.rows_updated or 0,
            "unchanged": self.rows_unchanged or 0,
            "rejected": self.rows_rejected,
            "ended": self.rows_ended or 0,
        }

    def note(self) -> str:
        """Say in one line what it wrote, as a console job's (:func:`written_note_of`).

        Examples
        --------
        >>> from datetime import timezone
        >>> run = ImportRecord(7, "video", "点位.xlsx", "", "", "li", "rejected",
        ...     datetime(2026, 12, 1, tzinfo=timezone.utc), 67, 0, 3,
        ...     refusal="“国标编码” 3 行：须为 20 位数字")
        >>> run.note()
        '未写入任何数据：67 行中退回 3 行，主要原因：“国标编码” 3 行：须为 20 位数字'
        """
        counts = self.counts()
        if self.written and counts is None:
            rejected = f"；退回 {self.rows_rejected:,} 行" if self.rows_rejected else ""
            return f"已写入（导入编号 {self.id}）：{self.rows_loaded:,} 行{rejected}"
        assert counts is not None
        if self.outcome in ("done", "partial"):
            return written_note_of(self.id, counts)
        if self.status == "refused":  # the file or an option: no rows were counted
            return not_written_note(0, 0, self.refusal)
        return not_written_note(counts["rows"], counts["rejected"], self.refusal)


def written_note_of(import_id: int | None, counts: dict[str, int], ended: str = "") -> str:
    """Say what an import wrote: 已写入（导入编号 N）：新增 …、更新 …、未变 …；退回 ….

    Examples
    --------
    >>> written_note_of(17, {"inserted": 5, "updated": 2, "unchanged": 57, "rejected": 3})
    '已写入（导入编号 17）：新增 5 行、更新 2 行、未变 57 行；退回 3 行'
    """
    rows = "、".join(
        f"{label} {counts[key]:,} 行"
        for key, label in (("inserted", "新增"), ("updated", "更新"), ("unchanged", "未变"))
    )
    among = f"（其中{ended}）" if ended else ""
    rejected = f"；退回 {counts['rejected']:,} 行" if counts["rejected"] else ""
    return f"已写入（导入编号 {import_id}）：{rows}{among}{rejected}"


def not_written_note(rows: int, rejected: int, why: str | None) -> str:
    """Say that an import wrote nothing, and why in one line.

    Examples
    --------
    >>> not_written_note(67, 3, "“国标编码” 3 行：须为 20 位数字")
    '未写入任何数据：67 行中退回 3 行，主要原因：“国标编码” 3 行：须为 20 位数字'
    >>> not_written_note(0, 0, "文件中没有找到经度列")
    '未写入任何数据：文件中没有找到经度列'
    """
    if rejected:
        because = f"，主要原因：{why}" if why else ""
        return f"未写入任何数据：{rows:,} 行中退回 {rejected:,} 行{because}"
    return f"未写入任何数据：{why}" if why else "未写入任何数据"


_RUN_COLUMNS = (
    "id, kind, file_name, sha256, coalesce(source_crs, '') AS source_crs, username, status, "
    "started_at, rows_total, rows_loaded, rows_rejected, rows_inserted, rows_updated, "
    "rows_unchanged, rows_ended, refusal"
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
                f"AND status IN ('loaded', 'partial') ORDER BY {first}id DESC LIMIT 1"
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


def covers_deployment(scope_code: str) -> bool:
    """Tell whether a scope is a county or above: it follows the imports of no one area.

    Examples
    --------
    >>> covers_deployment("530424000000"), covers_deployment("530424101000")
    (True, False)
    """
    return division_level(scope_code) <= 3


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
    their rows lie in, lies in the scope, and that no console job ran: those written, and
    those refused whole (trial AL M7: a refused one was missing, :func:`record_refused`).
    A run with neither (refused before its rows were placed, or rows of several counties) is
    the deployment's: a centre serves one county, so it is listed to every supervisor of a
    county or above (trial AN M4: a county commander did not see three refused runs).

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
            " WHERE (r.area_code >= :lo AND r.area_code < :hi"
            "  OR r.area_code IS NULL AND :county_or_above) AND r.status <> 'running'"
            " AND (:personal OR r.kind <> ALL(:personal_kinds))"
            " AND NOT EXISTS (SELECT FROM import_jobs AS j WHERE j.result IS NOT NULL"
            "  AND (j.result -> 'import_id' = to_jsonb(r.id)"
            "   OR coalesce(j.result -> 'import_ids', '[]'::jsonb) @> to_jsonb(r.id)"
            "   OR coalesce(j.result -> 'run_ids', '[]'::jsonb) @> to_jsonb(r.id)))"
            " ORDER BY r.id DESC LIMIT :limit"
        ),
        {
            "lo": lo,
            "hi": hi,
            "county_or_above": covers_deployment(scope_code),
            "personal": personal,
            "personal_kinds": list(PERSONAL_KINDS),
            "limit": limit,
        },
    ).mappings()
    return [ImportRecord(**row) for row in rows]
