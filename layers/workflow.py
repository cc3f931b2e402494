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
from enum import Enum

from geo.codes import division_level
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


OPERATORS = frozenset({Role.COMMANDER, Role.DISPATCHER})
FIELD = frozenset({Role.COMMANDER, Role.DISPATCHER, Role.GRID_WORKER, Role.DEPARTMENT})


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
    "accept": Rule(_states(S.DISPATCHED), S.ACCEPTED, FIELD, LevelRule.ANY, "受理"),
    "arrive": Rule(_states(S.ACCEPTED), S.ON_SITE, FIELD, LevelRule.ANY, "到场"),
    "resolve": Rule(
        _states(S.ACCEPTED, S.ON_SITE, S.LEGAL_ROUTE), S.RESOLVED, FIELD, LevelRule.ANY, "办结"
    ),
    "evaluate": Rule(_states(S.RESOLVED), S.EVALUATED, OPERATORS, LevelRule.ANY, "评价"),
    "visit": Rule(_states(S.RESOLVED, S.EVALUATED), S.VISITED, FIELD, LevelRule.ANY, "回访"),
    "archive": Rule(
        _states(S.EVALUATED, S.VISITED), S.ARCHIVED, OPERATORS, LevelRule.AT_OR_ABOVE, "销号"
    ),
    "reopen": Rule(
        _states(S.RESOLVED, S.EVALUATED, S.VISITED, S.ARCHIVED),
        S.TRIAGED,
        OPERATORS,
        LevelRule.AT_OR_ABOVE,
        "重新办理",
    ),
    "return": Rule(
        _states(S.DISPATCHED, S.ACCEPTED, S.ON_SITE), S.TRIAGED, FIELD, LevelRule.ANY, "退回"
    ),
    # what the handler did so far, before 办结 (the flow's "feedback"): a note in the timeline
    "feedback": Rule(
        _states(S.ACCEPTED, S.ON_SITE, S.LEGAL_ROUTE), None, FIELD, LevelRule.ANY, "处置反馈"
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
    "summon": Rule(OPEN_STATES, None, OPERATORS, LevelRule.AT_OR_ABOVE, "吹哨"),
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
    # what is to be redone: the worker the case goes to next reads it (trial AH S2, M4)
    "reopen": "重新办理原因",
    # the level above takes the case over and must read why (the brief's 上报原因, the desk's
    # 上报来：…；说明：…), as a 综治 case system asks
    "escalate": "上报原因",
    # what was done, beside the 办结结果 chosen: the desk reads it before 评价、回访、销号; the
    # legal route's 办结 too (调解不成: what was tried; 法治化途径办结: how it ended)
    "resolve": "办结说明",
}

#: Actions a grid-worker account may take only on a case dispatched to its own worker record.
OWN_DISPATCH_ACTIONS = frozenset({"accept", "arrive", "feedback", "resolve", "return"})

#: Chinese names of every action written to the event log (the table's and the system's).
ACTION_LABELS: dict[str, str] = {
    "register": "登记",
    "import": "导入",
    "repeat_linked": "关联重复反映",
    "repeat_unlinked": "解除重复反映关联",
    "rehomed": "区划网格调整",
    **{name: rule.label for name, rule in RULES.items()},
}
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


def _level_ok(rule: LevelRule, actor_level: int, handling_level: int) -> bool:
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


def allowed_actions(state: str, *, handling_level: int, actor: Actor | None = None) -> list[str]:
    """Return the actions possible from ``state`` (for ``actor``, if given), in table order.

    Parameters
    ----------
    state : str
        Current state.
    handling_level : int
        The case's handling level.
    actor : Actor, optional
        Restrict to what this actor's role and level permit.

    Returns
    -------
    list of str
        Action names.

    Examples
    --------
    >>> allowed_actions("dispatched", handling_level=4)
    ['accept', 'return', 'escalate', 'remind', 'supervise', 'summon']
    """
    names = []
    for name, rule in RULES.items():
        if state not in rule.sources or not _extra_ok(name, state, handling_level):
            continue
        if actor is not None and (
            actor.role not in rule.roles
            or not _level_ok(level_rule(name, state), actor.level, handling_level)
        ):
            continue
        names.append(name)
    return names


def check(
    actor: Actor, action: str, *, state: str, handling_level: int, outcome: str | None = None
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
        The action is not possible from the current state; ``allowed`` lists those that are.

    Examples
    --------
    >>> worker = Actor(user_id=2, name="李", role="grid_worker", scope_code="530424100001")
    >>> check(worker, "archive", state="registered", handling_level=4)
    Traceback (most recent call last):
    ...
    layers.errors.Conflict: 案件当前状态为“已登记”，不能销号；当前没有您可执行的操作
    """
    rule = RULES.get(action)
    if rule is None:
        raise unknown_action()
    if state not in rule.sources or not _extra_ok(action, state, handling_level):
        allowed = allowed_actions(state, handling_level=handling_level, actor=actor)
        now = "、".join(RULES[name].label for name in allowed)
        why = (
            f"该案件已由{Level(handling_level).label}级办理，不能再{rule.label}"
            if state in rule.sources
            else f"案件当前状态为“{S.label_of(state)}”，不能{rule.label}"
        )
        raise Conflict(
            why + (f"；当前可执行：{now}" if now else "；当前没有您可执行的操作"),
            allowed=allowed,
        )
    if actor.role not in rule.roles:
        raise Forbidden(f"{Role.label_of(actor.role)}不能{rule.label}")
    if not _level_ok(level_rule(action, state), actor.level, handling_level):
        raise Forbidden(_level_refusal(rule, actor.level, handling_level))
    return target_state(action, state, outcome=outcome)


def _level_refusal(rule: Rule, actor_level: int, handling_level: int) -> str:
    """Say why the actor's level may not take an action on a case of ``handling_level``."""
    case_level, own = Level(handling_level).label, Level(actor_level).label
    if rule.level is LevelRule.ABOVE:
        after = "，或派单后由派单的本级发起" if rule is RULES["remind"] else ""
        return f"{rule.label}须由上级发起{after}：该案件由{case_level}级办理，您在{own}级"
    return f"该案件由{case_level}级办理，{own}级不能{rule.label}，请由{case_level}级或其上级办理"
