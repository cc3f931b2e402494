"""Values as clerks write them, read again where the column-wide parse refuses them.

``pd.to_numeric`` and ISO 8601 ``pd.to_datetime`` read a clean column at once; the values they
refuse go through these slower readers, on those rows only: full-width digits, coordinates in
degrees-minutes-seconds, Excel serial day numbers, ``20240501083000``, ``2024年5月1日下午3:30``
and ``2024/1/2 8:00``. A reader that refuses a value says why in Chinese (the ``ValueError``'s
text, or the rule it returns), for the reject report.
"""

from __future__ import annotations

import calendar
import math
import re
import unicodedata
from collections.abc import Callable
from datetime import datetime
from typing import cast

import numpy as np
import pandas as pd

from geo.crs import (
    GK_CM_EPSG_FIRST,
    GK_CM_EPSG_LAST,
    GK_ZONE_EPSG_FIRST,
    GK_ZONE_EPSG_LAST,
    GK_ZONE_FIRST,
    gauss_kruger_epsg,
)

SHANGHAI = "Asia/Shanghai"
"""Time zone of local times written without a UTC offset."""

COORDINATE_RULE = "必须是数字（十进制度，如 102.905）或度分秒（如 102°48′30.5″）"
DATE_RULE = "必须是日期时间，例如 2024-05-01 08:30"
YEARLESS_RULE = "日期缺少年份，请写成 2025年5月5日 这样的完整日期"
"""Why a date without its year (``5月5日``, its year only in a ledger's title) is refused."""

EXCEL_NUMBER_RULE = (
    "号码被表格存成了数字，显示为科学计数法（如 1.10105E+17），末几位已丢失："
    "请把该列设为“文本”格式后重新录入"
)
"""Why a code written in scientific notation is refused (see :func:`excel_mangled`)."""

_SCIENTIFIC = re.compile(r"[0-9](?:\.[0-9]+)?[eE]\+?[0-9]+")


def excel_mangled(text: str) -> bool:
    """Tell whether a code is a long number a spreadsheet stored as a number (lost digits).

    A resident ID or a device code typed into a cell not set to text is kept to 15 significant
    digits and shown, and exported to CSV, in scientific notation; its last digits are gone.

    Parameters
    ----------
    text : str
        A code as read.

    Returns
    -------
    bool
        True for scientific notation such as ``1.10105E+17``.

    Examples
    --------
    >>> excel_mangled("1.10105E+17"), excel_mangled("1.1010519491231002e+17")
    (True, True)
    >>> excel_mangled("11010519491231002X"), excel_mangled("530424100001")
    (False, False)
    """
    return _SCIENTIFIC.fullmatch(text.strip()) is not None


def excel_mangled_cells(values: pd.Series) -> pd.Series:
    """Tell, cell by cell, whether codes are long numbers a spreadsheet stored as numbers.

    The vectorised :func:`excel_mangled`, for a column of a million work-order numbers.

    Parameters
    ----------
    values : pandas.Series
        Codes as read (``None`` for an empty cell).

    Returns
    -------
    pandas.Series of bool
        True for scientific notation such as ``2.02611E+12``; False for empty cells.

    Examples
    --------
    >>> excel_mangled_cells(pd.Series(["2.02611E+12", "2026110300012", None])).tolist()
    [True, False, False]
    """
    found = values.astype("string").str.strip().str.fullmatch(_SCIENTIFIC.pattern)
    return found.fillna(False).astype(bool)


_KEPT_AS_TEXT = re.compile(r'^\s*(?:="(?P<quoted>[^"]*)"|[\'‘’`](?P<marked>[0-9０-９][^\']*))\s*$')
"""A number a system wrote so that Excel keeps it as text: ``="0530…"``, ``'5304…``."""


def kept_text(text: str) -> str:
    """Return a code as meant, without the mark a system put before it to keep it text.

    An export meant for Excel writes a long number (an ID, a device code) as ``'5304…`` or
    ``="5304…"`` lest Excel turn it into ``5.3E+17``; an XLSX cell may hold that mark as
    text. What the cell means is the number after it.

    Parameters
    ----------
    text : str
        The cell as written.

    Returns
    -------
    str
        The text without the mark (unchanged when it has none).

    Examples
    --------
    >>> kept_text("'530424198812300985"), kept_text('="0530"'), kept_text("王'五")
    ('530424198812300985', '0530', "王'五")
    """
    match = _KEPT_AS_TEXT.match(text)
    if match is None:
        return text
    return match["quoted"] if match["quoted"] is not None else match["marked"]


_SPACED_CODE = re.compile(r"[0-9０-９]+(?:[\s\-－]+[0-9０-９]+)+")
"""A code typed in groups for readability: ``5304 2400 0513 2500 0225``."""


def ungrouped_code(text: str) -> str:
    """Return a code without the spaces or hyphens that group its digits (and its text mark).

    Examples
    --------
    >>> ungrouped_code(" 5304 2400 0513 2500 0225 "), ungrouped_code("'53042400051325000225")
    ('53042400051325000225', '53042400051325000225')
    >>> ungrouped_code("NVR-01 通道")
    'NVR-01 通道'
    """
    bare = kept_text(text).strip()
    if _SPACED_CODE.fullmatch(bare):
        return unicodedata.normalize("NFKC", re.sub(r"[\s\-－]+", "", bare))
    return bare


