"""A case's type as 12345 hotlines and 矛盾纠纷 platforms name it, and the way forward for the rest.

12345 exports classify work orders by three levels (``生态环境>大气污染>工业废气``); a level that
names one of the platform's types gives the row its type. A classification naming none is
refused with a rule that says how the file's own classifications get their type (a mapping
file's ``[values."事件类型"]``). A file lacking a required column is told so in the clerk's words.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from geo.crs import SourceCrs
from importers import vocabulary
from importers.kinds import KINDS, Context
from importers.kinds.cases import category_rule
from importers.mapping import MappingError
from importers.pipeline import ImportOptions, check_file, run_import
from importers.rules import MissingColumns, RowChecks
from layers.model.base import LabelledEnum
from layers.model.cases import Category, DisputeType
from layers.secrets import Keys
from tests.conftest import SuiteDatabase
from tests.import_fixtures import VILLAGE, csv_text, import_app, resident_id, seed_jurisdictions

KEYS = Keys(hmac_key=b"\x01" * 32, seal_key=b"\x02" * 32)
MINE = "area_code LIKE '53%'"  # other modules commit rows under other provinces

FILLER = "群众反映"
"""A level no type names (checked below), around the level that does."""

# (sector of the 12345 taxonomy, category, subcategory, the terms that name them)
FAMILIES = [
    ("生态环境", "dispute", "environment", "大气污染 水污染 噪声污染 噪音扰民 油烟污染"),
    ("劳动和社会保障", "dispute", "labour_wages", "拖欠工资 欠薪 劳动关系 劳动报酬 劳务纠纷"),
    ("农业农村", "dispute", "land", "宅基地纠纷 土地承包 承包地纠纷 林权纠纷"),
    ("卫生健康", "dispute", "medical", "医患纠纷 医疗纠纷"),
    ("市场监管", "dispute", "consumer", "消费投诉 商品质量 消费维权 预付卡"),
    ("交通运输", "dispute", "traffic", "交通事故"),
    ("城乡建设", "dispute", "demolition", "征收拆迁 房屋征收"),
    ("城乡建设", "dispute", "property_management", "物业服务 物业管理"),
    ("社会事务", "dispute", "marriage_family", "家庭暴力 婚姻家庭"),
    ("社会事务", "dispute", "neighbours", "相邻关系 邻里纠纷"),
    ("公共安全", "safety_hazard", "fire", "消防安全 火灾隐患"),
    ("城乡建设", "safety_hazard", "gas", "燃气安全 燃气泄漏"),
    ("住房城乡建设", "safety_hazard", "building", "危房"),
    ("自然资源", "safety_hazard", "geology", "地质灾害 滑坡隐患"),
    ("公共安全", "safety_hazard", None, "安全生产 安全隐患"),
]
TERMS = [
    pytest.param(sector, term, category, sub, id=term)
    for sector, category, sub, terms in FAMILIES
    for term in terms.split()
]


def _prepared(
    types: list[str], values: dict[str, dict[str, str]] | None = None
) -> tuple[pd.DataFrame, RowChecks]:
    """Check a 12345 export of one row per type (rows 2 …), as the import does (no database)."""
    frame = pd.DataFrame(
        {
            "工单编号": [f"T-{i}" for i in range(len(types))],
            "来源渠道": "12345",
            "问题分类": types,
            "受理时间": "2025-03-01 09:00",
        },
        index=pd.RangeIndex(2, 2 + len(types), name="row"),
        dtype=object,
    )
    columns = {"external_no": "工单编号", "channel": "来源渠道", "category": "问题分类"}
    checks = RowChecks(
        frame,
        columns | {"reported_at": "受理时间"},
        values=values,
        labels=KINDS["cases"].headers,
    )
    context = Context(crs=SourceCrs.parse("wgs84"), keys=None, file_name="12345工单.csv")
    return KINDS["cases"].prepare(checks, context)[0].records, checks


def _types(types: list[str]) -> list[tuple[object, object]]:
    """Return each type's (category, subcategory), ``None`` where none."""
    records, _ = _prepared(types)
    kinds = records[["category", "subcategory"]].astype(object)
    return [tuple(k) for k in kinds.where(kinds.notna(), None).itertuples(index=False)]


