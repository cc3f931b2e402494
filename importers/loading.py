"""Staging, the checks that need the database, and the upsert of one kind's rows.

Runs inside the caller's transaction: the caller commits or rolls back. Rows that name their
jurisdiction in words get its code from the database's jurisdictions first
(:mod:`geo.places`). The rows that passed the row checks are COPYed into TEMP staging
tables; the database checks (jurisdiction and grid exist, point inside its jurisdiction within
a tolerance, person and visitor found …) run there (:mod:`layers.import_checks`); then, unless
something was rejected and the load is all-or-nothing, one upsert per part
(:func:`layers.bulk.upsert`) moves the rows into the real table (for cases, the same statement
appends each new case's first event; before it, the cases imported earlier that nobody has
handled here since are brought up to the file, closed when it says they are settled and
corrected when its values differ, see :func:`layers.case_import.settle_from_source` and
:func:`layers.case_import.refresh_untouched`, and the new cases that repeat an earlier report
are linked to it, see :mod:`layers.case_repeats`; a ledger's generated numbers find their
cases whatever the channel, :func:`layers.case_import.match_ledger_numbers`; a history import
concludes the rows its source left open, and any other import says how many open cases it puts
into the queues, :func:`layers.case_import.queued_cases`; for visits, before it, a visit an earlier
import recorded whose 走访人 the file corrects takes the file's visitor rather than staying
beside a second visit, see :mod:`layers.visit_import`). A kind that updates matched rows
(reference data, and the people and visits that come from files only) writes a field the file
does not give only for a new row (:attr:`importers.kinds.Part.insert_only`).

A load of more rows than its table holds (and at least
:data:`layers.deferral.DEFAULT_MIN_ROWS`) defers the table's index and foreign-key upkeep to
the end of the load (:mod:`layers.deferral`): the indexes are rebuilt by sorting, and the
foreign keys validated by one join each.

With :attr:`LoadOptions.within`, once every step has placed the rows, those outside the
jurisdiction the file is imported for are refused (:mod:`importers.within`); without it, the
rows that load are counted by county (:attr:`Loaded.counties`). With it too, a file of persons
or visits looks persons up by resident ID inside that jurisdiction only: as soon as its rows are
staged, those whose ID is on record outside it are refused with one reason that names neither
the category, nor the place, nor whether the name matches
(:data:`layers.person_lookalikes.ELSEWHERE_ROW`), and taken out of staging before any other
look-up; the caller audits them under the records they met (``met``, trial AJ S1–S3). The
notes of a roster and the categories a visit of another category is told read the persons
inside it only. A row no step placed whose
address begins with another county is refused on its address, as outside it or in a county
the database lacks (:func:`importers.within.addresses_elsewhere`), not as 缺少所属辖区.

A file of cameras is compared with the cameras in use of its area (:mod:`layers.camera_retirement`):
with ``--complete`` (and no rejected row whose 国标编码 is missing or no device ID; a duplicate
row still lists its camera) those it does not list are retired, unless they are so many of the
area's that ``--again`` must confirm it (an :class:`Alarm` says so), else named. A file of
persons likewise with the persons on the register of its area and categories
(:mod:`layers.person_roster`): with ``--complete`` (and no rejected row whose resident ID cannot be
read) those it does not list are struck off, unless the list is likely a part of its area's
(``--again`` confirms it, an :class:`Alarm` says so), else counted. The cameras retired, the persons
struck off and the grids and jurisdictions retired without a row of their own (``--complete``,
a row's 原编码) are records the import changed: counted as updated (:func:`_with_ended`), in a
dry run too, so the summary's 更新, the import's rows loaded and a file imported again say them.
A ``--complete`` retirement of cameras, grids or jurisdictions, or striking-off of persons, held
back until ``--again`` has a :class:`HeldBack` alarm: the command exits 1. Grids and
jurisdictions are held back as cameras are, when the list would retire half of its area's units
in use (:meth:`layers.unit_retirement.Retirement.alarm`, trial AR S1).

A grids or jurisdictions file without a boundary column loads (a list of names and leaders is
a real file), but the new units it creates have no boundary, and nothing placed by its point
will lie in them: an :class:`Alarm` names them (:func:`unbounded_alarm`), in a dry run too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd
import psycopg

from geo.codes import division_level, is_valid_device_id
from importers import grid_names
from importers.camera_changes import changed_problems
from importers.crs_check import (
    MIN_POINTS,
    Records,
    Unconfirmed,
    WrongCrs,
    check_given_crs,
    check_unconfirmed_crs,
    unchecked_note,
)
from importers.kinds import Kind, Part
from importers.kinds.persons import visit_key
from importers.moved_points import (
    MOVED_KINDS,
    MOVED_M,
    corrected_note,
    moved_note,
    moved_problems,
)
from importers.named_units import KINDS_PLACED, place_in_villages
from importers.names import Directories, address_places, resolve_names
from importers.progress import ImportProgress
from importers.report import corrected_report
from importers.rules import Problem, RowChecks
from importers.stations import cameras_elsewhere
from importers.within import (
    SOURCE_COLUMNS,
    UNIT_KINDS,
    CountyRows,
    Scope,
    addresses_elsewhere,
    county_rows,
    refused_rows,
)
from layers import (
    address_townships,
    camera_retirement,
    case_import,
    case_repeats,
    grid_changes,
    grid_leaders,
    import_checks,
    person_import_changes,
    person_lookalikes,
    person_register,
    person_roster,
    point_moves,
    unit_retirement,
    visit_checks,
    visit_import,
    worker_identity,
    worker_matches,
)
from layers.bulk import (
    LON_COLUMN,
    Recognition,
    UpsertCounts,
    analyze_staging,
    copy_frame,
    create_staging,
    staged_rows,
    tune_transaction,
    upsert,
)
from layers.complete_list import Area
from layers.deferral import Deferred, defer, worth_deferring
from layers.import_checks import OnRecord, PlacedPoints
from layers.model import Level, PersonCategory
from layers.model.cases import CaseState
from layers.unread_values import UNREAD, keep_recorded

DEFAULT_TOLERANCE_M = 500.0
"""How far (metres) a point may lie outside its jurisdiction's boundary."""

_GRID_COLUMNS = ("grid_code", "home_grid")
"""Columns naming a row's grid."""
_LOGS = {"cases": ("case_events",)}
"""Tables a kind's load also writes (its follow-up rows)."""


@dataclass(frozen=True)
class LoadOptions:
    """How to load.

    Attributes
    ----------
    partial : bool
        Load the valid rows even if some were rejected.
    import_id : int or None
        ``import_runs.id`` to stamp on rows of tables that have ``import_id``.
    user : str
        Who imports (case events' actor).
    tolerance_m : float
        Jurisdiction boundary tolerance.
    unconfirmed_crs : Unconfirmed or None
        The CRS the points were read in when the user gave none (assumed, or declared by the
        file): checked against the places the rows name (:mod:`importers.crs_check`).
    limits_config : dict or None
        Case time limits (:func:`layers.deadlines.load`); ``None``: the built-in ones.
    within : Scope or None
        The jurisdiction the file is imported for: rows placed outside it are refused
        (:mod:`importers.within`). ``None``: anywhere, and the rows that load are counted by
        county.
    named : tuple of str
        The worksheet's and the file's names: a unit one names tells apart places of one
        name, after ``within`` (:class:`importers.names.Directories`).
    defer : bool or None
        Defer index and foreign-key upkeep to the end of the load (:mod:`layers.deferral`):
        ``None`` when the staged rows are at least :data:`layers.deferral.DEFAULT_MIN_ROWS`
        and outnumber the table's, ``True`` always, ``False`` never.
    complete : bool
        A file of units (or cameras) is the whole layer of ``within``: the units of its kind
        (the cameras) there that it leaves out are retired (:func:`layers.unit_retirement.retire`,
        :func:`layers.camera_retirement.settle`); a file of persons, the whole list of its
        categories there: the persons it leaves out are struck off
        (:func:`layers.person_roster.settle`).
    history : bool
        A file of cases is a record of the past: its rows still open at the source are
        concluded history (:mod:`layers.case_import`).
    hold_at_county : bool
        ``--hold-at-county``: a file's open cases stay at the county's desk
        (:func:`layers.case_import.handling_level`, trial BA M1).
    given_crs : str or None
        The CRS the user gave (``--crs``): checked against the records the rows update
        (:func:`importers.crs_check.check_given_crs`).
    sha256 : str
        The file's checksum: a ``--crs`` that corrects the CRS an earlier import of the same
        file was read in is not refused.
    again : bool
        ``--again``: also confirms a ``--complete`` list of cameras, grids, jurisdictions or
        persons that ends many of its area's (:func:`layers.complete_list.unconfirmed`).
    trial : bool
        A trial run (``--dry-run``): the caller rolls everything back; new cases draw no
        numbers from the cases' sequence (:func:`layers.case_import.staged_id_column`).
    """

    partial: bool
    import_id: int | None
    user: str
    tolerance_m: float = DEFAULT_TOLERANCE_M
    defer: bool | None = None
    unconfirmed_crs: Unconfirmed | None = None
    limits_config: dict[str, Any] | None = None
    within: Scope | None = None
    named: tuple[str, ...] = ()
    complete: bool = False
    history: bool = False
    hold_at_county: bool = False
    given_crs: str | None = None
    sha256: str = ""
    again: bool = False
    trial: bool = False