_SHORT_DIVISION = re.compile(r"[0-9]{6}(?:[0-9]{3})?")
_LAND_SURVEY_UNIT = re.compile(r"([0-9]{12})0{7}")
"""A land survey's 19-digit 坐落单位代码: the 12-digit village code and seven zeros."""


def full_division_code(text: str) -> str:
    """Return a division code in its 12 digits, as written short or in a land survey's form.

    A county is often written in its 6 digits (``530424``, a GIS file's ``PAC`` or
    ``adcode``), a township in 9 (a survey's ``XZQDM``), a village as a 19-digit 坐落单位代码;
    anything else is returned as it is, for the code's own check to judge.

    Parameters
    ----------
    text : str
        A code as written.

    Returns
    -------
    str
        The 12-digit code, or ``text`` unchanged.

    Examples
    --------
    >>> [full_division_code(c) for c in ("530424", "530424100", "5304241000010000000")]
    ['530424000000', '530424100000', '530424100001']
    >>> full_division_code("5304241"), full_division_code("530424100001")
    ('5304241', '530424100001')
    """
    if _SHORT_DIVISION.fullmatch(text):
        return text.ljust(12, "0")
    survey = _LAND_SURVEY_UNIT.fullmatch(text)
    return survey.group(1) if survey else text


def plain_number(text: str) -> str:
    """Return ``text`` with full-width digits, signs and points as ASCII (Unicode NFKC).

    Parameters
    ----------
    text : str
        A value as written.

    Returns
    -------
    str
        The normalised text (an ideographic full stop ``。`` is left as it is).

    Examples
    --------
    >>> plain_number("１０２．９０５"), plain_number("－２４"), plain_number("１０２。９")
    ('102.905', '-24', '102。9')
    """
    return unicodedata.normalize("NFKC", text)


def lacks_year(text: str) -> bool:
    """Return whether a date as written gives no year (no run of three digits or more).

    Examples
    --------
    >>> lacks_year("5月5日"), lacks_year("5/5 8:30"), lacks_year("1024-05-01")
    (True, True, False)
    """
    return re.search(r"[0-9]{3}", plain_number(text)) is None


_YEARLESS = re.compile(r"^\s*(?P<month>[0-9]{1,2})\s*月\s*(?P<day>[0-9]{1,2})\s*日")
"""A date written ``10月3日`` (a time may follow): the one year-less form read in a named year."""


def with_year(raw: pd.Series, year: int, month: int | None = None) -> tuple[pd.Series, pd.Series]:
    """Return the dates written ``10月3日`` given the year, and which were.

    Only this form: ``10-03`` or ``10.3`` could be other things and stay refused.

    Parameters
    ----------
    raw : pandas.Series
        Values as text (``None`` where empty).
    year : int
        The year the file's name states.
    month : int, optional
        The month it states: a later month is of the year before (a 12月 date in 2027年1月).

    Returns
    -------
    tuple
        The values (``2026年10月3日``), and a boolean series of those given the year.

    Examples
    --------
    >>> written = pd.Series(["1月3日 8:30", "12月30日", "10-03", None], dtype=object)
    >>> dates, given = with_year(written, 2027, 1)
    >>> list(dates), list(given)
    (['2027年1月3日 8:30', '2026年12月30日', '10-03', None], [True, True, False, False])
    """
    maybe = raw.str.contains("月", na=False)
    text = raw[maybe].map(plain_number)
    months = pd.to_numeric(text.str.extract(_YEARLESS)["month"], errors="coerce")
    given = months.notna().reindex(raw.index, fill_value=False)
    years = pd.Series(year, index=months.index)
    if month is not None:
        years = years.where(~(months > month), year - 1)
    dated = years.astype(str) + "年" + text.str.strip()
    out = raw.copy()
    out[given] = dated[months.notna()]
    return out, given


_DMS = re.compile(
    r"(?P<before>[NSEW]|东经|西经|北纬|南纬)?\s*:?\s*"
    r"(?P<sign>[-+])?\s*"
    r"(?P<deg>[0-9]+(?:\.[0-9]+)?)\s*(?P<mark>°|度)?"
    r"(?:\s*(?P<min>[0-9]+(?:\.[0-9]+)?)\s*(?:′|'|’|分)"
    r"(?:\s*(?P<sec>[0-9]+(?:\.[0-9]+)?)\s*(?:′′|''|\"|”|秒))?)?"
    r"\s*(?P<after>[NSEW])?",
    re.IGNORECASE,
)
"""Degrees-minutes-seconds after NFKC (which turns ``″`` into ``′′``)."""

_NEGATIVE = frozenset({"S", "W", "南纬", "西经"})
DMS_SIXTY_RULE = "度分秒格式有误：分、秒必须小于 60"


