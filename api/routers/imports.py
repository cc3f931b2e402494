"""Importing files from the console (数据导入): upload, queue, follow, download the reports.

A job runs ``zongzhi import`` for the account that submitted it (``api/import_runner.py``):
confined to the account's scope (``--within``), recorded under its name (``--user``). Who may
import what is :func:`layers.accounts.may_import`. A job is its submitter's only: another
account gets 404, as for a row outside its scope.

* ``GET /api/imports/kinds`` — the kinds this account may import, the coordinate systems to
  choose from and the upload limit;
* ``POST /api/imports`` (multipart: ``file``, ``kind``, ``crs``, ``sheet``, ``within`` (the
  导入范围: a unit of the account's scope, by default the scope itself, given as ``--within``),
  ``dry_run`` (default true), ``partial``, ``complete``, ``again``, ``history``, ``on_duty`` (a
  roster's workers recorded 在岗, ``--set 状态=在岗``), and an optional
  ``mapping`` file, ``.toml`` or ``.json``, given as ``--mapping``) — 202 and the queued job;
* ``GET /api/imports/areas?parent=CODE`` — a unit of the account's scope (its own by default)
  and its children in use down to the villages, to choose the 导入范围 by name
  (:mod:`layers.import_areas`, trial AR S1);
* ``GET /api/imports`` — the account's jobs, newest first; ``GET /api/imports/{id}`` — one job
  with the command's output as HTML (made by rich from its colours, text escaped; while it
  runs, the output so far), what it did (``outcome``, ``counts``, ``import_id``,
  ``result_note``), and the files it wrote; ``GET /api/imports/{id}/files/{name}`` — one of
  those files;
* ``POST /api/imports/{id}/run`` — run a kept upload again (``can_run``), for real or as a dry
  run (``dry_run``), with other options, with the same mapping file or without
  (``keep_mapping``);
* ``GET /api/imports/supervised`` and ``/supervised/{id}`` — for a commander (督导), the jobs of
  every account within its scope, read only (who submitted it, its output; no files), those of
  persons and visits only where it sees persons one by one, each such read audited;
* ``POST /api/imports/{id}/cancel`` — cancel a queued job, stop a running one;
* ``DELETE /api/imports/{id}/upload`` — delete a kept upload now;
* ``GET /api/imports/templates/{kind}`` — the XLSX template of a kind, its examples taken from
  the account's scope (``zongzhi template``).

The upload is deleted as soon as an import of it has finished writing its rows; a job that
wrote nothing (a dry run, a file refused, a job cancelled before its commit) or was stopped
after its commit keeps it 24 hours so that it can be run again with other options (``/run``).
The rules are
:mod:`layers.import_jobs`'s; so is the audit of persons' and visits' uploads, report downloads
and upload deletions.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, BinaryIO
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from rich.console import Console
from rich.text import Text
from sqlalchemy.orm import Session
from starlette import status
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

from api.deps import CurrentUser, Principal, SessionDep, SettingsDep
from api.downloads import XLSX, content_disposition, xlsx_response
from api.import_runner import MAPPING_ENDINGS, ImportRunner, JobFiles, write_template
from layers import import_jobs, import_runs
from layers.accounts import IMPORT_KINDS, may_import
from layers.catalog import sees_persons_individually
from layers.console_wording import CRS_LABELS, ON_DUTY, PAGE_KINDS, for_console
from layers.errors import Conflict, Forbidden, NotFound
from layers.features import InvalidParameter
from layers.import_areas import ImportArea, area_choices, import_area
from layers.model import ImportJob, JobState, Role

router = APIRouter(prefix="/api/imports", tags=["imports"])

KIND_LABELS: dict[str, str] = PAGE_KINDS
"""The kinds of ``zongzhi import``, in the console's order, with their Chinese names (one
table with the templates' 填写说明: :data:`layers.console_wording.PAGE_KINDS`)."""
COMPLETE_KINDS = frozenset({"grids", "jurisdictions", "video", "persons"})
"""Kinds whose file may be the whole of the account's scope (``--complete``)."""
HISTORY_KINDS = frozenset({"cases"})
"""Kinds that may be imported as past records (``--history``)."""
ON_DUTY_KINDS = frozenset({"workers"})
"""Kinds whose rows may all be recorded 在岗 (``--set 状态=在岗``, trial AV M3)."""
CRS_CHOICES: tuple[tuple[str, str], ...] = (("", "自动识别"), *CRS_LABELS.items())
"""Coordinate systems to choose from (``EPSG:NNNN`` is taken too)."""
EPSG = re.compile(r"^EPSG:\d{4,5}$", re.IGNORECASE)
UNKNOWN_EPSG = (
    "{crs} 不是可用的坐标系：没有这个 EPSG 编号，或它不是经纬度或平面投影坐标系，请核对编号"
    "（如 CGCS2000 3 度带中央经线 102° 为 EPSG:4543）"
)
"""Why an ``EPSG:NNNN`` is refused at upload (pyproj does not know it as a 2-D CRS)."""
IMPORTABLE = (".csv", ".txt", ".xlsx", ".xls", ".zip", ".geojson", ".json", ".gpkg", ".kml", ".kmz")
"""Endings of the files the console may upload."""
LONE_SHAPEFILE = (
    "一个 .shp 文件不能单独导入，还需要同名的 .dbf、.shx：请上传包含 .shp/.dbf/.shx 的 zip"
)
NOT_IMPORTABLE = (
    "不能导入{what}：请上传 CSV、TXT、Excel（.xlsx、.xls）、GeoJSON、GeoPackage（.gpkg）、"
    "KML/KMZ 文件，或 Shapefile 等的 zip 压缩包"
)
FLAGS: dict[str, str] = {
    "dry_run": "试运行",
    "partial": "导入其余有效行",
    "complete": "文件是本辖区的全部",
    "again": "重新导入旧文件",
    "history": "历史记录",
    "hold_at_county": "留在县级待派单",  # --hold-at-county (trial BA M1)
    "on_duty": ON_DUTY,
}
"""The ticked options of a job and their names in the console."""
MIB = 2**20
MAPPING_MAX_BYTES = MIB
"""Largest mapping file (a table of column and value names)."""
FORM_OVERHEAD = 64 * 1024
"""Bytes of a multipart body beyond its file (boundaries, the other fields)."""
MAX_NAME_BYTES = 150
"""Longest stored file name (UTF-8): the reports the command writes beside it add to it."""
MEDIA_TYPES = {".xlsx": XLSX, ".csv": "text/csv; charset=utf-8"}
UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "kind"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "kind": {"type": "string", "enum": list(KIND_LABELS)},
                        "crs": {"type": "string"},
                        "sheet": {"type": "string", "maxLength": 100},
                        "within": {
                            "type": "string",
                            "description": "导入范围的区划代码（默认为本账号辖区），即 --within",
                        },
                        "mapping": {
                            "type": "string",
                            "format": "binary",
                            "description": "列对照文件（.toml 或 .json），即 --mapping",
                        },
                        **{
                            flag: {"type": "boolean", "default": flag == "dry_run"}
                            for flag in FLAGS
                        },
                    },
                }
            }
        },
    }
}
"""The multipart body of ``POST /api/imports``, documented (the route reads it itself)."""