@dataclass(frozen=True)
class Loaded:
    """What a load wrote.

    Attributes
    ----------
    counts : UpsertCounts
        Inserted, updated, unchanged (and the cases that repeat an earlier report).
    counties : list of CountyRows
        The rows loaded in each county, the most first (:func:`importers.within.county_rows`);
        empty when the load was for one jurisdiction (:attr:`LoadOptions.within`).
    """

    counts: UpsertCounts
    counties: list[CountyRows] = field(default_factory=list)


@dataclass(frozen=True)
class _Staged:
    name: str
    part: Part
    columns: list[str]
    moved: list[point_moves.Moved] = field(default_factory=list)
    corrected: tuple[str, str] | None = None
    """The CRS the records' points were read in and the ``--crs`` given that corrects it."""


def load(
    conn: psycopg.Connection[Any],
    kind: Kind,
    parts: list[Part],
    checks: RowChecks,
    options: LoadOptions,
    progress: ImportProgress | None = None,
    met: list[person_lookalikes.MetElsewhere] | None = None,
) -> Loaded | None:
    """Stage, check and upsert; return what changed, or ``None`` if the file is refused.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.
    kind : Kind
        What is imported.
    parts : list of Part
        From the kind's ``prepare``.
    checks : RowChecks
        The file's checks; database problems are added to it.
    options : LoadOptions
        Partial or all-or-nothing, provenance, tolerance.
    progress : ImportProgress, optional
        Told of each step and of the rows copied into staging.
    met : list of MetElsewhere, optional
        Given the rows of persons or visits refused because their resident ID is on record
        outside ``options.within`` (:func:`layers.person_lookalikes.on_record_elsewhere`), with
        the records they met: the caller audits them once the import's transaction has ended
        (a dry run's, or a refused file's, too).

    Returns
    -------
    Loaded or None
        ``None`` when rows were rejected and ``options.partial`` is false (nothing written
        by this function has been undone: the caller rolls back).
    """
    progress = progress or ImportProgress()
    staged: list[_Staged] = []
    high: set[int] = set()  # rows placed by their point above the township
    on_record = 0  # rows naming a record by another key, taken out: unchanged
    within = options.within
    tune_transaction(conn)
    directories = Directories(conn, within.code if within is not None else None, options.named)
    for number, part in enumerate(parts):
        records = part.records[~checks.bad.reindex(part.records.index, fill_value=False)]
        kept = [c for c in SOURCE_COLUMNS if c in records.columns]
        given = records[kept] if within is not None else None  # what placed each row
        records = resolve_names(records.copy(), checks, directories)
        if kind.name == "persons":  # a person no grid worker would visit
            checks.add(_placed_above_township(records, checks, directories))
            records = records[~checks.bad.reindex(records.index, fill_value=False)]
        if "import_id" in kind.table.c and options.import_id is not None:
            records["import_id"] = options.import_id
        if kind.name == "video":  # a camera the file lists is in use (retired ones again)
            records = records.assign(**camera_retirement.IN_USE)
        if kind.name == "persons" and person_register.REGISTER not in records:  # but listed
            records = records.assign(**person_register.UNSAID)
        columns = [c for c in records.columns if not str(c).startswith("_")]
        point = kind.geometry if LON_COLUMN in records.columns else None
        if point is not None:
            columns.append(point)
        helpers = {c: t for c, t in kind.helpers.items() if c in records.columns}
        if kind.name == "cases":  # each new case's id, of which its code is made
            helpers |= case_import.staged_id_column(conn, trial=options.trial)
        name = f"zz_staging_{kind.name}_{number}"
        import_checks.drop_staging(conn, name, if_exists=True)
        create_staging(conn, kind.table, columns, name, helpers, point=point)
        progress.step("stage", len(records))
        copy_frame(conn, name, records, progress=progress.rows)
        analyze_staging(conn, name)
        progress.step("check", None)
        if within is not None and kind.name in _BY_RESIDENT_ID:  # before any other look-up
            checks.add(_on_record_elsewhere(conn, kind, name, checks, within, met))
        if kind.name == "cases":  # a row numbered with a case's platform code is that case
            own = case_import.take_platform_cases(conn, name)
            checks.notes += own.notes(checks.header("external_no"))
            on_record += len(own.rows)
        on_file = _match_records(conn, name, kind, part, records)
        crs_corrected = None
        if options.unconfirmed_crs is not None:
            by_address = address_places(records, directories) if point is not None else None
            found = on_file.sample if on_file is not None else None
            crs = options.unconfirmed_crs
            _check_crs(conn, name, kind, part, records, crs, checks, by_address, found)
        elif options.given_crs is not None and on_file is not None:
            crs_corrected = _check_given_crs(conn, kind, (name, part), on_file, options, checks)
        checks.add(_database_checks(conn, kind, name, columns, checks, options, high))
        if kind.name == "cases" and checks.has("address") and kind.geometry in columns:
            checks.add(_addresses_elsewhere(conn, name, str(kind.geometry), checks))
        if kind.name == "cases" and records[case_import.UNTITLED_TYPE].notna().any():
            case_import.place_titles(conn, name)  # placed now: titled by its place
        if within is not None and given is not None:
            where = _Placed(name, columns, point, given, records)
            checks.add(_outside_within(conn, kind, where, checks, within, directories))
        if UNREAD in records.columns:  # an unreadable detail: the record keeps its own value
            keep_recorded(conn, name, kind.table.name, part.key, sorted(checks.unread))
        if kind.name == "video":  # 所属组织 and 安装位置 held to the point that placed the row
            cameras_elsewhere(conn, name, records, checks, directories)
        if kind.name == "grids":  # a name another grid in use of its village keeps
            codes = records["code"].combine_first(part.records["code"])
            complete = within.range if options.complete and within is not None else None
            checks.add(grid_names.names_in_use(conn, name, codes, checks, complete))
        if worker_matches.RESPONSIBLE in records.columns:
            _resolve_responsibles(conn, name, checks)
        moved = on_file.moved if on_file is not None else []
        staged.append(_Staged(name, part, columns, moved, crs_corrected))
    rejected = {p.row for p in checks.problems if p.severity == "rejected"}
    checks.notes += _above_township_note(high - rejected)
    checks.notes += checks.kept_notes(rejected)
    if rejected and not options.partial:
        return None
    total = UpsertCounts(0, 0, on_record)
    by_county: Counter[str] = Counter()
    unbounded: list[str] = []  # new units of a file without boundaries
    for stage in staged:
        corrected = _correct_visitors(conn, kind, stage, checks, options, rejected)
        if rejected:
            import_checks.delete_staged_rows(conn, stage.name, sorted(rejected))
        if kind.name == "persons":  # 在册状态: who left, who returned
            checks.notes += person_register.settle_register(conn, stage.name).notes()
        if within is None and _place_column(kind) in stage.columns:
            column, above = _place_column(kind), kind.name not in UNIT_KINDS
            by_county.update(import_checks.rows_by_county(conn, stage.name, column, above=above))
        recognition = stage.part.recognition
        if recognition is worker_identity.WORKER_ROSTER:  # a rejected row's worker is listed
            worker_identity.hold_rejected(conn, _rejected_workers(stage, rejected))
        if within is not None and recognition is not None:  # a roster's notes: inside it only
            recognition = _within(recognition, within)
        if recognition is not None:
            checks.notes += recognition.resolve(conn, stage.name)
        if grid_leaders.LEADER in stage.part.records.columns:  # 网格长: before the upsert
            checks.notes += grid_leaders.assign_leaders(conn, stage.name, kind.header("leader"))
        cases = kind.name == "cases"
        history = cases and options.history
        if cases and not checks.has("external_no"):  # a ledger's numbers leave out the channel
            matched = case_import.match_ledger_numbers(
                conn, stage.name, case_import.LEDGER_PREFIX, options.user
            )
            checks.notes += matched.notes()
        if history:
            checks.notes += case_import.history_rows(conn, stage.name)
        brought, limited = (
            _bring_up_to_file(conn, stage, checks, options) if cases else (set(), set())
        )
        _tell_moves(kind, stage, checks, rejected, brought if cases else None)
        updated_here = len(brought | limited)  # a new 办理时限 is an update too (trial BA m2)
        follow_up = (
            case_import.first_events(options.user, stage.name, history=history) if cases else None
        )
        computed = (
            case_import.computed_columns(
                options.limits_config, history=history, hold_at_county=options.hold_at_county
            )
            if cases
            else {}
        )
        links = case_repeats.RepeatLinks(0, 0)
        points = kind.geometry in stage.columns
        declared = case_repeats.REPEAT_OF in stage.part.records.columns
        if cases and (points or declared):
            progress.step("repeats", None)
            links = case_repeats.link_staged_repeats(
                conn,
                stage.name,
                actor=options.user,
                points=points,
                declared=declared,
                limits_config=options.limits_config,
            )
            checks.notes += links.notes
        computed |= links.columns
        if cases and "risk_level" in links.columns:  # raised by its repeats: their limits
            computed |= {
                k: v
                for k, v in case_import.computed_columns(
                    options.limits_config, history=history, risk=links.columns["risk_level"]
                ).items()
                if k in ("contact_deadline", "deadline")
            }
        if recognition is not None and recognition.new_id is not None:
            computed["id"] = recognition.new_id
        columns = [c for c in stage.columns if c not in computed]
        key = stage.part.key
        deferred = _defer_if_worth_it(conn, kind, stage, options)
        units = kind.name in grid_changes.UNIT_TABLES  # what the file changes around them
        if units and not checks.has("wkt"):
            unbounded += import_checks.new_units(conn, kind.table.name, stage.name)
        if kind.name == "jurisdictions":  # 前冲村委会 is 前冲村 on record: no rename
            checks.notes += grid_changes.keep_short_names(conn, stage.name).notes()
        before = grid_changes.snapshot(conn, kind.name, stage.name) if units else None
        in_use = unit_retirement.snapshot(conn, kind.name, stage.name) if units else None
        cameras = _cameras_before(conn, kind, stage)
        progress.step("write", None)
        # the persons on record the file meets, as they were: each one changed is audited
        persons_before = (
            person_import_changes.snapshot(conn, stage.name) if kind.name == "persons" else None
        )
        counts = upsert(
            conn,
            kind.table,
            stage.name,
            columns,
            key,
            update=kind.update,
            keep=kind.keep,
            merge=kind.merge,
            quiet=kind.quiet,
            insert_only=(*stage.part.insert_only, "import_id"),  # the import that made it
            conflict=stage.part.conflict,
            follow_up=follow_up,
            returning=case_import.event_columns() if follow_up is not None else None,
            locked=deferred is not None,
            computed=computed,
            joined=links.joined,
        )
        if links.suspected:  # 疑似重复, listed on the new cases (trial BA S4)
            case_repeats.record_suspects(conn, options.user)
        if cases and checks.has("address"):  # 地址与位置不符 on the cases (trial AX M4)
            address_townships.record(conn, stage.name, options.user)
        if persons_before is not None:  # under the person: the fields changed (trial AW M1)
            person_import_changes.audit_changes(
                conn, persons_before, import_id=options.import_id, user=options.user
            )
        if deferred is not None:
            progress.step("rebuild", None)
            deferred.restore(conn)
        if cases and options.import_id is not None and _queues_or_settles(stage):
            checks.notes += case_import.queued_cases(conn, options.import_id).notes()
            checks.notes += case_import.county_held(  # trial BA M1
                conn, options.import_id, hold_at_county=options.hold_at_county
            )
        if corrected:  # the upsert found them as the file says: unchanged
            counts = replace(
                counts, updated=counts.updated + corrected, unchanged=counts.unchanged - corrected
            )
        if in_use is not None:
            # a rejected row's unit is not missing from the file: complete only when none is
            whole = options.complete and not rejected
            complete = within.range if whole and within is not None else None
            if options.complete and rejected:
                checks.notes.append(unit_retirement.INCOMPLETE_NOTE)
            retired = unit_retirement.retire(
                conn,
                in_use,
                complete=complete,
                actor=options.user,
                confirmed=options.again,
                area=Area(within.code, within.name) if within is not None else None,
            )
            alarm = retired.alarm()  # many of the area's units: held back until --again
            checks.notes += ([HeldBack(alarm)] if alarm is not None else []) + retired.notes()
            counts = _with_ended(counts, len(retired.unlisted))
        if cameras is not None:
            unread = _unread_keys(stage, rejected, "device_id", _invalid_device_ids(stage))
            settled = _settle_cameras(conn, cameras, options, unread)
            if corrected_report(options.named, checks.frame.columns):  # trial AV M6
                settled = replace(settled, corrected_part=True)
            checks.notes += _camera_notes(settled)
            headers = (checks.header("name"), checks.header("status"))
            checks.add(changed_problems(settled, stage.part.records, headers, rejected=rejected))
            counts = _with_ended(counts, len(settled.retired))
        if kind.name == "persons":  # a complete list strikes off whom it no longer lists
            unread = _unread_keys(stage, rejected, "id_hash")
            ends = _settle_persons(conn, stage, options, unread)
            checks.notes += _person_notes(ends)
            counts = _with_ended(counts, ends.struck.total())
        if before is not None:
            checks.notes += grid_changes.settle(conn, kind.name, before).notes()
        if recognition is worker_identity.WORKER_ROSTER:  # leavers' accounts stop, audited
            run, user = options.import_id, options.user
            stopped = worker_identity.stop_accounts(conn, stage.name, run, user)
            checks.notes += stopped.notes
            counts = replace(
                counts,
                updated=counts.updated + stopped.unchanged,
                unchanged=counts.unchanged - stopped.unchanged,
            )
        if worker_matches.RESPONSIBLE in stage.part.records.columns:
            duty = checks.columns.get("responsible")
            changed = worker_matches.add_responsibles(conn, stage.name, duty)
            worker_matches.drop_responsibles(conn, stage.name)
            counts = replace(
                counts, updated=counts.updated + changed, unchanged=counts.unchanged - changed
            )
        if kind.name == "persons":  # on no worker's visit list (trial AL M2), on no map (AV M1)
            checks.notes += _unfollowed_notes(conn, stage.name)
            checks.notes += _unplaced_notes(conn, stage.name)
        import_checks.drop_staging(conn, stage.name)
        total = UpsertCounts(
            total.inserted + counts.inserted,
            total.updated + counts.updated + updated_here,
            total.unchanged + counts.unchanged - updated_here,
            total.repeats + links.repeats,
            total.ended + counts.ended,
        )
    if unbounded:
        checks.notes.append(unbounded_alarm(kind, unbounded))
    return Loaded(total, county_rows(conn, dict(by_county)))


