"""What every kind of import shares: its description, its staged parts, the helpers of its rows.

A kind's ``prepare`` runs the row checks that need no database and returns the rows to stage,
one column per staging column (database columns, plus helper columns starting with ``_``). The
checks that need the database (jurisdiction exists, point inside it, person found …) run on the
staging table, in :mod:`importers.loading`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Table

from geo.codes import (
    parse_division_code,
    parse_grid_code,
)
from geo.crs import SourceCrs
from geo.places import is_place_name
from importers.mapping import resolve_columns, usual_header
from importers.rules import RowChecks
from importers.values import (
    full_division_code,
)
from layers.bulk import LAT_COLUMN, LON_COLUMN, Recognition
from layers.model.base import LabelledEnum
from layers.secrets import Keys


@dataclass(frozen=True)
class Context:
    """What a kind's checks need besides the rows.

    Attributes
    ----------
    crs : SourceCrs
        CRS of the file's coordinates.
    keys : Keys or None
        Platform keys (persons and visits).
    file_name : str
        Source file name.
    history : bool
        ``--history``: a file of cases is a record of the past (:func:`_case_state`).
    """

    crs: SourceCrs
    keys: Keys | None
    file_name: str
    history: bool = False


@dataclass(frozen=True)
class Part:
    """Staged rows loaded with one natural key.

    Attributes
    ----------
    records : pandas.DataFrame
        Staging rows (``_row`` included).
    key : tuple of str
        Natural key columns.
    conflict : bool
        The key has a unique index (``ON CONFLICT``); otherwise it is matched with
        ``IS NOT DISTINCT FROM``.
    insert_only : tuple of str
        Columns written for a new row only: a value made anew at each import, or a field the
        file does not give (its default must not overwrite what a row on record has).
    recognition : layers.bulk.Recognition, optional
        How the rows find the row on record they name when their key alone does not.
    """

    records: pd.DataFrame
    key: tuple[str, ...]
    conflict: bool
    insert_only: tuple[str, ...] = ()
    recognition: Recognition | None = None


@dataclass(frozen=True)
class Kind:
    """One kind of import.

    Attributes
    ----------
    name : str
        ``jurisdictions``, ``grids``, ``workers``, ``cases``, ``video``, ``persons``, ``visits``.
    table : sqlalchemy.Table
        Target table.
    fields : tuple of str
        Target fields, in mapping priority order.
    prepare : callable
        ``(checks, context) -> list[Part]``.
    update : bool
        Matched rows are updated (reference data) or left alone (records with a life of their own).
    geometry : str or None
        Geometry column checked against the jurisdiction's boundary.
    helpers : dict
        Extra staging columns (name → SQL type).
    keep : tuple of str
        Columns an empty value does not erase when a matched row is updated (a file without
        boundaries renames units, it does not remove their boundaries).
    merge : tuple of str
        JSON object columns a matched row takes key by key (a roster without a category's
        extra columns leaves the values it has).
    quiet : tuple of str
        Columns written when a matched row changes, whose change alone does not change it (a
        boundary's source file: the same boundaries sent under another name are 未变).
    label : str
        What the file holds, in Chinese (``案件``).
    required : tuple of str
        Fields every row must fill (the file must have their columns).
    headers : dict
        Field → the header clerks give it in this kind's files, where it is not the field's
        usual one (a person's ``name`` is 姓名, a grid's is 网格名称); each a known synonym.
    named_by_file : dict
        Field → its code table, for fields a whole file shares that the name of its worksheet
        or of the file may give when it has no column (:mod:`importers.named_values`).
    coded_by_name : bool
        Whether a file without a code column may name its rows' units instead: each is then
        the unit of the database of that name (grids drawn in Google Earth or 奥维, by name).
    numbered_by_content : bool
        Whether a file without a source-number column is a ledger whose rows are numbered by
        what they say (:func:`ledger_numbers`).
    """

    name: str
    table: Table
    fields: tuple[str, ...]
    prepare: Callable[[RowChecks, Context], list[Part]]
    update: bool
    geometry: str | None = None
    helpers: dict[str, str] = field(default_factory=dict)
    keep: tuple[str, ...] = ()
    merge: tuple[str, ...] = ()
    quiet: tuple[str, ...] = ()
    label: str = ""
    required: tuple[str, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)
    named_by_file: dict[str, type[LabelledEnum]] = field(default_factory=dict)
    coded_by_name: bool = False
    numbered_by_content: bool = False

    def header(self, name: str) -> str:
        """Return the header of field ``name`` in this kind's files (templates, summaries).

        Examples
        --------
        >>> from importers.kinds import KINDS
        >>> KINDS["persons"].header("name"), KINDS["cases"].header("lon")
        ('姓名', '经度')
        """
        return self.headers.get(name) or usual_header(name)

    def field_named(self, name: str) -> str | None:
        """Return the field ``name`` means: a field's name, or a header known for it.

        How ``--set`` and mapping files name fields: ``经度``, ``人员类别`` or ``lon``.

        Examples
        --------
        >>> from importers.kinds import KINDS
        >>> KINDS["persons"].field_named("人员类别"), KINDS["cases"].field_named("lon")
        ('category', 'lon')
        >>> KINDS["cases"].field_named("颜色") is None
        True
        """
        return next(iter(resolve_columns([name.strip()], self.fields)), None)

    def known_fields(self) -> str:
        """Return the fields as an error names them: ``经度（lon）、纬度（lat）…``."""
        return "、".join(f"{self.header(f)}（{f}）" for f in self.fields)


def unsaid_columns(
    checks: RowChecks, columns: Sequence[str], fed_by: Mapping[str, Sequence[str]] | None = None
) -> tuple[str, ...]:
    """Return the ``columns`` no field of the file gives (each its own field, unless ``fed_by``).

    A file without a column says nothing of it: its default (or empty) value is a new row's, not
    a reason to overwrite what a row on record has (:attr:`Part.insert_only`).
    """
    given = fed_by or {}
    return tuple(c for c in columns if not any(map(checks.has, given.get(c, (c,)))))


def staging_rows(checks: RowChecks, columns: dict[str, Any]) -> pd.DataFrame:
    """Return a part's staged rows: ``columns`` on the file's rows, numbered in ``_row``.

    Parameters
    ----------
    checks : RowChecks
        The file's checked rows (their index is the row number a report names).
    columns : dict
        Staging column → its values (a series on the rows, or one value for every row).

    Returns
    -------
    pandas.DataFrame
        The rows to stage, ``_row`` included.
    """
    frame = pd.DataFrame(columns, index=checks.frame.index)
    frame["_row"] = frame.index
    return frame


def int_text(values: pd.Series) -> pd.Series:
    """Return whole numbers as text (``3``, not ``3.0``), ``None`` where there is none.

    Parameters
    ----------
    values : pandas.Series
        Numbers, NaN for none.

    Returns
    -------
    pandas.Series
        Their text, as COPY reads an integer.

    Examples
    --------
    >>> int_text(pd.Series([3.0, float("nan")])).tolist()
    ['3', None]
    """
    numbers = values.to_numpy(dtype=float)
    missing = np.isnan(numbers)
    text = np.where(missing, 0, numbers).astype(np.int64).astype(str).astype(object)
    text[missing] = None
    return pd.Series(text, index=values.index, dtype=object)


def iso_text(values: pd.Series) -> pd.Series:
    """Return aware timestamps as ISO 8601 text in UTC, ``None`` where there is none.

    Parameters
    ----------
    values : pandas.Series
        Time-zone aware timestamps, NaT for none.

    Returns
    -------
    pandas.Series
        Their text (``2025-01-01T00:00:00Z``), as COPY reads a ``timestamptz``.
    """
    if not values.notna().any():  # an absent column: a million NaT need no formatting
        return pd.Series(None, index=values.index, dtype=object)
    utc = values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
    text = np.datetime_as_string(utc, unit="s", timezone="UTC").astype(object)
    return pd.Series(text, index=values.index, dtype=object).where(values.notna(), None)


AREA_NAME = "_area_name"
"""Helper column: the jurisdiction the row names in words (resolved in :mod:`importers.loading`)."""
TOWNSHIP_NAME = "_township_name"
"""Helper column: the township the row names, to tell apart units of one name."""
GRID_NAME = "_grid_name"
"""Helper column: the grid the row names in words (resolved in :mod:`importers.loading`)."""
GRID_NAME_BESIDE = "_grid_name_beside"
"""Helper column: the grid a row names in words beside the code it gives (a roster's 所属网格
beside its 网格编码): held to the code, never read for it."""
UNIT_NAME = "_unit_name"
"""Helper column: the jurisdiction a boundary file without codes names (resolved likewise)."""


def area_from(
    checks: RowChecks, fallback: pd.Series | None = None
) -> tuple[pd.Series, dict[str, pd.Series]]:
    """Area codes, and the jurisdiction names a row gives in words.

    The area code is the area column's when it holds a code, else ``fallback``'s (e.g. the
    grid code's first 12 digits). An area column holding a name (``复安社区``), and the
    township column, go to the helper columns :data:`AREA_NAME` and :data:`TOWNSHIP_NAME`:
    the database tells which unit they mean (:mod:`geo.places`).
    """
    text = checks.text("area_code")
    named = names_in(text)
    checks.code("area_code", parse_written_division_code, where=~named)
    area = full_division_codes(text.where(~named))
    if fallback is not None:
        area = area.where(area.notna(), fallback)
    return area, {AREA_NAME: text.where(named), TOWNSHIP_NAME: checks.text("township")}


def grid_from(checks: RowChecks, field: str) -> tuple[pd.Series, pd.Series]:
    """Grid codes of ``field``, and the grid names written there instead (``复安第1网格``).

    The names go to the helper column :data:`GRID_NAME`: the database tells which grid they
    mean (:class:`geo.places.GridDirectory`).
    """
    text = checks.text(field)
    named = names_in(text)
    checks.code(field, parse_grid_code, where=~named)
    return text.where(~named), text.where(named)


def parse_written_division_code(text: str) -> object:
    """Parse a division code as files write it (:func:`importers.values.full_division_code`)."""
    return parse_division_code(full_division_code(text))


def full_division_codes(text: pd.Series) -> pd.Series:
    """Division codes in their 12 digits (:func:`full_division_code`, once per distinct value)."""
    full = {value: full_division_code(value) for value in text.dropna().unique()}
    return text.map(full, na_action="ignore").astype(object)


def names_in(text: pd.Series) -> pd.Series:
    """Whether each value is a name rather than a code (each distinct value tested once)."""
    names = [value for value in text.dropna().unique() if is_place_name(str(value))]
    return text.isin(names)


def staged_points(checks: RowChecks, context: Context) -> dict[str, pd.Series]:
    """CGCS2000 coordinates as the staging columns the point geometry is computed from."""
    lon, lat = checks.points(context.crs)
    index = checks.frame.index
    return {LON_COLUMN: pd.Series(lon, index=index), LAT_COLUMN: pd.Series(lat, index=index)}


POINT_FIELDS = ("lon", "lonlat", "wkt")
"""The fields a point may come from."""


def mapped_rule(
    value: str,
    renamed: str | None,
    *,
    allowed: str,
    section: str,
    way: str,
    example: str,
    nearest: Callable[[str], str | None],
) -> str:
    """Return why a code-table value is refused, with the mapping file's line that names it.

    The line maps the value to the name it most likely means (``nearest``:
    :func:`importers.vocabulary.nearest_name`), or to ``…`` when none is credible: an example
    naming a wrong value (trial X: every unknown 事件类型 ``= "社情民意"``, a camera's 在线
    ``= "撤销"``) is copied as it is.

    Parameters
    ----------
    value : str
        The value as written in the file.
    renamed : str or None
        What the mapping file already says it is, if it names it.
    allowed : str
        What the value may be (the rule's first half).
    section : str
        The mapping file's section for the field (``[values."事件类型"]``).
    way : str
        What the line does, ``{section}`` filled in.
    example : str
        The value the line quotes when ``value`` is too long to be a name; else ``value``,
        quoted as TOML does.
    nearest : callable
        The name a value most likely means, ``None`` for none.

    Returns
    -------
    str
        The rule (Chinese).

    Examples
    --------
    >>> near = {"道路交通": "道路交通隐患"}.get
    >>> said = dict(allowed="须为已知分类", section="[类型]", way="可在 {section} 中写明")
    >>> mapped_rule("道路交通", None, **said, example="某类", nearest=near).split("；")[1]
    '可在 [类型] 中写明，如 "道路交通" = "道路交通隐患"'
    >>> mapped_rule("占道经营", None, **said, example="某类", nearest=near).split("，")[-1]
    '如 "占道经营" = "…"'
    """
    if renamed is not None:
        return f"映射文件（--mapping）的 {section} 把它归入“{renamed}”：{allowed}"
    shown = value if len(value) <= 40 else example
    quoted = json.dumps(shown, ensure_ascii=False)
    return f'{allowed}；{way.format(section=section)}，如 {quoted} = "{nearest(shown) or "…"}"'