class KindOut(BaseModel):
    """A kind the account may import."""

    kind: str
    label: str
    complete: bool
    history: bool
    on_duty: bool = False


class ChoiceOut(BaseModel):
    """A coordinate system to choose from."""

    value: str
    label: str


class AreaOut(BaseModel):
    """A unit an import may be confined to (导入范围)."""

    code: str
    name: str
    level: int
    label: str


class AreasOut(BaseModel):
    """A unit of the account's scope and its children in use, to choose the 导入范围 from."""

    unit: AreaOut
    children: list[AreaOut]


def area_out(area: ImportArea) -> AreaOut:
    """Return the JSON of a unit to choose."""
    return AreaOut(code=area.code, name=area.name, level=area.level, label=area.label)


class KindsOut(BaseModel):
    """What the account may import, the coordinate systems, the upload limit (MiB)."""

    kinds: list[KindOut]
    crs: list[ChoiceOut]
    max_mb: int


class FileOut(BaseModel):
    """A file the command wrote for a job (reject report, struck-off list), ``label`` its kind."""

    name: str
    bytes: int
    url: str
    label: str


FILE_LABELS = (
    (".rejects.xlsx", "退回报告"),
    (".rejects.csv", "退回报告"),
    (".完整列表.csv", "完整列表（摘要中未列全的各项）"),
    (".完整列表.试运行.csv", "试运行的完整列表（摘要中未列全的各项）"),
    (".名单未列注销.csv", "名单未列、已注销的人员"),
    (".名单未列注销.试运行.csv", "名单未列、将注销的人员（试运行）"),
)
"""How the files ``zongzhi import`` writes beside its report end, and what each is called."""


def file_label(name: str) -> str:
    """Return what a job's file is, by how the command names it (``文件`` if unknown).

    Examples
    --------
    >>> file_label("点位.rejects.xlsx"), file_label("点位.完整列表.csv"), file_label("x.txt")
    ('退回报告', '完整列表（摘要中未列全的各项）', '文件')
    """
    return next((label for ending, label in FILE_LABELS if name.endswith(ending)), "文件")


class CountsOut(BaseModel):
    """The rows of a job's file and what the import did with them (a dry run: would do)."""

    rows: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    ended: int = 0