class Alarm(str):
    """A note of the summary the clerk must not miss: it is shown first, in red.

    Still a note (the import goes on): what it says is allowed, but rarely meant.
    """

    __slots__ = ()


class HeldBack(Alarm):
    """The alarm of a ``--complete`` retirement held back until ``--again`` confirms it.

    The rows loaded, but what the list left out was not ended: the command exits 1, as after
    rejected rows, so that a scheduled job does not take the retirement for done
    (:func:`importers.cli.held_back`).
    """

    __slots__ = ()


BOUNDARY_EXAMPLES = {"grids": "网格边界", "jurisdictions": "区划边界"}
"""A boundary column's header as a file of each unit kind may write it (a known synonym)."""


def unbounded_alarm(kind: Kind, names: list[str]) -> Alarm:
    """Return the alarm of the new units a file without a boundary column creates.

    A list of grids' names and leaders is a real file, and its new grids are created, but
    nothing placed by its point will lie in them: the clerk whose file has its boundaries
    under a header the importer does not know learns it before importing.

    Parameters
    ----------
    kind : Kind
        Grids or jurisdictions.
    names : list of str
        The new units' names, in the file's order.

    Returns
    -------
    Alarm
        ``新增网格 N 个没有边界：…；如文件中有边界列（如“网格边界”），请用 --mapping 指定``.

    Examples
    --------
    >>> from importers.kinds import KINDS
    >>> unbounded_alarm(KINDS["grids"], ["黄寨第1网格", "黄寨第2网格"]).split("；")
    ... # doctest: +NORMALIZE_WHITESPACE
    ['新增网格 2 个没有边界：黄寨第1网格、黄寨第2网格',
     '如文件中有边界列（如“网格边界”），请用 --mapping 指定']
    """
    header = BOUNDARY_EXAMPLES.get(kind.name, kind.header("wkt"))
    return Alarm(
        f"新增{kind.label} {len(names)} 个没有边界：{_listed(names)}；"
        f"如文件中有边界列（如“{header}”），请用 --mapping 指定"
    )