def parse_dms(text: str) -> float:
    """Return decimal degrees from degrees-minutes-seconds as clerks write them.

    Degrees end with ``°`` or ``度``; minutes with ``′``, ``'``, ``’`` or ``分``; seconds with
    ``″``, ``"``, ``”``, ``''`` or ``秒``. The last part may have decimals (``102°48.508′``).
    A direction (``N``/``E``/``S``/``W`` before or after, or ``东经``/``西经``/``北纬``/
    ``南纬`` before) sets the sign: south and west are negative. It is not checked against
    the column: a latitude in the longitude column is caught as swapped coordinates later.
    Full-width characters are read as ASCII (:func:`plain_number`).

    Parameters
    ----------
    text : str
        The value as written.

    Returns
    -------
    float
        Decimal degrees.

    Raises
    ------
    ValueError
        With the rule broken, in Chinese: not degrees-minutes-seconds (a plain number without
        ``°`` or direction is not), minutes or seconds of 60 or more, decimals before the last
        part, a direction written twice or together with a minus sign.

    Examples
    --------
    >>> parse_dms("102°48′30.5″") == 102 + 48 / 60 + 30.5 / 3600
    True
    >>> [round(parse_dms(v), 6) for v in ("北纬24度5分12秒", "24°5′12″S", "E102°48.508'")]
    [24.086667, -24.086667, 102.808467]
    >>> parse_dms("102°60′")
    Traceback (most recent call last):
    ...
    ValueError: 度分秒格式有误：分、秒必须小于 60
    """
    match = _DMS.fullmatch(plain_number(text).strip())
    if match is None:
        raise ValueError(COORDINATE_RULE)
    degrees, minutes, seconds = match["deg"], match["min"], match["sec"]
    before, after = match["before"], match["after"]
    direction = (before or after or "").upper()
    if match["mark"] is None and (minutes is not None or not direction):
        raise ValueError(COORDINATE_RULE)
    if before and after:
        raise ValueError("度分秒格式有误：方向只能写一次")
    if direction and match["sign"]:
        raise ValueError("度分秒格式有误：不能同时写正负号和方向（东经、北纬、E、N 等）")
    if (minutes is not None and "." in degrees) or (seconds is not None and "." in minutes):
        raise ValueError("度分秒格式有误：只有最后一项可以有小数，如 102°48.508′ 或 102°48′30.5″")
    value = float(degrees)
    if minutes is not None:
        if float(minutes) >= 60 or (seconds is not None and float(seconds) >= 60):
            raise ValueError(DMS_SIXTY_RULE)
        value += float(minutes) / 60
        if seconds is not None:
            value += float(seconds) / 3600
    negative = match["sign"] == "-" or direction in _NEGATIVE
    return -value if negative else value


def _each_value(raw: pd.Series, parse: Callable[[str], object], rules: dict[str, str]) -> pd.Series:
    """Parse each distinct value once; record the rule (the ``ValueError``) of each refused one.

    Returns the parsed values, NaN where refused.
    """
    parsed: dict[str, object] = {}
    for value in raw.unique():
        try:
            parsed[value] = parse(value)
        except ValueError as exc:
            rules[value] = str(exc)
    return raw.map(parsed)


def _slow_numbers(raw: pd.Series, *, dms: bool) -> tuple[pd.Series, dict[str, str]]:
    """Read again numbers ``pd.to_numeric`` refused: full-width, then (``dms``) DMS.

    Returns the floats (NaN where still refused) and the rule of each refused DMS value.
    """
    text = raw.map(plain_number)
    changed = text != raw
    numbers = pd.Series(np.nan, index=raw.index)
    if changed.any():
        numbers[changed] = pd.to_numeric(text[changed], errors="coerce").astype(float)
    rules: dict[str, str] = {}
    left = numbers.isna()
    if dms and left.any():
        numbers[left] = _each_value(raw[left], parse_dms, rules).astype(float)
    return numbers, rules


EXCEL_ORIGIN = pd.Timestamp("1899-12-30")
"""Day 0 of Excel's 1900 date system (day 1 is 1900-01-01 counting Excel's 1900-02-29)."""

EXCEL_DAYS = (
    (pd.Timestamp("1990-01-01") - EXCEL_ORIGIN).days,
    (pd.Timestamp("2101-01-01") - EXCEL_ORIGIN).days,
)
"""Excel serial days read as dates: 1990-01-01 (32874) up to the end of 2100 (before 73416)."""

SERIAL_RULE = (
    f"是数字，但不是可用的 Excel 日期序号（应在 {EXCEL_DAYS[0]} 到 {EXCEL_DAYS[1] - 1} 之间，"
    "即 1990—2100 年）；请写成日期时间，例如 2024-05-01 08:30"
)


def excel_date(value: object) -> object:
    """Return a date cell saved as an Excel serial day number (``45352``) as its ISO date.

    Other values, and numbers outside 1990–2100 (:data:`EXCEL_DAYS`), come back unchanged.

    Examples
    --------
    >>> excel_date("45352"), excel_date("2024-03-01"), excel_date("12")
    ('2024-03-01', '2024-03-01', '12')
    """
    if not isinstance(value, str) or not re.fullmatch(r"\d{5}(?:\.0*)?", value.strip()):
        return value
    stamp = excel_serial_times(pd.Series([float(value)])).iloc[0]
    return value if pd.isna(stamp) else stamp.date().isoformat()


