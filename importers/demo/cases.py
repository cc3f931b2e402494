"""Synthetic cases over two years: disputes, safety hazards and public opinion, with hot spots.

Where cases happen (the *sources*; the demo prints which units they fall in):

* ``background`` — everywhere, in proportion to the grids' resident population;
* ``county_seat`` — the county seat's central community: a **persistent** hot spot;
* ``town_seats`` — every township seat;
* ``markets`` — the periodic markets (赶街) at township seats, busier on market days (every
  sixth day);
* ``roads`` — the roads from the county seat to the township seats, where they run inside the
  county (traffic disputes, hazards);
* ``emerging`` — a new industrial site in the second township: nothing in the first year, then
  labour-wage disputes growing month by month: an **emerging / new** hot spot;
* ``intensifying`` — the market of the third township: steadily more consumer disputes over the
  two years: an **intensifying** hot spot;
* ``diminishing`` — a demolition area at the edge of the county seat: many land and demolition
  disputes in the first eight months, fading to none after fourteen: a **diminishing** (then
  historical) hot spot.

The workflow of each case is simulated from registration on (register → triage → dispatch →
accept → arrive → resolve → evaluate → visit → archive, with escalations to the level above,
failed mediation taking the legal route, and reminders/supervision orders on overdue cases),
stopping at the reference time: old cases are archived, recent ones are spread over the workflow.
Every event moves the case from the state the previous event left it in, as
:mod:`layers.workflow` allows, with the note and payload the console's action records: a 派单
says the task (its 派单说明) and goes to the bureau of the matter (消费维权 to 市场监管, 劳资欠薪
to 人社 …), a 回访 gives a 满意度 (lower for a case closed late), a 不满意 one is 销号'd with its
reason. Each event names who did it as the console's timeline names a live action's actor, by
the display name of the account that would have acted (:func:`importers.demo.users.account_name`):
a level's centre acts through its 指挥中心值班员 (华宁县指挥中心值班员), a township's through its
乡镇调度员; a dispatch's work is its grid worker's (by name), its department's (县住建局) or its
unit's; a grid worker reports what he finds and makes the 回访 of his grid's cases.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from shapely.geometry.base import BaseGeometry

from geo.codes import division_level
from importers.demo.geometry import along_inside, jitter_inside, random_points_in, settle
from importers.demo.names import person_name, phone_number
from importers.demo.plan import DemoScale
from importers.demo.staff import CITY_DEPARTMENTS, COUNTY_DEPARTMENTS, DEPARTMENTS, StaffMember
from importers.demo.territory import Territory
from importers.demo.users import account_name, operator_role
from layers.china_time import CHINA
from layers.deadlines import limits_for
from layers.model import (
    AssigneeKind,
    CaseState,
    Category,
    Channel,
    DispatchStatus,
    DisputeType,
    Role,
    WorkerRole,
    WorkerStatus,
)

S = CaseState
D = DisputeType
FloatArray = npt.NDArray[np.float64]
MONTH_DAYS = 365.0 / 12.0

HAZARD_TYPES = {
    "fire": "消防安全隐患",
    "road": "道路交通隐患",
    "building": "房屋建筑隐患",
    "gas": "燃气安全隐患",
    "geology": "地质灾害隐患",
    "waterlogging": "内涝积水",
    "power_line": "电力设施隐患",
    "power_outage": "停电断电",
    "missing_person": "人员走失",
    "other_hazard": "其他安全隐患",
}
OPINION_TYPES = {
    "infrastructure": "基础设施",
    "sanitation": "环境卫生",
    "public_service": "公共服务",
    "policy": "政策咨询",
}
_HOURS = np.array(
    [1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 2, 4, 6, 7, 7, 6, 5, 6, 7, 7, 6, 5, 4, 3, 2.5, 2, 1.5]
)
_CHANNELS: dict[str, dict[str, float]] = {
    Category.DISPUTE: {
        Channel.GRID_WORKER: 0.34, Channel.HOTLINE_12345: 0.2, Channel.WALK_IN: 0.11,
        Channel.PHONE: 0.08, Channel.NON_POLICE_110: 0.08, Channel.ONLINE: 0.06,
        Channel.PETITION: 0.03, Channel.LETTER: 0.02, Channel.SUPERIOR: 0.03,
        Channel.SUBORDINATE: 0.03, Channel.VIDEO: 0.02,
    },
    Category.SAFETY_HAZARD: {
        Channel.GRID_WORKER: 0.5, Channel.VIDEO: 0.15, Channel.HOTLINE_12345: 0.15,
        Channel.PHONE: 0.1, Channel.ONLINE: 0.1,
    },
    Category.PUBLIC_OPINION: {
        Channel.GRID_WORKER: 0.35, Channel.HOTLINE_12345: 0.35, Channel.ONLINE: 0.2,
        Channel.LETTER: 0.05, Channel.WALK_IN: 0.05,
    },
}  # fmt: skip
_NO_REPORTER = {Channel.VIDEO, Channel.SUPERIOR, Channel.SUBORDINATE}
_DESCRIPTIONS: dict[str, str] = {
    D.MARRIAGE_FAMILY: "夫妻因家庭琐事及子女抚养问题多次争吵，一方请求调解。",
    D.NEIGHBOURS: "两户因宅基地界址、排水沟走向发生争执，双方情绪激动。",
    D.LAND: "村民之间因承包地、林地界线不清发生纠纷，请求村委会调处。",
    D.LABOUR_WAGES: "务工人员反映工程款结算后仍被拖欠工资，要求协调支付。",
    D.PROPERTY_MANAGEMENT: "小区业主与物业公司因物业费、停车管理问题产生矛盾。",
    D.MEDICAL: "患者家属对诊疗结果有异议，与医疗机构协商未果。",
    D.TRAFFIC: "道路发生轻微交通事故，双方就赔偿金额未达成一致。",
    D.DEMOLITION: "被征收户对补偿标准和安置方案有异议，多次到现场反映。",
    D.ENVIRONMENT: "群众反映周边企业噪声、粉尘影响生活，要求整改。",
    D.CONSUMER: "消费者在集市购买的商品存在质量问题，与商户协商退换未果。",
    D.LOANS_CONTRACTS: "双方因民间借贷到期未还款发生纠纷，请求调解。",
    D.OTHER: "群众反映的其他矛盾纠纷，需进一步核实。",
}
_OUTCOME_NOTES = {
    "mediated": "经调解双方达成一致，签订调解协议。",
    "resolved": "问题已处置完毕。",
    "not_substantiated": "经核实，反映情况不属实。",
    "mediation_failed": "调解不成，引导当事人通过法律途径解决。",
    "legal_concluded": "经法律途径处理完毕。",
}
#: The bureaus (keys of :data:`importers.demo.staff.COUNTY_DEPARTMENTS`, the city's alike) a
#: case of each sub-category goes to when its level gives it to a department; a sub-category
#: none of them handles (环境污染, 消防, 电力, 公共服务 …) goes to the township's centre instead.
_BUREAUS: dict[str, tuple[str, ...]] = {
    D.MARRIAGE_FAMILY: ("justice",), D.NEIGHBOURS: ("justice",), D.LAND: ("land",),
    D.LABOUR_WAGES: ("labour",), D.PROPERTY_MANAGEMENT: ("housing",), D.MEDICAL: ("justice",),
    D.TRAFFIC: ("police",), D.DEMOLITION: ("housing", "land"), D.CONSUMER: ("market",),
    D.LOANS_CONTRACTS: ("justice",), D.OTHER: ("justice",),
    "road": ("police",), "building": ("housing",), "gas": ("housing",), "geology": ("land",),
    "waterlogging": ("housing",), "missing_person": ("police",),
    "infrastructure": ("housing",), "sanitation": ("housing",),
}  # fmt: skip
#: What a dispatcher writes on a 派单 to a grid worker, by category; to a worker or a unit, on a
#: dispute of a high risk (1 重大, 2 较大).
_WORKER_NOTES: dict[str, str] = {
    Category.DISPUTE: "请于2日内联系双方当事人了解情况，就地开展调解，办理情况及时反馈",
    Category.SAFETY_HAZARD: "请尽快到现场核查，设置警示，能当场整改的督促整改，处置情况拍照反馈",
    Category.PUBLIC_OPINION: "请核实群众反映的情况，能现场解决的现场解决，并向反映人答复",
}
_URGENT_NOTE = "风险等级较高，请立即组织到场稳控，防止矛盾激化，处置情况随时报告"
#: … on a 派单 to a unit's centre, by category; on one to a department (the matter's type named).
_UNIT_NOTES: dict[str, str] = {
    Category.DISPUTE: "请组织人民调解员开展调解，按时限办结并反馈结果",
    Category.SAFETY_HAZARD: "请组织网格员现场核查处置，按时限办结并反馈结果",
    Category.PUBLIC_OPINION: "请核实情况并向反映人答复，按时限办结并反馈结果",
}
_DEPARTMENT_NOTE = "属{label}事项，请依职责核查处理，按时限反馈办理结果"
#: The 满意度 of a 回访 (:data:`layers.cases.SATISFACTION_LABELS`: 5 非常满意 … 1 不满意) and their
#: shares, for a case closed within its time limit and for one closed late (or found not
#: substantiated, or rated 不满意 at its 评价).
_VISIT_RATINGS = (5, 4, 3, 2, 1)
_VISIT_SHARES = {
    "on_time": (0.12, 0.70, 0.13, 0.03, 0.02),
    "late": (0.04, 0.50, 0.28, 0.10, 0.08),
}
#: What the 回访 says (回访情况), by 满意度.
_VISIT_NOTES = {
    5: "回访当事人，对处理结果非常满意",
    4: "回访当事人，对处理结果满意，无异议",
    3: "回访当事人，对处理结果基本满意，希望今后办理再快一些",
    2: "回访当事人，对处理结果不太满意，认为办理时间过长",
    1: "回访当事人，对处理结果不满意，认为诉求未得到解决",
}
#: The reason of the 销号 after a 不满意 回访 (说明原因后销号, :mod:`layers.unsatisfied_visits`).
_UNSATISFIED_ARCHIVE = "已向当事人解释处理依据和政策规定，其诉求超出政策范围，说明原因后销号"


SOURCE_LABELS: dict[str, str] = {
    "background": "全域散发",
    "county_seat": "县城",
    "town_seats": "乡镇驻地",
    "markets": "集市",
    "roads": "道路沿线",
    "emerging": "新出现的热点",
    "intensifying": "增强的热点",
    "diminishing": "消退的热点",
}
"""Each source's name as the demo's report says it."""


@dataclass(frozen=True)
class Source:
    """Where and when one kind of case happens.

    Attributes
    ----------
    name : str
        Source name (see the module docstring).
    centres : numpy.ndarray
        ``(k, 2)`` lon/lat of its centres (empty for ``background`` and ``roads``).
    sigma_m : float
        Spread around a centre, metres.
    monthly : numpy.ndarray
        Relative intensity per month of the history.
    where : str
        Human-readable location (unit names), for the demo's report.
    """

    name: str
    centres: FloatArray
    sigma_m: float
    monthly: FloatArray
    where: str


@dataclass
class EventRecord:
    """One case event."""

    at: datetime
    actor_name: str
    action: str
    from_state: str | None
    to_state: str | None
    note: str | None = None
    payload: dict[str, Any] | None = None


@dataclass
class DispatchRecord:
    """One dispatch of a case."""

    assignee_kind: str
    worker: int | None
    unit_code: str | None
    department: str | None
    assigned_at: datetime
    accepted_at: datetime | None
    arrived_at: datetime | None
    finished_at: datetime | None
    status: str


@dataclass
class CaseRecord:
    """One case with its events and dispatches (local indices for workers and duplicates)."""

    code: str
    external_no: str | None
    channel: str
    category: str
    subcategory: str
    title: str
    description: str
    risk_level: int
    point: tuple[float, float]
    address: str
    area_code: str
    grid_code: str
    state: str
    handling_level: int
    reported_at: datetime
    registered_at: datetime
    contact_deadline: datetime
    deadline: datetime | None
    supervision_deadline: datetime | None
    closed_at: datetime | None
    reporter_name: str | None
    reporter_phone: str | None
    duplicate_of: int | None
    repeat_count: int
    source: str
    events: list[EventRecord] = field(default_factory=list)
    dispatches: list[DispatchRecord] = field(default_factory=list)


@dataclass(frozen=True)
class _Draft:
    at: datetime
    point: tuple[float, float]
    category: str
    subcategory: str
    source: str


def _months(years: int) -> int:
    return 12 * years


def build_sources(territory: Territory, years: int, rng: np.random.Generator) -> list[Source]:
    """Return the demo's case sources, including the evolving hot spots.

    Parameters
    ----------
    territory : Territory
        Units and their seats.
    years : int
        Length of the history (the evolving hot spots are laid out on two years and stretched).
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    list of Source
        Sources by name order of the module docstring.
    """
    n = _months(years)
    m = np.arange(n, dtype=np.float64)
    frac = m / max(n - 1, 1)
    flat = np.ones(n)
    towns = territory.townships
    county = territory.county

    def xy(p: Any) -> FloatArray:
        return np.array([[p.x, p.y]])

    villages_of = {
        t.code: [v for v in territory.villages if v.parent_code == t.code] for t in towns
    }
    second = towns[1 % len(towns)]
    third = towns[2 % len(towns)]
    first_vs = villages_of[towns[0].code]
    emerging_v = villages_of[second.code][-1]
    demolition_v = first_vs[1] if len(first_vs) > 1 else first_vs[0]
    market_centres = np.array(
        [[t.seat.x, t.seat.y] for t in towns if t.code[6] != "0"]
        or [[county.seat.x, county.seat.y]]
    )
    market_centres = jitter_inside(market_centres, 250.0, county.boundary, rng)
    third_market = jitter_inside(xy(third.seat), 250.0, county.boundary, rng)
    emerging = np.clip((frac - 0.5) * 2.0, 0.0, None) ** 1.3 * 2.5
    emerging[frac < 0.5] = 0.0
    diminishing = np.interp(frac, [0.0, 0.33, 0.58, 1.0], [2.0, 2.0, 0.0, 0.0])
    return [
        Source("background", np.zeros((0, 2)), 0.0, flat, f"{county.name}全域"),
        Source("county_seat", xy(county.seat), 350.0, flat, f"{towns[0].name}（县城中心）"),
        Source(
            "town_seats",
            np.array([[t.seat.x, t.seat.y] for t in towns]),
            300.0,
            flat,
            "各乡镇（街道）驻地",
        ),
        Source("markets", market_centres, 150.0, flat, "各乡镇集市"),
        Source("roads", np.zeros((0, 2)), 60.0, flat, "县城至各乡镇道路"),
        Source(
            "emerging",
            random_points_in(emerging_v.boundary, 1, rng),
            250.0,
            emerging,
            f"{second.name}{emerging_v.name}（新建工业园区，第二年出现并增长）",
        ),
        Source(
            "intensifying",
            third_market,
            180.0,
            0.4 + 1.6 * frac,
            f"{third.name}集市（两年间持续增强）",
        ),
        Source(
            "diminishing",
            random_points_in(demolition_v.boundary, 1, rng),
            300.0,
            diminishing,
            f"{towns[0].name}{demolition_v.name}（征地拆迁片区，第一年后消退）",
        ),
    ]


#: Share of each source per category (the sources of a category sum to 1).
_SHARES: dict[str, dict[str, float]] = {
    Category.DISPUTE: {
        "background": 0.40, "county_seat": 0.17, "town_seats": 0.12, "markets": 0.08,
        "roads": 0.06, "emerging": 0.06, "intensifying": 0.05, "diminishing": 0.06,
    },
    Category.SAFETY_HAZARD: {"background": 0.5, "roads": 0.3, "markets": 0.2},
    Category.PUBLIC_OPINION: {"background": 0.6, "town_seats": 0.25, "county_seat": 0.15},
}  # fmt: skip
_SUBCATS: dict[str, dict[str, float]] = {
    "background": {
        D.NEIGHBOURS: 0.22, D.MARRIAGE_FAMILY: 0.18, D.LAND: 0.15, D.LABOUR_WAGES: 0.1,
        D.LOANS_CONTRACTS: 0.08, D.PROPERTY_MANAGEMENT: 0.05, D.TRAFFIC: 0.06, D.CONSUMER: 0.05,
        D.MEDICAL: 0.02, D.ENVIRONMENT: 0.03, D.DEMOLITION: 0.02, D.OTHER: 0.04,
    },
    "county_seat": {
        D.PROPERTY_MANAGEMENT: 0.25, D.CONSUMER: 0.2, D.LABOUR_WAGES: 0.15, D.NEIGHBOURS: 0.15,
        D.MARRIAGE_FAMILY: 0.1, D.LOANS_CONTRACTS: 0.1, D.OTHER: 0.05,
    },
    "town_seats": {
        D.NEIGHBOURS: 0.25, D.MARRIAGE_FAMILY: 0.2, D.LAND: 0.15, D.LABOUR_WAGES: 0.1,
        D.CONSUMER: 0.1, D.LOANS_CONTRACTS: 0.1, D.OTHER: 0.1,
    },
    "markets": {D.CONSUMER: 0.5, D.NEIGHBOURS: 0.2, D.OTHER: 0.15, D.TRAFFIC: 0.15},
    "roads": {D.TRAFFIC: 0.8, D.OTHER: 0.2},
    "emerging": {D.LABOUR_WAGES: 0.7, D.PROPERTY_MANAGEMENT: 0.1, D.ENVIRONMENT: 0.2},
    "intensifying": {D.CONSUMER: 0.6, D.NEIGHBOURS: 0.25, D.OTHER: 0.15},
    "diminishing": {D.DEMOLITION: 0.7, D.LAND: 0.3},
}  # fmt: skip
_HAZARD_SUBCATS: dict[str, dict[str, float]] = {
    "background": {
        "fire": 0.35, "building": 0.25, "gas": 0.15, "geology": 0.1, "other_hazard": 0.15,
    },
    "roads": {"road": 0.85, "geology": 0.15},
    "markets": {"fire": 0.5, "gas": 0.3, "road": 0.2},
}  # fmt: skip
_OPINION_SUBCATS = {
    "infrastructure": 0.35,
    "sanitation": 0.3,
    "public_service": 0.2,
    "policy": 0.15,
}


def _choice(rng: np.random.Generator, weights: dict[str, float], size: int) -> list[str]:
    keys = list(weights)
    p = np.array([weights[k] for k in keys])
    # the draw of rng.choice(len(keys), size=size, p=p / p.sum()), the same numbers taken from
    # rng, without its checks of p (about 30 µs a call, once per case)
    cdf = (p / p.sum()).cumsum()
    cdf /= cdf[-1]
    return [keys[int(i)] for i in cdf.searchsorted(rng.random(size), side="right")]


def _times(
    monthly: FloatArray,
    count: int,
    start: datetime,
    now: datetime,
    rng: np.random.Generator,
    market_days: bool = False,
) -> list[datetime]:
    n = len(monthly)
    season = 1.0 + 0.2 * np.cos(2 * np.pi * ((np.arange(n) + start.month - 1) % 12) / 12.0)
    w = monthly * season
    if count == 0 or w.sum() <= 0:
        return []
    per_month = rng.multinomial(count, w / w.sum())
    hours_p = _HOURS / _HOURS.sum()
    span_days = (now - start).total_seconds() / 86400.0
    out: list[datetime] = []
    for month, k in enumerate(per_month):
        if k == 0:
            continue
        day0 = month * MONTH_DAYS
        days = day0 + rng.uniform(0, MONTH_DAYS, int(k))
        if market_days:
            on_market = rng.random(int(k)) < 0.6
            days = np.where(on_market, np.floor(days / 6.0) * 6.0, days)
        days = np.floor(np.minimum(days, span_days - 1.0))
        hours = rng.choice(24, size=int(k), p=hours_p)
        minutes = rng.uniform(0, 60, int(k))
        for d, h, mi in zip(days, hours, minutes, strict=True):
            at = start + timedelta(days=float(d), hours=float(h), minutes=float(mi))
            out.append(min(at, now - timedelta(minutes=5)))
    return out


def road_centres(territory: Territory, count: int, rng: np.random.Generator) -> FloatArray:
    """Return points along the roads from the county seat to the township seats.

    The roads are straight lines cut to the county: where a line crosses a neighbouring county,
    that stretch is not the county's road.

    Parameters
    ----------
    territory : Territory
        The county and its township seats.
    count : int
        Number of points.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    numpy.ndarray
        ``(count, 2)`` lon/lat inside the county.
    """
    county = territory.county
    seat = county.seat
    ends = [t.seat for t in territory.townships if not t.seat.equals(seat)] or [seat]
    seg = rng.integers(len(ends), size=count)
    t = rng.random(count)
    return along_inside(
        np.array([seat.x, seat.y]), np.array([[e.x, e.y] for e in ends]), county.boundary, t, seg
    )


def _road_points(territory: Territory, count: int, rng: np.random.Generator) -> FloatArray:
    centres = road_centres(territory, count, rng)
    return jitter_inside(centres, 60.0, territory.county.boundary, rng)


def _drafts(
    territory: Territory,
    sources: list[Source],
    scale: DemoScale,
    start: datetime,
    now: datetime,
    rng: np.random.Generator,
) -> list[_Draft]:
    yearly = {
        Category.DISPUTE: scale.disputes_per_year,
        Category.SAFETY_HAZARD: scale.hazards_per_year,
        Category.PUBLIC_OPINION: scale.opinions_per_year,
    }
    by_name = {s.name: s for s in sources}
    grids = territory.grids
    gw = np.array([g.weight for g in grids])
    drafts: list[_Draft] = []
    for category, per_year in yearly.items():
        total = per_year * scale.years
        for name, share in _SHARES[category].items():
            src = by_name[name]
            count = round(total * share)
            times = _times(
                src.monthly, count, start, now, rng, market_days=name in ("markets", "intensifying")
            )
            k = len(times)
            if k == 0:
                continue
            if name == "background":
                chosen = rng.choice(len(grids), size=k, p=gw / gw.sum())
                pts = np.zeros((k, 2))
                for gi in np.unique(chosen):
                    idx = np.flatnonzero(chosen == gi)
                    pts[idx] = random_points_in(grids[int(gi)].boundary, len(idx), rng)
            elif name == "roads":
                pts = _road_points(territory, k, rng)
            else:
                centres = src.centres[rng.integers(len(src.centres), size=k)]
                pts = jitter_inside(centres, src.sigma_m, territory.county.boundary, rng)
            if category == Category.DISPUTE:
                subs = _choice(rng, _SUBCATS[name], k)
            elif category == Category.SAFETY_HAZARD:
                subs = _choice(rng, _HAZARD_SUBCATS[name], k)
            else:
                subs = _choice(rng, _OPINION_SUBCATS, k)
            for at, p, sub in zip(times, pts, subs, strict=True):
                drafts.append(_Draft(at, (float(p[0]), float(p[1])), str(category), sub, name))
    drafts.sort(key=lambda d: (d.at, d.point))
    return drafts


def _risk(rng: np.random.Generator, source: str, subcategory: str) -> int:
    p = [0.03, 0.09, 0.28, 0.60]
    if source == "diminishing" or subcategory in (D.DEMOLITION, "geology"):
        p = [0.1, 0.3, 0.4, 0.2]
    elif source == "emerging":
        p = [0.05, 0.2, 0.45, 0.3]
    return int(rng.choice([1, 2, 3, 4], p=p))


def _handling_level(rng: np.random.Generator, risk: int) -> int:
    if risk == 1:
        return 3 if rng.random() < 0.7 else 2
    if risk == 2:
        return 3
    if risk == 3:
        return 4
    return 5 if rng.random() < 0.7 else 4


def _hours(rng: np.random.Generator, median: float, spread: float = 0.8) -> timedelta:
    return timedelta(hours=float(median * math.exp(rng.normal(0.0, spread))))


@dataclass
class _Context:
    territory: Territory
    staff: list[StaffMember]
    staff_by_grid: dict[str, list[int]]
    staff_by_village: dict[str, list[int]]
    busy: set[int]
    now: datetime
    rng: np.random.Generator
    unit_names: dict[str, str]
    unit_shapes: dict[str, BaseGeometry]
    moved: list[tuple[CaseRecord, int]] = field(default_factory=list)
    """Open cases whose grid's worker was busy, given another (:func:`_share_open_cases`)."""