def _cameras_before(
    conn: psycopg.Connection[Any], kind: Kind, stage: _Staged
) -> camera_retirement.Before | None:
    """Keep, for a file of cameras, what :func:`_settle_cameras` compares with after the upsert."""
    if kind.name != "video":
        return None
    listed = stage.part.records["device_id"].dropna().tolist()  # rejected rows' cameras too
    return camera_retirement.snapshot(conn, stage.name, listed)


def _settle_cameras(
    conn: psycopg.Connection[Any],
    cameras: camera_retirement.Before,
    options: LoadOptions,
    unread: bool,
) -> camera_retirement.Settled:
    """Retire the cameras a ``--complete`` list leaves out; return what it did.

    A rejected row whose 国标编码 was read still lists its camera (its point, say, was 0/0, or
    it repeats another row): the cameras it names stay in use. With a rejected row whose code
    is missing or not a 国标编码 (``unread``), the file may name a camera on record under a
    mistyped code: nothing is retired, and the summary says why. A list that would retire many
    of its area's cameras waits for ``--again`` (``options.again``), and an :class:`Alarm`
    says so (:func:`_camera_notes`).
    """
    within, complete, held_back = _whole_list(options, unread)
    return camera_retirement.settle(
        conn,
        cameras,
        within=within,
        complete=complete,
        held_back=held_back,
        import_id=options.import_id,
        confirmed=options.again,
    )


def _camera_notes(settled: camera_retirement.Settled) -> list[str]:
    """Return the summary's notes of a camera list's retirement, its alarm (if any) first.

    The alarm of a retirement held back until ``--again`` is a :class:`HeldBack`.
    """
    alarm = settled.alarm()
    return ([HeldBack(alarm)] if alarm is not None else []) + settled.notes()


def _settle_persons(
    conn: psycopg.Connection[Any], stage: _Staged, options: LoadOptions, unread: bool
) -> person_roster.RosterEnds:
    """Strike off the persons a ``--complete`` list of their category leaves out; return them.

    A rejected row whose resident ID was read still lists its person (in every category of the
    file if its own cannot be read). With a rejected row whose ID is missing or cannot be read
    (``unread``), the file may name a person on record under a mistyped ID: nobody is struck
    off, and the summary says why. A list likely a part of its area's (many of its register, or
    whole townships, :func:`layers.person_roster.likely_a_part`) waits for ``--again``
    (``options.again``), and an :class:`Alarm` says so (:func:`_person_notes`).
    """
    within, complete, held_back = _whole_list(options, unread)
    listed = person_roster.Listed.of(stage.part.records[["category", "id_hash"]].itertuples(False))
    return person_roster.settle(
        conn,
        listed,
        stage.name,
        within=within,
        complete=complete,
        held_back=held_back,
        import_id=options.import_id,
        user=options.user,
        confirmed=options.again,
    )


def _unfollowed_notes(conn: psycopg.Connection[Any], staging: str) -> list[str]:
    """Say which rows bring 重点管控（严管） persons whom no worker follows up (none: ``[]``).

    No grid and no 帮扶责任人: the person is on nobody's visit list
    (:func:`layers.person_roster.unfollowed`); the rows are named, the first
    :data:`_LISTED` when many, for the clerk to assign them. Shown first, in red (:class:`Alarm`).
    """
    rows = person_roster.unfollowed(conn, staging)
    if not rows:
        return []
    said = f"第 {_listed([str(row) for row in rows])} 行"
    return [Alarm(person_roster.UNFOLLOWED_NOTE.format(n=len(rows), rows=said))]


def _unplaced_notes(conn: psycopg.Connection[Any], staging: str) -> list[str]:
    """Say how many of the file's persons have no residence point or no grid (none: ``[]``).

    On no map, and on no worker's visit list without a 帮扶责任人
    (:class:`layers.person_roster.Unplaced`): counted, an :class:`Alarm` when most of the file;
    else a note naming their rows, the first :data:`_LISTED` when many (trial AV M1).
    """
    unplaced = person_roster.unplaced(conn, staging)
    note = unplaced.note(f"第 {_listed([str(row) for row in unplaced.rows])} 行")
    if note is None:
        return []
    return [Alarm(note) if unplaced.most() else note]


def _person_notes(ends: person_roster.RosterEnds) -> list[str]:
    """Return the summary's notes of a list's striking-off, its alarm (if any) first.

    The alarm of a striking-off held back until ``--again`` is a :class:`HeldBack`: the
    command exits 1, and no list of persons struck off is written (nobody was).
    """
    alarm = ends.alarm()
    return ([HeldBack(alarm)] if alarm is not None else []) + ends.notes()


def _with_ended(counts: UpsertCounts, ended: int) -> UpsertCounts:
    """Count in ``updated``, and in ``ended``, the records a file ended beyond its rows.

    Persons struck off and cameras retired by a complete list, grids and jurisdictions retired
    by ``--complete`` or a row's 原编码 (:attr:`layers.unit_retirement.Retirement.unlisted`):
    not rows of the file, but records the import changed: the summary's 更新, the import's rows
    loaded (``zongzhi imports``' 写入) and a file imported again say them; ``ended`` tells a
    dry run that would end records from one that would not (:mod:`layers.import_jobs`).
    """
    if not ended:
        return counts
    return replace(counts, updated=counts.updated + ended, ended=counts.ended + ended)


def _whole_list(options: LoadOptions, unread: bool) -> tuple[str | None, bool, bool]:
    """Return the ``--within`` code, whether the file is its whole list, whether held back.

    ``--complete`` ends what the file does not list only when every row names what it lists:
    with a rejected row whose key cannot be read (``unread``) nothing is ended (held back).
    """
    within = options.within.code if options.within is not None else None
    complete = options.complete and within is not None
    return within, complete and not unread, complete and unread


def _invalid_device_ids(stage: _Staged) -> set[int]:
    """Return the rows whose 国标编码 is written but is no GB/T 28181 device ID.

    A camera's code stays in the records as written when it is refused; a code refused for
    another rule (a duplicate of another row's) is valid, and still lists its camera.
    """
    codes = stage.part.records["device_id"].dropna()
    invalid = codes.index[[not is_valid_device_id(value) for value in codes]]
    return {int(row) for row in invalid}


def _unread_keys(
    stage: _Staged, rejected: set[int], column: str, wrong: Collection[int] = ()
) -> bool:
    """Tell whether a rejected row has no key (``column``) a complete list can be read by.

    ``wrong``: the rows whose key is written but cannot be read (a camera's 国标编码 that is no
    device ID, :func:`_invalid_device_ids`; a person's resident-ID hash is missing where the ID
    cannot be read). A row rejected for another rule on its key (a duplicate) is read.
    """
    keys = stage.part.records[column]
    missing = {int(row) for row in keys.index[keys.isna()]}
    return bool((missing | set(wrong)) & rejected)