def excel_serial_times(days: pd.Series) -> pd.Series:
    """Return the date-times of Excel serial day numbers (a date cell saved as a number).

    The fraction is the time of day, rounded to the second. Numbers outside 1990–2100
    (:data:`EXCEL_DAYS`) give NaT: they are not taken for dates.

    Parameters
    ----------
    days : pandas.Series of float
        Serial day numbers (NaN allowed).

    Returns
    -------
    pandas.Series
        Naive local date-times, NaT outside the range.

    Examples
    --------
    >>> excel_serial_times(pd.Series([45413, 45413.354166, 20240501])).tolist()
    [Timestamp('2024-05-01 00:00:00'), Timestamp('2024-05-01 08:30:00'), NaT]
    """
    usable = (days >= EXCEL_DAYS[0]) & (days < EXCEL_DAYS[1])
    seconds = (days.where(usable) * 86400).round()
    return EXCEL_ORIGIN + pd.to_timedelta(seconds, unit="s")


_COMPACT_DIGITS = r"[0-9]{8}(?:[0-9]{4}(?:[0-9]{2})?)?"
_COMPACT_SCALE = {8: 10**6, 12: 10**2, 14: 1}
"""Digits of ``YYYYMMDD[hhmm[ss]]`` → factor to the 14 digits of ``YYYYMMDDhhmmss``."""


def compact_times(text: pd.Series) -> pd.Series:
    """Return the date-times of digits-only ``YYYYMMDD``, ``YYYYMMDDhhmm`` or ``YYYYMMDDhhmmss``.

    Parameters
    ----------
    text : pandas.Series of str
        Values as written.

    Returns
    -------
    pandas.Series
        Naive local date-times, NaT where the text is not such a date-time.

    Examples
    --------
    >>> compact_times(pd.Series(["20240501", "202405010830", "20240501083015", "20241301"]))
    0   2024-05-01 00:00:00
    1   2024-05-01 08:30:00
    2   2024-05-01 08:30:15
    3                   NaT
    dtype: datetime64[us]
    """
    digits = text.str.fullmatch(_COMPACT_DIGITS, na=False)
    # 14 digits are below 2**53: exact as floats, which carry NaN for the other rows.
    full = pd.to_numeric(text.where(digits), errors="coerce") * text.str.len().map(_COMPACT_SCALE)
    parts = pd.DataFrame(
        {
            "year": full // 10**10,
            "month": full // 10**8 % 100,
            "day": full // 10**6 % 100,
            "hour": full // 10**4 % 100,
            "minute": full // 10**2 % 100,
            "second": full % 100,
        }
    )
    valid = (
        digits
        & parts["hour"].between(0, 23)
        & parts["minute"].between(0, 59)
        & parts["second"].between(0, 59)
    )
    result = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    if valid.any():
        result[valid] = pd.to_datetime(parts[valid], errors="coerce").dt.as_unit("us")
    return result


_CHINESE = re.compile(
    r"(?P<year>[0-9]{4})\s*年\s*(?P<month>[0-9]{1,2})\s*月\s*(?P<day>[0-9]{1,2})\s*日"
    r"(?:\s*(?P<half>上午|下午)?\s*(?:"
    r"(?P<hour>[0-9]{1,2})\s*[时点]\s*"
    r"(?:(?P<minute>[0-9]{1,2})\s*分\s*(?:(?P<second>[0-9]{1,2})\s*秒)?)?"
    r"|(?P<clock_hour>[0-9]{1,2}):(?P<clock_minute>[0-9]{2})(?::(?P<clock_second>[0-9]{2}))?"
    r"))?"
)
"""``2024年5月1日`` with an optional ``上午``/``下午`` and ``8时30分15秒`` or ``8:30:15``."""

HALF_DAY_RULE = "上午、下午与小时不符：上午为 0—11 时，下午为 1—12 时（或 13—23 时）"
NO_SUCH_TIME_RULE = "日期或时间不存在（如 2 月 30 日、25 时、61 分）"
NO_SUCH_DAY_RULE = "{year} 年 {month} 月只有 {days} 天，没有 {day} 日，请检查日期"
"""Why a date past its month's end (``2025年11月31日``, ``2025-02-29``) is refused."""
_WRITTEN_DAY = re.compile(
    r"(?<![0-9])(?P<year>[0-9]{4})\s*[-/.年]\s*(?P<month>[0-9]{1,2})\s*[-/.月]\s*"
    r"(?P<day>[0-9]{1,2})(?![0-9])"
)


