"""One table mapping domain errors to HTTP status codes, and the handlers that apply it.

``layers/`` raises :class:`layers.errors.DomainError` subclasses and knows nothing of HTTP;
this module is the only place where they become status codes. The most specific class in the
table wins (``AccountLocked`` before ``AuthenticationFailed``). To add an error: subclass it in
``layers/errors.py`` and add one line to :data:`STATUS_CODES`.

Every error body carries ``detail`` and ``code``; the operator console shows ``detail``
(concise Chinese). A request-validation error (422 from FastAPI) keeps its ``detail`` as FastAPI
gives it, a list of ``{loc, msg, type}`` for clients, and adds ``message``: the same problems in
one Chinese sentence naming the fields as the console labels them (:data:`FIELD_LABELS`), which
the console shows instead. Starlette's own errors (an unknown address: 404, a wrong method: 405)
get a Chinese ``detail`` too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError
from sqlalchemy.orm.exc import StaleDataError
from starlette import status
from starlette.exceptions import HTTPException

from layers.accounts import DisabledAccountLogin
from layers.errors import (
    AccountLocked,
    AuthenticationFailed,
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyAttempts,
    WeakPassword,
)
from layers.features import InvalidParameter

STATUS_CODES: dict[type[Exception], int] = {
    NotFound: status.HTTP_404_NOT_FOUND,
    Conflict: status.HTTP_409_CONFLICT,
    StaleDataError: status.HTTP_409_CONFLICT,
    Forbidden: status.HTTP_403_FORBIDDEN,
    InvalidInput: status.HTTP_422_UNPROCESSABLE_CONTENT,
    InvalidParameter: status.HTTP_400_BAD_REQUEST,
    WeakPassword: status.HTTP_422_UNPROCESSABLE_CONTENT,
    AuthenticationFailed: status.HTTP_401_UNAUTHORIZED,
    AccountLocked: status.HTTP_423_LOCKED,
    TooManyAttempts: status.HTTP_429_TOO_MANY_REQUESTS,
    # A value PostgreSQL cannot take (a NUL byte, an out-of-range number) sent by the client.
    DataError: status.HTTP_400_BAD_REQUEST,
}
"""Domain error class → status code."""


def status_code_for(exc: Exception) -> int:
    """Return the status code of ``exc``: its most specific class in :data:`STATUS_CODES`.

    Parameters
    ----------
    exc : Exception
        The error.

    Returns
    -------
    int
        The status code (500 for anything not in the table).

    Examples
    --------
    >>> from datetime import datetime
    >>> status_code_for(AccountLocked(until=datetime(2026, 1, 1))), status_code_for(NotFound())
    (423, 404)
    """
    for cls in type(exc).__mro__:
        if cls in STATUS_CODES:
            return STATUS_CODES[cls]
    return status.HTTP_500_INTERNAL_SERVER_ERROR


def error_body(exc: Exception) -> dict[str, Any]:
    """Return the JSON body describing ``exc``.

    Parameters
    ----------
    exc : Exception
        The error.

    Returns
    -------
    dict
        ``detail`` (message), ``code`` (class name; a disabled account's login is an
        ``AuthenticationFailed``) and the error's extra facts: ``allowed`` actions of a
        conflict, ``problems`` of a weak password, ``locked_until``, ``retry_after`` (seconds)
        of too many attempts.
    """
    # a disabled account's login is a wrong login to the caller: its own class would tell that
    # the name is an account's (the audit log keeps why)
    wrong_login = isinstance(exc, DisabledAccountLogin)
    code = AuthenticationFailed.__name__ if wrong_login else type(exc).__name__
    body: dict[str, Any] = {"detail": str(exc), "code": code}
    if isinstance(exc, Conflict) and exc.allowed:
        body["allowed"] = exc.allowed
    if isinstance(exc, WeakPassword):
        body["problems"] = exc.problems
    if isinstance(exc, AccountLocked):
        body["locked_until"] = exc.until.isoformat()
    if isinstance(exc, TooManyAttempts):
        body["retry_after"] = exc.retry_after
    if isinstance(exc, StaleDataError):
        body["detail"] = "数据刚被他人修改，请刷新后重试"
    if isinstance(exc, DataError):  # never echo the statement or its parameters
        body = {"detail": "请求中有无法保存的值，请检查后重试", "code": "InvalidValue"}
    return body


FIELD_LABELS: dict[str, str] = {
    # accounts (修改密码)
    "current_password": "当前密码",
    "new_password": "新密码",
    # cases (来访登记, the case page)
    "title": "事项标题",
    "category": "类别",
    "subcategory": "子类",
    "channel": "来源渠道",
    "risk_level": "风险等级",
    "handling_level": "处理层级",
    "lon": "经度",
    "lat": "纬度",
    "address": "地址",
    "description": "情况描述",
    "reporter_name": "反映人",
    "reporter_phone": "联系电话",
    "reported_at": "反映时间",
    "external_no": "来源编号",
    "area_code": "所在辖区",
    "grid_code": "所在网格",
    "version": "案件版本",
    "if-match": "If-Match 头",
    "note": "办理说明",
    "params": "办理参数",
    "reason": "查看事由",
    "case_id": "案件编号",
    "action": "办理操作",
    # dispatch and workers
    "worker_id": "网格员",
    "unit_code": "下级单位",
    "department": "职能部门",
    "status": "在岗状态",
    "at": "定位时间",
    "radius_m": "搜索半径（米）",
    "stale_minutes": "位置有效时长（分钟）",
    # maps, command, trends, hot spots
    "code": "辖区代码",
    "scope_code": "分析辖区",
    "bbox": "地图范围",
    "state": "案件范围",
    "days": "天数",
    "window_days": "统计天数",
    "window_start": "开始时间",
    "window_end": "结束时间",
    "resolution": "网格分辨率",
    "bin_days": "时间分段（天）",
    "permutations": "置换检验次数",
    "seed": "随机种子",
    "cell": "格网大小",
    "granularity": "统计粒度",
    "period": "统计期",
    "periods": "统计期数",
    "download": "是否下载",
    # lists, OGC API, tiles, accounts, audit, live events
    "limit": "每页条数",
    "offset": "起始位置",
    "collection_id": "图层",
    "fid": "要素编号",
    "datetime": "时间",
    "z": "缩放级别",
    "x": "瓦片列号",
    "y": "瓦片行号",
    "person_id": "人员编号",
    "username": "用户名",
    "password": "密码",
    "display_name": "显示姓名",
    "role": "角色",
    "scope": "管辖范围",
    "can_unmask": "查看明文权限",
    "allowed": "查看明文权限",
    "active": "启用状态",
    "since": "开始时间",
    "until": "结束时间",
    "actor": "操作人",
    "keepalive": "心跳间隔（秒）",
    "max_events": "最多事件数",
    # imports (数据导入: a kept upload run again)
    "crs": "坐标系",
    "sheet": "工作表",
    "dry_run": "试运行",
    "partial": "导入其余有效行",
    "complete": "文件是本辖区的全部",
    "again": "重新导入旧文件",
    "history": "历史记录",
    "keep_mapping": "使用上次的列对照文件",
}
"""API parameter and field name → its Chinese name, as the console labels it."""

_PROBLEMS: dict[str, str] = {
    "missing": "请填写{field}",
    "greater_than": "{field}应大于 {gt}",
    "greater_than_equal": "{field}应不小于 {ge}",
    "less_than": "{field}应小于 {lt}",
    "less_than_equal": "{field}应不大于 {le}",
    "string_too_short": "{field}至少 {min_length} 个字",
    "string_too_long": "{field}最多 {max_length} 个字",
    "too_short": "{field}至少 {min_length} 项",
    "too_long": "{field}最多 {max_length} 项",
    "int_parsing": "{field}应为整数",
    "int_type": "{field}应为整数",
    "int_from_float": "{field}应为整数",
    "float_parsing": "{field}应为数字",
    "float_type": "{field}应为数字",
    "finite_number": "{field}应为有限的数字",
    "bool_parsing": "{field}应为是或否",
    "bool_type": "{field}应为是或否",
    "string_type": "{field}应为文字",
    "datetime_parsing": "{field}应为日期时间，例如 2026-01-01T08:00:00+08:00",
    "datetime_type": "{field}应为日期时间，例如 2026-01-01T08:00:00+08:00",
    "datetime_from_date_parsing": "{field}应为日期时间，例如 2026-01-01T08:00:00+08:00",
    "date_parsing": "{field}应为日期，例如 2026-01-01",
    "date_type": "{field}应为日期，例如 2026-01-01",
    "date_from_datetime_parsing": "{field}应为日期，例如 2026-01-01",
    "enum": "{field}的取值无效",
    "literal_error": "{field}的取值无效",
    "string_pattern_mismatch": "{field}格式不正确",
}
"""Pydantic error type → Chinese problem ("{field}" and the error's ``ctx`` filled in)."""

_HTTP_TEXT: dict[int, str] = {
    status.HTTP_404_NOT_FOUND: "请求的地址不存在",
    status.HTTP_405_METHOD_NOT_ALLOWED: "该地址不支持这种请求方式",
    status.HTTP_406_NOT_ACCEPTABLE: "不支持所要求的返回格式",
    status.HTTP_413_CONTENT_TOO_LARGE: "请求内容过大",
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: "不支持该请求内容类型",
}
"""Chinese ``detail`` of Starlette's own errors, which carry only the English status phrase."""


class _Context(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def _problem(error: Mapping[str, Any]) -> str:
    """Return one validation error in Chinese."""
    kind = str(error.get("type", ""))
    if kind == "json_invalid":
        return "请求内容不是有效的 JSON"
    loc = [str(part) for part in error.get("loc", ())]
    field = next((FIELD_LABELS[p.lower()] for p in reversed(loc) if p.lower() in FIELD_LABELS), "")
    if not field:
        field = "请求内容" if loc == ["body"] else "某项参数"
    template = _PROBLEMS.get(kind, "{field}的值无效")
    limits = {
        key: int(value) if isinstance(value, float) and value.is_integer() else value
        for key, value in (error.get("ctx") or {}).items()
    }
    return template.format_map(_Context(limits, field=field))


def validation_message(errors: Sequence[Mapping[str, Any]]) -> str:
    """Return the problems of a request that failed validation, as one Chinese sentence.

    Parameters
    ----------
    errors : sequence of mapping
        FastAPI's (pydantic's) errors: ``type``, ``loc`` and, for limits, ``ctx``.

    Returns
    -------
    str
        What is wrong, fields named as the console labels them, and what to do.

    Examples
    --------
    >>> validation_message([{"type": "less_than_equal", "loc": ["body", "risk_level"],
    ...                      "ctx": {"le": 4}}])
    '输入有误：风险等级应不大于 4。请检查后重试'
    """
    problems = list(dict.fromkeys(_problem(error) for error in errors)) or ["请求内容无效"]
    text = "；".join(problems[:3])
    if len(problems) > 3:
        text += f" 等 {len(problems)} 处问题"
    return f"输入有误：{text}。请检查后重试"


FORM_ONLY_PATHS = frozenset({"/api/auth/token"})
"""Paths that read an HTML form's fields (OAuth2's password flow), not a JSON body."""
SEND_A_FORM = (
    "输入有误：登录须以表单方式（application/x-www-form-urlencoded）提交 username 和 password，"
    "不接受 JSON。请检查后重试"
)


async def _handle_validation(request: Request, exc: Exception) -> JSONResponse:
    errors = jsonable_encoder(cast(RequestValidationError, exc).errors())
    as_json = "json" in request.headers.get("content-type", "")
    body = {
        "detail": errors,
        "code": "RequestValidationError",
        "message": (
            SEND_A_FORM
            if as_json and request.url.path in FORM_ONLY_PATHS
            else validation_message(errors)
        ),
    }
    return JSONResponse(body, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


async def _handle_http(request: Request, exc: Exception) -> Response:
    http = cast(HTTPException, exc)
    text = _HTTP_TEXT.get(http.status_code)
    if text is not None and http.detail == HTTPStatus(http.status_code).phrase:
        http = HTTPException(http.status_code, detail=text, headers=http.headers)
    return await http_exception_handler(request, http)


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    code = status_code_for(exc)
    headers = {"WWW-Authenticate": "Bearer"} if code == status.HTTP_401_UNAUTHORIZED else None
    if isinstance(exc, TooManyAttempts):
        headers = {"Retry-After": str(exc.retry_after)}
    return JSONResponse(error_body(exc), status_code=code, headers=headers)


def add_exception_handlers(app: FastAPI) -> None:
    """Register the handlers turning domain, validation and HTTP errors into JSON responses.

    Parameters
    ----------
    app : fastapi.FastAPI
        The application.
    """
    app.add_exception_handler(DomainError, _handle)
    app.add_exception_handler(StaleDataError, _handle)
    app.add_exception_handler(DataError, _handle)
    app.add_exception_handler(RequestValidationError, _handle_validation)
    app.add_exception_handler(HTTPException, _handle_http)