def _rejected_workers(stage: _Staged, rejected: set[int]) -> list[tuple[str | None, str | None]]:
    """Return the ``(工号, 姓名)`` of a roster's rejected rows (their workers are on it)."""
    records = stage.part.records
    rows = records.loc[records.index.isin(list(rejected)), ["external_id", "name"]]
    return [
        (None if pd.isna(number) else str(number), None if pd.isna(name) else str(name))
        for number, name in rows.itertuples(index=False)
    ]


def _queues_or_settles(stage: _Staged) -> bool:
    """Tell whether some staged case is open or settled at its source: a line to say."""
    states = stage.part.records.get("state")
    told = [CaseState.REGISTERED.value, *case_import.SETTLED_AT_SOURCE]
    return states is not None and bool(states.isin(told).any())


def _correct_visitors(
    conn: psycopg.Connection[Any],
    kind: Kind,
    stage: _Staged,
    checks: RowChecks,
    options: LoadOptions,
    rejected: set[int],
) -> int:
    """Correct the visitors of visits earlier imports recorded (:mod:`layers.visit_import`).

    Only a file of visits with a 走访人 column says who visited. Returns the visits corrected
    that the upsert will count unchanged (they are updated).
    """
    if kind.name != "visits" or not checks.has("visitor"):
        return 0
    point = kind.geometry if kind.geometry in stage.columns else None
    found = visit_import.correct_visitors(
        conn,
        stage.name,
        point=point,
        refused=sorted(rejected),
        import_id=options.import_id,
        user=options.user,
    )
    checks.notes += found.notes()
    return found.updated


_BY_RESIDENT_ID = {"persons": ("id_hash", "category"), "visits": ("_id_hash", "_category")}
"""The kinds whose rows name a person by resident ID: their staged hash and category columns."""


def _on_record_elsewhere(
    conn: psycopg.Connection[Any],
    kind: Kind,
    staging: str,
    checks: RowChecks,
    within: Scope,
    met: list[person_lookalikes.MetElsewhere] | None,
) -> list[Problem]:
    """Refuse the staged rows whose resident ID is on record outside ``within``; unstage them.

    One reason for each, whatever the record's category, place and name, on the resident-ID
    column (:func:`layers.person_lookalikes.on_record_elsewhere`); the rows are deleted from
    staging at once, so that no later step (the CRS checks against the records, the visit's
    person, the upsert's match) meets the record. ``met`` is given them for the audit.
    """
    id_hash, category = _BY_RESIDENT_ID[kind.name]
    found = person_lookalikes.on_record_elsewhere(
        conn, staging, within.range, id_hash=id_hash, category=category
    )
    if not found:
        return []
    if met is not None:
        met.extend(found)
    rows = [m.row for m in found]
    import_checks.delete_staged_rows(conn, staging, rows)
    return checks.problems_at(
        "resident_id", [(row, person_lookalikes.ELSEWHERE_ROW) for row in rows]
    )


def _within(recognition: Recognition, within: Scope) -> Recognition:
    """Return a roster's recognition reading the persons inside ``within`` only (its notes)."""
    if isinstance(recognition.resolve, person_lookalikes.PersonNotes):
        return replace(recognition, resolve=replace(recognition.resolve, area=within.range))
    return recognition


def _place_column(kind: Kind) -> str:
    """Return the staged column saying where a row lies: a unit's own code, else its area."""
    return "code" if kind.name in UNIT_KINDS else "area_code"


@dataclass(frozen=True)
class _Placed:
    """A part's rows staged, and what placed them (for the ``--within`` check)."""

    staging: str
    columns: list[str]
    point: str | None
    given: pd.DataFrame
    records: pd.DataFrame


def _outside_within(
    conn: psycopg.Connection[Any],
    kind: Kind,
    placed: _Placed,
    checks: RowChecks,
    within: Scope,
    directories: Directories,
) -> list[Problem]:
    """Refuse the staged rows whose final place lies outside ``within`` (one statement)."""
    column = _place_column(kind)
    if column not in placed.columns:
        return []
    found = import_checks.outside_scope(
        conn, placed.staging, column, within.range, point=placed.point
    )
    if not found:
        return []
    return refused_rows(
        found, within, kind.name, checks, placed.given, placed.records, directories.places()
    )


def _check_crs(
    conn: psycopg.Connection[Any],
    staging: str,
    kind: Kind,
    part: Part,
    records: pd.DataFrame,
    unconfirmed: Unconfirmed,
    checks: RowChecks,
    by_address: PlacedPoints | None,
    found: OnRecord | None = None,
) -> None:
    """Check the CRS the user did not give; note it when an assumed one cannot be checked.

    Points are checked against the places their rows name and the records the rows update
    (``found``, when :func:`_match_records` looked them up); grid and jurisdiction boundaries
    against the records only.
    """
    point = kind.geometry if LON_COLUMN in records.columns else None
    shape = point or ("boundary" if "boundary" in records.columns else None)
    if shape is None:
        return
    label = "点位" if point else f"{kind.label}边界"
    keyed = all(c in records.columns for c in part.key)
    named = [
        c
        for c in (*_GRID_COLUMNS, "area_code")
        if point and c in records.columns and records[c].notna().any()
    ]
    try:
        checked = check_unconfirmed_crs(
            conn,
            staging,
            shape,
            unconfirmed,
            grid_column=next((c for c in named if c in _GRID_COLUMNS), None),
            area_column="area_code" if "area_code" in named else None,
            by_address=by_address,
            records=Records(kind.table.name, part.key, label) if keyed else None,
            found=found,
        )
    except WrongCrs as wrong:  # told together with the rows' own problems, in one round
        wrong.problems = sorted(checks.problems, key=lambda p: p.row)
        raise
    if checked.doubt is not None:
        checks.notes.append(checked.doubt)
    located = point is not None and bool(records[LON_COLUMN].notna().any())
    if located and checked.total < MIN_POINTS and not unconfirmed.declared:
        name, where = unconfirmed.crs.name, checked.where
        checks.notes.append(unchecked_note(name, checked.places, checked.on_record, where=where))


def _match_records(
    conn: psycopg.Connection[Any], staging: str, kind: Kind, part: Part, records: pd.DataFrame
) -> point_moves.Matched | None:
    """Join the staged points of a kind of :data:`MOVED_KINDS` to the records they update.

    One statement gives the CRS checks their sample and the rows that move far
    (:func:`layers.point_moves.match_points`); ``None`` for a kind without such points.
    """
    point = kind.geometry if LON_COLUMN in records.columns else None
    if point is None or kind.name not in MOVED_KINDS:
        return None
    if not all(c in records.columns for c in part.key):
        return None
    return point_moves.match_points(
        conn, staging, point, kind.table.name, part.key, moved_m=MOVED_M
    )


def _check_given_crs(
    conn: psycopg.Connection[Any],
    kind: Kind,
    staged: tuple[str, Part],
    on_file: point_moves.Matched,
    options: LoadOptions,
    checks: RowChecks,
) -> tuple[str, str] | None:
    """Refuse a ``--crs`` that puts the rows far from the records they update (see there).

    It corrects them, and is not refused, when the same file was imported before read in the
    better CRS, or when the records it updates were all placed by imports that assumed it
    (:func:`layers.point_moves.assumed_crs`); so too, with rows too few to check, when they move
    far from records placed by imports that assumed another CRS. Returns the CRS corrected and
    the one given.
    """
    given = options.given_crs or ""
    staging, part = staged
    read: list[str | None] = []  # the one CRS the records' imports assumed, read when needed

    def assumed() -> str | None:
        if not read:
            table, geometry = kind.table.name, kind.geometry or ""
            read.append(point_moves.assumed_crs(conn, staging, table, part.key, geometry))
        return read[0]

    corrected: list[str] = []

    def corrects(crs: str) -> bool:
        if point_moves.imported_before_in(conn, options.sha256, kind.name, crs) or assumed() == crs:
            corrected.append(crs)
            return True
        return False

    try:
        check_given_crs(on_file.sample, given, corrects=corrects)
    except WrongCrs as wrong:  # told together with the rows' own problems, in one round
        wrong.problems = sorted(checks.problems, key=lambda p: p.row)
        raise
    if corrected:
        return corrected[0], given
    was = assumed() if on_file.moved else None
    return (was, given) if was is not None and was != given else None


