"""The case workflow as a pure state machine: one table of actions, no database.

Every action has the states it may start from, the state it leads to (``None``: the state does
not change, e.g. a reminder), the roles that may perform it, and a rule on the actor's level
relative to the case's handling level. :func:`check` applies the table and raises
:class:`~layers.errors.Conflict` (listing the allowed actions) or
:class:`~layers.errors.Forbidden`; :func:`allowed_actions` lists what is possible now.

Levels are numbered as jurisdictions: 1 province … 5 village; a *smaller* number is a *higher*
level. Escalating (上报) lowers ``handling_level`` by one, handing down (交办) raises it by one.

Examples
--------
>>> commander = Actor(user_id=1, name="王", role="commander", scope_code="530424000000")
>>> target_state("triage", "registered")
'triaged'
>>> check(commander, "triage", state="registered", handling_level=3)
'triaged'
>>> sorted(allowed_actions("archived", handling_level=3, actor=commander))
['reopen']
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from geo.codes import division_level
from layers.china_time import CHINA
from layers.errors import Conflict, Forbidden, InvalidInput
from layers.model.accounts import Role
from layers.model.cases import CaseState
from layers.model.jurisdictions import Level

S = CaseState

#: States in which a case still needs handling.
OPEN_STATES: frozenset[str] = frozenset(
    {
        S.REGISTERED,
        S.TRIAGED,
        S.DISPATCHED,
        S.ACCEPTED,
        S.ON_SITE,
        S.LEGAL_ROUTE,
        S.ESCALATED,
    }
)
#: States of a case whose matter is settled (resolved, then evaluated, visited, archived).
DONE_STATES: frozenset[str] = frozenset(s.value for s in S) - OPEN_STATES


class LevelRule(Enum):
    """How the actor's level must relate to the case's handling level."""

    ANY = "any"
    """No constraint beyond the scope (any level that sees the case)."""
    AT_OR_ABOVE = "at_or_above"
    """The actor's level handles the case or is above it (may act on behalf of a lower level)."""
    ABOVE = "above"
    """Strictly above: only a superior reminds or supervises (see :func:`level_rule`)."""
    AT = "at"
    """The level handling the case only: it answers its superior's 督办 (督办回复)."""
    HANDLING = "handling"
    """An operator of the level handling the case only (评价, 回访, 销号): neither a lower level
    nor a higher one, which has 督办, 催办, 交办 and 提级办理 for it (trial AU S1). A grid worker,
    whose level is his village's, is not held to it (he 回访s the cases of his area)."""
    DISPATCH = "dispatch"
    """The dispatch's work (受理, 到场, 处置反馈, 办结, 退回): an operator of the level handling the
    case, acting for its assignee, or of the unit (下级单位) the dispatch was given to; not a
    lower level outside that unit, nor a higher one (trial AU S1). Grid workers and departments
    are held to their own dispatch instead (:func:`layers.cases.actions_open_to`)."""


OPERATORS = frozenset({Role.COMMANDER, Role.DISPATCHER})
FIELD = frozenset({Role.COMMANDER, Role.DISPATCHER, Role.GRID_WORKER, Role.DEPARTMENT})
#: Who goes on site and visits the parties (到场, 回访): not a department, whose actions are
#: 受理, 处置反馈, 办结 and 退回 (trial AQ M1: a department was offered the centre's 回访).
ON_SITE = FIELD - {Role.DEPARTMENT}
#: The channels a grid worker's report can come through: found on his round, told him in person
#: or by phone; not a superior's 交办, a 12345 or 110 order or a 信访 (trial AW m4).
WORKER_CHANNELS = ("grid_worker", "walk_in", "phone")


@dataclass(frozen=True)
class Rule:
    """One row of the workflow table.

    Attributes
    ----------
    sources : frozenset of str
        States the action may start from.
    target : str or None
        State after the action; ``None`` keeps the state.
    roles : frozenset of str
        Roles that may perform it.
    level : LevelRule
        Constraint on the actor's level.
    label : str
        Chinese name for the console.
    """

    sources: frozenset[str]
    target: str | None
    roles: frozenset[str]
    level: LevelRule
    label: str


def _states(*states: str) -> frozenset[str]:
    return frozenset(states)


