"""Row checks shared by every kind: each failure is a :class:`Problem` (row, column, value, rule).

Rules are written in Simplified Chinese, the language of the clerks who read the reject report;
they name the concrete values (limits, codes, the row a duplicate repeats) so that a row can be
fixed without guessing.

The checks are vectorised over the whole column (pandas/numpy/shapely), so a million rows take
seconds; a :class:`Problem` is built only for the failing rows. A row with any rejection is
marked bad and left out of the load; later checks still run on it so that a clerk sees every
reason at once.

A kind may call some fields optional (:meth:`RowChecks.leave_out_unread`: a camera's type,
bearing or state): a value of one that cannot be read does not reject its row. The value is
left out, the row loads, and the report lists it as repaired (:data:`UNREAD_RULE`); the kind
stages which fields each row left out (:meth:`RowChecks.unread_fields`), so that a record on
file keeps its own value and a new one gets the default (:mod:`layers.unread_values`), and the
summary counts such rows (:meth:`RowChecks.note_unread`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geo.codes import CodeError, mask_resident_id
from geo.crs import SourceCrs, in_china, looks_like_gauss_kruger, to_cgcs2000
from importers import vocabulary
from importers.mapping import SYNONYMS, normalise_header, usual_header
from importers.named_values import NamedYear
from importers.reading import GEOMETRY_COLUMN
from importers.values import (
    COORDINATE_RULE,
    DATE_RULE,
    EXCEL_NUMBER_RULE,
    PAIR_RULE,
    SHANGHAI,
    YEARLESS_RULE,
    excel_mangled,
    lacks_year,
    parse_numbers,
    parse_times,
    projected_rule,
    projection_reason,
    split_pair,
    with_year,
)
from layers.model.base import SRID, LabelledEnum

Severity = Literal["rejected", "repaired", "kept", "moved", "changed", "warned"]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Problem:
    """One reason a row was rejected (or repaired).

    Attributes
    ----------
    row : int
        Row number as the clerk sees it in the file.
    column : str
        Source column header (or the field name when the file has no such column).
    value : str or None
        The offending value as written (resident IDs masked).
    rule : str
        The rule it breaks, in words (Simplified Chinese).
    severity : {'rejected', 'repaired', 'kept', 'moved', 'changed'}
        Rejected rows are not loaded; repaired rows are loaded as repaired; a kept row's
        record stays as the platform has it (the file's value is not applied); a moved row
        moves its record's point far (:mod:`importers.moved_points`); a changed row renames a
        camera or changes its 在线状态 (:mod:`importers.camera_changes`).
    """

    row: int
    column: str
    value: str | None
    rule: str
    severity: Severity = "rejected"


class MissingColumns(ValueError):
    """The file has no column for a required field: the whole file is refused, not each row.

    The message (Chinese) names each missing field by its header in this kind's files, with up to
    two other usual headers (never by the field's code name, which a clerk does not know; see
    :func:`_usual_headers`), lists the file's columns and suggests renaming a column, mapping it
    with ``--mapping``, or, for a field a whole file may share (:data:`SHARED_FIELDS`: a code
    table, a place; not a row's own code, name or date), giving the whole file's value with
    ``--set``.

    Parameters
    ----------
    fields : sequence of str
        The required fields without a column.
    headers : sequence of str
        The file's headers.
    alternative : str, optional
        What else would do, e.g. a WKT column instead of lon/lat.
    labels : mapping, optional
        Target field → its header in this kind's files, named first.
    choices : mapping, optional
        Code-table field → the names its values may take, listed after the ``--set`` example.
    others : mapping, optional
        Field → the headers other kinds give it (a camera file's 名称 is not offered the 姓名 of
        a roster).
    values : callable, optional
        Header → some of the column's values: a column none of whose values could be the
        field's (:func:`may_hold`: a camera's 20-digit 设备编码 as a 网格编码) is not suggested
        for it.
    """

    def __init__(
        self,
        fields: Sequence[str],
        headers: Sequence[str],
        alternative: str = "",
        *,
        labels: Mapping[str, str] | None = None,
        choices: Mapping[str, Sequence[str]] | None = None,
        others: Mapping[str, Collection[str]] | None = None,
        values: Callable[[str], Sequence[str]] | None = None,
    ) -> None:
        self.fields = tuple(fields)
        labels, others = labels or {}, others or {}
        usual = {f: _usual_headers(f, labels.get(f), others.get(f, ())) for f in fields}
        wanted = "；".join(_named(usual[field]) for field in fields)
        found = "、".join(_shown_header(str(h)) for h in headers) or "（无）"
        named = [str(h) for h in headers if h != GEOMETRY_COLUMN]
        guesses = {
            f: [
                h
                for h in _likely_headers(f, named)
                if values is None or may_hold(f, labels.get(f), values(h))
            ]
            for f in fields
        }
        example = ", ".join(f'"{usual[f][0]}": "{g[0]}"' for f, g in guesses.items() if g)
        hint = f"，例如映射文件内容为 {{{example}}}" if example else ""
        self.example = hint
        shared = next((f for f in fields if f in SHARED_FIELDS), None)
        same = ""
        if shared is not None:
            allowed = (choices or {}).get(shared)
            listed = f"（可取：{'、'.join(allowed)}）" if allowed else ""
            same = f"；整个文件同一个值的，用 --set 给出，如 --set {usual[shared][0]}=…{listed}"
        super().__init__(
            f"文件缺少必填字段的列：{wanted}{alternative}。文件中的列：{found}。"
            f"请把对应的列改名为上述表头之一，或用 --mapping 指定{hint}{same}。"
        )

    def led_by(self, note: str) -> MissingColumns:
        """Return the refusal with ``note`` said first (the file looks like another kind's).

        The example mapping file is left out: it would read another kind's columns as this
        kind's (a camera's 点位名称 as a 网格名称).

        Parameters
        ----------
        note : str
            A sentence (Chinese), its full stop included.

        Returns
        -------
        MissingColumns
            The same refusal, its message led by ``note``.
        """
        said = str(self.args[0])
        if self.example:
            said = said.replace(self.example, "", 1)
        self.args = (f"{note}{said}",)
        return self


VALUE_SHAPES: dict[tuple[str, str | None], re.Pattern[str]] = {
    ("code", "网格编码"): re.compile(r"[0-9]{15}"),
    ("code", "区划代码"): re.compile(r"[0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12}"),
    ("grid_code", None): re.compile(r"[0-9]{15}"),
    ("device_id", None): re.compile(r"[0-9]{20}"),
    ("resident_id", None): re.compile(r"[0-9]{15}|[0-9]{17}[0-9Xx]"),
}
"""What a code field's values look like, by field and the kind's header of it (``None``: any
kind's): a missing column's message suggests no column none of whose values does."""


def may_hold(field: str, label: str | None, values: Sequence[str]) -> bool:
    """Tell whether a column with these values could be ``field``'s (:data:`VALUE_SHAPES`).

    Parameters
    ----------
    field : str
        The field.
    label : str or None
        The kind's header of it (a grid's code is 网格编码, a jurisdiction's 区划代码).
    values : sequence of str
        Some of the column's values (spaces inside are ignored).

    Returns
    -------
    bool
        False only when the field has a shape and no value has it.

    Examples
    --------
    >>> may_hold("code", "网格编码", ["53042400001328000001"])  # a camera's 国标编码
    False
    >>> may_hold("code", "网格编码", ["530424100001001"]), may_hold("name", None, ["点位1"])
    (True, True)
    """
    shape = VALUE_SHAPES.get((field, label)) or VALUE_SHAPES.get((field, None))
    if shape is None or not values:
        return True
    return any(shape.fullmatch(re.sub(r"\s", "", str(value))) for value in values)


SHARED_FIELDS = frozenset(
    {"category", "subcategory", "channel", "status", "risk_level", "management_level", "role"}
    | {"unit", "township", "area_code", "grid_code", "home_grid", "visitor"}
    | {"ptz_type", "position_type", "direction_type", "fov_deg", "range_m"}
)
"""Fields a whole file may share, which a missing-column message suggests ``--set`` for: code
tables (a roster of one 人员类别, an export of one 来源渠道), a place, who visited. Not a
row's own code, number, name, ID, date or point (国标编码, 工单编号, 身份证号, 姓名 …)."""

GEOMETRY_HEADER = "文件的几何"
"""How a GIS file's geometry (:data:`importers.reading.GEOMETRY_COLUMN`) is listed among its
columns; a problem with it is on the kind's 边界, or on 点位."""


def _shown_header(header: str) -> str:
    """Return a file's column as a message lists it: a GIS file's geometry in words."""
    return GEOMETRY_HEADER if header == GEOMETRY_COLUMN else header


def _named(headers: Sequence[str]) -> str:
    """Return a missing field as the message names it: its header, then the others it may have.

    Examples
    --------
    >>> _named(["来源渠道", "渠道", "来源"]), _named(["走访人工号"])
    ('来源渠道（或渠道、来源）', '走访人工号')
    """
    first, *others = headers
    return f"{first}（或{'、'.join(others)}）" if others else first


def _likely_headers(field: str, headers: Sequence[str]) -> list[str]:
    """Return the file's headers that contain a usual header of ``field`` (``事发经度``).

    Examples
    --------
    >>> _likely_headers("lon", ["序号", "事发地经度", "事发地纬度"])
    ['事发地经度']
    """
    keys = {normalise_header(s) for s in (field, *SYNONYMS.get(field, ()))}
    keys = {k for k in keys if len(k) >= 2}
    return [h for h in headers if any(k in normalise_header(h) for k in keys)]


def _usual_headers(
    field: str, label: str | None = None, foreign: Collection[str] = ()
) -> list[str]:
    """Return up to three usual headers of ``field``: its label, then Chinese ones first.

    The others are the field's synonyms, less those naming ``foreign`` (the headers other kinds
    give the field: a grid file's 名称 is offered neither a roster's 姓名 nor 人员姓名). A kind
    that gives the field a header of its own (``label``: 姓名, 点位名称) is offered only the
    synonyms that are part of it or contain it (名称 for 点位名称, 人员姓名 for 姓名), not the
    names of other things.

    Examples
    --------
    >>> _usual_headers("lon"), _usual_headers("category", "人员类别")
    (['经度', 'x坐标', '横坐标'], ['人员类别', '类别'])
    >>> _usual_headers("category", None, ["人员类别"])
    ['事件类型', '事件类别', '类别']
    >>> _usual_headers("name", "点位名称", ["姓名", "网格名称"])
    ['点位名称', '名称']
    """
    others = [
        s
        for s in SYNONYMS.get(field, ())
        if s not in (field, label) and not any(f in s for f in foreign)
    ]
    if label:
        others = [s for s in others if s in label or label in s]
    chinese = [s for s in others if not s.isascii()]
    first = [label] if label else [usual_header(field)]
    rest = [s for s in chinese + [s for s in others if s.isascii()] if s not in first]
    return (first + rest)[:3]


SENSITIVE_FIELDS = frozenset({"resident_id"})
"""Fields whose values appear masked in reports."""


def shown_value(field: str, value: object) -> str | None:
    """Return a value as a report may show it: resident IDs masked.

    Parameters
    ----------
    field : str
        Target field name.
    value : object
        The raw value.

    Returns
    -------
    str or None
        Printable value.

    Examples
    --------
    >>> shown_value("resident_id", "11010519491231002X")
    '110105********002X'
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value)
    return mask_resident_id(text) if field in SENSITIVE_FIELDS else text


NUMBER_WORDS: dict[str, dict[str, float]] = {"azimuth_deg": vocabulary.compass_bearings()}
"""Words a numeric field may be written as (by :func:`importers.vocabulary.value_key`): a
camera's 方位角 as a point of the compass (``朝南`` 180°, ``东北`` 45°)."""

_DEGREE_SIGN = r"(?<=[0-9])\s*(?:°|º|度)\s*$"
"""The unit after a bearing written in degrees (``225°``, ``225度``)."""

UNREAD_RULE = "无法识别，未导入此项"
"""Said after the rule a value of an optional field breaks: the row loads without it."""
UNREAD_NOTE = (
    "{rows} 行的选填项无法识别，未导入此项，其余照常导入（已有记录保留原值，新记录取默认值；"
    "见报告）：{fields}"
)
"""The summary's count of the rows that left out a value (:meth:`RowChecks.note_unread`)."""

EARLIEST = pd.Timestamp("1900-01-01", tz=SHANGHAI)
"""Dates before this are taken for mistyped years (``1024`` for ``2024``)."""


class RowChecks:
    """The checks of one file, collecting problems, the set of rejected rows, and notes.

    ``notes`` are what the user should know of the file as a whole (a CRS that could not be
    checked), shown with the summary.

    Parameters
    ----------
    frame : pandas.DataFrame
        Source rows as text, indexed by row number.
    columns : dict
        Target field → source header (from :func:`importers.mapping.resolve_columns`).
    values : mapping, optional
        Target field → {value as written → the code or label it means} (a mapping file's
        ``values``), for code-table fields.
    labels : mapping, optional
        Target field → its header in this kind's files (``category`` is 人员类别 in a roster,
        事件类型 in a case file), for fields the file lacks; else the usual header.
    others : mapping, optional
        Target field → the headers other kinds give it, which a missing-column message does
        not offer (:class:`MissingColumns`).
    file_headers : sequence of str, optional
        The columns of the file itself, which a missing-column message lists; by default the
        frame's (those ``--set`` or the file's name added are not the file's: pass them).

    Attributes
    ----------
    year : NamedYear or None
        The year the worksheet's or the file's name states, for dates written without one
        (:meth:`timestamps`).
    unstored : list of str
        Columns the kind's checks found they do not store, though their header is one some
        field reads (a 罪名 in a roster of a category without one): not imported.
    read_beside : list of str
        Columns no field maps that the kind's checks read all the same (a roster's 网格编码
        beside its 所属网格 names): not listed among the columns not imported.
    optional : frozenset of str
        Fields whose unreadable value is left out rather than rejecting its row
        (:meth:`leave_out_unread`).
    unread : dict
        Optional field → the rows whose value of it was left out.
    """

    year: NamedYear | None = None

    def __init__(
        self,
        frame: pd.DataFrame,
        columns: dict[str, str],
        *,
        values: Mapping[str, Mapping[str, str]] | None = None,
        labels: Mapping[str, str] | None = None,
        others: Mapping[str, Collection[str]] | None = None,
        file_headers: Sequence[str] | None = None,
    ) -> None:
        self.frame = frame
        self.file_headers = [
            str(c) for c in (frame.columns if file_headers is None else file_headers)
        ]
        self.columns = columns
        self.labels = dict(labels or {})
        self.others = dict(others or {})
        self.values = {
            field: {vocabulary.value_key(k): v for k, v in names.items()}
            for field, names in (values or {}).items()
        }
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        self.bad = pd.Series(False, index=frame.index)
        self.unstored: list[str] = []
        self.read_beside: list[str] = []
        self.optional: frozenset[str] = frozenset()
        self.unread: dict[str, set[int]] = {}
        self.row_notes: list[tuple[str, frozenset[int]]] = []

    def note_rows(self, template: str, rows: Iterable[int]) -> None:
        """Say ``template`` of ``rows`` once the refused rows are known (:meth:`kept_notes`).

        A note about what the checks did to some rows (a grid placed by the point) counts
        the rows that load: a row refused later is not 照常导入 (trial AB).

        Parameters
        ----------
        template : str
            The note, ``{n}`` standing for how many of the rows are not refused.
        rows : iterable of int
            The rows it is about.
        """
        self.row_notes.append((template, frozenset(rows)))

    def kept_notes(self, refused: Collection[int]) -> list[str]:
        """Return the notes of :meth:`note_rows` over the rows not ``refused`` (none: no note).

        Examples
        --------
        >>> import pandas as pd
        >>> checks = RowChecks(pd.DataFrame(index=[2, 3]), {})
        >>> checks.note_rows("{n} 行已按点位定网格", [2, 3])
        >>> checks.kept_notes({3}), checks.kept_notes({2, 3})
        (['1 行已按点位定网格'], [])
        """
        gone = set(refused)
        return [t.format(n=len(rows - gone)) for t, rows in self.row_notes if rows - gone]

    # ----------------------------------------------------------------- access

    def has(self, field: str) -> bool:
        """Whether the file has a column for ``field``."""
        return field in self.columns

    def sample(self, header: str, size: int = 20) -> list[str]:
        """Return up to ``size`` distinct values of a column of the file (none if not one)."""
        if header not in self.frame.columns:
            return []
        return [str(v) for v in self.frame[header].dropna().unique()[:size]]

    def text(self, field: str) -> pd.Series:
        """Return the text of ``field`` (all ``None`` when the file lacks it)."""
        if field not in self.columns:
            return pd.Series(None, index=self.frame.index, dtype=object)
        return self.frame[self.columns[field]]

    def recoded(self, field: str) -> pd.Series:
        """Return the text of a code-table field, values renamed as the mapping file says."""
        raw = self.text(field)
        names = self.values.get(field)
        if not names:
            return raw
        renamed = {v: names.get(vocabulary.value_key(str(v)), v) for v in raw.dropna().unique()}
        return raw.map(renamed, na_action="ignore")

    def header(self, field: str) -> str:
        """Return the source header of ``field``; if the file has none, the usual one.

        A GIS file's geometry is named by what it holds: the kind's 边界, else 点位.
        """
        column = self.columns.get(field)
        if column == GEOMETRY_COLUMN:
            return self.labels.get(field) or "点位"
        return column or self.labels.get(field) or usual_header(field)

    # ----------------------------------------------------------------- recording

    def fail(
        self,
        field: str,
        mask: pd.Series | npt.NDArray[np.bool_],
        rule: str | Callable[[object], str] | pd.Series,
        *,
        severity: Severity = "rejected",
        values: pd.Series | None = None,
    ) -> None:
        """Record a problem for every row where ``mask`` is true.

        Parameters
        ----------
        field : str
            Target field.
        mask : pandas.Series or numpy.ndarray of bool
            Failing rows (aligned with the frame).
        rule : str, callable or pandas.Series
            The rule, a function of the raw value returning it, or the rule of each row.
        severity : {'rejected', 'repaired', 'kept', 'warned'}
            Repaired, kept and warned rows stay loadable (a warned value loads as written).
            A rejection of an optional field's value (:attr:`optional`) is a repair: the
            value is left out, the row loads.
        values : pandas.Series, optional
            Values to show (default: the field's text).
        """
        flags = pd.Series(np.asarray(mask, dtype=bool), index=self.frame.index)
        if not flags.any():
            return
        left_out = severity == "rejected" and field in self.optional
        if left_out:
            severity = "repaired"
            self.unread.setdefault(field, set()).update(int(r) for r in flags.index[flags])
        shown = self.text(field) if values is None else values
        for row, value in shown[flags].items():
            if isinstance(rule, pd.Series):
                text = str(rule.at[row])
            else:
                text = rule(value) if callable(rule) else rule
            self.problems.append(
                Problem(
                    int(cast(int, row)),
                    self.header(field),
                    shown_value(field, value),
                    f"{text}；{UNREAD_RULE}" if left_out else text,
                    severity,
                )
            )
        if severity == "rejected":
            self.bad |= flags

    def skip(self, mask: pd.Series) -> list[int]:
        """Take out the rows where ``mask`` is true: not data of the kind.

        Neither imported nor rejected: a camera list's NVR, whose channels are its cameras.

        Parameters
        ----------
        mask : pandas.Series of bool
            The rows to take out (aligned with the frame).

        Returns
        -------
        list of int
            Their row numbers.
        """
        rows = [int(cast(int, row)) for row in self.frame.index[mask.to_numpy(dtype=bool)]]
        if rows:
            self.frame = self.frame.drop(index=rows)
            self.bad = self.bad.drop(index=rows)
        return rows

    def add(self, problems: Iterable[Problem]) -> None:
        """Record problems found elsewhere (e.g. by database checks)."""
        rows = []
        for problem in problems:
            self.problems.append(problem)
            if problem.severity == "rejected":
                rows.append(problem.row)
        if rows:
            self.bad = self.bad | pd.Series(self.bad.index.isin(rows), index=self.bad.index)

    def problems_at(self, field: str, found: Iterable[tuple[int, str]]) -> list[Problem]:
        """Return one problem per (row, rule) pair, on ``field`` as the file has it.

        Parameters
        ----------
        field : str
            Target field.
        found : iterable of (int, str)
            Row number and rule (e.g. from a database check).

        Returns
        -------
        list of Problem
            Not yet recorded: see :meth:`add`.
        """
        values = self.text(field)
        return [
            Problem(row, self.header(field), shown_value(field, values.get(row)), rule)
            for row, rule in found
        ]

    def add_row_problem(self, row: int, column: str, value: object, rule: str) -> None:
        """Reject ``row`` for a problem found on a source column outside the mapped fields."""
        self.add([Problem(row, column, shown_value(column, value), rule)])

    # ----------------------------------------------------------------- optional fields

    def leave_out_unread(self, *fields: str) -> None:
        """Make ``fields`` optional: a value of one that cannot be read no longer rejects its row.

        Such a value is left out (the kind reads it as empty), the row loads, and the report
        lists it as repaired, its rule followed by :data:`UNREAD_RULE`.

        Parameters
        ----------
        *fields : str
            The fields a row may load without (not its key, name or place).
        """
        self.optional = self.optional | frozenset(fields)

    def unread_rows(self, field: str) -> pd.Series:
        """Return whether each row's value of ``field`` was left out, unreadable."""
        return pd.Series(self.frame.index.isin(list(self.unread.get(field, ()))), self.frame.index)

    def unread_fields(self) -> pd.Series:
        """Return the optional fields each row left out, comma-separated (``None``: none).

        The staged helper column :data:`layers.unread_values.UNREAD` from which a record on
        file keeps its own values of them.
        """
        left = pd.Series(None, index=self.frame.index, dtype=object)
        for field in sorted(self.unread):
            rows = self.unread_rows(field)
            left[rows] = left[rows].map(lambda v, f=field: f if v is None else f"{v},{f}")
        return left

    def note_unread(self) -> None:
        """Add to the summary how many loadable rows left out a value, and of which fields.

        Examples
        --------
        >>> checks = RowChecks(pd.DataFrame({"状态": ["坏了", "在线"]}, index=[2, 3]),
        ...                    {"status": "状态"})
        >>> checks.leave_out_unread("status")
        >>> checks.fail("status", checks.text("status") == "坏了", "必须是在线或离线")
        >>> checks.note_unread()
        >>> checks.notes[0].split("：")[-1], checks.problems[0].severity
        ('状态 1 行', 'repaired')
        """
        counted = {
            f: (self.unread_rows(f) & ~self.bad).sum() for f in self.optional if f in self.unread
        }
        counted = {f: int(n) for f, n in counted.items() if n}
        if not counted:
            return
        rows = set().union(*(self.unread[f] for f in counted)) - set(self.bad.index[self.bad])
        order = [f for f in self.columns if f in counted]  # the file's order
        fields = "、".join(f"{self.header(f)} {counted[f]} 行" for f in order)
        self.notes.append(UNREAD_NOTE.format(rows=len(rows), fields=fields))

    # ----------------------------------------------------------------- rules

    def require(self, *fields: str, choices: Mapping[str, Sequence[str]] | None = None) -> None:
        """Reject rows where a required field is empty.

        Parameters
        ----------
        *fields : str
            The required fields.
        choices : mapping, optional
            Code-table field → the names of its values, for the message of a missing column.

        Raises
        ------
        MissingColumns
            If the file has no column for one of ``fields``.
        """
        absent = [field for field in fields if not self.has(field)]
        if absent:
            raise MissingColumns(
                absent,
                self.file_headers,
                labels=self.labels,
                choices=choices,
                others=self.others,
                values=self.sample,
            )
        for field in fields:
            self.fail(field, self.text(field).isna(), "必填，不能为空")

    def require_point(self) -> None:
        """Reject rows without a point: lon and lat, else a WKT or GIS point geometry.

        Raises
        ------
        MissingColumns
            If the file has neither lon/lat columns nor a geometry column.
        """
        source = self.point_source()
        if source != "lon":
            self.require(source)
        elif not (self.has("lon") and self.has("lat")):
            absent = [f for f in ("lon", "lat") if not self.has(f)]
            alternative = (
                "（或一列“经度,纬度”，如 102.905,24.205；或一列 WKT 点，如 POINT (102.9 24.2)；"
                "或 GIS 文件的点几何）"
            )
            raise MissingColumns(
                absent,
                self.file_headers,
                alternative,
                labels=self.labels,
                others=self.others,
                values=self.sample,
            )
        else:
            self.require("lon", "lat")

    def _surveyors_order_rule(self) -> str:
        """Why metres whose X column holds northings are refused, with the mapping to read them.

        Surveyors write X for the northing and Y for the easting, the other way round from
        longitude and latitude.
        """
        east, north = self.columns["lat"], self.columns["lon"]
        mapping = json.dumps({"经度": east, "纬度": north}, ensure_ascii=False)
        return (
            f"“{north}”是北坐标、“{east}”是东坐标（测绘习惯 X 为北、Y 为东），与经度、纬度的顺序"
            f"相反：请用映射文件 {mapping} 对调，并用 --crs 指定投影坐标系"
        )

    def point_source(self) -> Literal["lon", "lonlat", "wkt"]:
        """Return the field points come from: lon/lat, else one "lon,lat" column, else WKT.

        Returns
        -------
        str
            ``lon`` (lon and lat columns), ``lonlat`` or ``wkt``.
        """
        if self.has("lon") or self.has("lat"):
            return "lon"
        if self.has("lonlat"):
            return "lonlat"
        return "wkt" if self.has("wkt") else "lon"

    def code(
        self,
        field: str,
        parse: Callable[[str], object],
        *,
        where: pd.Series | None = None,
        read: pd.Series | None = None,
    ) -> None:
        """Reject values ``parse`` refuses (a :class:`geo.codes.CodeError` gives the rule).

        Each distinct value is parsed once. A long number a spreadsheet stored in scientific
        notation is refused as such (:func:`importers.values.excel_mangled`). With ``where``,
        only the rows where it is true are checked; with ``read``, the values as the kind reads
        them are parsed (a code without the spaces that group it), the report shows the text.
        """
        values = self.text(field) if read is None else read
        if where is not None:
            values = values.where(where)
        rules: dict[str, str] = {}
        for value in values.dropna().unique():
            if excel_mangled(str(value)):
                rules[str(value)] = EXCEL_NUMBER_RULE
                continue
            try:
                parse(str(value))
            except CodeError as exc:
                rules[str(value)] = exc.rule
        if rules:
            self.fail(field, values.isin(list(rules)), values.map(rules, na_action="ignore"))

    def number(
        self,
        field: str,
        *,
        low: float | None = None,
        high: float | None = None,
        integer: bool = False,
        dms: bool = False,
    ) -> pd.Series:
        """Parse a numeric field; reject non-numbers, non-finite values and out-of-range ones.

        Besides plain numbers: full-width characters and, with ``dms``, degrees-minutes-seconds
        (see :func:`importers.values.parse_numbers`), and the words :data:`NUMBER_WORDS` gives
        the field (a camera's 方位角 ``朝南``). Thousands separators are not accepted.

        Parameters
        ----------
        field : str
            Target field.
        low, high : float, optional
            Inclusive limits.
        integer : bool
            Reject values with a fraction.
        dms : bool
            Also accept degrees-minutes-seconds (for longitudes and latitudes).

        Returns
        -------
        pandas.Series
            Floats, NaN where empty or rejected.
        """
        raw = self.text(field)
        words = NUMBER_WORDS.get(field)
        if words:  # a bearing with its unit (225°, 225度) too
            raw = raw.str.replace(_DEGREE_SIGN, "", regex=True).where(raw.notna(), None)
            said = {v: words.get(vocabulary.value_key(str(v))) for v in raw.dropna().unique()}
            named = raw.map({v: f"{n:g}" for v, n in said.items() if n is not None})
            raw = raw.where(named.isna(), named)
        numbers, rules = parse_numbers(raw, dms=dms)
        present = raw.notna()
        default = COORDINATE_RULE if dms else "必须是数字"
        self.fail(field, present & numbers.isna(), lambda v: rules.get(str(v), default))
        infinite = present & ~np.isfinite(numbers) & numbers.notna()
        self.fail(field, infinite, "必须是有限的数字（不能是 inf 或 NaN）")
        ok = np.isfinite(numbers)
        if integer:
            self.fail(field, ok & (numbers % 1 != 0), "必须是整数")
        if low is not None:
            self.fail(field, ok & (numbers < low), f"不能小于 {low:g}")
        if high is not None:
            self.fail(field, ok & (numbers > high), f"不能超过 {high:g}")
        return numbers.where(ok)

    def choice(
        self, field: str, table: type[LabelledEnum], *, default: str | None = None
    ) -> pd.Series:
        """Map a code-table field written as code, Chinese label or alias to its code.

        The aliases are the other names in use (:data:`importers.vocabulary.ALIASES`);
        full-width characters and spaces do not matter.

        Returns
        -------
        pandas.Series
            Codes (``default`` where empty, ``None`` where rejected).
        """
        raw = self.text(field)
        codes = vocabulary.codes_of(self.recoded(field), table)
        wrong = raw.notna() & codes.isna()
        allowed = "、".join(f"{m.value} {m.label}" if m.value.isdigit() else m.label for m in table)
        self.fail(field, wrong, f"必须是以下代码或名称之一：{allowed}")
        if default is not None:
            codes = codes.where(raw.notna(), default)
        return codes.astype(object).where(codes.notna(), None)

    def timestamps(self, field: str, *, past: bool = False) -> pd.Series:
        """Parse date-times as Asia/Shanghai local times (a written UTC offset is honoured).

        ISO 8601, and the formats clerks use besides (see :func:`importers.values.parse_times`).
        A date before :data:`EARLIEST` is taken for a mistyped year and rejected.

        Parameters
        ----------
        field : str
            Target field.
        past : bool
            Reject times after the end of tomorrow (when something happened or was reported:
            a later time is a mistyped year).

        Returns
        -------
        pandas.Series
            Timezone-aware timestamps, NaT where empty or rejected.
        """
        raw = written = self.text(field)
        if self.year is not None:  # 10月3日 in a ledger named 2026年10月
            written, given = with_year(raw, self.year.year, self.year.month)
            earlier = written[given].str.startswith(str(self.year.year - 1)).any()
            if given.any() and (note := self.year.note(bool(earlier))) not in self.notes:
                self.notes.append(note)
        parsed, rules = parse_times(written)
        self.fail(field, raw.notna() & parsed.isna(), lambda v: rules.get(str(v), DATE_RULE))
        wrong = parsed < EARLIEST
        early = f"早于 {EARLIEST.year} 年，请检查年份"
        self.fail(field, wrong, lambda v: YEARLESS_RULE if lacks_year(str(v)) else early)
        if past:
            tomorrow = pd.Timestamp.now(tz=SHANGHAI).normalize() + pd.Timedelta(days=2)
            late = parsed >= tomorrow
            self.fail(field, late, "是将来的时间，请检查年份和日期")
            wrong |= late
        return parsed.where(~wrong)

    def points(self, crs: SourceCrs) -> tuple[FloatArray, FloatArray]:
        """Read lon/lat (or x/y) columns, else point WKT or GIS points, check, convert to CGCS2000.

        Without lon/lat columns, points come from one column of "lon,lat" (``lonlat``, e.g.
        ``经纬度`` in hotline exports), else from the ``wkt`` field (WKT text, or the geometry
        of a Shapefile, GeoJSON or GeoPackage). Longitudes and latitudes may be written
        in decimal degrees or in degrees-minutes-seconds (:func:`importers.values.parse_dms`;
        a direction is taken only for its sign, so a latitude in the longitude column is
        reported as swapped).
        Rows without a point give NaN. A row is rejected when a coordinate is not a finite
        number, when the geometry is not a point, when the point is outside China, or when it
        lies in China only with lon and lat swapped (reported as such).

        Parameters
        ----------
        crs : SourceCrs
            CRS of the coordinates.

        Returns
        -------
        tuple of numpy.ndarray
            CGCS2000 lon, lat; NaN where there is no valid point.
        """
        field = self.point_source()
        if field == "wkt":
            x, y = self._wkt_points()
            shown = self.text("wkt").map(_short)
        elif field == "lonlat":
            x, y = self._paired_points()
            shown = self.text("lonlat")
        else:
            x = self.number("lon", dms=True)
            y = self.number("lat", dms=True)
            has_lon, has_lat = x.notna(), y.notna()
            self.fail("lat", has_lon & ~has_lat & self.text("lat").isna(), "填了经度就必须填纬度")
            self.fail("lon", has_lat & ~has_lon & self.text("lon").isna(), "填了纬度就必须填经度")
            shown = self.text("lon").astype(str) + ", " + self.text("lat").astype(str)
        has_x, has_y = x.notna(), y.notna()
        both = (has_x & has_y).to_numpy()
        xs, ys = x.to_numpy(float), y.to_numpy(float)
        lon = np.full(len(xs), np.nan)
        lat = np.full(len(xs), np.nan)
        if field == "lon":  # a surveyor's X is the northing: metres read the other way round
            northing_first = (
                both & looks_like_gauss_kruger(ys, xs) & ~looks_like_gauss_kruger(xs, ys)
            )
            if northing_first.any():
                self.fail(field, northing_first, self._surveyors_order_rule(), values=shown)
                both = both & ~northing_first
        if crs.kind == "epsg":
            lon[both], lat[both], errors = _project_points(xs[both], ys[both], crs)
            if errors:  # only the points pyproj refuses, each with its reason
                failed = np.zeros(len(xs), bool)
                failed[np.flatnonzero(both)[list(errors)]] = True
                why = pd.Series(None, index=self.frame.index, dtype=object)
                why[failed] = list(errors.values())
                self.fail(field, failed, why, values=shown)
                both = both & ~failed
            geo_x, geo_y = lon, lat
        else:
            geo_x, geo_y = xs, ys
        inside = in_china(geo_x, geo_y) & both
        swapped = both & ~inside & in_china(geo_y, geo_x)
        self.fail(
            field,
            swapped,
            "经纬度填反了（交换后才位于中国境内）",
            values=shown,
        )
        outside = both & ~inside & ~swapped
        if crs.kind != "epsg":
            metres = outside & looks_like_gauss_kruger(xs, ys)
            if metres.any():  # one file, one CRS: the first such point names it
                rule = projected_rule(float(xs[np.argmax(metres)]))
                self.fail(field, metres, rule, values=shown)
                outside &= ~metres
        self.fail(field, outside, "点位不在中国境内", values=shown)
        if crs.kind != "epsg":
            if inside.any():
                lon[inside], lat[inside] = to_cgcs2000(xs[inside], ys[inside], crs)
        lon[~inside] = np.nan
        lat[~inside] = np.nan
        return lon, lat

    def _paired_points(self) -> tuple[pd.Series, pd.Series]:
        """Read points from one column of "lon,lat" (see :func:`importers.values.split_pair`)."""
        raw = self.text("lonlat")
        first, second = split_pair(raw)
        x, x_rules = parse_numbers(first, dms=True)
        y, y_rules = parse_numbers(second, dms=True)
        wrong = raw.notna() & (x.isna() | y.isna())
        own_x, own_y = first.map(x_rules).astype(object), second.map(y_rules).astype(object)
        why = own_x.where(own_x.notna(), own_y)  # a part's own rule (DMS minutes past 59 …)
        why = why.where(why.notna(), PAIR_RULE)
        self.fail("lonlat", wrong, why)
        return x.where(~wrong), y.where(~wrong)

    def _wkt_points(self) -> tuple[pd.Series, pd.Series]:
        """Read points from WKT text or GIS geometries; reject what is not a point."""
        raw = self.text("wkt")
        geoms = self._geometries(raw)
        present = ~shapely.is_missing(geoms)
        point = present & (shapely.get_type_id(geoms) == 0) & ~shapely.is_empty(geoms)
        self.fail("wkt", present & ~point, "必须是点（Point）", values=_types(raw, geoms))
        x = np.full(len(raw), np.nan)
        y = np.full(len(raw), np.nan)
        x[point] = shapely.get_x(geoms[point])
        y[point] = shapely.get_y(geoms[point])
        return pd.Series(x, index=raw.index), pd.Series(y, index=raw.index)

    def _geometries(self, raw: pd.Series) -> npt.NDArray[np.object_]:
        """Parse WKT text (rejecting what does not parse) and pass GIS geometries through."""
        geoms = np.full(len(raw), None, dtype=object)
        is_text = raw.map(lambda v: isinstance(v, str)).to_numpy(bool)
        if is_text.any():
            texts = raw[is_text].to_numpy(object)
            geoms[is_text] = shapely.from_wkt(texts, on_invalid="ignore")
            unparsed = np.zeros(len(raw), bool)
            unparsed[is_text] = shapely.is_missing(geoms[is_text])
            self.fail("wkt", unparsed, _wkt_rule, values=raw)
        others = ~is_text & raw.notna().to_numpy()
        geoms[others] = raw[others].to_numpy(object)
        return geoms

    def polygons(self, crs: SourceCrs) -> npt.NDArray[np.object_]:
        """Read polygons (WKT text or GIS geometries), repair or reject them, convert them.

        Decision: a polygon whose WKT cannot be parsed (an unclosed ring, too few points, bad
        syntax) is rejected, since only the clerk knows the intended shape; a parsed but invalid
        polygon (self-intersection, bow-tie, duplicate points) is repaired with
        :func:`shapely.make_valid`, keeping only its polygonal parts, and noted as repaired.

        Parameters
        ----------
        crs : SourceCrs
            CRS of the vertices.

        Returns
        -------
        numpy.ndarray of object
            CGCS2000 (Multi)Polygons, ``None`` where absent or rejected.
        """
        raw = self.text("wkt")
        geoms = self._geometries(raw)
        present = ~shapely.is_missing(geoms)
        kinds = shapely.get_type_id(geoms)
        polygonal = present & np.isin(kinds, (3, 6))
        self.fail(
            "wkt",
            present & ~polygonal,
            "必须是面（Polygon 或 MultiPolygon）",
            values=_types(raw, geoms),
        )
        empty = polygonal & shapely.is_empty(geoms)
        self.fail("wkt", empty, "面是空的", values=raw.map(_short))
        usable = polygonal & ~empty
        invalid = usable & ~shapely.is_valid(geoms)
        if invalid.any():
            reasons = shapely.is_valid_reason(geoms[invalid])
            repaired = shapely.make_valid(geoms[invalid])
            polys = np.array([_polygonal_part(g) for g in repaired], dtype=object)
            lost = shapely.is_missing(polys)
            notes = pd.Series(None, index=raw.index, dtype=object)
            notes[invalid] = [_validity_reason(str(r)) for r in reasons]
            fixed_mask = np.zeros(len(raw), bool)
            fixed_mask[np.flatnonzero(invalid)[~lost]] = True
            self.fail(
                "wkt",
                fixed_mask,
                lambda r: f"面无效（{r}），已自动修复（make_valid）",
                severity="repaired",
                values=notes,
            )
            lost_mask = np.zeros(len(raw), bool)
            lost_mask[np.flatnonzero(invalid)[lost]] = True
            self.fail(
                "wkt",
                lost_mask,
                lambda r: f"面无效（{r}），自动修复后面积为零",
                values=notes,
            )
            geoms[invalid] = polys
        keep = usable & ~shapely.is_missing(geoms)
        geoms[~keep] = None
        if keep.any():
            geoms[keep] = self._convert_polygons(geoms[keep], crs, keep)
        return geoms

    def _convert_polygons(
        self, geoms: npt.NDArray[np.object_], crs: SourceCrs, where: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.object_]:
        def convert(coords: FloatArray) -> FloatArray:
            lon, lat = to_cgcs2000(coords[:, 0], coords[:, 1], crs)
            return np.column_stack([lon, lat])

        counts = shapely.get_num_coordinates(geoms)
        owner = np.repeat(np.arange(len(geoms)), counts)
        coords = shapely.get_coordinates(geoms)
        shown = self.text("wkt").map(_short)
        bad = np.zeros(len(geoms), bool)
        if crs.kind == "epsg":
            coords[:, 0], coords[:, 1], errors = _project_points(coords[:, 0], coords[:, 1], crs)
            if errors:  # a polygon with a vertex pyproj refuses, with the first one's reason
                reason = {int(owner[i]): e for i, e in reversed(list(errors.items()))}
                refused = np.array(sorted(reason))
                bad[refused] = True
                failed = np.zeros(len(self.frame), bool)
                failed[np.flatnonzero(where)[refused]] = True
                why = pd.Series(None, index=self.frame.index, dtype=object)
                why[failed] = [reason[g] for g in refused]
                self.fail("wkt", failed, why, values=shown)
        outside = ~in_china(coords[:, 0], coords[:, 1]) & ~bad[owner]
        outside_polygons = np.unique(owner[outside])
        bad[outside_polygons] = True
        rows = np.zeros(len(self.frame), bool)
        rows[np.flatnonzero(where)[outside_polygons]] = True
        rule = "面有顶点在中国境外（或经纬度填反了）"
        metres = outside & looks_like_gauss_kruger(coords[:, 0], coords[:, 1])
        if crs.kind != "epsg" and metres.any():  # one file, one CRS
            rule = projected_rule(float(coords[np.argmax(metres), 0]))
        self.fail("wkt", rows, rule, values=shown)
        result = np.full(len(geoms), None, dtype=object)
        good = ~bad
        if good.any():
            if crs.kind == "epsg":
                result[good] = shapely.set_coordinates(
                    shapely.transform(geoms[good], lambda c: c), coords[~bad[owner]]
                )
            else:
                result[good] = shapely.transform(geoms[good], convert)
        return result

    def duplicates(self, field: str, key: Sequence[pd.Series], rule: str = "") -> None:
        """Reject later rows whose natural key repeats an earlier valid row of the file.

        Parameters
        ----------
        field : str
            Field the problem is reported on.
        key : sequence of pandas.Series
            Key parts (rows with an empty part are not compared).
        rule : str, optional
            Why the key may not repeat, said before the row it repeats.
        """
        parts = pd.DataFrame(dict(enumerate(key)))
        candidates = ~self.bad & parts.notna().all(axis=1)
        if not candidates.any():
            return
        sub = parts[candidates]
        dup = sub.duplicated(keep="first")
        if not dup.any():
            return
        first = (
            sub.reset_index().groupby(list(range(len(key))), sort=False)["row"].transform("first")
        )
        first.index = sub.index
        mask = pd.Series(False, index=self.frame.index)
        mask[dup[dup].index] = True
        firsts = first[dup]
        self.fail(field, mask, "重复")
        # Re-word the last problems with the row they repeat.
        count = int(mask.sum())
        for i in range(len(self.problems) - count, len(self.problems)):
            p = self.problems[i]
            self.problems[i] = Problem(
                p.row, p.column, p.value, f"{rule}与本文件第 {int(firsts[p.row])} 行重复"
            )


def _project_points(
    x: FloatArray, y: FloatArray, crs: SourceCrs
) -> tuple[FloatArray, FloatArray, dict[int, str]]:
    """Convert points from an EPSG source; when some fail, convert one by one.

    Returns CGCS2000 lon, lat (NaN where refused) and, by position, the rule of each refused
    point (:func:`importers.values.projection_reason`), so that one bad point does not refuse
    the file.
    """
    try:
        lon, lat = to_cgcs2000(x, y, crs)
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float), {}
    except ValueError:
        pass
    lon, lat = np.full(len(x), np.nan), np.full(len(x), np.nan)
    errors: dict[int, str] = {}
    for i, (xi, yi) in enumerate(zip(x, y, strict=True)):
        try:
            lon[i], lat[i] = to_cgcs2000(float(xi), float(yi), crs)
        except ValueError as exc:
            reason = projection_reason(float(xi), int(crs.epsg or 0), str(exc))
            errors[i] = f"无法从 {crs.name} 转换坐标：{reason}"
    return lon, lat, errors


def _short(value: object) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _types(raw: pd.Series, geoms: npt.NDArray[np.object_]) -> pd.Series:
    return pd.Series(
        [
            _short(r) if isinstance(r, str) else (g.geom_type if g is not None else None)
            for r, g in zip(raw, geoms, strict=True)
        ],
        index=raw.index,
        dtype=object,
    )


def _wkt_rule(value: object) -> str:
    """Return why ``value`` is not WKT, in Chinese (GEOS's own words for the rare cases).

    Examples
    --------
    >>> _wkt_rule("POINT (102.9 24.2")
    '不是有效的 WKT：文本不完整（缺少右括号或坐标）'
    >>> _wkt_rule("POLYGON((0 0, 1 0, 1 1, 0 1))")
    '面的边界环未闭合（首点与末点不同），不自动补全'
    """
    text = str(value)
    try:
        shapely.from_wkt(text)
    except shapely.errors.GEOSException as exc:
        message = str(exc)
        if "closed" in message:
            return "面的边界环未闭合（首点与末点不同），不自动补全"
        if "end of stream" in message:
            return "不是有效的 WKT：文本不完整（缺少右括号或坐标）"
        if "Unknown type" in message:
            return f"不是有效的 WKT：未知的几何类型（{message.split(': ', 1)[-1]}）"
        if "Invalid number of points" in message:
            return "不是有效的 WKT：环的点数太少（至少 4 个点，首尾相同）"
        return f"不是有效的 WKT（{message}）"
    return "不是有效的 WKT"


_VALIDITY_REASONS = {
    "Self-intersection": "自相交",
    "Ring Self-intersection": "环自相交",
    "Hole lies outside shell": "内环在外环之外",
    "Holes are nested": "内环相互嵌套",
    "Interior is disconnected": "内部不连通",
    "Nested shells": "外环相互嵌套",
    "Duplicate Rings": "环重复",
    "Too few distinct points in geometry component": "不同的点太少",
    "Invalid Coordinate": "坐标无效",
    "Ring is not closed": "环未闭合",
    "Repeated Point": "重复点",
}
"""GEOS's reasons for an invalid geometry (:func:`shapely.is_valid_reason`), in Chinese."""


def _validity_reason(reason: str) -> str:
    """Return a GEOS invalidity reason in Chinese, keeping the location it names.

    Examples
    --------
    >>> _validity_reason("Self-intersection[102.9075 24.2075]")
    '自相交，位于 102.9075 24.2075'
    >>> _validity_reason("Something new")
    'Something new'
    """
    head, _, where = reason.partition("[")
    words = _VALIDITY_REASONS.get(head.strip(), head.strip())
    where = where.rstrip("]").strip()
    return f"{words}，位于 {where}" if where else words


def _polygonal_part(geom: shapely.Geometry) -> shapely.Geometry | None:
    if geom is None:
        return None
    if isinstance(geom, shapely.Polygon | shapely.MultiPolygon):
        return geom
    parts = [
        g
        for g in getattr(geom, "geoms", [])
        if isinstance(g, shapely.Polygon | shapely.MultiPolygon)
    ]
    if not parts:
        return None
    merged = shapely.union_all(parts)
    return merged if isinstance(merged, shapely.Polygon | shapely.MultiPolygon) else None


def ewkb_hex(geoms: npt.ArrayLike) -> npt.NDArray[np.object_]:
    """Return hex EWKB with SRID 4490 for COPY (``None`` stays ``None``).

    Parameters
    ----------
    geoms : array_like of shapely geometries
        CGCS2000 geometries.

    Returns
    -------
    numpy.ndarray of object
        Hex strings.

    Examples
    --------
    >>> ewkb_hex([shapely.Point(1, 2), None])[0][:18]
    '01010000208A110000'
    """
    arr = np.asarray(geoms, dtype=object)
    with_srid = shapely.set_srid(arr, SRID)
    return np.asarray(shapely.to_wkb(with_srid, hex=True, include_srid=True), dtype=object)


def point_array(lon: FloatArray, lat: FloatArray) -> npt.NDArray[np.object_]:
    """Return shapely points, ``None`` where a coordinate is NaN.

    Parameters
    ----------
    lon, lat : numpy.ndarray
        Coordinates.

    Returns
    -------
    numpy.ndarray of object
        Points or ``None``.
    """
    points = np.asarray(shapely.points(lon, lat), dtype=object)
    points[np.isnan(lon) | np.isnan(lat)] = None
    return points