class JobOut(BaseModel):
    """An import job (``output_html`` only when one job is asked for).

    ``outcome`` (:data:`layers.import_jobs.OUTCOME_LABELS`) is told from what the command
    said it did; ``counts`` and ``import_id`` (导入编号, as ``zongzhi imports`` and the audit
    log number the import) come from it too; ``counts.ended``, among ``updated``, the records
    it ended beyond the file's rows (cameras or grids retired, persons struck off: a dry run
    that would is ``dry_ends``, not ``dry_ok``). ``reasons``: why the most rows were rejected,
    a line each in the page's words (:func:`layers.import_jobs.reasons_of`), empty without
    rejected rows. ``ended_note`` says ``counts.ended`` in words (撤销视频点位 345 个), and
    ``held_note`` that a dry run's retirements wait for 确认重新导入旧文件; ``held_ends`` what they
    would end, a line each (``将撤销网格 691 个（占本范围 695 个的 99%）``). ``options.within``
    and ``options.within_label``: its 导入范围 (``--within``). ``can_run``: the
    kept upload may be run again (``/run``), as a dry run or
    for real. ``ahead``: the jobs of its lane (dry runs, or imports) before a queued one.
    """

    id: int
    kind: str
    kind_label: str
    file_name: str
    file_bytes: int
    options: dict[str, Any]
    state: str
    state_label: str
    outcome: str | None
    outcome_label: str | None
    exit_code: int | None
    submitted_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    upload_kept: bool
    follows_job_id: int | None
    follows_dry_run: bool | None = Field(
        default=None, description="Whether the job it follows was a dry run (None: no such job)"
    )
    output_html: str | None
    files: list[FileOut]
    counts: CountsOut | None = None
    import_id: int | None = None
    result_note: str | None = None
    ended_note: str = ""
    held_note: str = ""
    held_ends: list[str] = []
    reasons: list[str] = []
    can_run: bool = False
    ahead: int | None = None
    submitted_by: str | None = None


class JobPage(BaseModel):
    """A page of the account's jobs, newest first."""

    jobs: list[JobOut]
    total: int


class RunOptions(BaseModel):
    """Options of a kept upload's run again: for real by default, or a dry run.

    ``keep_mapping``: the mapping file the upload came with comes along (default), or not.
    ``within``: the 导入范围 (a unit's code); not given, the one the run before had.
    """

    crs: str | None = None
    sheet: str | None = None
    within: str | None = None
    dry_run: bool = False
    partial: bool = False
    complete: bool = False
    again: bool = False
    history: bool = False
    hold_at_county: bool = False
    on_duty: bool = False
    keep_mapping: bool = True


def get_runner(request: Request) -> ImportRunner:
    """Return the app's import runner (started by the lifespan)."""
    runner: ImportRunner = request.app.state.import_runner
    return runner


RunnerDep = Annotated[ImportRunner, Depends(get_runner)]
JobId = Annotated[int, PathParam(ge=1, le=2**63 - 1, description="Import job id")]


def output_html(output: str | None) -> str | None:
    r"""Return a command's output (ANSI colours) as HTML spans, its text escaped.

    Its command-line advice is said in the page's words first
    (:func:`layers.console_wording.for_console`).

    Parameters
    ----------
    output : str or None
        What the command printed.

    Returns
    -------
    str or None
        For a ``<pre>``: rich's ``export_html`` of the text, styles inline.

    Examples
    --------
    >>> output_html("\x1b[31m错误：<b>\x1b[0m")
    '<span style="color: #800000; text-decoration-color: #800000">错误：&lt;b&gt;</span>\n'
    """
    if output is None:
        return None
    console = Console(
        record=True, width=110, file=io.StringIO(), force_terminal=True, color_system="truecolor"
    )
    console.print(Text.from_ansi(for_console(output)), soft_wrap=True)
    return console.export_html(inline_styles=True, code_format="{code}")


def job_out(
    job: ImportJob, files: JobFiles, *, with_output: bool = True, ahead: int | None = None
) -> JobOut:
    """Return the JSON of a job.

    Parameters
    ----------
    job : layers.model.ImportJob
        The job.
    files : api.import_runner.JobFiles
        Where its files are.
    with_output : bool
        Render its output (one job asked for; a list leaves it out).
    ahead : int, optional
        The jobs of its lane before it (:func:`layers.import_jobs.ahead`).

    Returns
    -------
    JobOut
        The job.
    """
    outcome = import_jobs.outcome_of(job)
    counts = import_jobs.counts_of(job)
    return JobOut(
        id=job.id,
        kind=job.kind,
        kind_label=KIND_LABELS.get(job.kind, job.kind),
        file_name=job.file_name,
        file_bytes=job.file_bytes,
        options=job.options,
        state=job.state,
        state_label=import_jobs.state_label(job),
        outcome=outcome,
        outcome_label=import_jobs.outcome_label(outcome, job.kind),
        exit_code=job.exit_code,
        submitted_at=job.submitted_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        upload_kept=job.upload_kept,
        follows_job_id=job.follows_job_id,
        follows_dry_run=job.options.get("follows_dry_run") if job.follows_job_id else None,
        output_html=output_html(job.output) if with_output else None,
        files=[
            FileOut(
                name=name,
                bytes=size,
                url=f"/api/imports/{job.id}/files/{quote(name)}",
                label=file_label(name),
            )
            for name, size in files.outputs(job)
        ],
        counts=CountsOut(**counts) if counts is not None else None,
        import_id=import_jobs.import_id_of(job),
        result_note=import_jobs.result_note(job),
        ended_note=import_jobs.ended_note(job.kind, counts["ended"]) if counts else "",
        held_note=import_jobs.held_note(job),
        held_ends=held_ends(job),
        reasons=[for_console(reason) for reason in import_jobs.reasons_of(job)],
        can_run=import_jobs.can_run(job),
        ahead=ahead,
    )