#: The workflow table.
RULES: dict[str, Rule] = {
    "triage": Rule(
        _states(S.REGISTERED, S.ESCALATED, S.TRIAGED),
        S.TRIAGED,
        OPERATORS,
        LevelRule.AT_OR_ABOVE,
        "分流",
    ),
    "dispatch": Rule(_states(S.TRIAGED), S.DISPATCHED, OPERATORS, LevelRule.AT_OR_ABOVE, "派单"),
    # the dispatch's work, by its assignee or the operators the case is theirs to handle
    # (LevelRule.DISPATCH, trial AU S1: a village 办结'd a city's case sent to 县司法局)
    "accept": Rule(_states(S.DISPATCHED), S.ACCEPTED, FIELD, LevelRule.DISPATCH, "受理"),
    "arrive": Rule(_states(S.ACCEPTED), S.ON_SITE, ON_SITE, LevelRule.DISPATCH, "到场"),
    "resolve": Rule(
        _states(S.ACCEPTED, S.ON_SITE, S.LEGAL_ROUTE), S.RESOLVED, FIELD, LevelRule.DISPATCH, "办结"
    ),
    # the closing of the loop is the handling level's own (trial AU S1)
    "evaluate": Rule(_states(S.RESOLVED), S.EVALUATED, OPERATORS, LevelRule.HANDLING, "评价"),
    "visit": Rule(_states(S.RESOLVED, S.EVALUATED), S.VISITED, ON_SITE, LevelRule.HANDLING, "回访"),
    "archive": Rule(
        _states(S.EVALUATED, S.VISITED), S.ARCHIVED, OPERATORS, LevelRule.HANDLING, "销号"
    ),
    "reopen": Rule(
        _states(S.RESOLVED, S.EVALUATED, S.VISITED, S.ARCHIVED),
        S.TRIAGED,
        OPERATORS,
        LevelRule.AT_OR_ABOVE,
        "重新办理",
    ),
    "return": Rule(
        _states(S.DISPATCHED, S.ACCEPTED, S.ON_SITE), S.TRIAGED, FIELD, LevelRule.DISPATCH, "退回"
    ),
    # the level that dispatched takes the dispatch back while nobody has 受理'd it: the case is
    # triaged again and may be dispatched anew (trial M11: one click sent it, nothing undid it)
    "recall": Rule(_states(S.DISPATCHED), S.TRIAGED, OPERATORS, LevelRule.AT_OR_ABOVE, "撤回派单"),
    # what the handler did so far, before 办结 (the flow's "feedback"): a note in the timeline
    "feedback": Rule(
        _states(S.ACCEPTED, S.ON_SITE, S.LEGAL_ROUTE), None, FIELD, LevelRule.DISPATCH, "处置反馈"
    ),
    "escalate": Rule(
        _states(S.REGISTERED, S.TRIAGED, S.DISPATCHED, S.ACCEPTED, S.ON_SITE, S.ESCALATED),
        S.ESCALATED,
        OPERATORS,
        LevelRule.AT_OR_ABOVE,
        "上报",
    ),
    "hand_down": Rule(
        _states(S.REGISTERED, S.TRIAGED, S.ESCALATED),
        S.TRIAGED,
        OPERATORS,
        LevelRule.AT_OR_ABOVE,
        "交办",
    ),
    "remind": Rule(OPEN_STATES, None, OPERATORS, LevelRule.ABOVE, "催办"),
    "supervise": Rule(OPEN_STATES, None, frozenset({Role.COMMANDER}), LevelRule.ABOVE, "督办"),
    # the level handling a case answers a superior's 督办 (报送办理情况): a note in the timeline,
    # which the superior's 我督办的 shows as the answer (trial AQ M2); offered only under a 督办
    # the level handling the case answers its superior's 督办, or the unit it was dispatched
    # to, which is on site and now sees the 督办 (trial AU M1), or the department holding its
    # open dispatch, whose desk shows the 督办 (trial BA S5; layers.cases.actions_open_to)
    "supervision_reply": Rule(
        OPEN_STATES, None, OPERATORS | {Role.DEPARTMENT}, LevelRule.DISPATCH, "督办回复"
    ),
    "summon": Rule(OPEN_STATES, None, OPERATORS, LevelRule.AT_OR_ABOVE, "吹哨"),
    # a repeat (重复反映) not in anyone's hands is closed into its original, which is handled
    # for both: it leaves every queue (trials AZ M2, AX S3: each repeat was triaged, dispatched
    # and closed alone); offered on repeats only (layers.cases.actions_open_to)
    "merge": Rule(
        _states(S.REGISTERED, S.TRIAGED, S.ESCALATED),
        S.ARCHIVED,
        OPERATORS,
        LevelRule.AT_OR_ABOVE,
        "并案",
    ),
    # a department a 吹哨 named answers it, without being the case's dispatch: a note the
    # summoning level reads in the timeline (trial AQ S3); offered only to those named
    "summon_reply": Rule(
        OPEN_STATES, None, frozenset({Role.DEPARTMENT}), LevelRule.ANY, "吹哨反馈"
    ),
    # 申请延期: the unit holding the case (the department or the unit it was dispatched to, or
    # the level handling it) asks for a later 办结时限; the level that dispatched it (or one
    # above) 批准 or 驳回 it (trial AX S5): layers.deadline_extensions, offered by the request
    # standing on the case (allowed_actions' ``extension``)
    "extension_request": Rule(
        OPEN_STATES - {S.LEGAL_ROUTE},
        None,
        OPERATORS | {Role.DEPARTMENT},
        LevelRule.DISPATCH,
        "申请延期",
    ),
    "extension_approve": Rule(OPEN_STATES, None, OPERATORS, LevelRule.AT_OR_ABOVE, "批准延期"),
    "extension_refuse": Rule(OPEN_STATES, None, OPERATORS, LevelRule.AT_OR_ABOVE, "驳回延期"),
}