# ------------------------------------------------------------------------------- the terms


@pytest.mark.parametrize(("sector", "term", "category", "sub"), TERMS)
def test_each_term_gives_its_type_at_any_level(
    sector: str, term: str, category: str, sub: str | None
) -> None:
    paths = [term, f"{sector}>{term}>{FILLER}", f"{sector}>{FILLER}>{term}", f"{term}-{FILLER}"]
    assert _types(paths) == [(category, sub)] * 4


def test_the_levels_around_the_terms_name_no_type() -> None:
    """The sectors and the filler of the paths above give no type of their own."""
    sectors = sorted({sector for sector, *_ in FAMILIES})
    records, checks = _prepared([*sectors, FILLER])
    assert records["category"].isna().all()
    assert len(checks.problems) == len(sectors) + 1


def test_real_hotline_classifications() -> None:
    assert _types(
        [
            "生态环境>大气污染>工业废气",
            "生态环境>噪声污染>建筑施工噪声",
            "劳动和社会保障>劳动关系>拖欠工资",
            "自然资源>土地管理>宅基地纠纷",
            "卫生健康>医疗服务>医患纠纷",
            "市场监管>消费维权>商品质量",
            "交通运输>道路交通>交通事故",
            "城乡建设>燃气安全>燃气泄漏",
            "农业农村>土地承包>承包地纠纷",
            "婚姻家庭>家庭暴力",
            "城乡建设-物业管理-物业服务",
            "矛盾纠纷/劳资欠薪",
            "治安隐患",  # a grid app's own type
        ]
    ) == [
        ("dispute", "environment"),
        ("dispute", "environment"),
        ("dispute", "labour_wages"),
        ("dispute", "land"),
        ("dispute", "medical"),
        ("dispute", "consumer"),
        ("dispute", "traffic"),
        ("safety_hazard", "gas"),
        ("dispute", "land"),
        ("dispute", "marriage_family"),
        ("dispute", "property_management"),
        ("dispute", "labour_wages"),
        ("safety_hazard", None),
    ]


def test_the_most_specific_level_decides_between_a_hazard_and_a_dispute() -> None:
    """A fire hazard in a compound is a hazard, not a dispute over its management."""
    assert _types(["城乡建设>物业管理>消防安全", "公共安全>消防安全>物业管理"]) == [
        ("safety_hazard", "fire"),
        ("dispute", "property_management"),
    ]


@pytest.mark.parametrize(
    "value",
    [
        "教育>义务教育>入学政策",
        "生态环境",  # a sector: 环评 and 机动车政策 consultations are filed there too
        "生态环境>环境保护>环评审批",
        "城乡建设>住房保障>公租房申请",
        "自然资源>土地管理>宅基地审批",
        "卫生健康>医疗服务>挂号难",
        "城乡建设>其他",
        "咨询",
    ],
)
def test_a_classification_of_no_known_type_is_refused(value: str) -> None:
    records, checks = _prepared([value])
    assert records["category"].isna().all()
    assert [(p.row, p.column, p.value) for p in checks.problems] == [(2, "问题分类", value)]


def test_no_name_is_both_a_category_and_a_dispute_type() -> None:
    categories, disputes = vocabulary.lookup(Category), vocabulary.lookup(DisputeType)
    assert set(categories) & set(disputes) == set()


@pytest.mark.parametrize(("table", "position"), [(Category, 0), (DisputeType, 1)])
def test_every_name_of_a_case_type_is_read_as_itself_alone_and_as_a_level(
    table: type[LabelledEnum], position: int
) -> None:
    names = {w: m.value for w, m in vocabulary.ALIASES[table].items()}
    names |= {m.label: m.value for m in table}
    words = [w for w in names if w not in ("其他", "其它")]  # a catch-all level names nothing
    values = pd.Series(words + [f"{FILLER}>{w}>{FILLER}" for w in words])
    found = vocabulary.codes_in(values, [Category, DisputeType])
    assert found[position].tolist() == [names[w] for w in words] * 2
    assert found[1 - position].isna().all()