def held_ends(job: ImportJob) -> list[str]:
    """Return what a job's retirements held back until confirmed would end, a line each.

    ``将撤销网格 691 个（占本范围 695 个的 99%）``: the 正式导入 of a dry run repeats them beside
    the box that confirms them (``again``), trial AR S1.
    """
    result = job.result or {}
    return [str(said) for said in result.get("held_ends") or []] if result.get("held_back") else []


def confined(session: Session, user: Principal, options: dict[str, Any], raw: str | None) -> None:
    """Put in a job's options its 导入范围 (``within``, 12 digits) and its label.

    Refused (400, 403) as :func:`layers.import_areas.import_area` refuses it.
    """
    area = import_area(session, user.scope_code, raw)
    options["within"] = area.code
    options["within_label"] = area.label


def import_refusal(user: Principal, kind: str) -> str | None:
    """Return why the account may not import ``kind`` (``None`` when it may).

    Parameters
    ----------
    user : Principal
        The account.
    kind : str
        A kind of :data:`KIND_LABELS`.

    Returns
    -------
    str or None
        The refusal, in Chinese.
    """
    if may_import(user.role, user.scope_code, kind):
        return None
    label = KIND_LABELS[kind]
    if kind in IMPORT_KINDS.get(user.role, frozenset()):  # persons, visits above a county
        return f"只有县（区）及以下的账号可以导入{label}：省、市级账号只能查看特殊人群的汇总数"
    return f"{Role.label_of(user.role)}不能导入{label}数据"


def check_kind(user: Principal, kind: str) -> None:
    """Refuse an unknown kind (400) or one the account may not import (403)."""
    if not kind:
        raise InvalidParameter("请选择数据类型")
    if kind not in KIND_LABELS:
        raise InvalidParameter(f"未知的数据类型 {kind[:40]!r}，可选：{'、'.join(KIND_LABELS)}")
    refusal = import_refusal(user, kind)
    if refusal is not None:
        raise Forbidden(refusal)


def checked_options(kind: str, options: RunOptions) -> dict[str, Any]:
    """Return the options of a job as stored, or refuse those that do not fit (400).

    Parameters
    ----------
    kind : str
        The kind imported.
    options : RunOptions
        The options asked for.

    Returns
    -------
    dict
        ``crs`` and ``sheet`` (``None`` when not given) and the booleans of :data:`FLAGS`.

    Raises
    ------
    layers.features.InvalidParameter
        A coordinate system not known, a sheet name that cannot be one, ``complete``,
        ``history`` or ``on_duty`` for a kind that does not take it.
    """
    crs = (options.crs or "").strip()
    if crs and crs.lower() not in dict(CRS_CHOICES) and not EPSG.match(crs):
        raise InvalidParameter(
            "坐标系只能是自动识别、cgcs2000、wgs84、gcj02（高德、腾讯地图）、bd09（百度地图）"
            "或 EPSG:NNNN（如 EPSG:4543）"
        )
    if EPSG.match(crs) and not known_epsg(crs):
        raise InvalidParameter(UNKNOWN_EPSG.format(crs=crs.upper()))
    sheet = (options.sheet or "").strip()
    if len(sheet) > 100 or not sheet.isprintable():
        raise InvalidParameter("工作表（图层）名称最多 100 个字，且不能含控制字符")
    if options.complete and kind not in COMPLETE_KINDS:
        names = "、".join(KIND_LABELS[k] for k in KIND_LABELS if k in COMPLETE_KINDS)
        raise InvalidParameter(f"“文件是本辖区的全部”只用于{names}文件")
    if options.history and kind not in HISTORY_KINDS:
        raise InvalidParameter("“历史记录”只用于事件（案件）文件")
    if options.hold_at_county and kind != "cases":
        raise InvalidParameter("“留在县级待派单”只用于事件（案件）文件")
    if options.on_duty and kind not in ON_DUTY_KINDS:
        raise InvalidParameter(f"“{ON_DUTY}”只用于网格员文件")
    return {
        "crs": crs.lower() if crs and not EPSG.match(crs) else (crs.upper() or None),
        "sheet": sheet or None,
        **{flag: bool(getattr(options, flag)) for flag in FLAGS},
    }


def known_epsg(name: str) -> bool:
    """Tell whether ``EPSG:NNNN`` is a coordinate system the import can read.

    The command would refuse any other (exit 2) once the job's turn came: the form says it
    at once instead.

    Parameters
    ----------
    name : str
        ``EPSG:`` and a number.

    Returns
    -------
    bool
        True for a 2-D geographic or projected CRS pyproj knows.

    Examples
    --------
    >>> known_epsg("EPSG:4543"), known_epsg("EPSG:9999"), known_epsg("EPSG:4979")
    (True, False, False)
    """
    from geo.crs import SourceCrs  # pyproj: loaded when an EPSG number is given

    try:
        SourceCrs.parse(name)
    except ValueError:
        return False
    return True