#: Outcomes of ``resolve``; ``mediation_failed`` sends the case on the legal route.
OUTCOMES = ("mediated", "resolved", "not_substantiated", "mediation_failed", "legal_concluded")
#: Legal routes after failed mediation (法治化"路线图").
LEGAL_ROUTES = ("arbitration", "administrative_review", "litigation")

#: Actions that need a note (why, or what was done), and what the dialogs and the refusal
#: (「请填写…」) call it. Imports write a settled case's history as it was, not through these
#: actions: an imported 办结 without a note is kept.
NOTE_REQUIRED: dict[str, str] = {
    "return": "退回原因",
    "feedback": "反馈内容",
    "supervise": "督办意见",  # what the superior demands, as a 督办单 says it
    # what the level handling the case reports back: what it did, what it will do by when
    "supervision_reply": "督办回复内容",
    # what the department summoned did or will do: the summoning level reads it (trial AQ S3)
    "summon_reply": "吹哨反馈内容",
    # what is to be redone: the worker the case goes to next reads it (trial AH S2, M4)
    "reopen": "重新办理原因",
    # the worker it was sent to, and the timeline, read why it was taken back
    "recall": "撤回原因",
    # the level above takes the case over and must read why (the brief's 上报原因, the desk's
    # 上报来：…；说明：…), as a 综治 case system asks
    "escalate": "上报原因",
    # the level below gets back a case it may have sent up because it could not cope: it reads
    # what the superior asks of it (trial AM N11), as a 交办单 carries a 交办意见
    "hand_down": "交办意见",
    # what was done, beside the 办结结果 chosen: the desk reads it before 评价、回访、销号; the
    # legal route's 办结 too (调解不成: what was tried; 法治化途径办结: how it ended)
    "resolve": "办结说明",
    # what the 回访 learned (whom it reached, what they said): a 回访 with nothing in it closed
    # the loop on paper only (trial AS M5)
    "visit": "回访情况",
    # why more time is needed, and why it is refused: both sides read it (trial AX S5)
    "extension_request": "延期理由",
    "extension_refuse": "驳回理由",
}

#: What a 销号 of a case never visited (from 已评价, no 回访) must state: why no 回访 was made
#: (trial AS M5: the loop was closed with no 回访 and nothing said). A 销号 after 回访 needs none.
NO_VISIT_REASON = "不回访的原因"
#: The refusal of a 销号 without 回访 that states no reason.
NO_VISIT_REFUSAL = "未回访的案件销号须说明不回访的原因"
#: Why a case is not 退回'd from each state it cannot be: 退回 gives back a dispatch (派单) the
#: worker, unit or department holds, between its 派单 and its 办结 (a user trial: a case refused
#: 退回 read 「案件当前状态为“已办结”，不能退回」, about the case's state, not about the 派单).
RETURN_REFUSALS: dict[str, str] = {
    S.REGISTERED.value: "该案件尚未派单，没有可退回的派单",
    S.TRIAGED.value: "该案件尚未派单（或派单已退回、已撤回），没有可退回的派单",
    S.ESCALATED.value: "该案件已上报，待上级分流，没有可退回的派单",
    S.LEGAL_ROUTE.value: "该案件调解不成、已转法治化途径，原派单随之结束，没有可退回的派单",
    S.RESOLVED.value: "该案件已办结，派单已完成，不能再退回",
    S.EVALUATED.value: "该案件已办结并评价，派单已完成，不能再退回",
    S.VISITED.value: "该案件已办结并回访，派单已完成，不能再退回",
    S.ARCHIVED.value: "该案件已销号，派单已完成，不能再退回",
}
#: The refusal of a 回访 by the grid worker (or department) whose dispatch 办结'd the case: the
#: 回访 checks the handling, so someone else makes it (trial AS M5; :mod:`layers.cases`).
VISIT_BY_HANDLER_REFUSAL = "回访须由承办人以外的人员进行"


