"""F4: the summary says once what explains most rejected rows, with its values and way out.

A 12345 export's rows rejected for a classification the platform does not know, mixed with a
few bad dates: the summary names the column, how many rows, the most frequent values, and the
mapping line of the first; never a value that is personal data.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from importers.reject_digest import leading_reasons
from importers.rules import Problem
from tests.conftest import SuiteDatabase
from tests.import_fixtures import (
    GRID,
    PERSON_HEADERS,
    bad_check_digit,
    csv_text,
    import_app,
    persons_rows,
    resident_id,
    seeded_database,
)

HEADERS = ["工单编号", "受理渠道", "问题分类", "所属网格", "受理时间", "来电人"]


def _problems(column: str, values: list[str], rule: str, first_row: int = 2) -> list[Problem]:
    return [
        Problem(row, column, value, rule.format(value))
        for row, value in enumerate(values, start=first_row)
    ]


def test_rules_that_differ_by_their_value_are_one_reason_counted_by_row() -> None:
    rule = '未知分类，可在映射文件中写明，如 "{}" = "其他"'
    found = _problems("问题分类", ["甲类"] * 12 + ["乙类"] * 9, rule)
    found += [Problem(2, "受理时间", "昨天", "必须是日期时间")]  # a second reason of row 2
    found += _problems("来电人", ["张三"] * 20, "{}：过长", first_row=40)
    found += [Problem(3, "所属网格", None, "网格不存在", severity="repaired")]  # loads
    lines = leading_reasons(found, total_rows=500, private_columns={"来电人"})
    assert lines == [
        "“问题分类” 21 行（“甲类” 12 行、“乙类” 9 行）："
        '未知分类，可在映射文件中写明，如 "甲类" = "其他"',
        "“来电人” 20 行：…：过长",  # its value neither listed nor quoted by the rule
        "“受理时间” 第 2 行（“昨天”）：必须是日期时间",  # one row: named (trial AG)
    ]
    same = _problems("问题分类", ["甲类"] * 21, "未知分类")
    assert leading_reasons(same, total_rows=500, refused=True) == []  # the advice says it
    assert leading_reasons(same, total_rows=21) == []  # every row, one rule: said elsewhere
    assert leading_reasons(same[:3], total_rows=500) == [  # a handful: said, rows named
        "“问题分类” 第 2、3、4 行（“甲类”）：未知分类"
    ]


def test_the_reasons_past_the_fifth_are_counted_by_row() -> None:
    found = [
        problem
        for n in range(7)
        for problem in _problems(f"列{n}", ["错"] * (7 - n), "不对", first_row=2 + 10 * n)
    ]
    lines = leading_reasons(found, total_rows=500)
    assert len(lines) == 6
    assert lines[0] == "“列0” 7 行（“错” 7 行）：不对"
    assert lines[4] == "“列4” 第 42、43、44 行（“错”）：不对"
    assert lines[5] == "另有 3 行因其他 2 种原因退回，见退回报告"


def test_values_that_are_personal_data_are_never_said_even_in_the_rule() -> None:
    ids = ["530424198001011234", "530424198001021235"] * 11
    found = _problems("公民身份号码", ids, "{} 校验位不对")
    found += _problems("姓名", ["张三丰"] * 22, '"{}" 与身份证号重复')
    address, quoted = '幸福路 "8" 号', '"幸福路 \\"8\\" 号"'  # the rule quotes it as TOML does
    found += [Problem(row, "地址", address, f"{quoted} 超出长度") for row in range(2, 24)]
    said = "\n".join(leading_reasons(found, total_rows=500, values_shown=False))
    assert said.splitlines() == [
        "“公民身份号码” 22 行：… 校验位不对",
        '“地址” 22 行："…" 超出长度',
        '“姓名” 22 行："…" 与身份证号重复',
    ]
    long = _problems("描述", ["很" * 60] * 20, "不能含有控制字符")
    [line] = leading_reasons(long, total_rows=500)
    assert "很" * 30 + "…" in line and "很" * 31 not in line


def test_a_reason_of_every_row_that_no_other_line_says_is_said_here() -> None:
    rule = '未知分类，如 "{}" = "其他"'
    found = _problems("问题分类", ["甲类"] * 15 + ["乙类"] * 10, rule)
    [line] = leading_reasons(found, total_rows=25, refused=True)  # advice: 请按报告修改…
    assert line.startswith("“问题分类” 25 行（“甲类” 15 行、“乙类” 10 行）")


def test_values_whose_mapping_lines_name_different_types_are_one_reason() -> None:
    """Each unknown class's example names its nearest type, or none (trial X): one reason."""
    from importers.kinds.cases import category_rule

    values = ["交通运输-道路交通"] * 12 + ["城乡建设-市容环境-占道经营"] * 10
    found = [Problem(r, "问题分类", v, category_rule(v)) for r, v in enumerate(values, start=2)]
    [line] = leading_reasons(found, total_rows=100)
    counted = "“问题分类” 22 行（“交通运输-道路交通” 12 行、“城乡建设-市容环境-占道经营” 10 行）"
    assert line.startswith(counted)
    assert line.endswith('如 "交通运输-道路交通" = "道路交通隐患"')
    [hidden] = leading_reasons(found, total_rows=100, values_shown=False)
    assert hidden.endswith('如 "…" = "…"')