def upload_name(raw: str | None) -> str:
    r"""Return the name an upload is stored under, its ending checked.

    Its own name, path parts and control characters dropped, leading dots too (no hidden
    file), cut to :data:`MAX_NAME_BYTES`.

    Parameters
    ----------
    raw : str or None
        The name the browser sent.

    Returns
    -------
    str
        The name.

    Raises
    ------
    layers.features.InvalidParameter
        A lone ``.shp``, or an ending the importer does not read.

    Examples
    --------
    >>> upload_name("C:\\数据\\工单.CSV"), upload_name("../../.工单.xlsx")
    ('工单.CSV', '工单.xlsx')
    >>> upload_name(".csv")
    '上传文件.csv'
    """
    name = "".join(ch for ch in (raw or "") if ch.isprintable())
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    head, dot, tail = name.rpartition(".")
    suffix = f".{tail}".lower() if dot else ""
    if suffix == ".shp":
        raise InvalidParameter(LONE_SHAPEFILE)
    if suffix not in IMPORTABLE:
        what = f" {suffix} 文件" if suffix else "没有扩展名的文件"
        raise InvalidParameter(NOT_IMPORTABLE.format(what=what))
    stem, ending = head.strip().lstrip(".").strip() or "上传文件", f".{tail}"
    while len((stem + ending).encode("utf-8")) > MAX_NAME_BYTES:
        stem = stem[:-1]
    return stem + ending


def _flag(form: FormData, name: str, default: bool) -> bool:
    """Read a boolean form field (true/false, 1/0, on/off, yes/no; missing: ``default``)."""
    value = form.get(name)
    if value is None or value == "":
        return default
    word = str(value).strip().lower()
    if word in ("true", "1", "on", "yes"):
        return True
    if word in ("false", "0", "off", "no"):
        return False
    raise InvalidParameter(f"“{FLAGS[name]}”应为是或否")


def _text(form: FormData, name: str) -> str | None:
    """Read a text form field (a file sent in its place is refused)."""
    value = form.get(name)
    if value is None or isinstance(value, str):
        return value
    raise InvalidParameter(f"{name} 应为文字，不是文件")


def mapping_upload(form: FormData) -> tuple[str, bytes] | None:
    """Read the optional mapping file of an upload: its name and content.

    Parameters
    ----------
    form : starlette.datastructures.FormData
        The upload's form.

    Returns
    -------
    tuple of (str, bytes) or None
        ``None`` when no mapping file was chosen.

    Raises
    ------
    layers.features.InvalidParameter
        A text in its place, an ending ``zongzhi import --mapping`` does not read, an empty
        file or one over :data:`MAPPING_MAX_BYTES`.
    """
    value = form.get("mapping")
    if value is None or value == "":
        return None
    if not isinstance(value, UploadFile):
        raise InvalidParameter("mapping 应为列对照文件（.toml 或 .json）")
    if not value.filename and not value.size:  # a form's empty file field
        return None
    name = "".join(ch for ch in (value.filename or "") if ch.isprintable())
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip().lstrip(".") or "列对照"
    if Path(name).suffix.lower() not in MAPPING_ENDINGS:
        raise InvalidParameter("列对照文件只能是 .toml 或 .json 文件（格式见导入说明）")
    value.file.seek(0)
    content = value.file.read(MAPPING_MAX_BYTES + 1)
    if not content:
        raise InvalidParameter("上传的列对照文件是空的")
    if len(content) > MAPPING_MAX_BYTES:
        raise InvalidParameter(f"列对照文件超过 {MAPPING_MAX_BYTES // 1024} KB")
    while len(name.encode("utf-8")) > MAX_NAME_BYTES:
        name = Path(name).stem[:-1] + Path(name).suffix
    return name, content