def note_required(action: str, state: str) -> str | None:
    """Return what the note of ``action`` from ``state`` must say, or ``None`` if optional.

    :data:`NOTE_REQUIRED`, and a 销号 from a state other than 已回访 (a case evaluated but never
    visited) asks for :data:`NO_VISIT_REASON`.

    Parameters
    ----------
    action : str
        Action name (a key of :data:`RULES`).
    state : str
        The case's state before the action.

    Returns
    -------
    str or None
        The note's name (the dialog's label, the refusal's 「请填写…」), ``None`` when not required.

    Examples
    --------
    >>> note_required("archive", "evaluated"), note_required("archive", "visited")
    ('不回访的原因', None)
    >>> note_required("visit", "evaluated"), note_required("evaluate", "resolved")
    ('回访情况', None)
    """
    if action == "archive":
        return None if state == S.VISITED else NO_VISIT_REASON
    return NOTE_REQUIRED.get(action)


def note_refusal(action: str, state: str) -> str:
    """Return the refusal of ``action`` from ``state`` without its required note.

    Parameters
    ----------
    action : str
        Action name whose note is required (:func:`note_required`).
    state : str
        The case's state before the action.

    Returns
    -------
    str
        「请填写…」, or for a 销号 without 回访 :data:`NO_VISIT_REFUSAL`.

    Examples
    --------
    >>> note_refusal("visit", "evaluated")
    '请填写回访情况'
    >>> note_refusal("archive", "evaluated")
    '未回访的案件销号须说明不回访的原因'
    """
    if action == "archive":
        return NO_VISIT_REFUSAL
    return f"请填写{note_required(action, state)}"


#: 申请延期 and its decisions (:mod:`layers.deadline_extensions`).
EXTENSION_ACTIONS = frozenset({"extension_request", "extension_approve", "extension_refuse"})

#: Actions a grid-worker account may take only on a case dispatched to its own worker record.
OWN_DISPATCH_ACTIONS = frozenset({"accept", "arrive", "feedback", "resolve", "return"})

#: Chinese names of every action written to the event log (the table's and the system's).
ACTION_LABELS: dict[str, str] = {
    "register": "登记",
    "import": "导入",
    "repeat_linked": "关联重复反映",
    "repeat_unlinked": "解除重复反映关联",
    "repeat_suspected": "疑似重复",
    "original_resolved": "原案件已办结",
    "rehomed": "区划网格调整",
    **{name: rule.label for name, rule in RULES.items()},
}
_DONE: dict[str, str] = {
    "triage": "已分流",
    "dispatch": "已派单",
    "accept": "已受理",
    "arrive": "已登记到场",
    "resolve": "已办结",
    "evaluate": "已评价",
    "visit": "已回访",
    "archive": "已销号",
    "reopen": "已重新办理",
    "return": "已退回",
    "recall": "已撤回派单",
    "feedback": "反馈已提交",
    "escalate": "已上报",
    "hand_down": "已交办",
    "remind": "已催办",
    "supervise": "已督办",
    "supervision_reply": "督办回复已报送",
    "summon": "已吹哨",
    "summon_reply": "吹哨反馈已提交",
    "merge": "已并入原案件",
    "extension_request": "延期申请已提交",
    "extension_approve": "已批准延期",
    "extension_refuse": "已驳回延期申请",
}
#: What the console says once an action is done (its toast): what happened, not
#: 「处置反馈：已完成」, which read to a department's clerk as if the case were finished
#: (trial AQ m3); an action without its own wording says 已 and its name.
DONE_LABELS: dict[str, str] = {
    name: _DONE.get(name, f"已{rule.label}") for name, rule in RULES.items()
}
#: What 上报 is when a level above the case's takes it up to itself (trial AM N10): the case
#: is not sent up by the level handling it, the superior takes it over (提级办理).
TAKE_UP_LABEL = "提级办理"