def no_such_day(text: str) -> str | None:
    """Return why a date is refused when its day is past its month's end, else ``None``.

    Parameters
    ----------
    text : str
        A date or date-time as written (``2025年11月31日``, ``2025/2/29 8:00``).

    Returns
    -------
    str or None
        :data:`NO_SUCH_DAY_RULE` filled in, or ``None`` when the month has that day (or the
        text is no year-month-day date, or its month is not 1–12).

    Examples
    --------
    >>> no_such_day("2025年11月31日")
    '2025 年 11 月只有 30 天，没有 31 日，请检查日期'
    >>> no_such_day("2025-02-29 08:00"), no_such_day("2024-02-29"), no_such_day("2025-13-01")
    ('2025 年 2 月只有 28 天，没有 29 日，请检查日期', None, None)
    """
    found = _WRITTEN_DAY.search(plain_number(text))
    if found is None:
        return None
    year, month, day = (int(found[part]) for part in ("year", "month", "day"))
    if not 1 <= month <= 12:
        return None
    days = calendar.monthrange(year, month)[1]
    if day <= days:
        return None
    return NO_SUCH_DAY_RULE.format(year=year, month=month, days=days, day=day)


def parse_chinese_time(text: str) -> datetime:
    """Return the date-time of ``2024年5月1日``, with ``8时30分[15秒]`` or ``8:30[:15]``.

    ``点`` may stand for ``时``. ``上午`` or ``下午`` may come before the time: ``下午`` adds
    12 hours to hours 1–11 (``下午12:30`` is half past noon, ``下午15:30`` is read as written).
    Full-width characters are read as ASCII (:func:`plain_number`).

    Parameters
    ----------
    text : str
        The value as written.

    Returns
    -------
    datetime.datetime
        Naive local date-time.

    Raises
    ------
    ValueError
        With the rule broken, in Chinese: not such a date-time, a day past its month's end
        (``2024年2月30日``, :func:`no_such_day`), a time that does not exist (``25时``),
        ``上午`` with an hour past 11 or ``下午0时``.

    Examples
    --------
    >>> parse_chinese_time("2024年5月1日 8时30分15秒")
    datetime.datetime(2024, 5, 1, 8, 30, 15)
    >>> parse_chinese_time("2024年5月1日下午3:30")
    datetime.datetime(2024, 5, 1, 15, 30)
    >>> parse_chinese_time("2024年2月30日")
    Traceback (most recent call last):
    ...
    ValueError: 2024 年 2 月只有 29 天，没有 30 日，请检查日期
    """
    match = _CHINESE.fullmatch(plain_number(text).strip())
    if match is None:
        raise ValueError(DATE_RULE)
    hour = int(match["hour"] or match["clock_hour"] or 0)
    minute = int(match["minute"] or match["clock_minute"] or 0)
    second = int(match["second"] or match["clock_second"] or 0)
    half = match["half"]
    if (half == "上午" and hour > 11) or (half == "下午" and hour == 0):
        raise ValueError(HALF_DAY_RULE)
    if half == "下午" and 1 <= hour <= 11:
        hour += 12
    try:
        return datetime(
            int(match["year"]), int(match["month"]), int(match["day"]), hour, minute, second
        )
    except ValueError:
        raise ValueError(no_such_day(text) or NO_SUCH_TIME_RULE) from None


_UTC_OFFSET = re.compile(r":[0-9]{2}(?:[.,][0-9]+)?\s*(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)$", re.I)
"""A UTC offset after an ISO time (``08:30:00+08:00``, ``08:30Z``)."""


def _iso_times(text: pd.Series) -> pd.Series:
    """Parse ISO 8601 over the column: naive, or aware (UTC) when some rows have an offset."""
    try:
        return pd.to_datetime(text, errors="coerce", format="ISO8601")
    except ValueError:  # the offsets differ between rows, or only some rows have one
        offset = text.str.contains(_UTC_OFFSET, na=False)
        aware = pd.to_datetime(text.where(offset), errors="coerce", format="ISO8601", utc=True)
        local = pd.to_datetime(text.where(~offset), errors="coerce", format="ISO8601")
        return aware.where(offset, _localize(local).dt.tz_convert("UTC"))


def _localize(times: pd.Series) -> pd.Series:
    """Return naive local times as Asia/Shanghai times.

    China kept summer time from 1986 to 1991: a clock time skipped in spring is moved on to the
    first existing one, and a clock time repeated in autumn is taken as standard time.
    """
    standard = np.zeros(len(times), dtype=bool)
    localized = times.dt.tz_localize(SHANGHAI, ambiguous=standard, nonexistent="shift_forward")
    return cast(pd.Series, localized)


def _in_shanghai(times: pd.Series) -> pd.Series:
    """Return date-times in Asia/Shanghai: naive ones are local times, aware ones converted."""
    if times.dt.tz is None:
        return _localize(times)
    return cast(pd.Series, times.dt.tz_convert(SHANGHAI))


def _shanghai_us(times: pd.Series) -> pd.Series:
    """Return date-times in Asia/Shanghai at microsecond resolution (so that they can mix)."""
    return cast(pd.Series, _in_shanghai(pd.to_datetime(times)).dt.as_unit("us"))