def _write_private(target: Path, content: bytes) -> None:
    """Write ``content`` to a new file ``target``, mode 0600."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(content)


def refuse_large_body(request: Request, limit: int) -> None:
    """Refuse a body larger than the upload limit before reading it (413).

    Parameters
    ----------
    request : fastapi.Request
        The upload request.
    limit : int
        Largest file, bytes.

    Raises
    ------
    starlette.exceptions.HTTPException
        411 without ``Content-Length``; 413 over the limit.
    """
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        raise HTTPException(status.HTTP_411_LENGTH_REQUIRED, detail="请求缺少内容长度，请重新上传")
    if int(length) > limit + FORM_OVERHEAD:
        raise too_large(limit)


def too_large(limit: int) -> HTTPException:
    """Return the 413 of a file over the limit."""
    return HTTPException(
        status.HTTP_413_CONTENT_TOO_LARGE,
        detail=f"文件超过 {limit // MIB} MB 的上限："
        "请拆分后分批导入，或在服务器上用 zongzhi import 导入",
    )


def _save_private(source: BinaryIO, target: Path, limit: int) -> tuple[str, int]:
    """Copy an upload to ``target`` (mode 0600); return its SHA-256 and size.

    Raises
    ------
    starlette.exceptions.HTTPException
        413 over ``limit``.
    layers.features.InvalidParameter
        An empty file.
    """
    digest, size = hashlib.sha256(), 0
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        while chunk := source.read(MIB):
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            digest.update(chunk)
            out.write(chunk)
    if size == 0:
        raise InvalidParameter("上传的文件是空的")
    return digest.hexdigest(), size


def _accept(
    session: Session,
    user: Principal,
    files: JobFiles,
    upload: UploadFile,
    name: str,
    kind: str,
    options: dict[str, Any],
    limit: int,
    mapping: tuple[str, bytes] | None = None,
) -> ImportJob:
    """Store an upload (and its mapping file) in a new job's folder and queue the job (committed).

    The upload of persons or visits is an audit entry (:func:`layers.import_jobs.audit_job`).
    """
    incoming = files.incoming() / secrets.token_hex(16)
    job: ImportJob | None = None
    if mapping is not None:
        options = {**options, "mapping": mapping[0]}
    try:
        upload.file.seek(0)
        sha256, size = _save_private(upload.file, incoming, limit)
        job = import_jobs.create(
            session,
            account_id=user.id,
            username=user.username,
            scope_code=user.scope_code,
            kind=kind,
            file_name=name,
            file_sha256=sha256,
            file_bytes=size,
            options=options,
        )
        os.replace(incoming, files.make_folder(job.id) / name)
        mapping_file = files.mapping(job)
        if mapping is not None and mapping_file is not None:
            _write_private(mapping_file, mapping[1])
        import_jobs.audit_job(session, job, action="import.upload", actor_id=user.id)
        session.commit()
    except BaseException:
        incoming.unlink(missing_ok=True)
        if job is not None:
            files.delete_folder(job.id)
        raise
    return job


@router.get("/kinds", response_model=KindsOut, summary="What this account may import")
def kinds(user: CurrentUser, settings: SettingsDep) -> KindsOut:
    """Return the kinds the account may import, the coordinate systems, the upload limit."""
    return KindsOut(
        kinds=[
            KindOut(
                kind=k,
                label=label,
                complete=k in COMPLETE_KINDS,
                history=k in HISTORY_KINDS,
                on_duty=k in ON_DUTY_KINDS,
            )
            for k, label in KIND_LABELS.items()
            if may_import(user.role, user.scope_code, k)
        ],
        crs=[ChoiceOut(value=value, label=label) for value, label in CRS_CHOICES],
        max_mb=settings.upload_mb,
    )


@router.get(
    "/areas",
    response_model=AreasOut,
    summary="A unit of this account's scope and its children, to choose the import's area",
    responses={400: {"description": "No such unit"}, 403: {"description": "Outside the scope"}},
)
def areas(
    user: CurrentUser,
    session: SessionDep,
    parent: Annotated[str | None, Query(max_length=20, description="Unit code")] = None,
) -> AreasOut:
    """Return the unit ``parent`` (the account's own by default) and its children in use."""
    unit, children = area_choices(session, user.scope_code, parent)
    return AreasOut(unit=area_out(unit), children=[area_out(child) for child in children])


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobOut,
    summary="Upload a file and queue its import (a dry run unless dry_run=false)",
    openapi_extra=UPLOAD_BODY,
    responses={
        400: {"description": "Unknown kind, option not for it, bad file"},
        403: {"description": "Kind not allowed"},
        411: {"description": "No Content-Length"},
        413: {"description": "Over the upload limit"},
    },
)
async def submit(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    runner: RunnerDep,
) -> JobOut:
    """Queue the import of the uploaded file for this account (202)."""
    limit = max(1, settings.upload_mb) * MIB
    refuse_large_body(request, limit)
    await run_in_threadpool(session.commit)  # no transaction held open while the body arrives
    async with request.form(max_files=2, max_fields=len(FLAGS) + 8) as form:
        kind = _text(form, "kind") or ""
        check_kind(user, kind)
        asked = RunOptions(
            crs=_text(form, "crs"),
            sheet=_text(form, "sheet"),
            within=_text(form, "within"),
            **{flag: _flag(form, flag, flag == "dry_run") for flag in FLAGS},
        )
        options = checked_options(kind, asked)
        await run_in_threadpool(confined, session, user, options, asked.within)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidParameter("请选择要上传的文件")
        if upload.size is not None and upload.size > limit:
            raise too_large(limit)
        name = upload_name(upload.filename)
        mapping = mapping_upload(form)
        files = JobFiles.of(settings)
        job = await run_in_threadpool(
            _accept, session, user, files, upload, name, kind, options, limit, mapping
        )
        ahead = await run_in_threadpool(_ahead_now, session, job)
    runner.wake(sweep=True)
    return job_out(job, files, ahead=ahead)


def _ahead_now(session: Session, job: ImportJob) -> int | None:
    """Return the jobs of a new job's lane before it, and end the read's transaction."""
    try:
        return import_jobs.ahead(session, job)
    finally:
        session.commit()


@router.get("", response_model=JobPage, summary="This account's import jobs, newest first")
def list_jobs(
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> JobPage:
    """Return a page of the account's jobs (without their output)."""
    jobs, total = import_jobs.list_for(session, user.id, limit=limit, offset=offset)
    files = JobFiles.of(settings)
    return JobPage(
        jobs=[
            job_out(job, files, with_output=False, ahead=import_jobs.ahead(session, job))
            for job in jobs
        ],
        total=total,
    )


@router.get(
    "/templates/{kind}",
    summary="The XLSX import template of a kind, examples from this account's scope",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}, 403: {"description": "Kind not allowed"}},
)
async def template(
    kind: Annotated[str, PathParam(max_length=40)],
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    runner: RunnerDep,
) -> Response:
    """Return the template ``zongzhi template KIND --within SCOPE`` writes."""
    check_kind(user, kind)
    await run_in_threadpool(session.commit)  # no transaction held open while the child runs
    made = await write_template(kind, user.scope_code, settings, runner.owner_url)
    if made.exit_code != 0 or not made.content:
        raise HTTPException(
            status.HTTP_500_INTERNAL_SERVER_ERROR, detail="导入模板生成失败，请稍后重试或联系管理员"
        )
    name = f"{KIND_LABELS[kind]}导入模板.xlsx"
    return xlsx_response(made.content, name, f"template-{kind}.xlsx")