def action_label(action: str, *, actor_level: int, handling_level: int) -> str:
    """Return what ``action`` is called for an actor of ``actor_level`` on a case.

    Parameters
    ----------
    action : str
        Action name (in :data:`ACTION_LABELS`).
    actor_level : int
        The actor's level (1 province … 5 village).
    handling_level : int
        The case's handling level.

    Returns
    -------
    str
        The action's label; a 上报 by a level above the handling level is 提级办理.

    Examples
    --------
    >>> action_label("escalate", actor_level=2, handling_level=3)
    '提级办理'
    >>> action_label("escalate", actor_level=3, handling_level=3)
    '上报'
    """
    if action == "escalate" and actor_level < handling_level:
        return TAKE_UP_LABEL
    return ACTION_LABELS[action]


#: Chinese names of the outcomes of ``resolve``.
OUTCOME_LABELS: dict[str, str] = {
    "mediated": "调解成功",
    "resolved": "已解决",
    "not_substantiated": "经核查不属实",
    "mediation_failed": "调解不成，转法治化途径",
    "legal_concluded": "法治化途径办结",
}
#: Chinese names of the legal routes.
LEGAL_ROUTE_LABELS: dict[str, str] = {
    "arbitration": "仲裁",
    "administrative_review": "行政复议",
    "litigation": "诉讼",
}


@dataclass(frozen=True)
class Actor:
    """Who performs an action.

    Attributes
    ----------
    user_id : int or None
        The user's id (``None`` for the system, e.g. imports).
    name : str
        Display name, written into the case's event log (the history operators read).
    role : str
        A :class:`~layers.model.accounts.Role` code.
    scope_code : str
        The user's 12-digit jurisdiction code.
    worker_id : int or None
        The worker record of a grid-worker account (a grid worker acts on the cases dispatched
        to that record only, see :data:`OWN_DISPATCH_ACTIONS`).
    login : str or None
        The account's login (``users.username``), which the audit log names the actor by
        (:attr:`audit_name`); ``None`` for the system (``scheduler``, ``demo``), named by
        ``name``. A display name is free text an administrator sets and need not be unique:
        the auditor searches by login.

    Examples
    --------
    >>> on_duty = Actor(1, "华宁县指挥中心值班员", "commander", "530424000000", login="zh.530424")
    >>> on_duty.audit_name
    'zh.530424'
    >>> Actor(None, "scheduler", "commander", "530424000000").audit_name
    'scheduler'
    """

    user_id: int | None
    name: str
    role: str
    scope_code: str
    worker_id: int | None = None
    login: str | None = None

    @property
    def audit_name(self) -> str:
        """The name the audit log gives the actor: the login, else (the system) ``name``."""
        return self.login if self.login is not None else self.name

    @property
    def level(self) -> int:
        """Level of the actor's jurisdiction (1 province … 5 village)."""
        return division_level(self.scope_code)


def target_state(action: str, state: str, *, outcome: str | None = None) -> str:
    """Return the state after ``action`` from ``state`` (no permission check).

    Parameters
    ----------
    action : str
        Action name (a key of :data:`RULES`).
    state : str
        Current state.
    outcome : str, optional
        For ``resolve``: ``mediation_failed`` leads to ``legal_route``.

    Returns
    -------
    str
        The new state.

    Raises
    ------
    InvalidInput
        If the action is unknown.

    Examples
    --------
    >>> target_state("resolve", "on_site", outcome="mediation_failed")
    'legal_route'
    >>> target_state("remind", "dispatched")
    'dispatched'
    """
    rule = RULES.get(action)
    if rule is None:
        raise unknown_action()
    if action == "resolve" and outcome == "mediation_failed":
        return S.LEGAL_ROUTE.value
    return str(rule.target) if rule.target is not None else state


def unknown_action() -> InvalidInput:
    """Return the error of an action that is not in :data:`RULES` (naming the known ones).

    Returns
    -------
    InvalidInput
        The error to raise; the action typed is not repeated (it may be any text).

    Examples
    --------
    >>> str(unknown_action())[:21]
    '没有这项办理操作，可用的操作有：分流、派单'
    """
    known = "、".join(rule.label for rule in RULES.values())
    return InvalidInput(f"没有这项办理操作，可用的操作有：{known}")