def _tell_moves(
    kind: Kind, stage: _Staged, checks: RowChecks, rejected: set[int], kept: set[int] | None
) -> None:
    """Say the rows that move a point on record far, and list them in the report.

    ``kept``: for cases, the staged rows whose case the file corrects (the others keep
    their place); ``None`` when every matched row is updated.
    """
    moved = {m.row for m in stage.moved}
    leaving = rejected | (moved - kept if kept is not None else set())
    source = next((f for f in ("lon", "lonlat") if checks.has(f)), "wkt")
    problems = moved_problems(stage.moved, kind.name, checks.header(source), leaving=leaving)
    if not problems:
        return
    checks.add(problems)
    told = [m for m in stage.moved if m.row not in leaving]
    if stage.corrected is not None:  # the move the clerk asked for: said, not alarmed
        checks.notes.append(corrected_note(told, *stage.corrected))
        return
    note = moved_note(told, kind.name, stage.part.records)
    if note is not None:
        checks.notes.append(Alarm(note))


def _bring_up_to_file(
    conn: psycopg.Connection[Any], stage: _Staged, checks: RowChecks, options: LoadOptions
) -> tuple[set[int], set[int]]:
    """Bring the cases imported earlier and untouched here since up to the file.

    Those it corrects in type, place or time have their repeat links worked out again
    (:func:`layers.case_repeats.relink_refreshed`), before the new cases are linked. Returns
    the staged rows of such cases changed (they are matched again by the upsert, which
    leaves them), and those whose 办结时限 the file's 办理时限 moved (counted as 更新 too,
    trial BA m2: 更新 0 beside 4 deadlines updated).
    """
    settled = _settle_from_source(conn, stage, checks, options)
    limited: set[int] = set()
    if checks.has("time_limit"):  # a changed 办理时限 moves an open case's 办结时限
        moved = case_import.move_given_deadlines(conn, stage.name, options.user)
        checks.notes += moved.notes()
        limited = set(moved.moved)
    unsaid = set(stage.part.insert_only)
    if "risk_level" in unsaid:  # the risk each case on record was reported with stays
        case_import.keep_reported_risk(conn, stage.name)
        unsaid.discard("risk_level")
    refreshed = case_import.refresh_untouched(
        conn,
        stage.name,
        [c for c in stage.columns if c not in unsaid],
        options.user,
        options.limits_config,
        history=options.history,
    )
    relinked = case_repeats.relink_refreshed(
        conn,
        stage.name,
        refreshed.moved,
        actor=options.user,
        limits_config=options.limits_config,
    )
    checks.notes += relinked.notes()
    return set(settled) | set(refreshed.rows), limited


def _settle_from_source(
    conn: psycopg.Connection[Any], stage: _Staged, checks: RowChecks, options: LoadOptions
) -> list[int]:
    """Close the cases imported earlier that the file says are settled; note those kept.

    Only a file that gives the cases' status says anything of it. Returns the staged rows
    whose case was closed.
    """
    if case_import.STATUS_GIVEN not in stage.part.records.columns:
        return []
    found = case_import.settle_from_source(conn, stage.name, options.user, history=options.history)
    checks.notes += found.notes()
    labels = CaseState.labels()
    reasons = []
    for row, in_file, here in found.kept:
        if in_file == CaseState.REGISTERED.value:
            rule = f"本平台中此案件{labels[here]}，文件中为未办结：未重新打开（需要时请在平台操作）"
        else:
            becomes = "历史记录" if row in found.history else labels[in_file]
            rule = f"本平台中此案件正在办理（{labels[here]}），未按文件改为{becomes}"
        reasons.append((row, rule))
    field = "status" if checks.has("status") else "closed_at"
    checks.add(
        Problem(p.row, p.column, p.value, p.rule, "kept")
        for p in checks.problems_at(field, reasons)
    )
    return found.closed


def _defer_if_worth_it(
    conn: psycopg.Connection[Any], kind: Kind, stage: _Staged, options: LoadOptions
) -> Deferred | None:
    """Defer index and key upkeep when the staged rows outnumber the table's."""
    table = kind.table.name
    if options.defer is False:
        return None
    if options.defer is None and not worth_deferring(conn, table, staged_rows(conn, stage.name)):
        return None
    tables = (table, *_LOGS.get(kind.name, ()))
    return defer(conn, tables)


ADDRESS_ELSEWHERE_RULE = "{said}：已按点位导入，请核对地址或点位"
"""Said of a case whose address names another township than its point's (trial AX M4)."""
ADDRESS_ELSEWHERE_NOTE = (
    "{n} 件案件的地址所写乡镇（街道）与点位所在的不同（地址与位置不符），已按点位导入，"
    "案件上有标记，请核对地址或点位（见退回报告的逐格说明）"
)
"""The summary's line for them."""


def _addresses_elsewhere(
    conn: psycopg.Connection[Any], staging: str, geometry: str, checks: RowChecks
) -> list[Problem]:
    """Warn of each placed case whose address names another township than its point's.

    The row loads as its point places it; the report names the township its address says
    (the address as staged, its personal numbers masked), and the case carries the mark
    (:mod:`layers.address_townships`).
    """
    found = address_townships.staged_elsewhere(conn, staging, geometry)
    checks.note_rows(ADDRESS_ELSEWHERE_NOTE, [row for row, _, _ in found])
    header = checks.header("address")
    return [
        Problem(row, header, address, ADDRESS_ELSEWHERE_RULE.format(said=m.text()), "warned")
        for row, address, m in found
    ]


def _database_checks(
    conn: psycopg.Connection[Any],
    kind: Kind,
    staging: str,
    columns: list[str],
    checks: RowChecks,
    options: LoadOptions,
    high: set[int],
) -> list[Problem]:
    found: list[Problem] = []
    geom = kind.geometry if kind.geometry in columns else None
    if kind.name == "visits":
        found += _resolve_visits(conn, staging, checks, options.within)
    if "area_code" in columns and geom is not None and kind.name != "visits":
        placed = import_checks.fill_area_codes_from_points(conn, staging, geom)
        # a township loaded without its boundary, or a point off the villages: said once the
        # rows refused are known (:func:`_above_township_note`)
        high.update(row for level, rows in placed.items() if level < Level.TOWNSHIP for row in rows)
        if kind.name in KINDS_PLACED:  # a 所属乡镇 is a check: the point gives the village
            place_in_villages(conn, kind.name, staging, geom, checks)
    if kind.name in _GRID_BY_POINT and geom is not None and "grid_code" in columns:
        _grids_from_points(conn, staging, geom, checks, _GRID_BY_POINT[kind.name])
    grids_unknown = {
        column: import_checks.unknown_grids(conn, staging, column)
        for column in _GRID_COLUMNS
        if column in columns
    }
    unknown_grids = {row for grids in grids_unknown.values() for row, _ in grids}
    if "area_code" in columns and kind.name != "visits":
        missing = import_checks.rows_missing(conn, staging, "area_code")
        rule = "缺少所属辖区：没有辖区或网格编码，点位（如有）不在数据库中任何辖区的边界内"
        if checks.has("address"):
            rule += "，地址中也没有数据库中乡镇（街道）或村（社区）的全称"
            elsewhere = addresses_elsewhere(checks.text("address").reindex(missing), options.within)
            found += checks.problems_at("address", list(elsewhere.items()))
            missing = [row for row in missing if row not in elsewhere]
        found += checks.problems_at("area_code", [(row, rule) for row in missing])
        unknown = import_checks.unknown_area_codes(conn, staging)
        if not checks.has("area_code"):  # read off an unknown grid code: its own problem says it
            unknown = [(row, code) for row, code in unknown if row not in unknown_grids]
        found += checks.problems_at(
            "area_code",
            [(row, f"辖区 {code} 不在数据库中（请先导入辖区）") for row, code in unknown],
        )
    if kind.name in UNIT_KINDS:
        found += _retirement_checks(conn, kind, staging, checks)
    if kind.name == "jurisdictions":
        orphans = import_checks.orphan_jurisdictions(conn, staging)
        found += checks.problems_at(
            "code",
            [(row, f"上级辖区 {parent} 既不在数据库中，也不在本文件中") for row, parent in orphans],
        )
        found += checks.problems_at(
            "name",
            [
                (row, NAMED_LIKE_PARENT.format(parent=parent))
                for row, parent in import_checks.named_like_parent(conn, staging)
            ],
        )
        if "boundary" in columns:
            away = import_checks.outside_parent(conn, staging, options.tolerance_m)
            found += checks.problems_at(
                "wkt",
                [(row, _outside_parent_rule(parent, metres)) for row, parent, metres in away],
            )
    for column, grids in grids_unknown.items():
        found += checks.problems_at(
            column,
            [
                (row, f"网格 {grid} 不在数据库中（请核对网格编码，或先导入网格）")
                for row, grid in grids
            ],
        )
    if geom is not None and "area_code" in columns:
        found += _outside_jurisdiction(conn, staging, geom, checks, options.tolerance_m)
    return found