def _supervisor(user: Principal) -> bool:
    """Refuse an account that supervises no imports; tell whether it sees persons' jobs."""
    if user.role not in import_jobs.SUPERVISING_ROLES:
        raise Forbidden("只有指挥中心值班员可以查看辖区内各账号的导入")
    return sees_persons_individually(user.role, user.scope_code)


def _supervised_out(job: ImportJob, files: JobFiles, *, with_output: bool = True) -> JobOut:
    """Return a job as its supervisor reads it: who submitted it; no files, nothing to run."""
    out = job_out(job, files, with_output=with_output)
    return out.model_copy(update={"files": [], "can_run": False, "submitted_by": job.username})


@router.get(
    "/supervised",
    response_model=JobPage,
    summary="The import jobs of every account within a commander's scope, newest first",
    responses={403: {"description": "Not a commander"}},
)
def supervised_jobs(
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> JobPage:
    """Return a page of the jobs of the scope (read only: 督导); persons' only where seen."""
    personal = _supervisor(user)
    jobs, total = import_jobs.supervised(
        session, scope_code=user.scope_code, personal=personal, limit=limit, offset=offset
    )
    files = JobFiles.of(settings)
    return JobPage(jobs=[_supervised_out(j, files, with_output=False) for j in jobs], total=total)


class CommandLineRunOut(BaseModel):
    """An import run on the server (``zongzhi import … --within``), as its supervisor reads it.

    The facts of a console job (trial AL M7): ``outcome`` and its label as a job's (``done``,
    ``partial``, ``rejected``, ``refused``: an import refused whole is listed too),
    ``result_note`` (what it wrote, or why it wrote nothing, in one line), ``counts`` (``None``
    for a run recorded before they were: ``rows_loaded`` only), ``import_id`` when it wrote.
    """

    id: int = Field(description="导入编号 (import_runs.id)")
    kind: str
    kind_label: str
    file_name: str
    username: str = Field(description="Who ran it on the server")
    started_at: datetime
    partial: bool = Field(description="Rows were left out (--partial)")
    rows_total: int
    rows_loaded: int
    rows_rejected: int
    outcome: str
    outcome_label: str
    result_note: str
    counts: CountsOut | None = None
    import_id: int | None = None
    ended_note: str = ""


@router.get(
    "/supervised/command-line",
    response_model=list[CommandLineRunOut],
    summary="The imports run on the server for a commander's scope, not from the console",
    responses={403: {"description": "Not a commander"}},
)
def supervised_command_line(
    user: CurrentUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[CommandLineRunOut]:
    """Return the command-line imports whose area lies in the scope, newest first.

    A county's or a higher supervisor's list has the runs of no area too (refused before their
    rows were placed: :func:`layers.import_runs.command_line_runs`).
    """
    personal = _supervisor(user)
    runs = import_runs.command_line_runs(
        session.connection(), user.scope_code, personal=personal, limit=limit
    )
    return [
        CommandLineRunOut(
            id=run.id,
            kind=run.kind,
            kind_label=KIND_LABELS.get(run.kind, run.kind),
            file_name=run.file_name,
            username=run.username,
            started_at=run.started_at,
            partial=run.status == "partial",
            rows_total=run.rows_total,
            rows_loaded=run.rows_loaded,
            rows_rejected=run.rows_rejected,
            outcome=run.outcome,
            outcome_label=import_jobs.OUTCOME_LABELS.get(run.outcome, run.status),
            result_note=for_console(run.note()),
            counts=CountsOut(**counts) if (counts := run.counts()) is not None else None,
            import_id=run.id if run.outcome in ("done", "partial") else None,
            ended_note=import_jobs.ended_note(run.kind, run.rows_ended or 0),
        )
        for run in runs
    ]


@router.get(
    "/supervised/{job_id}",
    response_model=JobOut,
    summary="One import job of an account within a commander's scope, its output",
    responses={403: {"description": "Not a commander"}, 404: {"description": "Not in scope"}},
)
def supervised_job(
    job_id: JobId, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> JobOut:
    """Return the job with its output (no files); a persons' or visits' read is audited."""
    personal = _supervisor(user)
    job = import_jobs.get_supervised(session, job_id, scope_code=user.scope_code, personal=personal)
    if import_jobs.audit_job(
        session, job, action="import.supervise_read", actor_id=user.id, actor_name=user.username
    ):
        session.commit()
    return _supervised_out(job, JobFiles.of(settings))


@router.get("/{job_id}", response_model=JobOut, summary="One import job, its output and files")
def get_job(job_id: JobId, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> JobOut:
    """Return the job (404 for another account's)."""
    job = import_jobs.get(session, job_id, account_id=user.id)
    return job_out(job, JobFiles.of(settings), ahead=import_jobs.ahead(session, job))


@router.get(
    "/{job_id}/files/{name}",
    summary="Download a file the import wrote (reject report, struck-off list)",
    response_class=FileResponse,
    responses={404: {"description": "No such job or file"}},
)
def download(
    job_id: JobId,
    name: Annotated[str, PathParam(max_length=255)],
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> FileResponse:
    """Return one of the job's ``files`` (never the upload); persons' and visits' audited."""
    job = import_jobs.get(session, job_id, account_id=user.id)
    files = JobFiles.of(settings)
    if name not in dict(files.outputs(job)):
        raise NotFound("文件不存在或已删除")
    if import_jobs.audit_job(
        session, job, action="import.report_download", actor_id=user.id, detail={"report": name}
    ):
        session.commit()
    suffix = Path(name).suffix.lower()
    return FileResponse(
        files.folder(job.id) / name,
        media_type=MEDIA_TYPES.get(suffix, "application/octet-stream"),
        headers={  # personal data (a caller's name in the rows to correct): never cached
            "Content-Disposition": content_disposition(name, f"import-{job.id}{suffix}"),
            "Cache-Control": "no-store",
        },
    )


@router.post(
    "/{job_id}/run",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobOut,
    summary="Run a kept upload again, for real or as a dry run, with changed options",
    responses={409: {"description": "Not a job whose upload may be run again, or it is deleted"}},
)
def run_again(
    job_id: JobId,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    runner: RunnerDep,
    body: RunOptions | None = None,
) -> JobOut:
    """Queue a kept upload's run again, for real or as a dry run: it moves to the new job (202).

    The mapping file of the job it follows comes with it, unless ``keep_mapping`` is false. Run
    again, an upload of persons or visits is an audit entry, as its first upload was.
    """
    prior = import_jobs.get(session, job_id, account_id=user.id)
    check_kind(user, prior.kind)
    asked = body or RunOptions()
    options = checked_options(prior.kind, asked)
    confined(session, user, options, asked.within or prior.options.get("within"))
    keep_mapping = asked.keep_mapping and bool(prior.options.get("mapping"))
    if keep_mapping:
        options["mapping"] = prior.options["mapping"]
    # how the run is named (导入（按任务 3 的试运行）or 导入（任务 3 的文件）) wherever it is read
    options["follows_dry_run"] = import_jobs.is_dry_run(prior)
    prior = import_jobs.take_upload(session, job_id, account_id=user.id)
    files = JobFiles.of(settings)
    source = files.upload(prior)
    if not source.is_file():
        raise Conflict("上传的文件已删除，请重新上传")
    job = import_jobs.create(
        session,
        account_id=user.id,
        username=user.username,
        scope_code=user.scope_code,
        kind=prior.kind,
        file_name=prior.file_name,
        file_sha256=prior.file_sha256,
        file_bytes=prior.file_bytes,
        options=options,
        follows_job_id=prior.id,
    )
    target = files.make_folder(job.id) / prior.file_name
    os.replace(source, target)
    try:
        if keep_mapping:
            _copy_mapping(files, prior, job)
        import_jobs.audit_job(
            session, job, action="import.rerun", actor_id=user.id, detail={"follows": prior.id}
        )
        session.commit()
    except BaseException:
        os.replace(target, source)
        files.delete_folder(job.id)
        raise
    runner.wake()
    return job_out(job, files)


@router.post(
    "/{job_id}/cancel",
    response_model=JobOut,
    summary="Cancel a queued import, or stop a running one (what it committed stays)",
    responses={409: {"description": "The job has ended"}},
)
def cancel(
    job_id: JobId, user: CurrentUser, session: SessionDep, settings: SettingsDep, runner: RunnerDep
) -> JobOut:
    """Cancel the job: a queued one now, a running one when its child has stopped."""
    job = import_jobs.cancel(session, job_id, account_id=user.id)
    session.commit()
    files = JobFiles.of(settings)
    if job.state == JobState.RUNNING:
        runner.cancel(job.id)
    elif not job.upload_kept:
        files.delete_upload(job)
    return job_out(job, files)


def _copy_mapping(files: JobFiles, prior: ImportJob, job: ImportJob) -> None:
    """Copy the mapping file of ``prior`` to ``job``'s folder, if it had one."""
    source, target = files.mapping(prior), files.mapping(job)
    if source is None or target is None:
        return
    if not source.is_file():
        raise Conflict("上次所用的列对照文件已删除，请重新上传")
    _write_private(target, source.read_bytes())


@router.delete(
    "/{job_id}/upload",
    response_model=JobOut,
    summary="Delete a job's kept upload now",
    responses={409: {"description": "The job has not ended, or its upload is gone"}},
)
def delete_upload(
    job_id: JobId, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> JobOut:
    """Delete the upload kept for a real import (persons' and visits': an audit entry)."""
    job = import_jobs.drop_upload(session, job_id, account_id=user.id)
    import_jobs.audit_job(session, job, action="import.upload_delete", actor_id=user.id)
    session.commit()
    files = JobFiles.of(settings)
    files.delete_upload(job)
    return job_out(job, files)