IN_HANDS: frozenset[str] = frozenset({S.DISPATCHED, S.ACCEPTED, S.ON_SITE})
"""States in which a case is in the hands of the worker or department its level dispatched it to:
that level reminds them (催办) as its superiors do."""


def level_rule(action: str, state: str) -> LevelRule:
    """Return how the actor's level must relate to the handling level for ``action`` now.

    The table's, except that a case dispatched to a grid worker or a department is reminded
    (催办) by the level that dispatched it, too: the township reminds its own worker.

    Parameters
    ----------
    action : str
        Action name (in :data:`RULES`).
    state : str
        The case's state.

    Returns
    -------
    LevelRule
        The constraint.

    Examples
    --------
    >>> level_rule("remind", "registered").value, level_rule("remind", "on_site").value
    ('above', 'at_or_above')
    """
    if action == "remind" and state in IN_HANDS:
        return LevelRule.AT_OR_ABOVE
    return RULES[action].level


#: The time zone the 督办时限 of a refusal is written in (the centres' clocks).


def supervision_stands(supervised_until: datetime | None, now: datetime | None) -> bool:
    """Return whether a 督办 stands: its 督办时限 is set and has not passed at ``now``.

    A case under a standing 督办 is not offered 督办 again, and a second one is refused: the
    county's overdue list offered it again right after it was issued (usability trial). Once
    the 督办时限 passed with the case still open, a new 督办 may follow.

    Parameters
    ----------
    supervised_until : datetime or None
        The case's ``supervision_deadline``.
    now : datetime or None
        The time of the question (``None``: not asked, nothing stands).

    Returns
    -------
    bool
        Whether the 督办 stands.

    Examples
    --------
    >>> from datetime import UTC
    >>> until = datetime(2026, 12, 9, 10, tzinfo=UTC)
    >>> supervision_stands(until, datetime(2026, 12, 8, tzinfo=UTC))
    True
    >>> supervision_stands(until, datetime(2026, 12, 10, tzinfo=UTC))
    False
    """
    return supervised_until is not None and now is not None and now < supervised_until


def supervision_refusal(supervised_until: datetime) -> str:
    """Say why a case under a standing 督办 is not supervised again, naming its 督办时限.

    Parameters
    ----------
    supervised_until : datetime
        The standing 督办时限 (timezone-aware).

    Returns
    -------
    str
        The refusal, the time in Beijing time.

    Examples
    --------
    >>> from datetime import UTC
    >>> supervision_refusal(datetime(2026, 12, 9, 10, tzinfo=UTC))
    '该案件已督办，督办时限 2026-12-09 18:00 未到，不能重复督办；时限过后仍未办结的，可再次督办'
    """
    until = supervised_until.astimezone(CHINA)
    return (
        f"该案件已督办，督办时限 {until:%Y-%m-%d %H:%M} 未到，不能重复督办；"
        "时限过后仍未办结的，可再次督办"
    )


def _level_ok(
    rule: LevelRule, actor: Actor, handling_level: int, dispatched_unit: str | None = None
) -> bool:
    actor_level = actor.level
    if rule in (LevelRule.HANDLING, LevelRule.DISPATCH):
        if actor.role not in OPERATORS:
            return True  # a grid worker or a department: its own dispatch (layers.cases)
        if actor_level == handling_level:
            return True
        return rule is LevelRule.DISPATCH and dispatched_unit == actor.scope_code
    if rule is LevelRule.AT:
        return actor_level == handling_level
    if rule is LevelRule.AT_OR_ABOVE:
        return actor_level <= handling_level
    if rule is LevelRule.ABOVE:
        return actor_level < handling_level
    return True


def _extra_ok(action: str, state: str, handling_level: int) -> bool:
    if action == "escalate":
        return handling_level > 1
    if action == "hand_down":
        return handling_level < 5
    return True


