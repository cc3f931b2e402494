"""Coordinates and date-times as clerks write them: DMS, full-width, Excel serials (no database)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from geo.crs import SourceCrs, to_cgcs2000
from importers.kinds.persons import FIRST_GENERATION_RULE
from importers.pipeline import ImportOptions, check_file
from importers.rules import MissingColumns, RowChecks
from importers.values import (
    COORDINATE_RULE,
    DATE_RULE,
    DMS_SIXTY_RULE,
    EXCEL_NUMBER_RULE,
    HALF_DAY_RULE,
    NO_SUCH_TIME_RULE,
    PAIR_RULE,
    SERIAL_RULE,
    excel_serial_times,
    parse_chinese_time,
    parse_dms,
)
from importers.vocabulary import CaseStatus, codes_of
from layers.model.base import LabelledEnum
from layers.model.cases import Channel, DisputeType
from layers.model.persons import PersonCategory
from layers.model.video import VideoStatus
from layers.secrets import Keys
from tests.import_fixtures import (
    PERSON_HEADERS,
    VILLAGE,
    csv_text,
    persons_rows,
    resident_id,
)

LON = 102 + 48 / 60 + 30.5 / 3600  # 102°48′30.5″
LAT = 24 + 5 / 60 + 12 / 3600  # 24°5′12″
LON_DM = 102 + 48.508 / 60  # 102°48.508′


def checks_of(**columns: list[str | None]) -> RowChecks:
    """RowChecks over one text column per field (header = field), rows numbered from 2."""
    rows = len(next(iter(columns.values())))
    frame = pd.DataFrame(columns, index=pd.RangeIndex(2, 2 + rows, name="row"), dtype=object)
    return RowChecks(frame, {field: field for field in columns})


def problems(checks: RowChecks) -> dict[int, str]:
    return {p.row: p.rule for p in checks.problems}


def shanghai(*parts: int) -> pd.Timestamp:
    return pd.Timestamp(datetime(*parts)).tz_localize("Asia/Shanghai")


# --------------------------------------------------------------------------- DMS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("102°48′30.5″", LON),
        ("102°48'30.5\"", LON),
        ("102°48'30.5''", LON),
        ("102°48’30.5”", LON),  # quotes as a Chinese input method types them
        ("102度48分30.5秒", LON),
        ("102° 48′ 30.5″", LON),
        ("E102°48'30.5\"", LON),
        ("102°48′30.5″E", LON),
        ("东经102°48′30.5″", LON),
        ("１０２°４８′３０．５″", LON),  # full-width digits and point
        ("24°5'12\"N", LAT),
        ("北纬24度5分12秒", LAT),
        ("n24°5′12″", LAT),
        ("102°48.508′", LON_DM),
        ("102度48.508分", LON_DM),
        ("102.5°", 102.5),
        ("E102.905", 102.905),
        ("东经:102.905", 102.905),
    ],
)
def test_parse_dms_reads_degrees_minutes_seconds(text: str, expected: float) -> None:
    assert parse_dms(text) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("W102°48'30.5\"", -LON),
        ("102°48′30.5″W", -LON),
        ("西经102°48′30.5″", -LON),
        ("24°5'12\"S", -LAT),
        ("南纬24度5分12秒", -LAT),
        ("-24°5′12″", -LAT),
    ],
)
def test_parse_dms_west_and_south_are_negative(text: str, expected: float) -> None:
    assert parse_dms(text) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("102°60′", DMS_SIXTY_RULE),
        ("102°48′60″", DMS_SIXTY_RULE),
        ("102°48′75.5″", DMS_SIXTY_RULE),
        ("102°48.5′30″", "度分秒格式有误：只有最后一项可以有小数，如 102°48.508′ 或 102°48′30.5″"),
        ("102.5°30′", "度分秒格式有误：只有最后一项可以有小数，如 102°48.508′ 或 102°48′30.5″"),
        ("E102°48′W", "度分秒格式有误：方向只能写一次"),
        ("-102°48′W", "度分秒格式有误：不能同时写正负号和方向（东经、北纬、E、N 等）"),
        ("102 48 30.5", COORDINATE_RULE),  # no marks: not read as DMS
        ("102°48'30.5", COORDINATE_RULE),  # seconds without their mark
        ("102", COORDINATE_RULE),  # a plain number is not DMS
        ("1,024.5", COORDINATE_RULE),
        ("１０２。９０５", COORDINATE_RULE),  # 。 is not a decimal point
    ],
)
def test_parse_dms_refuses_with_a_rule(text: str, rule: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_dms(text)
    assert str(caught.value) == rule


# --------------------------------------------------------------------------- numbers


def test_number_reads_full_width_and_refuses_separators() -> None:
    checks = checks_of(risk_level=["３", "2", "１，０００", "１０２。９", "+４", "3°", None])
    values = checks.number("risk_level", low=1, high=4, integer=True)
    assert values.tolist()[:2] == [3.0, 2.0]
    assert values[6] == 4.0
    assert values[[4, 5, 7, 8]].isna().all()
    assert problems(checks) == {4: "必须是数字", 5: "必须是数字", 7: "必须是数字"}  # no DMS here


def test_number_keeps_its_range_checks_after_the_fallback() -> None:
    checks = checks_of(azimuth_deg=["３６１", "３６０", "－１"])
    values = checks.number("azimuth_deg", low=0, high=360)
    assert values[3] == 360.0
    assert problems(checks) == {2: "不能超过 360", 4: "不能小于 0"}


def test_coordinates_mix_decimal_dms_and_full_width() -> None:
    checks = checks_of(
        lon=["102.905", "102°48′30.5″", "东经102°48.508′", "１０２．９０５", "102°60′", "1,02.9"],
        lat=["24.2", "北纬24度5分12秒", "24°5'12\"N", "２４．２", "24.2", "24.2"],
    )
    lon = checks.number("lon", dms=True)
    lat = checks.number("lat", dms=True)
    assert lon[2] == 102.905 and lon[5] == 102.905
    assert lon[3] == pytest.approx(LON, abs=1e-12)
    assert lon[4] == pytest.approx(LON_DM, abs=1e-12)
    assert lat[3] == pytest.approx(LAT, abs=1e-12) and lat[4] == pytest.approx(LAT, abs=1e-12)
    assert lat[5] == 24.2
    assert lon[[6, 7]].isna().all()
    assert problems(checks) == {6: DMS_SIXTY_RULE, 7: COORDINATE_RULE}
    assert [(p.column, p.value) for p in checks.problems] == [("lon", "102°60′"), ("lon", "1,02.9")]


@pytest.mark.parametrize("crs", ["gcj02", "wgs84", "bd09"])
def test_points_from_dms_equal_points_from_decimal_degrees(crs: str) -> None:
    source = SourceCrs.parse(crs)
    dms = checks_of(
        lon=["102°48′30.5″", "E102°48.508'", "东经102度54分"],
        lat=["24°5′12″", "北纬24°5'12\"", "24°12′N"],
    )
    decimal = checks_of(
        lon=[repr(LON), repr(LON_DM), repr(102 + 54 / 60)],
        lat=[repr(LAT), repr(LAT), repr(24 + 12 / 60)],
    )
    from_dms = dms.points(source)
    from_decimal = decimal.points(source)
    assert not dms.problems and not decimal.problems
    np.testing.assert_allclose(from_dms, from_decimal, rtol=0, atol=1e-12)
    expected = to_cgcs2000(np.array([LON, LON_DM]), np.array([LAT, LAT]), source)
    np.testing.assert_allclose(np.array(from_dms)[:, :2], expected, rtol=0, atol=1e-12)


def test_points_reject_west_and_swapped_dms() -> None:
    checks = checks_of(
        lon=["W102°48′30.5″", "北纬24°5′12″", "102°48′60″"],
        lat=["24°5′12″N", "东经102°48′30.5″", "24.2"],
    )
    lon, lat = checks.points(SourceCrs.parse("wgs84"))
    assert np.isnan(lon).all() and np.isnan(lat).all()
    assert problems(checks) == {
        2: "点位不在中国境内",
        3: "经纬度填反了（交换后才位于中国境内）",
        4: DMS_SIXTY_RULE,
    }


# --------------------------------------------------------------------------- date-times


def test_excel_serial_days_from_the_1900_date_system() -> None:
    may_day = (date(2024, 5, 1) - date(1899, 12, 30)).days  # Excel shows 45413 for this day
    assert may_day == 45413
    days = pd.Series([45413, 45413.354166, 45413.5, 32874, 73415.999, 32873, 73416, np.nan])
    assert excel_serial_times(days).tolist()[:5] == [
        pd.Timestamp(2024, 5, 1),
        pd.Timestamp(2024, 5, 1, 8, 30),  # 0.354166 days = 08:29:59.94, to the second
        pd.Timestamp(2024, 5, 1, 12),
        pd.Timestamp(1990, 1, 1),
        pd.Timestamp(2100, 12, 31) + timedelta(seconds=round(0.999 * 86400)),
    ]
    assert excel_serial_times(days)[5:].isna().all()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45413", (2024, 5, 1)),
        ("45413.354166", (2024, 5, 1, 8, 30)),
        ("４５４１３", (2024, 5, 1)),
        ("20240501083000", (2024, 5, 1, 8, 30)),
        ("202405010830", (2024, 5, 1, 8, 30)),
        ("20240501083015", (2024, 5, 1, 8, 30, 15)),
        ("２０２４０５０１", (2024, 5, 1)),
        ("2024年5月1日8时30分", (2024, 5, 1, 8, 30)),
        ("2024年5月1日 8时30分15秒", (2024, 5, 1, 8, 30, 15)),
        ("2024年5月1日8点", (2024, 5, 1, 8)),
        ("2024年5月1日上午8:30", (2024, 5, 1, 8, 30)),
        ("2024年5月1日下午3:30", (2024, 5, 1, 15, 30)),
        ("2024年5月1日 下午3时30分", (2024, 5, 1, 15, 30)),
        ("2024年5月1日下午12:30", (2024, 5, 1, 12, 30)),
        ("2024年5月1日下午15:30", (2024, 5, 1, 15, 30)),
        ("２０２４年５月１日　下午３：３０", (2024, 5, 1, 15, 30)),
        ("2024年5月1日 8:30:00.5", (2024, 5, 1, 8, 30, 0, 500000)),
        ("２０２４-０５-０１ ０８：３０", (2024, 5, 1, 8, 30)),
        # what was read before stays read
        ("2024-05-01 08:30:00", (2024, 5, 1, 8, 30)),
        ("2024-05-01T08:30", (2024, 5, 1, 8, 30)),
        ("20240501", (2024, 5, 1)),
        ("2024/1/2 8:00", (2024, 1, 2, 8)),
        ("2024.1.2", (2024, 1, 2)),
        ("2024年1月2日", (2024, 1, 2)),
        ("2024年1月2日 8:30", (2024, 1, 2, 8, 30)),
        ("2024/5/1 8:30:00.25", (2024, 5, 1, 8, 30, 0, 250000)),
    ],
)
def test_timestamps_read_each_format(text: str, expected: tuple[int, ...]) -> None:
    checks = checks_of(reported_at=[text])
    parsed = checks.timestamps("reported_at")
    assert not checks.problems
    assert parsed[2] == shanghai(*expected)
    assert str(parsed.dt.tz) == "Asia/Shanghai"


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("100", SERIAL_RULE),
        ("99999", SERIAL_RULE),
        ("32873", SERIAL_RULE),  # 1989-12-31: before 1990, not taken for a date
        ("240501", SERIAL_RULE),  # was guessed by dateutil as 2001-05-24
        ("1.5", SERIAL_RULE),
        ("20241301", NO_SUCH_TIME_RULE),
        ("202405012460", NO_SUCH_TIME_RULE),
        ("2024年2月30日", "2024 年 2 月只有 29 天，没有 30 日，请检查日期"),
        ("2025年11月31日", "2025 年 11 月只有 30 天，没有 31 日，请检查日期"),
        ("2025-11-31", "2025 年 11 月只有 30 天，没有 31 日，请检查日期"),
        ("2025/2/29 08:00", "2025 年 2 月只有 28 天，没有 29 日，请检查日期"),
        ("2025.04.31", "2025 年 4 月只有 30 天，没有 31 日，请检查日期"),
        ("2024年5月1日25时", NO_SUCH_TIME_RULE),
        ("2024年5月1日8时61分", NO_SUCH_TIME_RULE),
        ("2024年5月1日上午13:00", HALF_DAY_RULE),
        ("2024年5月1日下午0:30", HALF_DAY_RULE),
        ("昨天", DATE_RULE),
        ("2024年5月1日晚些时候", DATE_RULE),
    ],
)
def test_timestamps_reject_with_a_rule(text: str, rule: str) -> None:
    checks = checks_of(reported_at=["2024-05-01 08:30", text])
    parsed = checks.timestamps("reported_at")
    assert parsed[2] == shanghai(2024, 5, 1, 8, 30) and pd.isna(parsed[3])
    assert [(p.row, p.column, p.value, p.rule) for p in checks.problems] == [
        (3, "reported_at", text, rule)
    ]


def test_serial_rule_names_the_range() -> None:
    assert "32874 到 73415" in SERIAL_RULE and "1990—2100" in SERIAL_RULE


def test_timestamps_mixed_column_keeps_iso_rows_and_reads_the_others() -> None:
    values = [
        "2024-05-01 08:30:00",
        "45413.354166",
        "20240501083000",
        "2024年5月1日下午3:30",
        None,
        "2024-05-02T09:00:00.5",
        "2024/5/3 10:00",
        "２０２４年５月４日",
        "不详",
        "2024-05-05 下午 03:30:00",  # a Chinese-locale export's 12-hour clock
        "2024/5/6 上午 12:05:00",
        "2024/5/7 上午 13:05",
    ]
    checks = checks_of(reported_at=values)
    parsed = checks.timestamps("reported_at")
    assert parsed.tolist() == [
        shanghai(2024, 5, 1, 8, 30),
        shanghai(2024, 5, 1, 8, 30),
        shanghai(2024, 5, 1, 8, 30),
        shanghai(2024, 5, 1, 15, 30),
        pd.NaT,
        shanghai(2024, 5, 2, 9, 0, 0, 500000),
        shanghai(2024, 5, 3, 10),
        shanghai(2024, 5, 4),
        pd.NaT,
        shanghai(2024, 5, 5, 15, 30),
        shanghai(2024, 5, 6, 0, 5),
        pd.NaT,
    ]
    assert [(p.row, p.value, p.rule) for p in checks.problems] == [
        (10, "不详", DATE_RULE),
        (13, "2024/5/7 上午 13:05", HALF_DAY_RULE),
    ]


def test_timestamps_with_utc_offsets_mix_with_local_times() -> None:
    checks = checks_of(
        reported_at=["2024-05-01T00:30:00Z", "2024-05-01T08:30:00+08:00", "2024-05-01 08:30"]
    )
    assert checks.timestamps("reported_at").tolist() == [shanghai(2024, 5, 1, 8, 30)] * 3
    aware_and_serial = checks_of(reported_at=["2024-05-01T00:30:00Z", "45413.354166"])
    parsed = aware_and_serial.timestamps("reported_at")
    assert parsed.tolist() == [shanghai(2024, 5, 1, 8, 30)] * 2
    assert not checks.problems and not aware_and_serial.problems


def test_parse_chinese_time_afternoon_adds_twelve_hours_to_one_to_eleven() -> None:
    hours = {h: parse_chinese_time(f"2024年5月1日下午{h}:00").hour for h in range(1, 24)}
    assert hours == {h: h + 12 if h < 12 else h for h in range(1, 24)}
    mornings = {h: parse_chinese_time(f"2024年5月1日上午{h}时").hour for h in range(12)}
    assert mornings == {h: h for h in range(12)}


def test_summer_time_of_1986_to_1991_does_not_break_the_import() -> None:
    # 1988-04-17 02:30 never happened in China (clocks went 02:00 → 03:00); 1988-09-11 01:30
    # happened twice (02:00 summer time → 01:00): the first is moved on, the second is standard.
    checks = checks_of(t=["1988-04-17 02:30", "1988年9月11日1时30分", "2024-05-01 08:30"])
    times = checks.timestamps("t")
    assert not checks.problems
    assert [t.isoformat() for t in times] == [
        "1988-04-17T03:00:00+09:00",
        "1988-09-11T01:30:00+08:00",
        "2024-05-01T08:30:00+08:00",
    ]


def test_a_resident_id_saved_as_a_spreadsheet_number_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "persons.csv"
    rows = [PERSON_HEADERS, persons_rows()[0], persons_rows()[1]]
    rows[2][1] = "1.10105E+17"  # what a CSV saved from such a sheet holds
    rows.append(list(persons_rows()[0]))
    rows[3][1] = "530424801301123"  # a first-generation (15-digit) ID of no day: not converted
    path.write_bytes("\n".join(",".join(r) for r in rows).encode("gbk"))
    keys = Keys(hmac_key=b"\x01" * 32, seal_key=b"\x02" * 32)
    checked = check_file(path, ImportOptions(kind="persons", crs="gcj02"), keys)
    assert [(p.row, p.column, p.rule) for p in checked.checks.problems] == [
        (3, "公民身份号码", EXCEL_NUMBER_RULE),
        (4, "公民身份号码", FIRST_GENERATION_RULE),
    ]
    assert checked.checks.problems[1].value == "53042********23"  # masked like any ID


def test_a_work_order_number_saved_as_a_spreadsheet_number_is_named_as_such(
    tmp_path: Path,
) -> None:
    """``2.02611E+12`` is several work orders at once: refused, not matched to one on record."""
    path = tmp_path / "12345工单.csv"
    headers = ["工单编号", "来源渠道", "事件类型", "所属社区", "受理时间"]
    rows = [
        ["2026110300012", "12345", "物业管理", VILLAGE, "2026-11-03 09:00"],
        ["2.02611E+12", "12345", "物业管理", VILLAGE, "2026-11-03 10:00"],
        ["2.02611E+12", "12345", "劳资欠薪", VILLAGE, "2026-11-03 11:00"],
    ]
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    checked = check_file(path, ImportOptions(kind="cases"), None)
    refused = [(p.row, p.column, p.rule) for p in checked.checks.problems]
    assert (3, "工单编号", EXCEL_NUMBER_RULE) in refused
    assert (4, "工单编号", EXCEL_NUMBER_RULE) in refused
    assert not [r for r in refused if r[0] == 2]


def test_a_workers_number_saved_as_a_spreadsheet_number_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "网格员.csv"
    rows = [["530424100001", "甲", "13800000001"], ["5.30424E+11", "乙", "13800000002"]]
    path.write_text(csv_text(["工号", "姓名", "手机号"], rows), encoding="utf-8")
    checked = check_file(path, ImportOptions(kind="workers"), None)
    assert [(p.row, p.column, p.rule) for p in checked.checks.problems] == [
        (3, "工号", EXCEL_NUMBER_RULE)
    ]


def test_a_surveyors_x_for_the_northing_is_told_with_the_mapping_that_reads_it(
    tmp_path: Path,
) -> None:
    """X坐标 2 680 000 (north), Y坐标 512 345 (east): refused with the columns to swap."""
    path = tmp_path / "上报事件.csv"
    headers = ["工单编号", "来源渠道", "事件类型", "所属社区", "登记时间", "X坐标", "Y坐标"]
    row = ["E-1", "网格员上报", "邻里纠纷", VILLAGE, "2026-03-01 09:00", "2680123.4", "512345.6"]
    path.write_text(csv_text(headers, [row]), encoding="utf-8")
    for crs in (None, "EPSG:4543"):
        checked = check_file(path, ImportOptions(kind="cases", crs=crs), None)
        rules = [p.rule for p in checked.checks.problems]
        assert rules == [
            "“X坐标”是北坐标、“Y坐标”是东坐标（测绘习惯 X 为北、Y 为东），与经度、纬度的顺序相反："
            '请用映射文件 {"经度": "Y坐标", "纬度": "X坐标"} 对调，并用 --crs 指定投影坐标系'
        ]
    mapping = tmp_path / "对调.json"
    mapping.write_text('{"经度": "Y坐标", "纬度": "X坐标"}', encoding="utf-8")
    options = ImportOptions(kind="cases", crs="EPSG:4543", mapping=mapping)
    swapped = check_file(path, options, None)
    assert not swapped.checks.problems


def test_gauss_kruger_metres_are_named_with_the_crs_to_give() -> None:
    from pyproj import Transformer

    to_zone_34 = Transformer.from_crs(4490, 4522, always_xy=True)
    x, y = to_zone_34.transform(102.905, 24.205)  # 华宁县, in 3-degree zone 34 (CM 102°E)
    assert 34_000_000 < x < 35_000_000 and 2_600_000 < y < 2_800_000
    for easting, named in ((x, "--crs EPSG:4522"), (x - 34_000_000, "EPSG:4534—4554")):
        checks = checks_of(lon=[f"{easting:.2f}"], lat=[f"{y:.2f}"])
        lon, _ = checks.points(SourceCrs.parse("cgcs2000"))
        assert named in problems(checks)[2] and "投影坐标" in problems(checks)[2]
        assert np.isnan(lon).all()
    checks = checks_of(lon=["102.905"], lat=["-24.205"])  # degrees, only outside China
    checks.points(SourceCrs.parse("cgcs2000"))
    assert problems(checks) == {2: "点位不在中国境内"}

    polygon = f"POLYGON (({x} {y}, {x + 100} {y}, {x + 100} {y + 100}, {x} {y}))"
    checks = checks_of(wkt=[polygon])
    checks.polygons(SourceCrs.parse("cgcs2000"))
    assert "--crs EPSG:4522" in problems(checks)[2]

    checks = checks_of(lon=[f"{x:.3f}"], lat=[f"{y:.3f}"])  # imported as the rule says
    lon, lat = checks.points(SourceCrs.parse("EPSG:4522"))
    assert not checks.problems
    assert lon[0] == pytest.approx(102.905, abs=1e-7) and lat[0] == pytest.approx(24.205, abs=1e-7)


def test_one_point_pyproj_refuses_rejects_its_row_only() -> None:
    from pyproj import Transformer

    x, y = Transformer.from_crs(4490, 4522, always_xy=True).transform(102.905, 24.205)
    zone_34 = SourceCrs.parse("EPSG:4522")
    # Row 3 lacks the zone prefix EPSG:4522 expects.
    checks = checks_of(lon=[f"{x:.3f}", f"{x - 34_000_000:.3f}"], lat=[f"{y:.3f}", f"{y:.3f}"])
    lon, lat = checks.points(zone_34)
    assert list(problems(checks)) == [3]
    assert problems(checks)[3].startswith("无法从 EPSG:4522 转换坐标：东坐标 ")
    assert problems(checks)[3].endswith("没有 EPSG:4522 要求的带号 34（应为 34xxxxxx 米）")
    assert lon[0] == pytest.approx(102.905, abs=1e-7) and np.isnan(lon[1])

    def square(east: float) -> str:
        return f"POLYGON (({east} {y}, {east + 100} {y}, {east + 100} {y + 100}, {east} {y}))"

    checks = checks_of(wkt=[square(x), square(x - 34_000_000)])
    polygons = checks.polygons(zone_34)
    assert list(problems(checks)) == [3]
    assert problems(checks)[3].startswith("无法从 EPSG:4522 转换坐标：")
    assert polygons[1] is None
    assert shapely.get_coordinates(polygons[0])[0] == pytest.approx([102.905, 24.205], abs=1e-7)


def test_mistyped_years_are_rejected() -> None:
    future = (pd.Timestamp.now(tz="Asia/Shanghai") + pd.Timedelta(days=3)).strftime("%Y-%m-%d")
    today = pd.Timestamp.now(tz="Asia/Shanghai").strftime("%Y-%m-%d %H:%M")
    written = ["1024-05-01 08:30", "2024-05-01 08:30", future, today]
    checks = checks_of(t=written)
    times = checks.timestamps("t", past=True)
    assert problems(checks) == {2: "早于 1900 年，请检查年份", 4: "是将来的时间，请检查年份和日期"}
    assert times.isna().tolist() == [True, False, True, False]
    checks = checks_of(t=written)  # a date that may lie ahead (the end of a sentence)
    assert checks.timestamps("t").isna().tolist() == [True, False, False, False]
    assert list(problems(checks)) == [2]


def test_points_from_one_lon_lat_column() -> None:
    written = ["102.905,24.205", "102.905， 24.205", "102°54′18″ 24°12′18″", "102.905", "1°60′,2"]
    checks = RowChecks(
        pd.DataFrame({"经纬度": written}, index=pd.RangeIndex(2, 7, name="row"), dtype=object),
        {"lonlat": "经纬度"},
    )
    checks.require_point()
    lon, lat = checks.points(SourceCrs.parse("wgs84"))
    assert lon[:3] == pytest.approx([102.905] * 3) and lat[:3] == pytest.approx([24.205] * 3)
    assert problems(checks) == {5: PAIR_RULE, 6: DMS_SIXTY_RULE}
    assert np.isnan(lon[3:]).all()


def test_a_file_without_any_point_column_names_every_way_to_give_one() -> None:
    checks = checks_of(name=["张三"])
    with pytest.raises(MissingColumns, match="经度,纬度.*WKT"):
        checks.require_point()


def test_resident_ids_typed_full_width_or_grouped_are_the_same_person(tmp_path: Path) -> None:
    keys = Keys(hmac_key=b"\x01" * 32, seal_key=b"\x02" * 32)
    plain = persons_rows()[0]
    number = plain[1]
    written = [
        number,
        number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")),
        f"{number[:6]} {number[6:14]} {number[14:]}",
    ]
    staged = []
    for i, variant in enumerate(written):
        path = tmp_path / f"persons{i}.csv"
        row = [*plain]
        row[1] = variant
        path.write_bytes("\n".join([",".join(PERSON_HEADERS), ",".join(row)]).encode("gb18030"))
        checked = check_file(path, ImportOptions(kind="persons", crs="gcj02"), keys)
        assert checked.checks.problems == [], variant
        staged.append(checked.parts[0].records["id_hash"].iloc[0])
    assert staged[0] == staged[1] == staged[2]


def test_missing_columns_suggest_the_mapping_a_likely_header_needs() -> None:
    checks = checks_of(事发地经度=["102.9"], 事发地纬度=["24.2"])
    with pytest.raises(MissingColumns) as refused:
        checks.require_point()
    assert '{"经度": "事发地经度", "纬度": "事发地纬度"}' in str(refused.value)


def test_code_table_values_as_clerks_write_them() -> None:
    from layers.model.cases import Channel
    from layers.model.persons import PersonCategory

    checks = checks_of(
        c=["社区矫正对象", "刑释人员", "社区矫正人员", "correction", " 吸 毒 ", "其他人员"],
        ch=["12345", "１２３４５", "市民热线", "12345热线", "hotline_12345", "微信"],
    )
    assert checks.choice("c", PersonCategory).tolist() == [
        "correction",
        "released",
        "correction",
        "correction",
        "drug",
        None,
    ]
    assert checks.choice("ch", Channel).tolist() == ["hotline_12345"] * 5 + [None]
    assert [(p.row, p.column) for p in checks.problems] == [(7, "c"), (7, "ch")]


def test_case_types_as_hotlines_name_them() -> None:
    from importers.kinds import KINDS, Context

    checks = RowChecks(
        pd.DataFrame(
            {
                "工单编号": ["1", "2", "3", "4"],
                "来源渠道": ["12345", "市民热线", "110", "网格员"],
                "事件类型": ["劳动争议", "山林土地纠纷", "隐患", "矛盾纠纷"],
                "登记时间": ["2025-03-01 08:00"] * 4,
            },
            index=pd.RangeIndex(2, 6, name="row"),
            dtype=object,
        ),
        {"external_no": "工单编号", "channel": "来源渠道", "category": "事件类型"}
        | {"reported_at": "登记时间"},
    )
    context = Context(crs=SourceCrs.parse("wgs84"), keys=None, file_name="cases.csv")
    records = KINDS["cases"].prepare(checks, context)[0].records
    assert not checks.problems
    assert list(records["channel"]) == ["hotline_12345", "hotline_12345"] + [
        "non_police_110",
        "grid_worker",
    ]
    assert list(records["category"]) == ["dispute", "dispute", "safety_hazard", "dispute"]
    assert list(records["subcategory"])[:2] == ["labour_wages", "land"]


def test_a_persons_dates_saved_as_excel_serial_days_are_dates(tmp_path: Path) -> None:
    """A 释放日期 cell formatted as a number holds its serial day, as 登记时间 may."""
    path = tmp_path / "刑释人员.csv"
    headers = ["姓名", "公民身份号码", "人员类别", "所属社区", "释放日期", "安置情况"]
    rows = [
        ["甲", resident_id(21), "刑满释放人员", VILLAGE, "45352", "已安置"],
        ["乙", resident_id(22), "刑满释放人员", VILLAGE, "2024年3月2日", "45352"],
        ["丙", resident_id(23), "刑满释放人员", VILLAGE, "123", ""],
    ]
    path.write_bytes(csv_text(headers, rows).encode("gbk"))
    keys = Keys(hmac_key=b"\x01" * 32, seal_key=b"\x02" * 32)
    checked = check_file(path, ImportOptions(kind="persons"), keys)
    attributes = [json.loads(a) for a in checked.parts[0].records["attributes"]]
    assert attributes[0] == {"release_date": "2024-03-01", "resettlement": "已安置"}
    assert attributes[1] == {"release_date": "2024-03-02", "resettlement": "45352"}  # not a date
    assert [(p.row, p.column) for p in checked.checks.problems] == [(4, "释放日期")]


def test_risk_and_management_levels_are_read_by_their_names() -> None:
    """风险等级 红色/较大/3 and 管控级别 重点/关注: the words clerks use, or the codes."""
    from importers.pipeline import check_table
    from importers.reading import SourceTable

    levels = ["红色", "较大", "3", "蓝色（低）", "", "紫色"]
    frame = pd.DataFrame(
        {
            "工单编号": [f"R-{i}" for i in range(len(levels))],
            "来源渠道": "12345",
            "事件类型": "邻里纠纷",
            "登记时间": "2025-03-01 09:00",
            "风险等级": [v or None for v in levels],
        },
        index=pd.RangeIndex(2, 2 + len(levels), name="row"),
        dtype=object,
    )
    checked = check_table(
        SourceTable(frame), ImportOptions(kind="cases"), None, file_name="t", sha256="0"
    )
    records = checked.parts[0].records
    assert list(records["risk_level"][:5]) == ["1", "2", "3", "4", "4"]  # empty: 蓝色
    assert [(p.row, p.rule) for p in checked.checks.problems] == [
        (
            7,
            "必须是以下代码或名称之一："
            "1 红色（重大）、2 橙色（较大）、3 黄色（一般）、4 蓝色（低）",
        )
    ]
    people = pd.DataFrame(
        {
            "人员类别": "吸毒人员",
            "姓名": ["甲", "乙", "丙"],
            "公民身份号码": [resident_id(31), resident_id(32), resident_id(33)],
            "管控级别": ["重点", "关注", None],
            "所属社区": VILLAGE,
        },
        index=pd.RangeIndex(2, 5, name="row"),
        dtype=object,
    )
    keys = Keys(hmac_key=b"\x01" * 32, seal_key=b"\x02" * 32)
    checked = check_table(
        SourceTable(people), ImportOptions(kind="persons"), keys, file_name="t", sha256="0"
    )
    assert list(checked.parts[0].records["management_level"]) == ["1", "2", "3"]


@pytest.mark.parametrize(
    ("written", "table", "code"),
    [
        ("社区矫正人员（缓刑）", PersonCategory, "correction"),
        ("刑满释放人员(安置帮教)", PersonCategory, "released"),
        ("吸毒人员【社区戒毒】", PersonCategory, "drug"),
        ("精神病人", PersonCategory, "mental"),
        ("游客（临时）", PersonCategory, None),  # the qualifier goes; what is left must be known
        ("已办结（满意）", CaseStatus, "resolved"),
        ("达成协议", CaseStatus, "resolved"),
        ("邻里纠纷(漏水)", DisputeType, "neighbours"),
        ("城乡建设>其他（含物业）", DisputeType, None),  # a catch-all level names no type
        ("网格员排查", Channel, "grid_worker"),
        ("村（社区）排查", Channel, "grid_worker"),
        ("电话反映", Channel, "phone"),
        ("12345转办", Channel, "hotline_12345"),
        ("信访转办", Channel, "petition"),
        ("县级交办", Channel, "superior"),
        ("微信", Channel, None),  # a citizen online, or a grid worker's group: not guessed
        ("排查", Channel, None),  # screening by whom: not guessed
        ("ON", VideoStatus, "online"),  # GB/T 28181 catalog Status
        ("OFF", VideoStatus, "offline"),
        ("维修中", VideoStatus, "offline"),
    ],
)
def test_values_as_rosters_and_ledgers_write_them(
    written: str, table: type[LabelledEnum], code: str | None
) -> None:
    found = codes_of(pd.Series([written]), table)[0]
    assert (None if pd.isna(found) else found) == code