def _slow_times(raw: pd.Series) -> tuple[pd.Series, dict[str, str]]:
    """Read again date-times ISO 8601 refused, trying each slower format on what is left.

    In order: full-width ISO, Excel serial days, compact digits, Chinese date-times, then
    ``2024/1/2 8:00`` and the like. Returns the date-times in Asia/Shanghai (NaT where still
    refused) and the rule of the refused values that have a rule of their own (numbers that
    are neither Excel dates nor compact date-times, Chinese date-times that do not exist).
    """
    text = raw.map(plain_number)
    parsed = pd.Series(pd.NaT, index=raw.index, dtype=f"datetime64[us, {SHANGHAI}]")
    rules: dict[str, str] = {}
    decimal = text.str.fullmatch(r"[0-9]+(?:\.[0-9]+)?", na=False)
    numbers = pd.to_numeric(text.where(decimal), errors="coerce").astype(float)
    readers: list[tuple[pd.Series, Callable[[pd.Series], pd.Series]]] = [
        (text != raw, lambda rows: _iso_times(text[rows])),
        (decimal, lambda rows: excel_serial_times(numbers[rows])),
        (decimal, lambda rows: compact_times(text[rows])),
        (
            text.str.contains("年", regex=False),
            lambda rows: _each_value(raw[rows], parse_chinese_time, rules),
        ),
        (~decimal, lambda rows: _loose_times(text[rows])),
    ]
    for candidates, read in readers:
        rows = candidates & parsed.isna()
        if rows.any():
            parsed[rows] = _shanghai_us(read(rows))
    refused = parsed.isna() & decimal
    compact = text[refused].str.fullmatch(_COMPACT_DIGITS)
    for value, digits in zip(raw[refused], compact, strict=True):
        rules[str(value)] = NO_SUCH_TIME_RULE if digits else SERIAL_RULE
    for value, written in zip(raw[parsed.isna()], text[parsed.isna()], strict=True):
        if _HALF_DAY_CLOCK.search(written) and clock_24(written) == written:
            rules.setdefault(str(value), HALF_DAY_RULE)  # 上午 13:05, 下午 0:30
        elif (past_the_end := no_such_day(written)) is not None:
            rules.setdefault(str(value), past_the_end)  # 2025-11-31, 2025/2/29
    return parsed, rules


_HALF_DAY_CLOCK = re.compile(r"(上午|下午)\s*([0-9]{1,2})(?=:[0-9]{2})")
"""A 12-hour clock time as Chinese-locale exports write it (``2024-05-01 下午 03:30:00``)."""


def clock_24(text: str) -> str:
    """Return ``text`` with a ``上午``/``下午`` clock time written on the 24-hour clock.

    As on a 12-hour clock, ``上午 12:xx`` is just after midnight and ``下午 12:xx`` just after
    noon; ``下午`` with an hour of 13 to 23 is read as written. Other hours (``上午 13:00``,
    ``下午 0:30``) are left as they are, for the date-time check to refuse.

    Parameters
    ----------
    text : str
        A date-time as written.

    Returns
    -------
    str
        The same date-time without ``上午``/``下午``, or ``text`` unchanged.

    Examples
    --------
    >>> clock_24("2024-05-01 下午 03:30:00"), clock_24("2024/5/1 上午12:05")
    ('2024-05-01 15:30:00', '2024/5/1 00:05')
    >>> clock_24("2024/5/1 上午13:05")
    '2024/5/1 上午13:05'
    """
    match = _HALF_DAY_CLOCK.search(text)
    if match is None:
        return text
    hour = int(match[2])
    if match[1] == "上午" and hour <= 12:
        hour %= 12
    elif match[1] == "下午" and 1 <= hour <= 11:
        hour += 12
    elif not (match[1] == "下午" and 12 <= hour <= 23):
        return text
    return f"{text[: match.start()]}{hour:02d}{text[match.end() :]}"


def _loose_times(text: pd.Series) -> pd.Series:
    """Read ``2024/1/2 8:00``, ``2024.1.2`` and the like (dateutil, on what ISO refuses)."""
    text = text.map(clock_24, na_action="ignore")
    # A point is a date separator unless it follows the seconds of a time (08:30:00.5).
    cleaned = text.str.replace(r"[年月/]|(?<!:[0-9]{2})\.", "-", regex=True)
    cleaned = cleaned.str.replace("日", " ", regex=False)
    parsed = _shanghai_us(_iso_times(cleaned))
    still = parsed.isna()
    if still.any():
        try:
            loose = pd.to_datetime(cleaned[still], errors="coerce", format="mixed")
        except ValueError:  # some with a UTC offset and some without: left as not dates
            return parsed
        parsed[still] = _shanghai_us(loose)
    return parsed


PAIR_RULE = "必须是“经度,纬度”两个数，如 102.905,24.205"
"""Why a value of a "lon,lat" column is refused (see :func:`split_pair`)."""

_PAIR_SEPARATORS = re.compile(r"\s*[,;，；、]\s*")


