"""The auditor's console page (``/audit``): the audit log newest first, filters, paging, chain.

Trial S, F10: the auditor had no page (the login landed on the command console and
``/api/audit`` was API-only). The page lists each entry's time, account, action in Chinese,
object (a person by the masked label the API gives), outcome and reason, filters by action,
account, object and date range, pages through the log and says whether the hash chain is
intact. Another role gets the API's 403, said in Chinese, and no entry.
"""
# ruff: noqa: F811

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import httpx2
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.demo.plan import DEMO_PASSWORD
from layers import audit
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from web.app import landing_path
from web.pages.audit import ACTION_LABELS, action_labels_json

ROOT = Path(__file__).resolve().parents[1]
REASON = "处置案件需联系当事人"
AUDIT_ACTION = re.compile(r"""action=f?["']([a-z_]+\.[a-z_.{}]+|login|logout)["']""")
CLI_ACTION = re.compile(r"""_audit\(\s*session,\s*["']([a-z_.]+)["']""")
ROW_IDS = "rows => rows.map((r) => Number(r.dataset.id))"
CLI_CHOICE = re.compile(r"""["']([a-z_]+\.[a-z_]+)["'] if \w+ else ["']([a-z_]+\.[a-z_]+)["']""")
KEYED_ACTION = re.compile(r"""setdefault\(\s*\(\s*["']([a-z_]+\.[a-z_]+)["']""")
NAMED_ACTION = re.compile(r"""^[A-Z_]*ACTION\s*=\s*["']([a-z_]+\.[a-z_.]+)["']""", re.MULTILINE)
"""An action named by a module constant (``REFUSED_ACTION = "person.import.refused"``)."""
REFUSAL_ACTION = re.compile(
    r"""audited_refusal\(\s*session,\s*\w+,\s*["']([a-z_]+\.[a-z_.]+)["']"""
)
"""An action audited with its refusal (``audited_refusal(session, user, "case.repeat_merge")``)."""


# ---- page shell and landing (no browser) -------------------------------------------------------


def test_the_auditor_lands_on_the_audit_page() -> None:
    assert landing_path("auditor", "530000000000") == "/audit"
    assert landing_path("commander", "530424000000") == "/console/530424000000"


def test_audit_page_shell_carries_the_chinese_action_names(api_client: TestClient) -> None:
    page = api_client.get("/audit")
    assert page.status_code == 200
    html = page.text
    assert 'id="az-entries"' in html and 'id="az-chain"' in html
    assert "审计日志" in html and "查看身份信息" in html and "新建账号" in html
    assert "/static/console/audit.js" in html


def _actions_written_by_the_platform() -> set[str]:
    """Every audit action the platform's code writes (a literal ``action=`` or a CLI change)."""
    found: set[str] = {audit.LAYER_READ}
    for folder in ("layers", "api", "importers"):
        for path in (ROOT / folder).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            found.update(AUDIT_ACTION.findall(source))
            found.update(CLI_ACTION.findall(source))
            found.update(KEYED_ACTION.findall(source))
            found.update(NAMED_ACTION.findall(source))
            found.update(REFUSAL_ACTION.findall(source))
            for pair in CLI_CHOICE.findall(source):
                found.update(name for name in pair if name.startswith(("user.", "visit.")))
    return {name for name in found if "{" not in name}  # case.{action}: the workflow's rules


def test_every_audited_action_has_a_chinese_name() -> None:
    written = _actions_written_by_the_platform()
    assert {"login", "person.unmask", "import.loaded", "user.add", "visit.correct"} <= written
    assert "person.import.refused" in written  # a module's constant (trial AJ S1)
    assert "case.repeat_dismiss" in written  # audited with its refusal
    assert written - set(ACTION_LABELS) == set()
    assert ACTION_LABELS["person.unmask"] == "查看身份信息"
    assert ACTION_LABELS["login"] == "登录"
    assert ACTION_LABELS["case.dispatch"] == "案件：派单"
    assert '"layer.read": "查看特殊人群图层"' in action_labels_json()