def build_cases(
    territory: Territory,
    staff: list[StaffMember],
    scale: DemoScale,
    now: datetime,
    rng: np.random.Generator,
) -> tuple[list[CaseRecord], list[Source]]:
    """Generate the case history of the demo county up to ``now``.

    Workers given an active dispatch are set to busy (``staff`` is updated in place) and moved
    near the case.

    Parameters
    ----------
    territory : Territory
        Units and grids.
    staff : list of StaffMember
        Workers (indices are referenced by dispatches).
    scale : DemoScale
        Yearly numbers and the length of the history.
    now : datetime
        Reference time (timezone-aware).
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    tuple
        The cases sorted by report time, and the sources used (for the report).
    """
    start = now - timedelta(days=365 * scale.years)
    sources = build_sources(territory, scale.years, rng)
    drafts = _drafts(territory, sources, scale, start, now, rng)
    grids = territory.grids
    points = np.array([d.point for d in drafts]) if drafts else np.zeros((0, 2))
    where, points = settle(points, [g.boundary for g in grids], rng)
    staff_by_grid: dict[str, list[int]] = {}
    staff_by_village: dict[str, list[int]] = {}
    for i, w in enumerate(staff):
        if w.home_grid is not None and w.role in (
            WorkerRole.GRID_WORKER,
            WorkerRole.PART_TIME,
            WorkerRole.GRID_LEADER,
        ):
            staff_by_grid.setdefault(w.home_grid, []).append(i)
            staff_by_village.setdefault(w.home_grid[:12], []).append(i)
    ctx = _Context(
        territory,
        staff,
        staff_by_grid,
        staff_by_village,
        set(),
        now,
        rng,
        {u.code: u.name for u in territory.units},
        {u.code: u.boundary for u in territory.units},
    )
    village_name = ctx.unit_names
    per_channel: dict[str, int] = {}
    last_in_grid: dict[tuple[str, str], int] = {}
    cases: list[CaseRecord] = []
    for i, (draft, gi, xy) in enumerate(zip(drafts, where, points, strict=True)):
        grid = grids[int(gi)]
        village = grid.village_code
        town = village[:9] + "000"
        channel = _choice(rng, _CHANNELS[draft.category], 1)[0]
        risk = _risk(rng, draft.source, draft.subcategory)
        # 一案一码 as the console gives it (layers.cases.register): county, day, a number
        code = f"{territory.county.code[:6]}-{draft.at.astimezone(CHINA):%Y%m%d}-{i + 1:08d}"
        external = None
        if channel in (Channel.HOTLINE_12345, Channel.NON_POLICE_110):
            per_channel[channel] = per_channel.get(channel, 0) + 1
            prefix = "12345" if channel == Channel.HOTLINE_12345 else "110"
            external = f"{prefix}-{territory.county.code[:6]}-{per_channel[channel]:06d}"
        duplicate_of = None
        key = (grid.code, draft.category)
        prev = last_in_grid.get(key)
        if (
            prev is not None
            and draft.category == Category.DISPUTE
            and cases[prev].subcategory == draft.subcategory
            and draft.at - cases[prev].reported_at < timedelta(days=20)
            and rng.random() < 0.5
        ):
            duplicate_of = prev
            cases[prev].repeat_count += 1
            risk = max(1, risk - 1)
        last_in_grid[key] = i
        label = (
            D.labels()[draft.subcategory]
            if draft.category == Category.DISPUTE
            else HAZARD_TYPES.get(draft.subcategory) or OPINION_TYPES[draft.subcategory]
        )
        description = _DESCRIPTIONS.get(draft.subcategory, f"群众反映{label}问题，请核实处置。")
        registered = draft.at + timedelta(minutes=float(rng.uniform(1, 30)))
        limits = limits_for(draft.category, risk)
        sex = "M" if rng.random() < 0.6 else "F"
        case = CaseRecord(
            code=code,
            external_no=external,
            channel=channel,
            category=draft.category,
            subcategory=draft.subcategory,
            title=f"{village_name[village]}{label}",
            description=description,
            risk_level=risk,
            point=(float(xy[0]), float(xy[1])),
            address=f"{village_name[town]}{village_name[village]}{grid.name}",
            area_code=village,
            grid_code=grid.code,
            state=S.REGISTERED,
            handling_level=_handling_level(rng, risk),
            reported_at=draft.at,
            registered_at=registered,
            contact_deadline=registered + limits.contact,
            deadline=registered + limits.close,
            supervision_deadline=None,
            closed_at=None,
            reporter_name=None if channel in _NO_REPORTER else person_name(rng, sex),
            reporter_phone=None if channel in _NO_REPORTER else phone_number(rng),
            duplicate_of=duplicate_of,
            repeat_count=0,
            source=draft.source,
        )
        _simulate(case, ctx)
        cases.append(case)
    _share_open_cases(cases, ctx)
    return cases, sources