def test_a_word_listed_under_two_types_is_refused() -> None:
    with pytest.raises(ValueError, match="大气污染 names both environment and neighbours"):
        vocabulary._by_word(
            {DisputeType.ENVIRONMENT: "噪声污染 大气污染", DisputeType.NEIGHBOURS: "大气污染"}
        )


def test_each_distinct_value_is_looked_up_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = vocabulary._code_of

    def counted(value: str, names: dict[str, tuple[int, str]]) -> tuple[int, str] | None:
        calls.append(value)
        return real(value, names)

    monkeypatch.setattr(vocabulary, "_code_of", counted)
    values = pd.Series(["生态环境>大气污染>工业废气", "教育>义务教育>入学政策", None] * 100_000)
    category, dispute = vocabulary.codes_in(values, [Category, DisputeType])
    assert sorted(calls) == sorted(["生态环境>大气污染>工业废气", "教育>义务教育>入学政策"])
    assert dispute.value_counts().to_dict() == {"environment": 100_000}
    assert category.notna().sum() == 0


# ------------------------------------------------------------------------------- the rule

NAMES = (
    "矛盾纠纷、安全隐患、社情民意、婚姻家庭、邻里纠纷、土地山林、劳资欠薪、物业管理、医疗纠纷、"
    "交通事故、征地拆迁、环境污染、消费维权、借贷合同、其他纠纷、消防安全隐患、道路交通隐患、"
    "房屋建筑隐患、燃气安全隐患、地质灾害隐患、内涝积水、电力设施隐患、停电断电、人员走失、其他安全隐患、"
    "基础设施、环境卫生、公共服务、政策咨询"
)
RULE = (
    f'必须是以下之一：{NAMES}；本文件自有的分类，可在映射文件（--mapping）的 [values."事件类型"] '
    '中写明它归入上列哪一类，如 "教育>义务教育>入学政策" = "…"'
)


def test_the_rule_names_the_types_and_the_mapping_line_of_the_value() -> None:
    _, checks = _prepared(["教育>义务教育>入学政策", "教育>义务教育>入学政策", "城市管理>占道经营"])
    rules = [p.rule for p in checks.problems]
    assert rules[0] == RULE
    assert rules[1] is rules[0]  # a million rows of one value share one rule
    assert rules[2] == RULE.replace("教育>义务教育>入学政策", "城市管理>占道经营")


def test_the_mapping_line_of_the_rule_is_valid_toml_of_the_value() -> None:
    """A value with a backslash or a quote is quoted as TOML reads it back."""
    for value in ["城乡建设\\住房保障", '教育>"双减"政策']:
        line = category_rule(value).split("如 ", 1)[1]
        assert tomllib.loads(f'[values."事件类型"]\n{line}\n') == {
            "values": {"事件类型": {value: "…"}}
        }


def test_a_value_too_long_to_be_a_classification_gets_the_usual_example() -> None:
    """A description in the type column (the wrong column) is not copied into the rule."""
    value = "楼上住户长期在夜间使用电钻装修，多次沟通无果，严重影响休息，请求相关部门协调处理。"
    assert category_rule(value) == RULE


@pytest.mark.parametrize(
    ("value", "nearest"),
    [
        ("交通运输-道路交通", "道路交通隐患"),  # a level all in a subtype's name
        ("土地山林权属纠纷", "土地山林"),  # a dispute type's alias 山林权属纠纷 in it
        ("应急管理>消防通道", "消防安全隐患"),
        ("物业费纠纷", "矛盾纠纷"),  # some dispute, which is not said: its category
        ("城乡建设-市容环境-占道经营", "…"),  # 环境卫生 or 环境污染: the clerk's to say
        ("食品安全", "…"),  # 安全 alone names nothing
    ],
)
def test_the_example_maps_an_unknown_type_to_the_nearest_known_one(
    value: str, nearest: str
) -> None:
    """Trial X: every unknown 事件类型 got the example ``= "社情民意"``, even 土地山林权属纠纷."""
    line = category_rule(value).split("如 ", 1)[1]
    assert tomllib.loads(f'[values."事件类型"]\n{line}\n') == {
        "values": {"事件类型": {value: nearest}}
    }