def allowed_actions(
    state: str,
    *,
    handling_level: int,
    actor: Actor | None = None,
    supervised_until: datetime | None = None,
    now: datetime | None = None,
    dispatched_unit: str | None = None,
    repeat: bool = False,
    extension: bool | None = None,
) -> list[str]:
    """Return the actions possible from ``state`` (for ``actor``, if given), in table order.

    Parameters
    ----------
    state : str
        Current state.
    handling_level : int
        The case's handling level.
    actor : Actor, optional
        Restrict to what this actor's role and level permit.
    supervised_until, now : datetime, optional
        The case's 督办时限 and the time: no 督办 while one stands (:func:`supervision_stands`),
        and 督办回复 only on a case under a 督办 (a 督办时限 set, passed or not).
    dispatched_unit : str, optional
        The unit (下级单位) the case's dispatch was given to: its operators do the dispatch's
        work (:attr:`LevelRule.DISPATCH`) beside the handling level's.
    repeat : bool, optional
        The case is a repeat (重复反映) of another: 并案 is offered.
    extension : bool, optional
        A 延期申请 stands on the case (批准延期, 驳回延期 are offered) or not (申请延期 is);
        ``None``, not read: none of them (:mod:`layers.deadline_extensions` says who may).

    Returns
    -------
    list of str
        Action names.

    Examples
    --------
    >>> allowed_actions("dispatched", handling_level=4)
    ['accept', 'return', 'recall', 'escalate', 'remind', 'supervise', 'summon', 'summon_reply']

    A village is not offered the 办结 of a township's case, unless the dispatch was given to it
    (trial AU S1):

    >>> village = Actor(user_id=3, name="村", role="commander", scope_code="530424001001")
    >>> "resolve" in allowed_actions("on_site", handling_level=4, actor=village)
    False
    >>> "resolve" in allowed_actions(
    ...     "on_site", handling_level=4, actor=village, dispatched_unit="530424001001"
    ... )
    True
    """
    names = []
    supervised = supervision_stands(supervised_until, now)
    for name, rule in RULES.items():
        if state not in rule.sources or not _extra_ok(name, state, handling_level):
            continue
        if name == "supervise" and supervised:
            continue
        if name == "supervision_reply" and supervised_until is None:
            continue  # nothing to answer: no superior's 督办 on the case
        if name == "merge" and not repeat:
            continue  # a repeat's only
        if name in EXTENSION_ACTIONS and (
            extension is None or extension != (name != "extension_request")
        ):
            continue  # 申请延期 without a request standing, its decision with one
        if actor is not None and (
            actor.role not in rule.roles
            or not _level_ok(level_rule(name, state), actor, handling_level, dispatched_unit)
        ):
            continue
        names.append(name)
    return names


def check(
    actor: Actor,
    action: str,
    *,
    state: str,
    handling_level: int,
    outcome: str | None = None,
    supervised_until: datetime | None = None,
    now: datetime | None = None,
    dispatched_unit: str | None = None,
    held_by: str | None = None,
) -> str:
    """Check that ``actor`` may perform ``action`` now and return the resulting state.

    Parameters
    ----------
    actor : Actor
        Who acts.
    action : str
        Action name.
    state : str
        Current state of the case.
    handling_level : int
        Current handling level of the case.
    outcome : str, optional
        For ``resolve``.
    supervised_until, now : datetime, optional
        The case's 督办时限 and the time of the action: a 督办 is refused while one stands,
        a 督办回复 without a 督办.
    dispatched_unit : str, optional
        The unit (下级单位) the case's dispatch was given to (:func:`allowed_actions`).
    held_by : str, optional
        Who holds the case's dispatch (县司法局, 复安社区综治中心 …), named by the refusal of
        the dispatch's work to an operator of another level.

    Returns
    -------
    str
        The state after the action.

    Raises
    ------
    InvalidInput
        Unknown action.
    Forbidden
        The actor's role or level does not permit the action.
    Conflict
        The action is not possible from the current state, a 督办 while one stands, or a
        督办回复 without a 督办; ``allowed`` lists those that are.

    Examples
    --------
    >>> worker = Actor(user_id=2, name="李", role="grid_worker", scope_code="530424100001")
    >>> check(worker, "archive", state="registered", handling_level=4)
    Traceback (most recent call last):
    ...
    layers.errors.Conflict: 案件当前状态为“已登记”，不能销号；当前没有您可执行的操作
    >>> village = Actor(user_id=3, name="村", role="commander", scope_code="530424001001")
    >>> try:
    ...     check(village, "resolve", state="on_site", handling_level=2, held_by="县司法局")
    ... except Forbidden as refused:
    ...     print(refused)
    该案件由市级办理、已派给县司法局：办结须由承办单位或市级办理人员填写；您在村社区级
    """
    rule = RULES.get(action)
    if rule is None:
        raise unknown_action()
    if state not in rule.sources or not _extra_ok(action, state, handling_level):
        allowed = allowed_actions(
            state,
            handling_level=handling_level,
            actor=actor,
            supervised_until=supervised_until,
            now=now,
            dispatched_unit=dispatched_unit,
        )
        offered = "、".join(RULES[name].label for name in allowed)
        raise Conflict(
            _state_refusal(action, state, handling_level)
            + (f"；当前可执行：{offered}" if offered else "；当前没有您可执行的操作"),
            allowed=allowed,
        )
    if action == "supervision_reply" and supervised_until is None:
        raise Conflict(
            "该案件没有上级督办，无需督办回复；办理情况请用处置反馈",
            allowed=allowed_actions(
                state,
                handling_level=handling_level,
                actor=actor,
                supervised_until=None,
                now=now,
                dispatched_unit=dispatched_unit,
            ),
        )
    if actor.role not in rule.roles:
        raise Forbidden(f"{Role.label_of(actor.role)}不能{rule.label}")
    if not _level_ok(level_rule(action, state), actor, handling_level, dispatched_unit):
        raise Forbidden(_level_refusal(rule, actor.level, handling_level, held_by))
    if (
        action == "supervise"
        and supervised_until is not None
        and supervision_stands(supervised_until, now)
    ):
        raise Conflict(
            supervision_refusal(supervised_until),
            allowed=allowed_actions(
                state,
                handling_level=handling_level,
                actor=actor,
                supervised_until=supervised_until,
                now=now,
                dispatched_unit=dispatched_unit,
            ),
        )
    return target_state(action, state, outcome=outcome)