def split_pair(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Split "lon,lat" values into their two parts.

    The parts are separated by a comma, a semicolon or ``、`` (ASCII or full-width), else by
    spaces (so that ``102°48′30″ 24°5′12″`` splits between the two, not inside them).

    Parameters
    ----------
    raw : pandas.Series
        Values as text (``None`` where empty).

    Returns
    -------
    tuple of pandas.Series
        First and second parts; ``None`` where a value does not have exactly two.

    Examples
    --------
    >>> written = ["102.905,24.205", "102.9 24.2", "１０２．９，２４．２", "1", None]
    >>> first, second = split_pair(pd.Series(written))
    >>> first.tolist(), second.tolist()
    (['102.905', '102.9', '１０２．９', None, None], ['24.205', '24.2', '２４．２', None, None])
    """

    def two(value: object) -> tuple[str, str] | None:
        if not isinstance(value, str):
            return None
        text = value.strip()
        parts = _PAIR_SEPARATORS.split(text) if _PAIR_SEPARATORS.search(text) else text.split()
        return (parts[0], parts[1]) if len(parts) == 2 and all(parts) else None

    pairs = [two(value) for value in raw]
    first = pd.Series([p[0] if p else None for p in pairs], index=raw.index, dtype=object)
    second = pd.Series([p[1] if p else None for p in pairs], index=raw.index, dtype=object)
    return first, second


_PHONE_PUNCTUATION = re.compile(r"[\s\-()]")
_COUNTRY_CODE = re.compile(r"^(?:\+|00)?86(?=1[3-9][0-9]{9}$)")


def phone_numbers(raw: pd.Series) -> pd.Series:
    """Return phone numbers in one form, so that a person's phone matches across files.

    Full-width digits are read as ASCII; spaces, hyphens and brackets are dropped; ``+86``
    (or ``0086``, ``86``) before a mobile number is dropped. A phone is part of the key that
    tells a grid worker without a staff number again on the next import; migration 0008
    brought the phones stored before into the same form.

    Parameters
    ----------
    raw : pandas.Series
        Phones as written (``None`` where empty).

    Returns
    -------
    pandas.Series
        Phones as digits (a landline keeps its area code).

    Examples
    --------
    >>> written = ["138 0000 0000", "+86 138-0000-0000", "(0877)501 1234", None]
    >>> phone_numbers(pd.Series(written)).tolist()
    ['13800000000', '13800000000', '08775011234', None]
    """

    def one(value: object) -> object:
        if not isinstance(value, str):
            return None
        digits = _PHONE_PUNCTUATION.sub("", unicodedata.normalize("NFKC", value))
        return _COUNTRY_CODE.sub("", digits) or None

    return pd.Series([one(v) for v in raw], index=raw.index, dtype=object)


PHONE_RULE = (
    "电话号码位数不对：手机号是 1 开头的 11 位数字，固定电话是区号加 7 或 8 位号码"
    "（如 0877-5011234），可带分机号"
)
"""Why a worker's phone is refused (a digit left out would reach dispatch as their number)."""
_VALID_PHONE = re.compile(r"1[3-9][0-9]{9}|0[1-9][0-9]{1,2}[2-9][0-9]{6,7}|[2-9][0-9]{6,7}")
"""A mobile number, a landline with its area code, or a local landline (then an extension)."""


def invalid_phones(phones: pd.Series) -> pd.Series:
    """Tell which phone numbers (as :func:`phone_numbers` gives them) cannot be dialled.

    A mobile number has 11 digits and begins 13–19; a landline has a 3- or 4-digit area code
    beginning 0 and 7 or 8 digits, or only those 7 or 8; an extension (``转123``, ``-123``
    written after it) is allowed. Masked numbers (``138****1234``) are not checked.

    Parameters
    ----------
    phones : pandas.Series
        Phones as digits (``None`` where empty).

    Returns
    -------
    pandas.Series of bool
        True where a number is written but cannot be one.

    Examples
    --------
    >>> written = ["13800000000", "1396675851", "18736134", "08775011234", "5011234", None]
    >>> invalid_phones(pd.Series(written)).tolist()
    [False, True, True, False, False, False]
    >>> invalid_phones(pd.Series(["08775011234转123", "138****1234"])).tolist()
    [False, False]
    """
    text = phones.astype("string")
    number = text.str.split(r"转|ext|分机", n=1, regex=True).str[0]
    masked = text.str.contains("*", regex=False).fillna(False).astype(bool)
    valid = number.str.fullmatch(_VALID_PHONE.pattern).fillna(False).astype(bool)
    return text.notna() & ~masked & ~valid


# ------------------------------------------------------------------ metres instead of degrees


def projected_rule(easting: float) -> str:
    """Return why coordinates in metres are refused, with the ``--crs`` to import them.

    Parameters
    ----------
    easting : float
        The x coordinate as read.

    Returns
    -------
    str
        The rule (Chinese), naming the EPSG code when the easting has a 3-degree zone prefix
        (:func:`geo.crs.gauss_kruger_epsg`).

    Examples
    --------
    >>> projected_rule(34_512_345.6).split("：")[1]
    '请加 --crs EPSG:4522 重新导入'
    """
    try:
        epsg = gauss_kruger_epsg(easting)
    except ValueError:  # no 3-degree zone prefix
        epsg = None
    if epsg is not None:
        zone = int(easting // 1_000_000)
        return (
            f"坐标不是经纬度，是以米为单位的投影坐标（高斯-克吕格第 {zone} 带）："
            f"请加 --crs EPSG:{epsg} 重新导入"
        )
    return PROJECTED_WITHOUT_ZONE


PROJECTED_WITHOUT_ZONE = (
    "坐标不是经纬度，像是以米为单位的投影坐标（东坐标没有带号）：请用 --crs 指定坐标系，"
    "CGCS2000 高斯-克吕格 3 度带中央经线 75°E—135°E 依次为 EPSG:4534—4554，"
    "按数据所在地区的带选用（导入摘要列出本库辖区所在的带）"
)
"""Why eastings in metres without their zone prefix are refused: the zone is the place's."""


def projection_reason(easting: float, epsg: int, detail: str) -> str:
    """Return why a point in a CGCS2000 Gauss-Krüger CRS cannot be converted, in Chinese.

    Parameters
    ----------
    easting : float
        The x coordinate as read.
    epsg : int
        The source CRS.
    detail : str
        The converter's own reason, returned for other CRSs and other causes.

    Returns
    -------
    str
        The reason.

    Examples
    --------
    >>> projection_reason(512_345.6, 4522, "…")
    '东坐标 512345.6 没有 EPSG:4522 要求的带号 34（应为 34xxxxxx 米）'
    >>> projection_reason(34_512_345.6, 4543, "…")
    '东坐标 34512345.6 应在 0—1000000 米之间（EPSG:4543 不带带号）'
    """
    if GK_ZONE_EPSG_FIRST <= epsg <= GK_ZONE_EPSG_LAST:
        zone = epsg - GK_ZONE_EPSG_FIRST + GK_ZONE_FIRST
        if not math.isfinite(easting) or int(easting // 1_000_000) != zone:
            return (
                f"东坐标 {easting:.10g} 没有 EPSG:{epsg} 要求的带号 {zone}（应为 {zone}xxxxxx 米）"
            )
    if GK_CM_EPSG_FIRST <= epsg <= GK_CM_EPSG_LAST and not 0 < easting < 1_000_000:
        return f"东坐标 {easting:.10g} 应在 0—1000000 米之间（EPSG:{epsg} 不带带号）"
    return detail


def parse_numbers(raw: pd.Series, *, dms: bool = False) -> tuple[pd.Series, dict[str, str]]:
    """Parse a column of numbers: at once where plain, value by value where not.

    The values ``pd.to_numeric`` refuses are read again in full-width characters
    (``１０２．９``, :func:`plain_number`) and, with ``dms``, in degrees-minutes-seconds
    (:func:`parse_dms`).

    Parameters
    ----------
    raw : pandas.Series
        Values as text (``None`` where empty).
    dms : bool
        Also accept degrees-minutes-seconds (longitudes and latitudes).

    Returns
    -------
    tuple
        The floats (NaN where empty or refused) and, for refused values that have a rule of
        their own (a DMS value with minutes past 59 …), value → rule.

    Examples
    --------
    >>> numbers, rules = parse_numbers(pd.Series(["1.5", "２", "24°30′", "9°60′", None]), dms=True)
    >>> numbers.tolist()[:3], rules
    ([1.5, 2.0, 24.5], {'9°60′': '度分秒格式有误：分、秒必须小于 60'})
    """
    numbers = pd.to_numeric(raw, errors="coerce").astype(float)
    wrong = raw.notna() & numbers.isna()
    rules: dict[str, str] = {}
    if wrong.any():
        numbers[wrong], rules = _slow_numbers(raw[wrong], dms=dms)
    return numbers, rules


def parse_times(raw: pd.Series) -> tuple[pd.Series, dict[str, str]]:
    """Parse a column of date-times as Asia/Shanghai local times (a written offset is honoured).

    ISO 8601 is parsed at once over the column; only the values that do not parse are tried
    against the slower formats, in this order: full-width ISO, Excel serial day numbers
    (:func:`excel_serial_times`), ``20240501083000`` (:func:`compact_times`),
    ``2024年5月1日下午3:30`` (:func:`parse_chinese_time`), then ``2024/1/2 8:00`` and the like.

    Parameters
    ----------
    raw : pandas.Series
        Values as text (``None`` where empty).

    Returns
    -------
    tuple
        Timezone-aware timestamps (NaT where empty or refused) and, for refused values that
        have a rule of their own, value → rule.

    Examples
    --------
    >>> written = ["2024-05-01 08:30", "45413.5", "2024年5月1日下午3:30"]
    >>> times, rules = parse_times(pd.Series(written))
    >>> [str(t) for t in times]
    ['2024-05-01 08:30:00+08:00', '2024-05-01 12:00:00+08:00', '2024-05-01 15:30:00+08:00']
    """
    parsed = _iso_times(raw)
    retry = raw.notna() & parsed.isna()
    rules: dict[str, str] = {}
    if retry.any():
        again, rules = _slow_times(raw[retry])
        parsed = _shanghai_us(parsed)
        parsed[retry] = again
    return _in_shanghai(parsed), rules
