"""The 审计日志 page (``/audit``) of the security auditor: the audit log and its hash chain.

``audit.js`` reads ``/api/audit`` (newest first; filters by action, account, object and date
range; paging) and ``/api/audit/verify`` (完整 / 被篡改) with the auditor's session; any other
role gets the API's 403, said in Chinese, and no entry. An entry about a person shows the
masked name and category the API gives (``object_label``), never clear data. The page shell
carries the Chinese names of the actions, outcomes, object kinds and refusals
(:func:`action_labels_json`); an action without a name is shown as its code.
"""

from __future__ import annotations

import json
from functools import cache

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from layers import workflow
from layers.catalog import COLLECTIONS
from layers.console_wording import PAGE_KINDS
from layers.model import PersonCategory
from web.render import page_response

router = APIRouter(include_in_schema=False)

_PLATFORM_ACTIONS: dict[str, str] = {
    "login": "登录",
    "logout": "退出登录",
    "person.unmask": "查看身份信息",
    "person.register": "登记人员",
    "person.import.refused": "导入时拒绝（其他辖区人员）",
    "person.end": "注销（名单未列）",
    "person.erase": "删除人员记录（离册已满保存期）",
    "case.reporter.unmask": "查看反映人信息",
    "layer.read": "查看特殊人群图层",
    "import.loaded": "导入",
    "import.upload": "上传导入文件",
    "import.rerun": "再次运行上传的文件",
    "import.report_download": "下载退回报告",
    "import.supervise_read": "督导查看导入",
    "audit.person_lookup": "按身份证号查找人员",
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
    "bad credentials": "用户名或密码错误",
    "locked": "账户已锁定",
}
"""Chinese of the refusals written in English in an entry's ``reason`` or ``detail.refused``."""


@cache
def action_labels_json() -> str:
    """Return the page's Chinese names as JSON: actions, outcomes, objects, kinds and the like.

    Actions, outcomes, objects, refusals, layers, import kinds and person categories.

    Returns
    -------
    str
        ``{"action": …, "outcome": …, "object": …, "refusal": …, "layer": …, "kind": …,
        "category": …}``.

    Examples
    --------
    >>> labels = json.loads(action_labels_json())
    >>> labels["action"]["person.unmask"], labels["outcome"]["denied"], labels["layer"]["persons"]
    ('查看身份信息', '拒绝', '特殊人群')
    """
    return json.dumps(
        {
            "action": ACTION_LABELS,
            "outcome": OUTCOME_LABELS,
            "object": OBJECT_LABELS,
            "refusal": REFUSALS,
            "layer": {name: collection.title for name, collection in COLLECTIONS.items()},
            "kind": PAGE_KINDS,
            "category": PersonCategory.labels(),
        },
        ensure_ascii=False,
    )


@router.get("/audit", response_class=HTMLResponse)
def audit_page() -> HTMLResponse:
    """Serve the 审计日志 page.

    Returns
    -------
    fastapi.responses.HTMLResponse
        The page shell; its script loads the entries through the API (auditors only).
    """
    return page_response("audit.html", page_title="审计日志", labels=action_labels_json())
