"""Who holds each case a brief lists, which departments it summoned, and its repeats (交班).

The day shift taking over from the night reads in the brief, for each case it lists (trial AZ
M8: 「新登记案件」 said only 当前状态 and 所在单位):

* who holds it now (承办): the grid worker of its open dispatch with the worker's grid, the unit
  or the department it was dispatched to, or, with no open dispatch, the unit of its handling
  level, 「（尚未派单）」 while that level has still to dispatch it; since when (承办起始: the
  dispatch, or the latest event that moved the case: 登记, 撤回派单, 退回, 上报, 交办 …) and how
  the dispatch stands (已派单, 已受理, 已到场); a dispatch taken back says so
  (「撤回派单：网格员王某（此前承办）」);
* the departments summoned (吹哨) or dispatched to (派往职能部门) and whether they answered:
  已反馈, 已受理, 已办结, 已退回, or 「未响应（已等 N 小时）」 counted to when the brief is made;
* its repeats (重复反映): a repeat names its original (「重复反映，原案 …」), an original says how
  many reports it has (「共反映 N 次（重复反映 N−1 次：…）」), so a surge of one matter reads as
  one matter.

Names are staff's and units' only: never a reporter's or a party's, nor their phone numbers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.orm import Session

from geo.codes import enclosing_code
from layers import summon_replies
from layers.china_time import CHINA
from layers.model import CaseState
from layers.model.dispatches import AssigneeKind, DispatchStatus
from layers.workflow import ACTION_LABELS, OPEN_STATES

ACTIVE = frozenset(
    {DispatchStatus.ASSIGNED.value, DispatchStatus.ACCEPTED.value, DispatchStatus.ARRIVED.value}
)
"""The statuses of an open dispatch (:data:`layers.model.dispatches.ACTIVE_DISPATCH`)."""
UNSENT = frozenset({CaseState.REGISTERED, CaseState.TRIAGED, CaseState.ESCALATED})
"""The states of a case its handling level has still to dispatch (登记, 分流, 上报来)."""
MOVES = (
    "register",
    "import",
    "triage",
    "recall",
    "return",
    "escalate",
    "hand_down",
    "reopen",
    "resolve",  # an open case: a failed mediation's 法治化途径
)
"""The events that put a case without an open dispatch where it is now (承办起始)."""
ENDED = {
    DispatchStatus.CANCELLED.value: "撤回派单",
    DispatchStatus.RETURNED.value: "退回",
    DispatchStatus.FINISHED.value: "派单已完成",
}
"""How a dispatch no longer open ended, as the handover line names it."""
DEPARTMENT_ANSWERS = {
    DispatchStatus.ACCEPTED.value: "已受理",
    DispatchStatus.ARRIVED.value: "已受理",
    DispatchStatus.FINISHED.value: "已办结",
    DispatchStatus.RETURNED.value: "已退回",
    DispatchStatus.CANCELLED.value: "已撤回",
}
"""How a department dispatched to answered (受理, 办结, 退回), or the dispatch was taken back."""


@dataclass(frozen=True)
class Holding:
    """Who holds a case now and what it is waiting for.

    Attributes
    ----------
    holder : str
        承办: 「网格员杨洁兰（复安社区第1网格）」, 「宁州街道（下级单位）」,
        「县公安局（职能部门）」, or the handling level's unit, 「华宁县（尚未派单）」 while
        it has still to dispatch it.
    since : datetime or None
        承办起始: when the open dispatch was made, else the latest event that moved the case.
    progress : str
        承办状态: the open dispatch's (已派单, 已受理, 已到场), else the case's state.
    change : str
        最近变动 when no dispatch is open: how the last one ended and by whom
        (「撤回派单：网格员王某（此前承办）」), else the event that moved the case, or "".
    departments : list of str
        吹哨/派往部门: one line a department, 「吹哨 县公安局：未响应（已等 5 小时）」.
    repeats : str
        重复反映: 「重复反映，原案 …」, 「共反映 N 次（重复反映 …）」, or "".
    """

    holder: str
    since: datetime | None
    progress: str
    change: str = ""
    departments: list[str] = field(default_factory=list)
    repeats: str = ""


def waited_text(waited: timedelta) -> str:
    """Say how long a summoned department has not answered, in whole hours.

    Parameters
    ----------
    waited : timedelta
        From the 吹哨 or the dispatch to when the brief is made.

    Returns
    -------
    str
        「未响应（已等 N 小时）」, or minutes under an hour.

    Examples
    --------
    >>> waited_text(timedelta(hours=5, minutes=40)), waited_text(timedelta(minutes=12))
    ('未响应（已等 5 小时）', '未响应（已等 12 分钟）')
    """
    hours = int(waited.total_seconds() // 3600)
    if hours:
        return f"未响应（已等 {hours} 小时）"
    return f"未响应（已等 {max(0, int(waited.total_seconds() // 60))} 分钟）"


def _moment(value: datetime) -> str:
    return f"{value.astimezone(CHINA):%m-%d %H:%M}"


_CASES = text(
    "SELECT c.id, c.code, c.state, c.area_code, c.handling_level, c.repeat_count, c.duplicate_of,"
    " o.code AS original_code, o.state AS original_state"
    " FROM cases c LEFT JOIN cases o ON o.id = c.duplicate_of WHERE c.id = ANY(:ids)"
)
_DISPATCHES = text(
    "SELECT d.case_id, d.assignee_kind, d.department, d.status, d.assigned_at, d.accepted_at,"
    " d.finished_at, w.name AS worker_name, g.name AS grid_name, j.name AS unit_name"
    " FROM dispatches d LEFT JOIN workers w ON w.id = d.worker_id"
    " LEFT JOIN grids g ON g.code = w.home_grid LEFT JOIN jurisdictions j ON j.code = d.unit_code"
    " WHERE d.case_id = ANY(:ids) ORDER BY d.case_id, d.assigned_at, d.id"
)
_MOVES = text(
    "SELECT DISTINCT ON (case_id) case_id, action, at, actor_name FROM case_events"
    " WHERE case_id = ANY(:ids) AND action = ANY(:moves)"
    " ORDER BY case_id, action IN ('register', 'import'), at DESC, id DESC"
)
"""Each case's latest move; its 登记 or 导入 only when nothing moved it since (a case registered
by hand after the fact has its later moves dated before its 登记)."""
_SUMMONS = text(
    "SELECT case_id, id, action, at, actor_name, payload FROM case_events"
    " WHERE case_id = ANY(:ids) AND action IN ('summon', 'summon_reply') ORDER BY at, id"
)
_REPEATS = text(
    "SELECT duplicate_of, code FROM cases WHERE duplicate_of = ANY(:ids) ORDER BY reported_at, id"
)
_UNITS = text("SELECT code, name FROM jurisdictions WHERE code = ANY(:codes)")


def _assignee(row: Row[Any]) -> str:
    kind = row.assignee_kind
    if kind == AssigneeKind.WORKER.value:
        grid = row.grid_name
        return f"网格员{row.worker_name or ''}" + (f"（{grid}）" if grid else "")
    if kind == AssigneeKind.UNIT.value:
        return f"{row.unit_name or ''}（下级单位）"
    return f"{row.department or ''}（职能部门）"


def holdings(session: Session, ids: Sequence[int], *, now: datetime) -> dict[int, Holding]:
    """Return who holds each case now, its departments' answers and its repeats.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the reader (an original outside the scope is not named).
    ids : sequence of int
        The cases.
    now : datetime
        When the brief is made: how long an unanswered department has waited.

    Returns
    -------
    dict of int to Holding
        By case id, every case in the reader's scope among ``ids``.
    """
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    cases = list(session.execute(_CASES, {"ids": wanted}))
    dispatches: dict[int, list[Row[Any]]] = defaultdict(list)
    for row in session.execute(_DISPATCHES, {"ids": wanted}):
        dispatches[row.case_id].append(row)
    moves = {
        row.case_id: row for row in session.execute(_MOVES, {"ids": wanted, "moves": list(MOVES)})
    }
    summons: dict[int, list[Row[Any]]] = defaultdict(list)
    for row in session.execute(_SUMMONS, {"ids": wanted}):
        summons[row.case_id].append(row)
    repeats: dict[int, list[str]] = defaultdict(list)
    for original, code in session.execute(_REPEATS, {"ids": wanted}):
        repeats[int(original)].append(str(code))
    levels = {c.id: enclosing_code(c.area_code, c.handling_level) for c in cases}
    units = {
        str(code): str(name)
        for code, name in session.execute(_UNITS, {"codes": sorted(set(levels.values()))})
    }
    out: dict[int, Holding] = {}
    for case in cases:
        sent = dispatches.get(case.id, [])
        current = next((d for d in reversed(sent) if d.status in ACTIVE), None)
        state = CaseState.label_of(case.state)
        change = ""
        if current is not None:
            holder = _assignee(current)
            since: datetime | None = current.assigned_at
            progress = DispatchStatus.label_of(current.status)
        else:
            unit = units.get(levels[case.id], levels[case.id])
            holder = f"{unit}（尚未派单）" if case.state in UNSENT else unit
            move = moves.get(case.id)
            since = None if move is None else move.at
            progress = state
            last = sent[-1] if sent else None
            ended = None if last is None else ENDED.get(last.status)
            if case.state in OPEN_STATES and last is not None and ended is not None:
                change = f"{ended}：{_assignee(last)}（此前承办）"
            elif move is not None and move.action not in ("register", "import"):
                change = f"{ACTION_LABELS.get(move.action, move.action)}（{move.actor_name}）"
        out[case.id] = Holding(
            holder,
            since,
            progress,
            change,
            _departments(sent, summons.get(case.id, []), now),
            _repeats(case, repeats.get(case.id, [])),
        )
    return out


def _departments(sent: list[Row[Any]], summons: list[Row[Any]], now: datetime) -> list[str]:
    """One line a department summoned (吹哨) or dispatched to, with its answer, oldest first."""
    lines: list[tuple[datetime, str]] = []
    for d in sent:
        if d.assignee_kind != AssigneeKind.DEPARTMENT.value:
            continue
        status = d.status
        at: datetime = d.assigned_at
        if status == DispatchStatus.ASSIGNED.value:
            answer = waited_text(now - at)
        else:
            moment = d.accepted_at if status in ("accepted", "arrived") else None
            moment = moment or d.finished_at
            answer = DEPARTMENT_ANSWERS.get(status, DispatchStatus.label_of(status))
            answer += f"（{_moment(moment)}）" if moment is not None else ""
        lines.append((at, f"派往 {d.department}：{answer}"))
    # each department's latest 吹哨 and its answer since, as its desk reads them
    said = [
        summon_replies.Said(e.id, e.action, e.at, e.actor_name, e.payload or {}) for e in summons
    ]
    for standing in summon_replies.answers(said):
        at, reply = standing.asked_at, standing.answered_at
        answer = waited_text(now - at) if reply is None else f"已反馈（{_moment(reply)}）"
        lines.append((at, f"吹哨 {standing.department}：{answer}"))
    return [line for _, line in sorted(lines, key=lambda x: x[0])]


def _repeats(case: Row[Any], codes: list[str]) -> str:
    """重复反映: a repeat's original, or how many reports an original has."""
    original = case.original_code
    if original is not None:
        return f"重复反映，原案 {original}"
    if case.duplicate_of is not None:  # an original outside the reader's scope
        return "重复反映"
    if codes:
        return f"共反映 {len(codes) + 1} 次（重复反映 {len(codes)} 次：{'、'.join(codes)}）"
    count = int(case.repeat_count or 0)
    if count:  # repeats outside the reader's scope
        return f"共反映 {count + 1} 次"
    return ""