def test_the_summary_names_the_unknown_classes_and_their_mapping_line(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    rows = [
        [f"RD-{n}", "12345", kind, GRID, "2025-03-01 08:30", "某某"]
        for n, kind in enumerate(
            ["城市管理>市容环境"] * 24 + ["教育>入学政策"] * 8 + ["邻里纠纷"] * 5
        )
    ]
    rows += [[f"RD-T{n}", "12345", "邻里纠纷", GRID, "昨天", "某某"] for n in range(3)]
    path = tmp_path / "12345工单.csv"
    path.write_text(csv_text(HEADERS, rows), encoding="utf-8")
    with seeded_database(database, "reject_digest") as (_, url):
        env = {
            "ZONGZHI_DATABASE_URL": url,
            "ZONGZHI_HOME": str(tmp_path / "home"),
            "COLUMNS": "400",
        }
        for extra in (["--dry-run"], ["--partial"]):
            result = CliRunner().invoke(
                import_app(), ["import", "cases", str(path), *extra], env=env
            )
            said = " ".join(result.output.split())
            assert result.exit_code == (3 if "--partial" in extra else 1), result.output
            assert (
                "退回原因： “问题分类” 32 行"
                "（“城市管理>市容环境” 24 行、“教育>入学政策” 8 行）：" in said
            )
            assert '[values."事件类型"] 中写明它归入上列哪一类，如 "城市管理>市容环境" = "' in said
            assert "“受理时间” 第 39、40、41 行（“昨天”）：必须是日期时间" in said  # few: named


def test_a_persons_summary_counts_the_reason_and_names_no_value(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    good = persons_rows()[1]
    names = [f"测试人{n:02d}" for n in range(24)]
    ids = [bad_check_digit(resident_id(10 + n)) for n in range(22)] + [resident_id(40), "X"]
    rows = [[name, number, *good[2:]] for name, number in zip(names, ids, strict=True)]
    path = tmp_path / "刑满释放人员.csv"
    path.write_text(csv_text(PERSON_HEADERS, rows), encoding="utf-8")
    with seeded_database(database, "reject_digest_persons") as (_, url):
        env = {"ZONGZHI_DATABASE_URL": url, "ZONGZHI_HOME": str(tmp_path / "home")}
        args = ["import", "persons", str(path), "--crs", "gcj02", "--dry-run"]
        result = CliRunner().invoke(import_app(), args, env={**env, "COLUMNS": "400"})
    said = " ".join(result.output.split())
    assert result.exit_code == 1, result.output
    assert "退回原因： “公民身份号码” 22 行：" in said
    assert not any(number[:6] in said or number[-4:] in said for number in ids[:22])
    assert not any(name in said for name in names)


def test_a_few_rows_whose_rules_differ_are_each_said_as_written() -> None:
    """Trial AG: the page read `与本文件第 … 行重复` and `与上级辖区“…”同名`."""
    from importers.kinds.units import SAME_UNIT_NAME
    from importers.reject_digest import top_reasons

    found = [
        Problem(3, "名称", "新村", f"{SAME_UNIT_NAME}与本文件第 2 行重复"),
        Problem(5, "名称", "新村", f"{SAME_UNIT_NAME}与本文件第 2 行重复"),
        Problem(9, "名称", "老村", f"{SAME_UNIT_NAME}与本文件第 8 行重复"),
    ]
    [line] = top_reasons(found)
    assert line == (
        f"“名称” 第 3、5 行：{SAME_UNIT_NAME}与本文件第 2 行重复；"
        f"第 9 行：{SAME_UNIT_NAME}与本文件第 8 行重复"
    )
    [hidden] = top_reasons(found, values_shown=False)  # a person's: no value, one rule
    assert hidden.startswith("“名称” 第 3、5、9 行：") and "第 … 行" in hidden