def _retirement_checks(
    conn: psycopg.Connection[Any], kind: Kind, staging: str, checks: RowChecks
) -> list[Problem]:
    """Refuse rows that name a retired unit without 在用, and successors that do not exist."""
    again = unit_retirement.retired_rows(conn, kind.name, staging)
    found = checks.problems_at("code", [(row, rule) for row, _, rule in again])
    unknown = unit_retirement.unknown_successors(conn, kind.name, staging)
    return found + checks.problems_at(
        "successor",
        [(row, unit_retirement.unknown_successor_rule(kind.name, code)) for row, code in unknown],
    )


def _outside_parent_rule(parent: str, metres: float) -> str:
    """Why a unit's boundary outside its parent's is refused (its CRS is the likely cause)."""
    away = f"{metres / 1000:.0f} 公里" if metres >= 10_000 else f"{metres:.0f} 米"
    return (
        f"边界在上级辖区 {parent} 的边界外 {away}：坐标系可能不对"
        "（投影坐标请核对 --crs 的带号，网页地图画的请核对是否 GCJ-02）"
    )


def _outside_jurisdiction(
    conn: psycopg.Connection[Any],
    staging: str,
    geom: str,
    checks: RowChecks,
    tolerance_m: float,
) -> list[Problem]:
    outside = import_checks.outside_jurisdiction(conn, staging, geom, tolerance_m)
    field = "wkt" if geom == "boundary" else checks.point_source()
    # the unit by its name and code (新复社区（530424102001）; trial AR m5: the code alone)
    names = import_checks.unit_names(conn, [o.area_code for o in outside]) if outside else {}
    return [
        Problem(
            o.row,
            checks.header(field),
            f"{o.lon:.6f}, {o.lat:.6f}（CGCS2000）",
            f"{'边界' if geom == 'boundary' else '点位'}在辖区{names.get(o.area_code, '')}"
            f"（{o.area_code}）外 {int(o.distance_m)} 米（容差 {tolerance_m:g} 米）",
        )
        for o in outside
    ]


def _above_township_note(rows: set[int]) -> list[str]:
    """Say how many rows loaded were placed by their point above the township (none: ``[]``).

    The rows refused are left out (trial AR M5: a row ``--within`` refused was said to be
    loaded at county level or above).
    """
    return [POINTS_ABOVE_TOWNSHIP_NOTE.format(n=len(rows))] if rows else []


_GRID_BY_POINT = {"persons": "人", "cases": "件"}
"""The kinds whose rows without a grid take the grid their point lies in, and their counter."""
POINTS_ABOVE_TOWNSHIP_NOTE = (
    "{n} 行的点位不在任何乡镇（街道）的边界内，只归到了县级或以上的辖区：不计入任何乡镇（街道）、"
    "村（社区）的数字；请核对这些点位，或先导入所在乡镇（街道）、村（社区）的边界再导入本文件"
)
"""The summary's line on the rows whose points only a county's (or a wider) boundary covers."""
NAMED_LIKE_PARENT = (
    "与上级辖区“{parent}”同名：村（社区）不会与所属乡镇同名，乡镇也不会与所属县同名，"
    "多为把乡镇名称列当作了名称列；"
    "请核对列对照，或用 --mapping 指定名称列（如 XZQMC）"
)
"""Why a township or village named exactly as its parent is refused
(:func:`layers.import_checks.named_like_parent`)."""


ABOVE_TOWNSHIP_RULE = (
    "只定位到{level}（{place}），没有乡镇（街道）、村（社区）、网格或点位：不会出现在任何网格员的"
    "走访名单和地图上；请在地址中写明乡镇（街道）和村（社区），或填写所属社区、所属网格"
)
"""Why a person placed at the county or above is refused (as a row without any place is)."""
ABOVE_TOWNSHIP_NOTE = (
    "{n} 人只定位到县级或以上（{places}），没有乡镇（街道）、村（社区）、网格或点位：不会出现在"
    "任何网格员的走访名单和地图上，已退回（第 {rows} 行）；请在地址中写明乡镇（街道）和村（社区），"
    "或填写所属社区、所属网格后重新导入"
)
"""The summary's line on those rows (their count and numbers, never a name)."""
_LEVEL_NAMES = {1: "省级", 2: "市级", 3: "县级"}


def _placed_above_township(
    records: pd.DataFrame, checks: RowChecks, directories: Directories
) -> list[Problem]:
    """Refuse the persons placed at the county or above: no grid worker would ever visit them.

    A roster's row whose address names its county but no township (``华宁县幸福小区5栋``), or
    whose 所属辖区 is a county's code, with no grid and no point, would be stored where no
    visit list, grid and map shows it. It is refused as a row without any place is
    (``缺少所属辖区``, whose rule asks for a township or village too): all-or-nothing, or left
    out by ``--partial`` and listed in the report; the summary counts them with their rows.
    A row placed in a township (by its 所属派出所, say) loads: the township's staff see it.
    """
    if "area_code" not in records.columns:
        return []
    area = records["area_code"]
    above = area.map(division_level, na_action="ignore").lt(Level.TOWNSHIP) & area.notna()
    for column in ("grid_code", LON_COLUMN):
        if column in records.columns:
            above &= records[column].isna()
    if not above.any():
        return []
    places = directories.places()
    written = checks.text("area_code") if checks.has("area_code") else None
    found: dict[str, list[tuple[int, str]]] = {"area_code": [], "address": []}
    named: dict[str, None] = {}
    for row, code in zip(area.index[above], area[above], strict=True):
        unit = places.unit(str(code))
        name = unit.name if unit is not None else str(code)
        named[name] = None
        rule = ABOVE_TOWNSHIP_RULE.format(level=_LEVEL_NAMES[division_level(code)], place=name)
        own = written is not None and bool(written.get(row))
        column = "area_code" if own or not checks.has("address") else "address"
        found[column].append((int(row), rule))
    rows = sorted(int(row) for row in area.index[above])
    checks.notes.append(
        ABOVE_TOWNSHIP_NOTE.format(
            n=len(rows), places="、".join(named), rows=_listed([str(r) for r in rows])
        )
    )
    return [p for column, pairs in found.items() for p in checks.problems_at(column, pairs)]


def _grids_from_points(
    conn: psycopg.Connection[Any], staging: str, geom: str, checks: RowChecks, unit: str
) -> None:
    """Give the rows without a grid the grid of their jurisdiction their point lies in."""
    placed = import_checks.fill_grid_codes_from_points(conn, staging, geom)
    checks.note_rows(f"{{n}} {unit}未填所属网格，已按点位定为其辖区内点位所在的网格", placed)


_LISTED = 10
"""How many names a note lists before it says 等."""


def _listed(items: list[str]) -> str:
    """Return ``items`` joined by 、, the first :data:`_LISTED` of them and 等 after."""
    return "、".join(items[:_LISTED]) + ("等" if len(items) > _LISTED else "")


