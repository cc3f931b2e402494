"""The audit log in Chinese: the names of actions, outcomes and objects, and its export files.

The 审计日志 page (``web/static/console/audit.js``) and its export (``GET /api/audit/export``)
say an entry alike because both take its words from here: :func:`display_texts` makes the
action, object, outcome and reason of an entry, which ``GET /api/audit`` gives with each entry
(``texts``) for the page to show as they are and :func:`entry_texts` writes in the export's row;
the page formats none of them itself. An entry about a person shows the masked
label (:func:`layers.audit.person_labels`), about a case its code and its reporter masked, never
clear data. :func:`export_xlsx` and :func:`export_csv` (UTF-8 with a BOM, so that Excel reads
the Chinese) write the rows under Chinese headers; :func:`export_name` names the file by the
filter and the period (``审计日志_2026-11-01至2026-11-30_查看反映人信息.xlsx``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from openpyxl import Workbook

from layers import audit, workflow
from layers.catalog import COLLECTIONS
from layers.china_time import CHINA
from layers.console_wording import PAGE_KINDS
from layers.model import AuditEntry, PersonCategory
from layers.workbooks import table_sheet

_PLATFORM_ACTIONS: dict[str, str] = {
    "login": "登录",
    "login.renew": "登录续期",
    "logout": "退出登录",
    "person.unmask": "查看身份信息",
    "person.visit_photo": "查看走访照片",
    "person.register": "登记人员",
    "person.import.refused": "导入时拒绝（其他辖区人员）",
    "person.id_probes": "疑似试探身份证号（暂停当日登记）",
    "person.end": "注销人员",
    "person.grid": "划入或调整网格",
    "person.import_change": "导入更改人员",
    "person.erase": "删除人员记录（离册已满保存期）",
    "case.reporter.unmask": "查看反映人信息",
    "layer.read": "查看特殊人群图层",
    "import.loaded": "导入",
    "import.upload": "上传导入文件",
    "import.rerun": "再次运行上传的文件",
    "import.report_download": "下载退回报告",
    "import.supervise_read": "督导查看导入",
    "audit.person_lookup": "按身份证号查找人员",
    "audit.export": "导出审计日志",
    "import.upload_delete": "删除上传的文件",
    "user.add": "新建账号",
    "user.unlock": "解除账号锁定",
    "login_throttle.clear": "解除地址登录限制",
    "user.enable": "启用账号",
    "user.disable": "停用账号",
    "user.password_reset": "重设密码",
    "user.password_changed": "修改本人密码",
    "user.changed": "调整账号（调岗）",
    "user.unmask_granted": "授予查看明文权限",
    "user.unmask_revoked": "收回查看明文权限",
    "visit.record": "登记走访",
    "visit_rule.set": "设定走访间隔",
    "visit.correct": "更正走访记录",
    "visit.delete": "删除走访记录",
    "worker.position": "上报位置",
    "worker.status": "变更在岗状态",
    "hotspots.run": "热点分析",
    "alert.acknowledge": "签收风险预警",
    "alert.close": "关闭风险预警",
    "alert.reopen": "重新打开风险预警",
    "case.register": "案件：登记",
    "case.report_photos": "案件：上报照片",
    "case.hand_down_supervise": "案件：交办并督办",
    "case.repeat_merge": "案件：合并为重复反映",
    "case.repeat_unlink": "案件：解除重复反映关联",
    "case.repeat_dismiss": "案件：疑似重复核实为不是同一事项",
}

ACTION_LABELS: dict[str, str] = {
    **_PLATFORM_ACTIONS,
    **{f"case.{name}": f"案件：{rule.label}" for name, rule in workflow.RULES.items()},
}
"""Chinese name of each action the platform writes to the audit log (``case.*``: the workflow's)."""

OUTCOME_LABELS: dict[str, str] = {"ok": "成功", "denied": "拒绝", "failed": "失败", "error": "出错"}
"""Chinese name of each outcome (:data:`layers.audit.OUTCOMES`)."""

OBJECT_LABELS: dict[str, str] = {
    "person": "特殊人群人员",
    "case": "案件",
    "user": "账号",
    "address": "登录地址",
    "layer": "图层",
    "person_visit": "走访记录",
    "worker": "网格员",
    "hotspot_run": "热点分析",
    "alert": "风险预警",
    "import": "导入批次",
    "import_job": "导入任务",
    "visit_rule": "走访间隔",
}
"""Chinese name of each kind of object an entry is about."""

REFUSALS: dict[str, str] = {
    "no unmask permission": "无查看明文权限",
    "role may not unmask": "该岗位不能查看明文",
    "no real reason stated": "未写明查看事由",
    "not found in scope": "不存在或不在辖区内",
    audit.LOGIN_BAD_CREDENTIALS: "用户名或密码错误",
    audit.LOGIN_LOCKED: "账户已锁定",
    audit.LOGIN_THROTTLED: "此地址登录失败次数过多，暂停登录",
    audit.LOGIN_DISABLED: "账号已停用",
}
"""Chinese of the refusals written in English in an entry's ``reason`` or ``detail.refused``.

A refused login's reason is one of :data:`layers.audit.LOGIN_REFUSALS`: ``bad credentials`` (a
wrong password or a name no account has), ``account disabled`` (answered as the first),
``locked`` and ``throttled`` (its address held back: ``api.routers.auth.login``).
"""

EXPORT_FORMATS = {"xlsx": "表格（.xlsx）", "csv": "文本表格（.csv）"}
"""The export's formats as the page's 事由 column names them (``audit.export``)."""

PAGE_COLUMNS = ("时间", "账号", "操作", "对象", "结果", "事由")
"""The columns of the 审计日志 page's table (``web/templates/audit.html``), its time Beijing's."""

EXPORT_HEADER = ["记录编号", *PAGE_COLUMNS, "哈希值"]
"""The columns of an export of the audit log: the page's (:data:`PAGE_COLUMNS`), between the
entry's number and its hash."""

CSV_HEADER = [f"{name}（北京时间）" if name == "时间" else name for name in EXPORT_HEADER]
"""The columns of the CSV export: :data:`EXPORT_HEADER`, its time said to be Beijing's, as the
workbook's 导出说明 sheet says it and a CSV has no room for."""


@dataclass(frozen=True)
class EntryLabels:
    """What the auditor may know of the objects a set of entries is about, by object id.

    Attributes
    ----------
    persons, accounts, cases, imports : dict
        :func:`layers.audit.person_labels`, :func:`layers.audit.account_labels`,
        :func:`layers.audit.case_labels`, :func:`layers.audit.import_labels`.
    """

    persons: Mapping[str, audit.PersonLabel] = field(default_factory=dict)
    accounts: Mapping[str, audit.AccountLabel] = field(default_factory=dict)
    cases: Mapping[str, audit.CaseLabel] = field(default_factory=dict)
    imports: Mapping[str, audit.ImportLabel] = field(default_factory=dict)


def labels_of(session: Any, entries: Sequence[AuditEntry]) -> EntryLabels:
    """Return the labels of the objects ``entries`` are about (persons, accounts, cases, imports).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The auditor's session (row-level security: the auditor's scope).
    entries : sequence of AuditEntry
        The entries shown.

    Returns
    -------
    EntryLabels
        Their labels.
    """

    def ids(kind: str) -> list[str | None]:
        return [e.object_id for e in entries if e.object_type == kind]

    return EntryLabels(
        persons=audit.person_labels(session, ids("person")),
        accounts=audit.account_labels(session, ids(audit.ACCOUNT_OBJECT)),
        cases=audit.case_labels(session, ids("case")),
        imports=audit.import_labels(session, ids("import")),
    )


def person_text(label: audit.PersonLabel) -> str:
    """Return a person as the page names them: ``董**（重点青少年）``, never clear data.

    Examples
    --------
    >>> person_text(audit.PersonLabel("董**", "youth", "重点青少年", import_id=7))
    '董**（重点青少年，由导入批次 7 写入）'
    """
    imported = f"，由导入批次 {label.import_id} 写入" if label.import_id else ""
    erased = "，记录已删除" if label.erased else ""
    return f"{label.name_masked}（{label.category_label}{erased}{imported}）"


def account_text(label: audit.AccountLabel) -> str:
    """Return an account as the page names it: its login, then its name as its top bar shows it.

    The shown name (:attr:`layers.audit.AccountLabel.display_name`), with the role where the
    name does not say it and the scope where it does not name it, as ``common.js``'s top bar
    says 县人社局（部门处置人员）: a county's seven bureau accounts read alike when named by
    scope and role (「华宁县部门处置人员」, a user trial). The login stays first, the name the
    auditor searches by.

    Examples
    --------
    >>> def label(name, role, role_label, scope_name="华宁县"):
    ...     return audit.AccountLabel(
    ...         "u.530424", name, role, role_label, "530424000000", scope_name
    ...     )
    >>> account_text(label("县人社局", "department", "部门处置人员"))
    '账号 u.530424（县人社局，部门处置人员，华宁县）'
    >>> account_text(label("华宁县研判分析员", "analyst", "研判分析员"))
    '账号 u.530424（华宁县研判分析员）'
    >>> account_text(label("郑洁", "dispatcher", "乡镇调度员", None))
    '账号 u.530424（郑洁，乡镇调度员，辖区 530424000000）'
    """
    name = label.display_name
    parts = [name]
    if label.role_label not in name:
        parts.append(label.role_label)
    if not label.scope_name:
        parts.append(f"辖区 {label.scope_code}")
    elif label.scope_name not in name:
        parts.append(label.scope_name)
    return f"账号 {label.username}（{'，'.join(parts)}）"


def case_text(label: audit.CaseLabel, *, reporter: bool) -> str:
    """Return a case by its code, with its reporter masked when the entry read the reporter.

    Examples
    --------
    >>> case_text(audit.CaseLabel("530424-20261206-00004241", "张**"), reporter=True)
    '案件 530424-20261206-00004241（反映人 张**）'
    >>> case_text(audit.CaseLabel("530424-20261206-00004241", None), reporter=True)
    '案件 530424-20261206-00004241'
    """
    whose = f"（反映人 {label.reporter_masked}）" if reporter and label.reporter_masked else ""
    return f"案件 {label.code}{whose}"


def import_text(object_id: str, label: audit.ImportLabel) -> str:
    """Return an import as the page names it: ``导入批次 12（特殊人群，台账.csv，2026-12-05）``."""
    kind = PAGE_KINDS.get(label.kind, label.kind)
    return f"导入批次 {object_id}（{kind}，{label.file_name}，{label.day}）"


def action_text(entry: AuditEntry) -> str:
    """Return the entry's action in Chinese (a non-person layer read names the layer)."""
    d = entry.detail or {}
    if entry.action == audit.LAYER_READ and d.get("collection") not in (None, "persons"):
        collection = COLLECTIONS.get(str(d["collection"]))
        return f"查看图层（{collection.title if collection else d['collection']}）"
    return ACTION_LABELS.get(entry.action, entry.action)


def object_text(entry: AuditEntry, labels: EntryLabels) -> str:
    """Return what the entry is about, as the page shows it (masked)."""
    kind, key = entry.object_type, entry.object_id or ""
    if not kind:
        return "—"
    if kind == "layer":
        collection = COLLECTIONS.get(key)
        return "图层：" + (collection.title if collection else key)
    number = f"编号 {key}" if key else ""
    if kind == "person" and key in labels.persons:
        return f"{person_text(labels.persons[key])} · {number}"
    if kind == audit.ACCOUNT_OBJECT and key in labels.accounts:
        return f"{account_text(labels.accounts[key])} · {number}"
    if kind == "case" and key in labels.cases:
        return case_text(labels.cases[key], reporter=entry.action == "case.reporter.unmask")
    if kind == "import" and key in labels.imports:
        return import_text(key, labels.imports[key])
    if kind == "address" and key:
        return f"登录地址 {key}"
    return " · ".join(part for part in (OBJECT_LABELS.get(kind, kind), number) if part)


def refusal_text(refused: str | None) -> str:
    """Return an English refusal in Chinese (``Forbidden: 您无权…`` without its class)."""
    if not refused:
        return ""
    return REFUSALS.get(refused) or re.sub(r"^[A-Za-z]+: ", "", refused)


def outcome_text(entry: AuditEntry) -> str:
    """Return the outcome in Chinese, with why it was refused."""
    outcome = OUTCOME_LABELS.get(entry.outcome, entry.outcome)
    why = refusal_text(str((entry.detail or {}).get("refused") or ""))
    return f"{outcome}（{why}）" if why else outcome


def _detail_text(entry: AuditEntry) -> str:
    d = entry.detail or {}
    if entry.action.startswith("import.") and d.get("file"):
        kind = PAGE_KINDS.get(str(d.get("kind")), str(d.get("kind") or ""))
        parts = [f"{kind}文件 {d['file']}" + ("（试运行）" if d.get("dry_run") else "")]
        if d.get("rows_total") is not None:
            parts.append(
                f"共 {d['rows_total']} 行，导入 {d.get('rows_loaded')} 行，"
                f"退回 {d.get('rows_rejected')} 行"
            )
        return "；".join(parts)
    if entry.action == "person.register" and d.get("category"):
        category = PersonCategory.labels().get(str(d["category"]), str(d["category"]))
        area = (
            f"{d['area_name']}（{d.get('area_code')}）"
            if d.get("area_name")
            else d.get("area_code")
        )
        return f"类别：{category}；所在辖区 {area}"
    if entry.action == "person.import_change" and d.get("fields"):
        ended = (
            f"；注销原因：{d['reason']}，注销日期 {d.get('ended_on')}" if d.get("reason") else ""
        )
        run = f"（导入 {d['import_id']}）" if d.get("import_id") else ""
        return f"更改：{'、'.join(str(f) for f in d['fields'])}{ended}{run}"
    if entry.action == "person.end" and d.get("reason"):
        day = f"，注销日期 {d['ended_on']}" if d.get("ended_on") else ""
        run = f"（导入 {d['import_id']}）" if d.get("import_id") else ""
        return f"注销原因：{d['reason']}{day}{run}"
    if entry.action == "person.grid" and d.get("grid_code"):
        was = d.get("from_grid") or f"{d.get('from_area')}（未划入网格）"
        now = f"{d.get('grid_name') or ''}（{d['grid_code']}）"
        return f"原网格 {was}；现网格 {now}；帮扶责任人 {d.get('responsibles', 0)} 名"
    if entry.action == "visit.record" and d.get("visited_on"):
        return f"走访日期 {d['visited_on']}" + (
            f"，附照片 {d['photos']} 张" if d.get("photos") else ""
        )
    if entry.action == "person.visit_photo" and d.get("photo"):
        return f"走访照片 {d['photo']}（随第 {d.get('unmask_entry')} 条查看身份信息）"
    if entry.action == audit.LOOKUP_ACTION and d.get("found") is not None:
        if not d["found"]:
            return "按身份证号查找：未找到人员记录"
        ids = "、".join(str(i) for i in d.get("person_ids") or [])
        return f"按身份证号查找：找到 {d['found']} 条人员记录（编号 {ids}）"
    if entry.action == audit.EXPORT_ACTION and d.get("rows") is not None:
        given = str(d.get("format", ""))
        return f"导出{EXPORT_FORMATS.get(given, given)}，{d['rows']} 条"
    return ""


def reason_text(entry: AuditEntry) -> str:
    """Return the entry's reason column: the stated reason, a refusal or what the entry records."""
    d = entry.detail or {}
    if entry.action == audit.LAYER_READ and d.get("returned") is not None:
        views = {
            "visits": "走访名单：",
            "overdue_export": "导出走访逾期名单：",
            "grid": "划入网格：",
        }
        where = views.get(str(d.get("view")), "")
        return f"{where}返回 {d['returned']} 条（共 {d.get('matched')} 条）"
    if entry.action == audit.LAYER_READ and d.get("zoom") is not None and d.get("bbox"):
        b = [f"{float(v):.4f}" for v in d["bbox"]]
        return f"地图第 {d['zoom']} 级，经度 {b[0]}–{b[2]}，纬度 {b[1]}–{b[3]}"
    return refusal_text(entry.reason) or _detail_text(entry) or "—"


@dataclass(frozen=True)
class EntryTexts:
    """An entry's columns as the page and the export say them (masked, never clear data).

    Attributes
    ----------
    action, object, outcome, reason : str
        :func:`action_text`, :func:`object_text`, :func:`outcome_text`, :func:`reason_text`.
    """

    action: str
    object: str
    outcome: str
    reason: str


def display_texts(entry: AuditEntry, labels: EntryLabels) -> EntryTexts:
    """Return the entry's action, object, outcome and reason in Chinese, as the page shows them.

    Parameters
    ----------
    entry : AuditEntry
        The entry.
    labels : EntryLabels
        The labels of the objects of the entries shown (:func:`labels_of`).

    Returns
    -------
    EntryTexts
        The four texts; the page (``GET /api/audit``) and the export share them.
    """
    return EntryTexts(
        action=action_text(entry),
        object=object_text(entry, labels),
        outcome=outcome_text(entry),
        reason=reason_text(entry),
    )


def entry_texts(entry: AuditEntry, labels: EntryLabels) -> list[Any]:
    """Return one row of an export (:data:`EXPORT_HEADER`), as the page shows the entry."""
    texts = display_texts(entry, labels)
    return [
        entry.id,
        entry.at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S"),
        entry.actor_name,
        texts.action,
        texts.object,
        texts.outcome,
        texts.reason,
        entry.hash.hex(),
    ]


def filter_text(where: audit.EntryFilter) -> str:
    """Return the filter in words, as the page's line over the entries says it.

    Examples
    --------
    >>> filter_text(audit.EntryFilter(action="case.reporter.unmask", actor_name="a.1"))
    '操作为“查看反映人信息”，账号为 a.1'
    >>> filter_text(audit.EntryFilter())
    '全部记录'
    """
    parts = []
    if where.action:
        parts.append(f"操作为“{ACTION_LABELS.get(where.action, where.action)}”")
    if where.actor_name:
        parts.append(f"账号为 {audit.masked_ids(where.actor_name)}")
    if where.object_type or where.object_id:
        kind = OBJECT_LABELS.get(where.object_type or "", where.object_type or "任意对象")
        number = f" 编号 {audit.masked_ids(where.object_id)}" if where.object_id else ""
        parts.append(f"对象为{kind}{number}")
    return "，".join(parts) or "全部记录"


def period_text(where: audit.EntryFilter) -> str:
    """Return the period a filter covers, by Beijing days (its ``until`` is the day after).

    Examples
    --------
    >>> from datetime import datetime
    >>> since = datetime(2026, 11, 1, tzinfo=CHINA)
    >>> period_text(audit.EntryFilter(since=since, until=datetime(2026, 12, 1, tzinfo=CHINA)))
    '2026-11-01至2026-11-30'
    >>> period_text(audit.EntryFilter(since=since)), period_text(audit.EntryFilter())
    ('2026-11-01起', '全部日期')
    """
    since = f"{where.since.astimezone(CHINA):%Y-%m-%d}" if where.since else ""
    last = where.until.astimezone(CHINA) - timedelta(microseconds=1) if where.until else None
    until = f"{last:%Y-%m-%d}" if last else ""
    if since and until:
        return f"{since}至{until}"
    if since:
        return f"{since}起"
    return f"至{until}" if until else "全部日期"


_NOT_IN_NAMES = re.compile(r'[\\/:*?"<>|\s]+')


def export_name(where: audit.EntryFilter, file_format: str) -> str:
    """Return the export's file name: the period, then the filter.

    Examples
    --------
    >>> from datetime import datetime
    >>> where = audit.EntryFilter(
    ...     action="case.reporter.unmask",
    ...     since=datetime(2026, 11, 1, tzinfo=CHINA),
    ...     until=datetime(2026, 12, 1, tzinfo=CHINA),
    ... )
    >>> export_name(where, "xlsx")
    '审计日志_2026-11-01至2026-11-30_查看反映人信息.xlsx'
    >>> export_name(audit.EntryFilter(actor_name="a/b", object_type="case"), "csv")
    '审计日志_全部日期_账号a_b_案件.csv'
    """
    parts = ["审计日志", period_text(where)]
    if where.action:
        parts.append(ACTION_LABELS.get(where.action, where.action))
    if where.actor_name:
        parts.append("账号" + audit.masked_ids(where.actor_name))
    if where.object_type or where.object_id:
        kind = OBJECT_LABELS.get(where.object_type or "", where.object_type or "对象")
        parts.append(kind + (audit.masked_ids(where.object_id) if where.object_id else ""))
    name = "_".join(_NOT_IN_NAMES.sub("_", part).strip("_") for part in parts)
    return f"{name[:150]}.{file_format}"


def export_xlsx(
    rows: Sequence[Sequence[Any]], where: audit.EntryFilter, *, exported_by: str, at: datetime
) -> bytes:
    """Return the export as a workbook: 审计日志 (the rows) and 导出说明 (filter, period, who).

    Parameters
    ----------
    rows : sequence of sequence
        The rows (:func:`entry_texts`).
    where : EntryFilter
        The filter exported.
    exported_by : str
        The auditor's login name.
    at : datetime
        When it was exported.

    Returns
    -------
    bytes
        The ``.xlsx`` file.
    """
    book = Workbook()
    book.remove(book.worksheets[0])
    table_sheet(
        book, "审计日志", EXPORT_HEADER, [list(r) for r in rows], empty="没有符合条件的记录"
    )
    about: list[list[Any]] = [
        ["筛选条件", filter_text(where)],
        ["日期范围（北京时间）", period_text(where)],
        ["记录数", len(rows)],
        ["导出人", exported_by],
        ["导出时间（北京时间）", f"{at.astimezone(CHINA):%Y-%m-%d %H:%M:%S}"],
        ["说明", "时间为北京时间；个人信息按审计日志页面所示脱敏；本次导出已记入审计日志"],
    ]
    table_sheet(book, "导出说明", ["项目", "内容"], about)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_csv(rows: Sequence[Sequence[Any]]) -> bytes:
    r"""Return the export as CSV in UTF-8 with a BOM (Excel then reads the Chinese).

    Its header is :data:`CSV_HEADER`: the time column says it is Beijing time.

    Examples
    --------
    >>> export_csv([[1, "2026-12-06 10:00:00", "a", "登录", "—", "成功", "—", "ab"]])[:3]
    b'\xef\xbb\xbf'
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")