# ---- headless Chromium against the demo county -------------------------------------------------


def _person_id(demo: ConsoleDemo) -> int:
    with demo.owner.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT id FROM persons WHERE area_code LIKE :c AND ended_on IS NULL"
                    " ORDER BY id DESC LIMIT 1"
                ),
                {"c": demo.data.county_code[:6] + "%"},
            ).scalar_one()
        )


def _unmask_through_the_api(demo: ConsoleDemo, person_id: int, times: int) -> None:
    """The county commander (who holds the right) reads ``person_id`` in clear ``times`` times."""
    commander = demo.username("commander", demo.data.county_code)
    with httpx2.Client(base_url=demo.origin) as client:
        token = client.post(
            "/api/auth/token", data={"username": commander, "password": DEMO_PASSWORD}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(times):
            answer = client.post(
                f"/api/persons/{person_id}/unmasked", json={"reason": REASON}, headers=headers
            )
            assert answer.status_code == 200
        refused = client.post(
            f"/api/persons/{person_id}/unmasked", json={"reason": "aaaa"}, headers=headers
        )
        assert refused.status_code == 422


def _masked_name(demo: ConsoleDemo, person_id: int) -> str:
    with httpx2.Client(base_url=demo.origin) as client:
        token = client.post(
            "/api/auth/token",
            data={"username": demo.username("auditor"), "password": DEMO_PASSWORD},
        ).json()["access_token"]
        page = client.get(
            "/api/audit",
            params={"object_type": "person", "object_id": str(person_id), "limit": 1},
            headers={"Authorization": f"Bearer {token}"},
        ).json()
    return str(page["entries"][0]["object_label"]["name_masked"])


@pytest.mark.browser
def test_auditor_reads_who_unmasked_a_person(page: RecordedPage, console_demo: ConsoleDemo) -> None:
    demo = console_demo
    origin = demo.origin
    person_id = _person_id(demo)
    _unmask_through_the_api(demo, person_id, times=21)
    commander = demo.username("commander", demo.data.county_code)

    login(page, origin, demo.username("auditor"))
    page.wait_for_url(f"{origin}/audit")  # the auditor's landing page
    expect(page.locator("#az-chain")).to_have_text("审计日志完整（哈希链校验通过）")
    expect(page.locator("#az-entries tbody tr").first).to_be_visible()
    first = page.locator("#az-entries tbody tr").first
    assert first.get_attribute("data-id") is not None
    ids = page.locator("#az-entries tbody tr").evaluate_all(ROW_IDS)
    assert ids == sorted(ids, reverse=True)  # newest first
    page.screenshot_step("1-landing")

    # who read this person: filter by object
    page.select_option("#az-object-type", "person")
    page.fill("#az-object-id", str(person_id))
    page.select_option("#az-page-size", "20")
    page.click("#az-apply")
    expect(page.locator("#az-matched")).to_contain_text("共 ")
    rows = page.locator("#az-entries tbody tr")
    expect(rows).to_have_count(20)
    objects = rows.locator("td.az-object").all_inner_texts()
    masked = _masked_name(demo, person_id)
    assert all(masked in cell and str(person_id) in cell for cell in objects), objects
    assert set(rows.locator("td.az-action").all_inner_texts()) <= {
        "查看身份信息",
        "查看特殊人群图层",
    }
    refused = rows.filter(has_text="拒绝").first
    expect(refused.locator("td.az-actor")).to_have_text(commander)
    # the reason the reader was told (trial AI S3), not a translation of an English code
    expect(refused.locator("td.az-outcome")).to_contain_text("请用中文写明查看事由")
    allowed = rows.filter(has_text=REASON).first
    expect(allowed.locator("td.az-action")).to_have_text("查看身份信息")
    expect(allowed.locator("td.az-outcome")).to_have_text("成功")
    expect(allowed.locator("td.az-time")).to_have_text(
        re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
    )
    page.screenshot_step("2-by-person")

    # paging: 22 entries at least, 20 a page
    expect(page.locator("#az-page")).to_contain_text("第 1 / ")
    first_page = rows.evaluate_all(ROW_IDS)
    page.click("#az-next")
    expect(page.locator("#az-page")).to_contain_text("第 2 / ")
    expect(rows.first).to_be_visible()
    second_page = rows.evaluate_all(ROW_IDS)
    assert second_page and max(second_page) < min(first_page)  # the older entries
    page.click("#az-prev")
    expect(page.locator("#az-page")).to_contain_text("第 1 / ")

    # action and account filters, date range
    page.select_option("#az-action", "person.unmask")
    page.fill("#az-actor", commander)
    page.click("#az-apply")
    expect(rows.first.locator("td.az-action")).to_have_text("查看身份信息")
    assert set(rows.locator("td.az-actor").all_inner_texts()) == {commander}
    page.fill("#az-until", "2000-01-01")
    page.click("#az-apply")
    expect(page.locator("#az-empty")).to_be_visible()
    expect(rows).to_have_count(0)
    page.screenshot_step("3-filtered")
    # every label of the page is Chinese: account names and codes are data, not labels
    assert page.latin_words("#az-filters") == []
    assert page.latin_words("#az-entries thead") == []
    page.assert_clean(origin)


@pytest.mark.browser
def test_auditor_finds_a_person_by_resident_id(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """The ID a citizen gives, typed as forms group it: the entries about their record."""
    from layers.secrets import unseal

    demo = console_demo
    person_id = _person_id(demo)
    _unmask_through_the_api(demo, person_id, times=1)
    with demo.owner.connect() as conn:
        sealed = conn.execute(
            text("SELECT id_sealed FROM persons WHERE id = :id"), {"id": person_id}
        ).scalar_one()
    number = unseal(demo.settings.platform_keys(), bytes(sealed))
    login(page, demo.origin, demo.username("auditor"))
    page.wait_for_url(f"{demo.origin}/audit")
    page.fill("#az-resident-id", f"{number[:6]} {number[6:14]} {number[14:]}")
    page.click("#az-lookup-submit")
    expect(page.locator("#az-lookup-result")).to_contain_text("找到 1 条人员记录")
    expect(page.locator("#az-object-id")).to_have_value(str(person_id))
    expect(page.locator("#az-resident-id")).to_have_value("")  # not left on the screen
    rows = page.locator("#az-entries tbody tr")
    expect(rows.first.locator("td.az-object")).to_contain_text(str(person_id))
    # the look-up's own entry, the newest, says what it found (trial AE: 「— 成功 —」)
    expect(rows.first.locator("td.az-reason")).to_have_text(
        f"按身份证号查找：找到 1 条人员记录（编号 {person_id}）"
    )
    assert number not in page.content()
    page.fill("#az-resident-id", number[:17] + ("0" if number[17] != "0" else "1"))
    page.click("#az-lookup-submit")
    expect(page.locator("#az-lookup-result")).to_contain_text("身份证号无效")
    page.screenshot_step("by-resident-id")
    page.assert_clean(demo.origin, expected_errors=(r"status of 422 .*person-lookup",))


@pytest.mark.browser
def test_the_audit_page_refuses_a_commander(page: RecordedPage, console_demo: ConsoleDemo) -> None:
    origin = console_demo.origin
    commander = console_demo.username("commander", console_demo.data.county_code)
    login(page, origin, commander, next_path="/audit")
    page.wait_for_url(f"{origin}/audit")
    expect(page.locator("#az-error")).to_have_text("无法查看审计日志：指挥中心值班员无权执行该操作")
    expect(page.locator("#az-entries tbody tr")).to_have_count(0)
    expect(page.locator("#az-results")).to_be_hidden()
    # nothing of the auditor's offered: no look-up by resident ID, no export, no chain badge
    expect(page.locator("#az-lookup")).to_be_hidden()
    expect(page.locator("#az-export-xlsx")).to_be_hidden()
    expect(page.locator("#az-chain")).to_be_hidden()
    status = page.evaluate(
        "fetch('/api/audit', {credentials: 'same-origin'}).then((r) => r.status)"
    )
    assert status == 403
    page.screenshot_step("refused")
    page.assert_clean(origin, expected_errors=(r"status of 403",))


@pytest.mark.browser
def test_auditor_reads_who_registered_a_person_and_what_an_import_loaded(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """Trial AB: who put a person on record, and an import's file and counts, on the page."""
    from geo.codes import make_resident_id

    demo = console_demo
    commander = demo.username("commander", demo.data.county_code)
    with demo.owner.connect() as conn:
        lon, lat = conn.execute(
            text(
                "SELECT ST_X(ST_PointOnSurface(boundary)), ST_Y(ST_PointOnSurface(boundary))"
                " FROM grids ORDER BY code LIMIT 1"
            )
        ).one()
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        token = client.post(
            "/api/auth/token", data={"username": commander, "password": DEMO_PASSWORD}
        ).json()["access_token"]
        answer = client.post(
            "/api/persons",
            json={
                "category": "mental",
                "name": "审登记",
                "resident_id": make_resident_id("530424", date(1979, 2, 3), 55, "M"),
                "lon": lon,
                "lat": lat,
            },
            headers={"Authorization": f"Bearer {token}"},
        )
    assert answer.status_code == 201, answer.text
    person = answer.json()
    with Session(demo.owner) as session, session.begin():
        audit.record(
            session,
            actor_id=None,
            actor_name="clerk.test",
            action="import.loaded",
            object_type="import",
            object_id="990001",
            detail={
                "kind": "visits",
                "file": "11月走访记录.xlsx",
                "sha256": "0" * 64,
                "import_id": 990001,
                "rows_total": 120,
                "rows_loaded": 117,
                "rows_rejected": 3,
            },
        )
    try:
        login(page, demo.origin, demo.username("auditor"))
        page.wait_for_url(f"{demo.origin}/audit")
        page.select_option("#az-object-type", "person")
        page.fill("#az-object-id", str(person["id"]))
        page.click("#az-apply")
        registered = page.locator("#az-entries tbody tr").first
        expect(registered.locator("td.az-action")).to_have_text("登记人员")
        expect(registered.locator("td.az-actor")).to_have_text(commander)
        expect(registered.locator("td.az-reason")).to_have_text(
            f"类别：严重精神障碍患者；所在辖区 {person['area_name']}（{person['area_code']}）"
        )
        page.select_option("#az-object-type", "import")
        page.fill("#az-object-id", "990001")
        page.click("#az-apply")
        loaded = page.locator("#az-entries tbody tr").first
        expect(loaded.locator("td.az-object")).to_contain_text("导入批次")
        expect(loaded.locator("td.az-reason")).to_have_text(
            "走访记录文件 11月走访记录.xlsx；共 120 行，导入 117 行，退回 3 行"
        )
        page.screenshot_step("1-registered-and-imported")
    finally:
        with demo.owner.begin() as conn:
            conn.execute(text("DELETE FROM persons WHERE id = :id"), {"id": person["id"]})


@pytest.mark.browser
def test_an_entry_about_an_account_names_it_on_the_page(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """Trial: 授予查看明文权限 named the account granted by its number only.

    The entry is written as any entry before this change was (the number alone): the page
    names the account by its login, post and scope all the same.
    """
    demo = console_demo
    dispatcher = demo.username("dispatcher")
    with demo.owner.connect() as conn:
        account_id, scope_name = conn.execute(
            text(
                "SELECT u.id, j.name FROM users u JOIN jurisdictions j ON j.code = u.scope_code"
                " WHERE u.username = :u"
            ),
            {"u": dispatcher},
        ).one()
    with Session(demo.owner) as session, session.begin():
        audit.record(
            session,
            actor_id=None,
            actor_name=demo.username("admin"),
            action="user.unmask_granted",
            object_type="user",
            object_id=str(account_id),
            reason="岗位职责需核实走访对象身份",
        )
        audit.record(  # trial AW M7: an account probing IDs of other townships, flagged
            session,
            actor_id=account_id,
            actor_name=dispatcher,
            action="person.id_probes",
            object_type="user",
            object_id=str(account_id),
            outcome="denied",
            reason="疑似试探身份证号：今日第 3 次登记遇到本辖区以外的在册人员，已暂停其当日登记",
        )
    login(page, demo.origin, demo.username("auditor"))
    page.wait_for_url(f"{demo.origin}/audit")
    flagged = page.locator("#az-entries tbody tr.az-flagged").first
    expect(flagged.locator("td.az-action")).to_have_text("预警疑似试探身份证号（暂停当日登记）")
    expect(flagged.locator("td.az-actor")).to_have_text(dispatcher)
    page.select_option("#az-action", "user.unmask_granted")
    page.click("#az-apply")
    granted = page.locator("#az-entries tbody tr").first
    expect(granted.locator("td.az-action")).to_have_text("授予查看明文权限")
    expect(granted.locator("td.az-object")).to_contain_text(
        f"账号 {dispatcher}（{scope_name}乡镇调度员） · 编号 {account_id}"
    )
    expect(granted.locator("td.az-reason")).to_have_text("岗位职责需核实走访对象身份")
    expect(page.locator("#az-shown")).to_have_text("显示操作为“授予查看明文权限”的记录")
    page.screenshot_step("1-granted-account-named")
    page.assert_clean(demo.origin)


@pytest.mark.browser
def test_a_lookup_by_resident_id_shows_every_entry_about_the_person(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """Trial: the lookup kept an action filter set before, and came back empty or partial.

    The person's entries are all listed (their reads, and a duplicate registration refused,
    which names the record it repeats), the other filters cleared, and the page says so.
    """
    from layers.secrets import unseal

    demo = console_demo
    person_id = _person_id(demo)
    _unmask_through_the_api(demo, person_id, times=1)
    commander = demo.username("commander", demo.data.county_code)
    refusal = f"该人员已在册（编号 {person_id}），不能重复登记"
    with Session(demo.owner) as session, session.begin():
        audit.record(
            session,
            actor_id=None,
            actor_name=commander,
            action="person.register",
            object_type="person",
            object_id=str(person_id),
            outcome="failed",
            reason=f"AlreadyOnRecord: {refusal}",
        )
        sealed = session.execute(
            text("SELECT id_sealed FROM persons WHERE id = :id"), {"id": person_id}
        ).scalar_one()
    number = unseal(demo.settings.platform_keys(), bytes(sealed))
    login(page, demo.origin, demo.username("auditor"))
    page.wait_for_url(f"{demo.origin}/audit")
    page.select_option("#az-action", "login")  # set before, for something else
    page.fill("#az-actor", commander)
    page.fill("#az-until", "2000-01-01")
    page.click("#az-apply")
    expect(page.locator("#az-empty")).to_be_visible()

    page.fill("#az-resident-id", number)
    page.click("#az-lookup-submit")
    expect(page.locator("#az-lookup-result")).to_contain_text("找到 1 条人员记录")
    rows = page.locator("#az-entries tbody tr")
    refused = rows.filter(has_text=refusal)
    expect(refused).to_have_count(1)
    for cleared in ("#az-action", "#az-actor", "#az-until"):
        expect(page.locator(cleared)).to_have_value("")
    expect(page.locator("#az-shown")).to_contain_text(f"编号 {person_id} 的记录")
    expect(page.locator("#az-shown")).to_contain_text("其他筛选条件已清除")
    expect(refused.locator("td.az-action")).to_have_text("登记人员")
    expect(refused.locator("td.az-outcome")).to_have_text("失败")
    actions = set(rows.locator("td.az-action").all_inner_texts())
    assert {"登记人员", "查看身份信息", "按身份证号查找人员"} <= actions, actions
    objects = rows.locator("td.az-object").all_inner_texts()
    assert all(f"编号 {person_id}" in cell for cell in objects), objects
    assert number not in page.content()
    page.screenshot_step("1-every-entry-about-the-person")
    page.assert_clean(demo.origin)


@pytest.mark.browser
def test_the_auditor_exports_the_entries_the_filter_shows(
    page: RecordedPage, console_demo: ConsoleDemo, tmp_path: Path
) -> None:
    """Trial AO M10: no 导出; m1: 查看反映人信息 named the case 「编号 4241」, its internal id."""
    demo = console_demo
    county = demo.data.county_code
    with demo.owner.connect() as conn:
        case_id, code, reporter = conn.execute(
            text(
                "SELECT id, code, btrim(reporter_name) FROM cases WHERE area_code LIKE :c"
                " AND char_length(btrim(reporter_name)) >= 2 ORDER BY id DESC LIMIT 1"
            ),
            {"c": county[:6] + "%"},
        ).one()
    masked = reporter[0] + "*" * (len(reporter) - 1)
    with Session(demo.owner) as session, session.begin():
        for _ in range(3):
            audit.record(
                session,
                actor_id=None,
                actor_name=demo.username("commander", county),
                action="case.reporter.unmask",
                object_type="case",
                object_id=str(case_id),
                reason="核实反映人联系方式以便回访",
            )
    login(page, demo.origin, demo.username("auditor"))
    page.wait_for_url(f"{demo.origin}/audit")
    page.select_option("#az-action", "case.reporter.unmask")
    page.select_option("#az-page-size", "20")
    page.click("#az-apply")
    rows = page.locator("#az-entries tbody tr")
    expect(rows.first.locator("td.az-object")).to_contain_text(f"案件 {code}（反映人 {masked}）")
    expect(page.locator("#az-matched")).to_have_text(re.compile(r"^共 \d+ 条$"))
    matched = int(page.inner_text("#az-matched").split()[1])
    page.screenshot_step("1-case-by-code")
    expect(page.locator("#az-export-xlsx")).to_have_text("导出表格")
    expect(page.locator("#az-export-csv")).to_have_text("导出文本")
    assert page.latin_words("#az-results .card-footer") == []

    with page.expect_download() as download:
        page.click("#az-export-xlsx")
    name = "审计日志_全部日期_查看反映人信息.xlsx"
    assert download.value.suggested_filename == name
    saved = tmp_path / "export.xlsx"
    download.value.save_as(saved)
    table = list(load_workbook(saved)["审计日志"].iter_rows(values_only=True))
    columns = page.locator("#az-entries thead th").all_inner_texts()
    assert columns == ["时间", "账号", "操作", "对象", "结果", "事由"]
    assert list(table[0][1:7]) == columns  # the export heads its columns as the page does
    assert len(table) - 1 == matched  # every page of the filter
    assert {r[3] for r in table[1:]} == {"查看反映人信息"}
    assert f"案件 {code}（反映人 {masked}）" in {r[4] for r in table[1:]}
    assert reporter not in str(table)
    expect(page.locator("#az-export-note")).to_have_text(f"已导出 {name}（本次导出已记入审计日志）")

    # the export is an entry of its own
    page.select_option("#az-action", "audit.export")
    page.click("#az-apply")
    exported = rows.first
    expect(exported.locator("td.az-action")).to_have_text("导出审计日志")
    expect(exported.locator("td.az-actor")).to_have_text(demo.username("auditor"))
    expect(exported.locator("td.az-reason")).to_have_text(f"导出表格（.xlsx），{matched} 条")
    page.screenshot_step("2-export-audited")
    page.assert_clean(demo.origin)