def _resolve_responsibles(conn: psycopg.Connection[Any], staging: str, checks: RowChecks) -> None:
    """Find the persons' responsible workers; say in notes which names were not linked.

    A name no grid worker has (a police officer or a 司法所 staff member of the 帮教 group,
    or a worker not yet imported) does not stop the person from loading, nor does a name two
    workers of the township share: the person is not linked to them, and the note names them
    (staff, never the persons) and the rows, for a corrected roster to link them later. A
    worker who has left is not linked either (one linked before stays so), and the note says
    they left.
    """
    found = worker_matches.resolve_responsibles(conn, staging)
    header = checks.header("responsible")
    refused = {p.row for p in checks.problems if p.severity == "rejected"}  # not 照常导入
    unknown = [(row, token) for row, token in found.unknown if row not in refused]
    if unknown:
        names = list(dict.fromkeys(token for _, token in unknown))
        rows = len({row for row, _ in unknown})
        checks.notes.append(
            f"{header}中有 {len(names)} 个姓名或工号不是本乡镇的网格员（{rows} 行），"
            f"这些人员照常导入，未与之关联：{_listed(names)}；民警、司法所工作人员等"
            "不是网格员的帮教成员无需处理，若是网格员，请先导入网格员，再加 --again 重新导入本表"
        )
    shared: dict[tuple[str, int], list[str]] = {}
    for row, token, n in found.ambiguous:
        if row not in refused:
            shared.setdefault((token, n), []).append(str(row))
    for (token, n), rows_of in shared.items():
        checks.notes.append(
            f"{header}“{token}”：本乡镇有 {n} 名网格员同名（第 {_listed(rows_of)} 行），"
            "未关联：请改填其工号后重新导入本表"
        )
    left = worker_matches.left_responsibles(conn, staging)
    for linked, said in ((False, "已离职，未关联"), (True, "已离职，原有关联暂保留，请另行指定")):
        names = list(dict.fromkeys(token for _, token, kept in left if kept is linked))
        rows_of = list(dict.fromkeys(str(row) for row, _, kept in left if kept is linked))
        if names:
            checks.notes.append(f"{header} {_listed(names)} {said}（第 {_listed(rows_of)} 行）")


_COMPANIONS = "{n} 行共同走访的同行人不是本乡镇的网格员（{names}）：只记了其中网格员的走访"
"""Said of the companions of a joint visit who are no worker (their visits are left out)."""
_FILL_WORKER = "请填其工号（花名册未给工号的，填其手机号）"
"""What names a visitor for sure: a 工号, else the phone the roster gave (trial AV M7)."""
_SHARED_NAME = "本乡镇有 {n} 名网格员叫“{token}”：" + _FILL_WORKER
"""Why a visitor is refused: a name several workers of the person's township share."""


_WHICH_VISIT = "该人当天有 {n} 条走访记录（走访人不同），请填写走访人以指明更正哪一条"
"""Why a visit of a file without 走访人 is refused: its day has several visits on record."""
_SAME_VISIT = "库中该人当天有 {n} 条同一走访人的走访记录，无法确定更正哪一条"
"""Why a visit is refused: several visits on record by its visitor on its day."""


def _unknown_visitor(token: str, sought: visit_import.VisitorSearch | None) -> str:
    """Return why a visitor is refused: no worker's 工号 or 手机号, nor a name of the township.

    Names the township searched, and the townships that have a worker of that name: the
    clerk tells a worker missing from the roster from one on another township's, and asks for
    what the clerk can write of them (:data:`_FILL_WORKER`): a worker the roster gave no 工号
    is found by his 手机号 (:func:`layers.worker_matches.match_workers`).

    Examples
    --------
    >>> _unknown_visitor("赵六", visit_import.VisitorSearch("宁州街道", ["第二镇"]))
    '没有工号或手机号为“赵六”的网格员，宁州街道（被走访人所在乡镇）也没有叫“赵六”的网格员；第二镇有叫“赵六”的网格员：若是其人，请填其工号（花名册未给工号的，填其手机号）'
    """
    town = sought.township if sought is not None else "该乡镇"
    place = f"{town}（被走访人所在乡镇）" if sought is not None else "被走访人所在乡镇"
    said = f"没有工号或手机号为“{token}”的网格员，{place}也没有叫“{token}”的网格员"
    if sought is None or not sought.elsewhere:
        return f"{said}：请先导入{town}的网格员，或填其工号或手机号"
    others = "、".join(sought.elsewhere[:3]) + ("等" if len(sought.elsewhere) > 3 else "")
    return f"{said}；{others}有叫“{token}”的网格员：若是其人，{_FILL_WORKER}"


def _no_person(categories: list[str] | None) -> str:
    """Return why a visit finds no person: none with its ID, or none of its 人员类别.

    Examples
    --------
    >>> _no_person(None)
    '数据库中没有此身份证号的人员（请先导入人员）'
    >>> _no_person(["drug"])
    '库中此身份证号的人员为吸毒人员，与本行的人员类别不符：请核对人员类别（不要再次导入该人员）'
    """
    if not categories:
        return "数据库中没有此身份证号的人员（请先导入人员）"
    labels = "、".join(PersonCategory.label_of(c) for c in categories)
    return (
        f"库中此身份证号的人员为{labels}，与本行的人员类别不符："
        "请核对人员类别（不要再次导入该人员）"
    )


def _resolve_visits(
    conn: psycopg.Connection[Any], staging: str, checks: RowChecks, within: Scope | None
) -> list[Problem]:
    """Find the visits' persons and visitors; refuse the rows that cannot name one visit.

    A row of several visitors (a joint visit) is one visit per visitor, and the summary says
    so; a row that matches several visits on record (a file without 走访人 on a day of two
    visitors) is refused rather than overwriting them all. With ``within``, the rows whose
    resident ID is on record outside it are no longer staged (:func:`_on_record_elsewhere`):
    the persons found lie inside it, and a row of another category is told the categories on
    record inside it only.
    """
    visit_checks.resolve_visit_people(conn, staging)
    nobody = import_checks.rows_missing(conn, staging, "person_id")
    area = within.range if within is not None else None
    elsewhere = visit_checks.categories_on_record(conn, staging, nobody, area)
    found = checks.problems_at("resident_id", [(r, _no_person(elsewhere.get(r))) for r in nobody])
    split, _ = visit_checks.split_joint_visits(conn, staging)
    visitors = visit_checks.resolve_visitors(conn, staging)
    lost = set(nobody)  # without the person, no township to find a name in
    companions = visit_checks.drop_unknown_companions(conn, staging, visitors.unknown)
    if companions:
        names = _listed(sorted({t for _, t in companions}))
        checks.notes.append(_COMPANIONS.format(n=len({r for r, _ in companions}), names=names))
    unknown = [(r, t) for r, t in visitors.unknown if r not in lost and (r, t) not in companions]
    sought = visit_import.where_visitors_were_sought(conn, staging, unknown)
    reasons = [(r, _unknown_visitor(t, sought.get((r, t)))) for r, t in unknown]
    reasons += [(r, _SHARED_NAME.format(n=n, token=t)) for r, t, n in visitors.ambiguous]
    found += checks.problems_at("visitor", sorted(reasons))
    again = visit_checks.repeated_visits(conn, staging, [p.row for p in found])
    found += checks.problems_at("visited_on", [(r, f"与本文件第 {f} 行重复") for r, f in again])
    named = checks.has("visitor")
    refused = [p.row for p in found]
    twice = visit_checks.visits_matched_twice(conn, staging, visit_key(named), refused)
    which = _SAME_VISIT if named else _WHICH_VISIT
    found += checks.problems_at("visited_on", [(r, which.format(n=n)) for r, n in twice])
    # the joint visits as stored: companions who are no worker and refused rows left out
    # (trial AL: 共 2 条 said of a row whose companion was no worker, one visit stored)
    kept = visit_checks.joint_visit_counts(conn, staging, [p.row for p in found]) if split else None
    if kept is not None and kept[0]:
        checks.notes.append(
            f"{kept[0]} 行写了多名{checks.header('visitor')}（共同走访），每人各记一条走访记录"
            f"（共 {kept[1]} 条）；新增、更新、未变按走访记录计"
        )
    return found