def _level_code(case: CaseRecord, level: int) -> str:
    return {
        5: case.area_code,
        4: case.area_code[:9] + "000",
        3: case.area_code[:6] + "000000",
        2: case.area_code[:4] + "00000000",
        1: case.area_code[:2] + "0000000000",
    }[level]


def _level_unit(case: CaseRecord, level: int, names: dict[str, str]) -> str:
    code = _level_code(case, level)
    return names.get(code, code)


#: The actions a dispatch's assignee does (its worker's name moves with the dispatch).
_BY_ASSIGNEE = frozenset({"accept", "arrive", "resolve"})


def _grid_worker(case: CaseRecord, ctx: _Context) -> str | None:
    """Return the name of the case's grid's worker (the one a 派单 goes to), if it has one."""
    held = ctx.staff_by_grid.get(case.grid_code)
    return ctx.staff[held[0]].name if held else None


def _simulate(case: CaseRecord, ctx: _Context) -> None:
    """Walk the case through the workflow until the next step would be after ``now``."""
    now = ctx.now
    names = ctx.unit_names
    t = case.registered_at
    state: str = S.REGISTERED
    events = case.events

    def centre(level: int) -> str:
        """Return who acts for the centre of ``level`` on the case (an account's display name)."""
        return account_name(_level_unit(case, level, names), operator_role(level))

    # a grid worker registers what he finds on his round; the township's desk the rest
    found = _grid_worker(case, ctx) if case.channel == Channel.GRID_WORKER else None
    reporter = found or centre(4)
    events.append(EventRecord(t, reporter, "register", None, S.REGISTERED, "统一登记"))

    def step(
        action: str,
        after: timedelta,
        to: str,
        actor: str,
        note: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> bool:
        nonlocal t, state
        at = t + after
        if at >= now:
            return False
        events.append(EventRecord(at, actor, action, state, to, note, payload))
        t, state = at, to
        return True

    _walk(case, ctx, step, centre)
    case.state = state
    open_states = {
        S.REGISTERED,
        S.TRIAGED,
        S.DISPATCHED,
        S.ACCEPTED,
        S.ON_SITE,
        S.LEGAL_ROUTE,
        S.ESCALATED,
    }
    deadline = case.deadline
    if state in open_states and deadline is not None and deadline < now and case.handling_level > 1:
        above = max(1, case.handling_level - 1)
        # only a commander supervises (layers.workflow.RULES)
        commander = account_name(_level_unit(case, above, names), Role.COMMANDER)
        remind_at = max(deadline, t) + timedelta(days=1)
        if remind_at < now:
            events.append(
                EventRecord(remind_at, centre(above), "remind", state, state, "已超期，请加快办理")
            )
            supervise_at = remind_at + timedelta(days=4)
            if supervise_at < now and case.risk_level <= 3:
                supervision_deadline = supervise_at + timedelta(days=7)
                case.supervision_deadline = supervision_deadline
                events.append(
                    EventRecord(
                        supervise_at,
                        commander,
                        "supervise",
                        state,
                        state,
                        "请于督办时限内办结，并报送办理结果",
                        # by_unit, as layers.cases records it: the 调度台's card says 玉溪市督办
                        {
                            "deadline": supervision_deadline.isoformat(),
                            "by_unit": _level_code(case, above),
                        },
                    )
                )
    _finish_dispatch(case, ctx)


def _walk(case: CaseRecord, ctx: _Context, step: Any, centre: Any) -> bool:
    rng = ctx.rng
    level = case.handling_level
    if not step(
        "triage",
        _hours(rng, 2.0),
        S.TRIAGED,
        centre(min(level, 4)),
        f"分流至{_level_unit(case, level, ctx.unit_names)}办理",
        {"handling_level": level},
    ):
        return False
    if case.risk_level <= 2 and level > 1 and rng.random() < 0.4:
        level -= 1
        if not step(
            "escalate",
            _hours(rng, 6.0),
            S.ESCALATED,
            centre(level + 1),
            "风险较高，上报",
            {"from_level": level + 1, "to_level": level},  # as layers.cases.act records it
        ):
            return False
        case.handling_level = level
        if not step(
            "triage",
            _hours(rng, 8.0),
            S.TRIAGED,
            centre(level),
            "上级分流",
            {"handling_level": level},
        ):
            return False
    dispatch = _plan_dispatch(case, ctx, level)
    case.dispatches.append(dispatch)
    assignee = _assignee_name(dispatch, ctx)
    if not step(
        "dispatch",
        _hours(rng, 3.0),
        S.DISPATCHED,
        centre(min(level, 4)),
        _dispatch_note(case, dispatch),
        _dispatch_payload(dispatch),
    ):
        case.dispatches.clear()
        return False
    dispatch.assigned_at = case.events[-1].at
    if not step("accept", _hours(rng, 1.0), S.ACCEPTED, assignee):
        return False
    dispatch.accepted_at = case.events[-1].at
    if not step("arrive", _hours(rng, 4.0), S.ON_SITE, assignee):
        return False
    dispatch.arrived_at = case.events[-1].at
    mean_days = {1: 10.0, 2: 9.0, 3: 6.0, 4: 3.0}[case.risk_level]
    if rng.random() < 0.05:
        mean_days *= 8.0
    legal = case.category == Category.DISPUTE and rng.random() < 0.05
    outcome = (
        "mediation_failed"
        if legal
        else str(
            rng.choice(["mediated", "resolved", "not_substantiated"], p=[0.6, 0.33, 0.07])
            if case.category == Category.DISPUTE
            else rng.choice(["resolved", "not_substantiated"], p=[0.92, 0.08])
        )
    )
    resolve_after = timedelta(days=float(rng.exponential(mean_days)) + 0.1)
    if legal:
        route = str(rng.choice(["arbitration", "administrative_review", "litigation"]))
        if not step(
            "resolve",
            resolve_after,
            S.LEGAL_ROUTE,
            assignee,
            _OUTCOME_NOTES[outcome],
            {"outcome": outcome, "route": route},
        ):
            return False
        dispatch.finished_at = case.events[-1].at
        case.deadline = None  # as layers.cases.act: the legal route keeps its own time
        if not step(
            "resolve",
            timedelta(days=float(rng.uniform(30, 150))),
            S.RESOLVED,
            centre(level),  # the dispatch's work, by the level handling the case
            _OUTCOME_NOTES["legal_concluded"],
            {"outcome": "legal_concluded"},
        ):
            return False
    else:
        if not step(
            "resolve",
            resolve_after,
            S.RESOLVED,
            assignee,
            _OUTCOME_NOTES[outcome],
            {"outcome": outcome},
        ):
            return False
        dispatch.finished_at = case.events[-1].at
    case.closed_at = case.events[-1].at
    late = case.deadline is not None and case.closed_at > case.deadline
    # the console's scale (layers.cases.SATISFACTION_LABELS): 4 满意, 3 基本满意, 1 不满意
    satisfaction = int(rng.choice([4, 3, 1], p=[0.82, 0.15, 0.03]))
    if not step(
        "evaluate",
        timedelta(days=float(rng.uniform(0.5, 4))),
        S.EVALUATED,
        centre(level),  # the closing of the loop is the handling level's own
        "核实办理结果，当事人已签字确认",
        {"satisfaction": satisfaction},
    ):
        return False
    worse = late or outcome == "not_substantiated" or satisfaction == 1
    rating = _VISIT_RATINGS[_pick(rng, _VISIT_SHARES["late" if worse else "on_time"])]
    if not step(
        "visit",
        timedelta(days=float(rng.uniform(1, 10))),
        S.VISITED,
        _grid_worker(case, ctx) or centre(level),
        _VISIT_NOTES[rating],
        {"satisfaction": rating},  # as layers.cases.act records a 回访's 满意度
    ):
        return False
    return bool(
        step(
            "archive",
            timedelta(days=float(rng.uniform(1, 6))),
            S.ARCHIVED,
            centre(level),
            _UNSATISFIED_ARCHIVE if rating <= 2 else "销号",
        )
    )


def _pick(rng: np.random.Generator, shares: tuple[float, ...]) -> int:
    """Return the index of a share drawn by its weight (one uniform draw).

    >>> _pick(np.random.default_rng(0), (0.0, 1.0, 0.0))
    1
    """
    cdf = np.cumsum(shares)
    return min(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")), len(shares) - 1)


def _dispatch_note(case: CaseRecord, dispatch: DispatchRecord) -> str:
    """Return what the dispatcher writes on the 派单 (派单说明): the task, not whom it goes to.

    The worker, unit or department reads it on their task list (trial: 谢浩军 read
    「派单说明：派单至谢浩军」); the case's 派单记录 and timeline say whom it went to.
    """
    if dispatch.assignee_kind == AssigneeKind.DEPARTMENT:
        return _DEPARTMENT_NOTE.format(label=_type_label(case))
    if case.category == Category.DISPUTE and case.risk_level <= 2:
        return _URGENT_NOTE
    if dispatch.assignee_kind == AssigneeKind.WORKER:
        return _WORKER_NOTES[case.category]
    return _UNIT_NOTES[case.category]


def _dispatch_payload(dispatch: DispatchRecord) -> dict[str, Any]:
    """Return the 派单's payload as :func:`layers.dispatch.assign` records it.

    A worker's id is the database's: :func:`importers.demo.load.load_demo` adds ``worker_id``
    from the case's dispatch.
    """
    payload: dict[str, Any] = {"assignee_kind": str(dispatch.assignee_kind)}
    if dispatch.assignee_kind == AssigneeKind.UNIT:
        payload["unit_code"] = dispatch.unit_code
    elif dispatch.assignee_kind == AssigneeKind.DEPARTMENT:
        payload["department"] = dispatch.department
    return payload


def _type_label(case: CaseRecord) -> str:
    if case.category == Category.DISPUTE:
        return str(D.labels()[case.subcategory])
    return HAZARD_TYPES.get(case.subcategory) or OPINION_TYPES[case.subcategory]


def _plan_dispatch(case: CaseRecord, ctx: _Context, level: int) -> DispatchRecord:
    rng = ctx.rng
    kind: str
    worker: int | None = None
    unit: str | None = None
    department: str | None = None
    if level >= 4 and rng.random() < 0.8 and ctx.staff_by_grid.get(case.grid_code):
        kind = AssigneeKind.WORKER
        worker = ctx.staff_by_grid[case.grid_code][0]
    elif level >= 4:
        kind, unit = AssigneeKind.UNIT, case.area_code
    elif rng.random() < 0.7:
        # the bureau of the matter (the city's for a case the city or province handles); a
        # matter no bureau handles goes to the township
        draw = int(rng.integers(len(DEPARTMENTS)))
        bureaus = _BUREAUS.get(case.subcategory, ())
        if bureaus:
            names = dict(CITY_DEPARTMENTS if level <= 2 else COUNTY_DEPARTMENTS)
            kind, department = AssigneeKind.DEPARTMENT, names[bureaus[draw % len(bureaus)]]
        else:
            kind, unit = AssigneeKind.UNIT, case.area_code[:9] + "000"
    else:
        kind, unit = AssigneeKind.UNIT, case.area_code[:9] + "000"
    return DispatchRecord(
        kind,
        worker,
        unit,
        department,
        case.registered_at,
        None,
        None,
        None,
        DispatchStatus.ASSIGNED,
    )


def _assignee_name(dispatch: DispatchRecord, ctx: _Context) -> str:
    if dispatch.worker is not None:
        return ctx.staff[dispatch.worker].name
    if dispatch.department is not None:
        return dispatch.department
    unit = dispatch.unit_code or ""
    return account_name(ctx.unit_names.get(unit, unit), operator_role(division_level(unit)))


_ACTIVE: dict[str, str] = {
    S.DISPATCHED: DispatchStatus.ASSIGNED,
    S.ACCEPTED: DispatchStatus.ACCEPTED,
    S.ON_SITE: DispatchStatus.ARRIVED,
}


def _finish_dispatch(case: CaseRecord, ctx: _Context) -> None:
    """Set the dispatch status from the case state; one active dispatch per worker so far.

    :func:`_share_open_cases` then gives a handful of workers two or three.
    """
    if not case.dispatches:
        return
    d = case.dispatches[0]
    active = _ACTIVE.get(case.state)
    if active is None:
        d.status = DispatchStatus.FINISHED
        return
    d.status = active
    if d.worker is None:
        return
    if d.worker in ctx.busy:
        free = [w for w in ctx.staff_by_village.get(case.area_code, []) if w not in ctx.busy]
        if free:
            old, new = ctx.staff[d.worker].name, ctx.staff[free[0]].name
            ctx.moved.append((case, d.worker))
            d.worker = free[0]
            for e in case.events:
                if e.actor_name == old and e.action in _BY_ASSIGNEE:
                    e.actor_name = new
        else:
            old = ctx.staff[d.worker].name
            d.assignee_kind, d.worker, d.unit_code = AssigneeKind.UNIT, None, case.area_code
            unit = _assignee_name(d, ctx)
            for e in case.events:
                if e.actor_name == old and e.action in _BY_ASSIGNEE:
                    e.actor_name = unit
                if e.action == "dispatch":
                    e.payload, e.note = _dispatch_payload(d), _dispatch_note(case, d)
            return
    ctx.busy.add(d.worker)
    member = ctx.staff[d.worker]
    member.status = str(WorkerStatus.BUSY)
    near = jitter_inside(np.array([case.point]), 40.0, ctx.unit_shapes[member.area_code], ctx.rng)
    member.position = (float(near[0, 0]), float(near[0, 1]))
    member.last_seen_at = ctx.now - timedelta(seconds=float(ctx.rng.uniform(10, 400)))


def _share_open_cases(cases: list[CaseRecord], ctx: _Context) -> None:
    """Give a handful of open cases back to their grid's worker: he holds two or three.

    A worker holds up to :data:`layers.dispatch.OPEN_CASES_CAP` open cases; the simulation
    gave each at most one, a case whose grid's worker was busy going to a free worker of the
    village (:func:`_finish_dispatch`), so no desk of the demo showed 在办 2 件. Each such case
    goes back to its grid's worker while he holds fewer than the cap; the worker it leaves with
    none is on duty again. The cases, their states and dispatches stay as they were: only who
    holds them changes, decided without randomness (the generator's sequence is untouched).
    Then, in each village but the first, of two workers holding one case each, the later case
    goes to the worker of the earlier one (he covers the neighbouring grid). The grid-worker
    login's worker (the first grid worker of the first village,
    :func:`importers.demo.users.create_demo_users`) keeps what he was given.
    """
    first = ctx.territory.villages[0].code
    login = next(
        (
            i
            for i, w in enumerate(ctx.staff)
            if w.role == WorkerRole.GRID_WORKER and w.area_code == first
        ),
        None,
    )
    from layers.dispatch import OPEN_CASES_CAP

    held: dict[int, int] = {}
    for d in (d for case in cases for d in case.dispatches):
        if d.status in _ACTIVE.values() and d.worker is not None:
            held[d.worker] = held.get(d.worker, 0) + 1

    def give(case: CaseRecord, to: int) -> None:
        d = case.dispatches[0]
        given = d.worker
        assert given is not None
        new, old = ctx.staff[to].name, ctx.staff[given].name
        d.worker = to
        for e in case.events:
            if e.actor_name == old and e.action in _BY_ASSIGNEE:
                e.actor_name = new
        held[to] = held.get(to, 0) + 1
        held[given] -= 1
        ctx.busy.add(to)
        ctx.staff[to].status = str(WorkerStatus.BUSY)
        if held[given] == 0:
            ctx.busy.discard(given)
            ctx.staff[given].status = str(WorkerStatus.ON_DUTY)

    for case, own in ctx.moved:
        d = case.dispatches[0]
        if d.status not in _ACTIVE.values() or d.worker is None or login in (own, d.worker):
            continue
        if held.get(own, 0) < OPEN_CASES_CAP:
            give(case, own)
    single: dict[str, list[CaseRecord]] = {}
    for case in cases:
        one = case.dispatches[0] if case.dispatches else None
        if one is None or one.status not in _ACTIVE.values() or one.worker is None:
            continue
        if case.area_code != first and held.get(one.worker) == 1:
            single.setdefault(case.area_code, []).append(case)
    for village in sorted(single):
        pairs = single[village]
        for earlier, later in zip(pairs[::2], pairs[1::2], strict=False):
            worker = earlier.dispatches[0].worker
            assert worker is not None
            give(later, worker)