def _state_refusal(action: str, state: str, handling_level: int) -> str:
    """Say why ``action`` is not possible from ``state`` (a 退回 in terms of its 派单).

    Examples
    --------
    >>> _state_refusal("archive", "registered", 4)
    '案件当前状态为“已登记”，不能销号'
    >>> _state_refusal("return", "resolved", 4)
    '该案件已办结，派单已完成，不能再退回'
    >>> _state_refusal("escalate", "registered", 1)
    '该案件已由省级办理，不能再上报'
    """
    rule = RULES[action]
    if state in rule.sources:
        return f"该案件已由{Level(handling_level).label}级办理，不能再{rule.label}"
    if action == "return" and state in RETURN_REFUSALS:
        return RETURN_REFUSALS[state]
    return f"案件当前状态为“{S.label_of(state)}”，不能{rule.label}"


def _level_refusal(
    rule: Rule, actor_level: int, handling_level: int, held_by: str | None = None
) -> str:
    """Say why the actor's level may not take an action on a case of ``handling_level``."""
    case_level, own = Level(handling_level).label, Level(actor_level).label
    if rule is RULES["supervision_reply"]:  # the answer to a superior's 督办, not a dispatch's work
        by = f"{case_level}级或承办单位（{held_by}）" if held_by else f"{case_level}级"
        return f"{rule.label}须由办理该案件的{by}填写：您在{own}级"
    if rule.level is LevelRule.DISPATCH:
        above = "（上级可督办、催办或提级办理）" if actor_level < handling_level else ""
        # a 退回 is asked for by who holds the 派单, not filled in as a 办结 is
        made = "提出" if rule is RULES["return"] else "填写"
        if held_by:
            return (
                f"该案件由{case_level}级办理、已派给{held_by}：{rule.label}须由承办单位或"
                f"{case_level}级办理人员{made}；您在{own}级{above}"
            )
        return (
            f"该案件由{case_level}级办理：{rule.label}须由{case_level}级办理人员{made}；"
            f"您在{own}级{above}"
        )
    if rule.level in (LevelRule.AT, LevelRule.HANDLING):
        return f"{rule.label}须由办理该案件的{case_level}级填写：您在{own}级"
    if rule.level is LevelRule.ABOVE:
        after = "，或派单后由派单的本级发起" if rule is RULES["remind"] else ""
        said = f"{rule.label}须由上级发起{after}：该案件由{case_level}级办理，您在{own}级"
        if rule is RULES["supervise"] and actor_level == handling_level < 5:
            # the city's own case, just 上报'd to it: hand it down and supervise (trial AZ m8)
            said += "；如需下级限期办理，请用「交办并督办」一步完成（即先交办给下级，再督办）"
        return said
    return f"该案件由{case_level}级办理，{own}级不能{rule.label}，请由{case_level}级或其上级办理"