def test_the_example_of_a_unit_status_never_names_a_wrong_one() -> None:
    """A camera list read as grids: its 在线 is no unit's state (it got ``= "撤销"``)."""
    from importers.kinds.units import unit_status_rule

    assert unit_status_rule("在线").endswith('如 "在线" = "…"')
    assert unit_status_rule("已撤并").endswith('如 "已撤并" = "撤销"')


def test_a_value_the_mapping_file_classifies_wrongly_is_told_so() -> None:
    value = "教育>义务教育>入学政策"
    _, checks = _prepared([value], {"category": {value: "教育类"}})
    assert [p.rule for p in checks.problems] == [
        f'映射文件（--mapping）的 [values."事件类型"] 把它归入“教育类”：必须是以下之一：{NAMES}'
    ]


def test_a_hotline_export_is_refused_then_classified_by_the_rules_mapping_line(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    headers = ["工单编号", "来源渠道", "问题分类", "诉求类型", "所属社区", "受理时间"]
    rows = [
        ["T-1", "12345", "生态环境>大气污染>工业废气", "投诉", VILLAGE, "2025-03-01 09:00"],
        ["T-2", "12345", "劳动和社会保障>劳动关系>拖欠工资", "求助", VILLAGE, "2025-03-01 09:00"],
        ["T-3", "12345", "城乡建设>燃气安全>燃气泄漏", "举报", VILLAGE, "2025-03-01 09:00"],
        ["T-4", "12345", "教育>义务教育>入学政策", "咨询", VILLAGE, "2025-03-01 09:00"],
    ]
    path = tmp_path / "12345工单.csv"
    path.write_bytes(csv_text(headers, rows).encode("gb18030"))
    outcome = run_import(db.connection(), path, ImportOptions(kind="cases", partial=True))
    assert [(p.row, p.column, p.value, p.rule) for p in outcome.problems] == [
        (5, "问题分类", "教育>义务教育>入学政策", RULE)
    ]
    line = outcome.problems[0].rule.split("如 ", 1)[1]
    assert line == '"教育>义务教育>入学政策" = "…"'  # no type is near: the clerk names one
    mapping = tmp_path / "12345.toml"
    mapping.write_text(
        '[values."事件类型"]\n' + line.replace("…", "社情民意") + "\n", encoding="utf-8"
    )
    again = run_import(db.connection(), path, ImportOptions(kind="cases", mapping=mapping))
    assert again.problems == [] and again.committed
    stored = db.execute(
        text(
            "SELECT external_no, channel, category, subcategory FROM cases "
            f"WHERE {MINE} ORDER BY external_no"
        )
    ).all()
    assert [tuple(c) for c in stored] == [
        ("T-1", "hotline_12345", "dispute", "environment"),
        ("T-2", "hotline_12345", "dispute", "labour_wages"),
        ("T-3", "hotline_12345", "safety_hazard", "gas"),
        ("T-4", "hotline_12345", "public_opinion", None),
    ]


# ------------------------------------------------------------------------------- missing columns

SAMPLES = {
    "code": "530424100001",
    "name": "甲",
    "device_id": "53042410001320000001",
    "external_no": "A-1",
    "channel": "12345",
    "category": "纠纷",
    "reported_at": "2025-03-01 09:00",
    "resident_id": resident_id(1),
    "visited_on": "2025-03-01",
}
REQUIRED = [
    pytest.param(kind, field, id=f"{kind}-{field}")
    for kind, spec in KINDS.items()
    for field in spec.required
    if not (spec.numbered_by_content and field == "external_no")  # a ledger: test_import_ledgers
]


@pytest.mark.parametrize(("kind", "field"), REQUIRED)
def test_a_missing_required_column_is_named_in_chinese(
    kind: str, field: str, tmp_path: Path
) -> None:
    spec = KINDS[kind]
    absent = {field} | ({"name"} if spec.coded_by_name and field == "code" else set())
    given = [f for f in spec.required if f not in absent]
    path = tmp_path / f"{kind}.csv"
    headers = [spec.header(f) for f in given] + ["序号"]
    path.write_text(csv_text(headers, [[SAMPLES[f] for f in given] + ["1"]]), encoding="utf-8")
    with pytest.raises(MissingColumns) as refused:
        check_file(path, ImportOptions(kind=kind), KEYS)
    message = str(refused.value)
    assert refused.value.fields == tuple(f for f in spec.required if f in absent)
    assert f"文件缺少必填字段的列：{spec.header(field)}（或" in message
    assert re.search("[A-Za-z_]", message.replace("--mapping", "").replace("--set", "")) is None


def test_a_cases_file_without_a_channel_column_is_told_of_来源渠道(tmp_path: Path) -> None:
    path = tmp_path / "工单导出.csv"  # a name that names no channel
    path.write_text(
        csv_text(["工单编号", "问题分类", "受理时间"], [["A-1", "纠纷", "2025-03-01 09:00"]]),
        encoding="utf-8",
    )
    with pytest.raises(MissingColumns) as refused:
        check_file(path, ImportOptions(kind="cases"), None)
    assert str(refused.value) == (
        "文件缺少必填字段的列：来源渠道（或渠道、来源）。文件中的列：工单编号、问题分类、受理时间。"
        "请把对应的列改名为上述表头之一，或用 --mapping 指定；"
        "整个文件同一个值的，用 --set 给出，如 --set 来源渠道=…（可取：网格员上报、12345热线、"
        "110非警务警情、来访、来电、来信、网上受理、上级交办、下级上报、信访、视频发现）。"
    )


def test_the_mapping_files_example_names_the_field_in_chinese_and_works(tmp_path: Path) -> None:
    """A mapping file may name fields by their Chinese headers: the example does, and it works."""
    path = tmp_path / "工单导出.csv"  # a name that names no channel
    headers = ["工单编号", "信息来源", "问题分类", "受理时间"]
    path.write_text(csv_text(headers, [["A-1", "12345", "纠纷", "2025-03-01"]]), encoding="utf-8")
    with pytest.raises(MissingColumns) as refused:
        check_file(path, ImportOptions(kind="cases"), None)
    message = str(refused.value)
    assert '例如映射文件内容为 {"来源渠道": "信息来源"}' in message
    assert re.search("[A-Za-z_]", message.replace("--mapping", "").replace("--set", "")) is None
    assert message.startswith("文件缺少必填字段的列：来源渠道（或渠道、来源）")
    mapping = tmp_path / "映射.json"
    mapping.write_text('{"来源渠道": "信息来源"}', encoding="utf-8")
    checked = check_file(path, ImportOptions(kind="cases", mapping=mapping), None)
    assert checked.checks.problems == [] and checked.checks.columns["channel"] == "信息来源"
    toml = tmp_path / "映射.toml"  # TOML quotes keys that are not ASCII
    toml.write_text(
        '"来源渠道" = "信息来源"\n[values."来源渠道"]\n"12345" = "网上受理"\n', encoding="utf-8"
    )
    checked = check_file(path, ImportOptions(kind="cases", mapping=toml), None)
    assert list(checked.parts[0].records["channel"]) == ["online"]
    mapping.write_text('{"来源渠道": "信息来源", "channel": "信息来源"}', encoding="utf-8")
    with pytest.raises(MappingError, match="映射文件中的“来源渠道”和“channel”是同一字段"):
        check_file(path, ImportOptions(kind="cases", mapping=mapping), None)


def test_the_command_tells_the_clerk_of_来源渠道(database: SuiteDatabase, tmp_path: Path) -> None:
    path = tmp_path / "工单导出.csv"  # a name that names no channel
    path.write_text(
        csv_text(["工单编号", "问题分类", "受理时间"], [["A-1", "纠纷", "2025-03-01 09:00"]]),
        encoding="utf-8",
    )
    env = {"ZONGZHI_DATABASE_URL": database.urls.owner, "ZONGZHI_HOME": str(tmp_path / "home")}
    result = CliRunner().invoke(import_app(), ["import", "cases", str(path)], env=env)
    assert result.exit_code == 2, result.output
    shown = re.sub(r"\s", "", result.output)
    assert "错误：文件缺少必填字段的列：来源渠道（或渠道、来源）" in shown
    assert "channel" not in shown
