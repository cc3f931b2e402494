"""Synthetic special-population records (GB/T 31000-2015 categories) and their follow-up visits.

Names are synthetic; resident IDs are checksum-valid (:func:`geo.codes.make_resident_id`) with the
county's region code for most people. Category shares, management levels and per-category
attributes follow the categories' usual make-up (many released prisoners and mental-health
patients, fewer people under community correction, few AIDS-risk records). The clear ID exists
only in memory: the loader stores its keyed hash, its mask and its sealed form.

Visit rules give an interval per category and management level. The register has a history
over the window of the case history (:func:`_register`): most records were put on record
(列管) long before it, some during it (a 社区矫正 on its first day, a 刑满释放 within days of the
release), and some left it during it (解除矫正, 期满解除帮教, 迁出, 死亡 …). Each person is
visited over the whole window, or from their first days on record (:func:`_visits`): mostly
on time, sometimes late; most visits find the person (见到本人), some reach them by phone or
video, some find them away (人户分离) and the worker comes back within days, and a few persons
are lost (失联) for good. A planner's 24-month 走访逐期统计 thus reads a register, visits of
every outcome and a few percent of persons overdue at each month's end.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

import numpy as np
from shapely.geometry.base import BaseGeometry

from geo.codes import make_resident_id
from importers.demo.geometry import jitter_inside, random_points_in
from importers.demo.names import person_name
from importers.demo.territory import Territory
from layers.model import PersonCategory, VisitOutcome
from layers.person_attributes import validate_attributes
from layers.person_closing import ended_reason
from layers.visits_due import DEFAULT_RULES

C = PersonCategory
V = VisitOutcome

#: Share of each category among the records.
CATEGORY_SHARES: dict[str, float] = {
    C.RELEASED: 0.27,
    C.CORRECTION: 0.12,
    C.MENTAL: 0.31,
    C.DRUG: 0.19,
    C.AIDS_RISK: 0.03,
    C.YOUTH: 0.08,
}
#: Share of management levels 1 (key), 2 (attention), 3 (routine) per category.
LEVEL_SHARES: dict[str, tuple[float, float, float]] = {
    C.RELEASED: (0.10, 0.30, 0.60),
    C.CORRECTION: (0.20, 0.40, 0.40),
    C.MENTAL: (0.15, 0.35, 0.50),
    C.DRUG: (0.15, 0.35, 0.50),
    C.AIDS_RISK: (0.20, 0.40, 0.40),
    C.YOUTH: (0.10, 0.30, 0.60),
}
#: Visit interval in days per (category, management level).
VISIT_RULES = DEFAULT_RULES
"""The demo follows the platform's default intervals (:data:`layers.visits_due.DEFAULT_RULES`)."""
#: Share of the records (but 社区矫正 and 刑满释放, put on record on their own day) first put on
#: record during the window; the others were on record long before it.
ADDED_SHARE = 0.12
#: Per category, the share of records that left the register during the window, and its
#: reasons (:data:`layers.person_closing.REASONS`) with their weights and 去向 / 说明.
ENDINGS: dict[str, tuple[float, tuple[tuple[str, float, str | None], ...]]] = {
    C.RELEASED: (
        0.05, (("期满解除帮教", 0.7, None), ("迁出", 0.2, "迁往昆明市"), ("死亡", 0.1, None))
    ),
    C.CORRECTION: (0.3, (("解除矫正", 1.0, None),)),
    C.MENTAL: (0.02, (("死亡", 0.5, None), ("迁出", 0.5, "随监护人迁往玉溪市红塔区"))),
    C.DRUG: (0.03, (("其他", 0.6, "戒断三年未复吸，解除管控"), ("迁出", 0.4, "迁往外省务工"))),
    C.AIDS_RISK: (0.02, (("迁出", 0.6, "迁往昆明市"), ("死亡", 0.4, None))),
    C.YOUTH: (0.05, (("其他", 0.7, "年满十八周岁，解除帮扶"), ("迁出", 0.3, "随父母迁往外县"))),
}  # fmt: skip
#: Share of the 社区矫正 drawn to end during the window whose correction ended in the last three
#: weeks and who await their 解除矫正 on the register (the 走访 tab's 矫正期已满待解除).
AWAITING_SHARE = 0.05
#: 安置帮教期 of a 刑满释放人员: five years from the release.
ASSISTANCE_DAYS = 5 * 365 + 1
#: Per category, the shares of the 走访结果 见到本人, 电话/视频联系, 人户分离, 失联.
OUTCOME_SHARES: dict[str, tuple[float, float, float, float]] = {
    C.RELEASED: (0.78, 0.13, 0.07, 0.02),
    C.CORRECTION: (0.85, 0.12, 0.025, 0.005),
    C.MENTAL: (0.86, 0.09, 0.04, 0.01),
    C.DRUG: (0.74, 0.14, 0.08, 0.04),
    C.AIDS_RISK: (0.70, 0.22, 0.06, 0.02),
    C.YOUTH: (0.76, 0.15, 0.08, 0.01),
}
#: Per category, the share of persons lost (失联) for good at some day of the window: every
#: visit from then finds no trace of them, and they stay overdue.
LOST_SHARES: dict[str, float] = {
    C.RELEASED: 0.015,
    C.CORRECTION: 0.0,
    C.MENTAL: 0.003,
    C.DRUG: 0.02,
    C.AIDS_RISK: 0.02,
    C.YOUTH: 0.005,
}
#: Share of the visits made late: the gap since the last one is 1.1 to 1.8 intervals (the
#: person is overdue meanwhile) instead of the interval's last days (:func:`_gap`); and the
#: share of the grid workers who visit late more often (:data:`SLACK_LATE_SHARE`, up to 2.5
#: intervals), whose grids hold most of a unit's persons overdue.
LATE_SHARE = 0.08
SLACK_SHARE = 0.1
SLACK_LATE_SHARE = 0.4
#: What a visit's note says, by outcome (见到本人 by category).
VISIT_NOTES: dict[str, str] = {
    C.RELEASED: "上门走访，本人在家，就业和生活情况稳定",
    C.CORRECTION: "上门走访，本人遵守矫正规定，思想稳定",
    C.MENTAL: "上门走访，按时服药，病情稳定，监护人在家",
    C.DRUG: "上门走访，本人在家，未发现复吸迹象",
    C.AIDS_RISK: "上门走访，按时服药随访，情况稳定",
    C.YOUTH: "上门走访，与本人及监护人交流，情况稳定",
    V.CONTACTED: "本人在外务工，视频联系，近况稳定",
    V.ABSENT: "上门未见到本人，家属称其外出务工，已留联系方式，近日再访",
    V.MISSING: "上门未见到本人，电话无法接通，家属不知去向，已报告社区民警",
}

_CRIMES = ("盗窃罪", "故意伤害罪", "诈骗罪", "寻衅滋事罪", "交通肇事罪", "危险驾驶罪", "贩卖毒品罪")
_CORRECTION_TYPES = ("管制", "缓刑", "假释", "暂予监外执行")
_CORRECTION_SHARES = (0.03, 0.82, 0.10, 0.05)
_DIAGNOSES = ("精神分裂症", "双相情感障碍", "偏执性精神病", "分裂情感性障碍", "癫痫所致精神障碍")
_DRUGS = ("海洛因", "冰毒", "氯胺酮", "大麻")
_DRUG_STATES = ("社区戒毒", "社区康复", "戒断三年未复吸", "强制隔离戒毒后回归")
_YOUTH_TYPES = (
    "闲散青少年",
    "不良行为青少年",
    "流浪乞讨未成年人",
    "服刑人员未成年子女",
    "农村留守儿童",
)
_AIDS_TYPES = ("感染者", "病人", "高危行为人群")


@dataclass
class PersonRecord:
    """One special-population record (clear resident ID only in memory).

    Attributes
    ----------
    category : str
        :class:`layers.model.PersonCategory` code.
    name : str
        Synthetic name.
    resident_id : str
        Checksum-valid synthetic ID.
    management_level : int
        1 key … 3 routine.
    attributes : dict
        Category-specific fields, as :func:`layers.person_attributes.validate_attributes`
        stores them.
    residence : tuple of float
        Lon/lat.
    address : str
        Synthetic address.
    grid_code, area_code : str
        Grid and village.
    responsibles : list of (int, str)
        ``(worker index, duty)``.
    visits : list of (date, int, float, float, str, str)
        ``(visited_on, worker index, lon, lat, note, outcome)``, the outcome a
        :class:`layers.model.VisitOutcome` code.
    on_record_since : datetime.date or None
        The day put on record (列管日期), before the first visit.
    ended_on : datetime.date or None
        The day they left the register; None while followed.
    ended_reason : str or None
        Why, as the console's 注销 stores it (:func:`layers.person_closing.ended_reason`).
    """

    category: str
    name: str
    resident_id: str
    management_level: int
    attributes: dict[str, Any]
    residence: tuple[float, float]
    address: str
    grid_code: str
    area_code: str
    responsibles: list[tuple[int, str]] = field(default_factory=list)
    visits: list[tuple[date, int, float, float, str, str]] = field(default_factory=list)
    on_record_since: date | None = None
    ended_on: date | None = None
    ended_reason: str | None = None


def _birth(rng: np.random.Generator, today: date, lo: int, hi: int) -> date:
    days = int(rng.integers(lo * 365, hi * 365))
    return today - timedelta(days=days)


def _day(rng: np.random.Generator, today: date, lo: int, hi: int) -> str:
    return (today + timedelta(days=int(rng.integers(lo, hi)))).isoformat()


def _correction_end(rng: np.random.Generator, start: int) -> int:
    """Return the day a correction begun ``start`` days from today ends, from today.

    Nearly all of a register's 社区矫正人员 are still under correction: an end drawn before
    today is moved as far after it, except about one in twenty-five, whose correction ended
    within the last three weeks and awaits its 解除矫正 (the 走访 tab's 矫正期已满待解除).
    One draw, as before, so that the rest of the demo is unchanged.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> ends = [_correction_end(rng, -700) for _ in range(2000)]
    >>> 0.01 < sum(e <= 0 for e in ends) / 2000 < 0.08, min(ends) >= -21
    (True, True)
    """
    end = int(rng.integers(start + 180, start + 1100))
    if end > 0:
        return end
    return -(-end % 21) - 1 if -end % 25 == 0 else 1 - end


def _attributes(category: str, level: int, rng: np.random.Generator, today: date) -> dict[str, Any]:
    """Return a person's category-specific fields as an import stores them (English keys)."""
    return validate_attributes(category, _written_attributes(category, level, rng, today))


def _written_attributes(
    category: str, level: int, rng: np.random.Generator, today: date
) -> dict[str, Any]:
    """Return a person's category-specific fields as a roster writes them (Chinese headers)."""
    pick = rng.choice
    if category == C.RELEASED:
        return {
            "释放日期": _day(rng, today, -5 * 365, -10),
            "原罪名": str(pick(_CRIMES)),
            "原判刑期(月)": int(rng.integers(6, 120)),
            "是否累犯": bool(rng.random() < 0.12 + 0.2 * (level == 1)),
            "安置情况": str(pick(["已安置", "已安置", "已安置", "未安置"])),
            "帮教情况": str(pick(["已落实帮教", "已落实帮教", "未落实帮教"])),
        }
    if category == C.CORRECTION:
        start = int(rng.integers(-700, -5))
        kind = str(pick(_CORRECTION_TYPES, p=_CORRECTION_SHARES))
        begun = _day(rng, today, start, start + 1)
        return {
            "矫正类别": kind,
            "矫正开始日期": begun,
            "矫正结束日期": (today + timedelta(days=_correction_end(rng, start))).isoformat(),
            "是否脱管": bool(rng.random() < 0.01),
            "是否漏管": bool(rng.random() < 0.01),
            "电子定位": bool(rng.random() < 0.3 + 0.5 * (level == 1)),
        }
    if category == C.MENTAL:
        risk = int(pick([3, 4, 5])) if level == 1 else int(pick([1, 2]) if level == 2 else 0)
        return {
            "危险性评估等级": risk,
            "诊断": str(pick(_DIAGNOSES)),
            "服药情况": str(pick(["规律服药", "间断服药", "不服药"], p=[0.6, 0.3, 0.1])),
            "监护人": "已落实",
            "以奖代补": bool(rng.random() < 0.7),
        }
    if category == C.DRUG:
        return {
            "滥用毒品种类": str(pick(_DRUGS, p=[0.45, 0.4, 0.1, 0.05])),
            "管控状态": str(pick(_DRUG_STATES)),
            "最近尿检日期": _day(rng, today, -120, -1),
            "尿检结果": "阴性" if rng.random() < 0.97 else "阳性",
        }
    if category == C.AIDS_RISK:
        return {
            "类别": str(pick(_AIDS_TYPES)),
            "随访状态": str(pick(["规范随访", "失访"], p=[0.92, 0.08])),
            "抗病毒治疗": bool(rng.random() < 0.85),
        }
    return {
        "青少年类型": str(pick(_YOUTH_TYPES)),
        "监护情况": str(pick(["监护良好", "监护缺失", "监护不力"], p=[0.5, 0.2, 0.3])),
        "在学情况": str(pick(["在学", "辍学", "已毕业未就业"], p=[0.6, 0.15, 0.25])),
        "帮扶措施": str(pick(["结对帮扶", "心理辅导", "技能培训"])),
    }


def build_people(
    territory: Territory,
    total: int,
    staff_by_grid: dict[str, list[int]],
    police_by_town: dict[str, list[int]],
    now: datetime,
    rng: np.random.Generator,
    *,
    years: int = 2,
) -> list[PersonRecord]:
    """Generate ``total`` special-population records with responsibles and visits.

    Parameters
    ----------
    territory : Territory
        Grids and villages.
    total : int
        Number of records.
    staff_by_grid : dict
        Grid code to worker indices (the first is the grid's full-time worker).
    police_by_town : dict
        Township code to police worker indices.
    now : datetime
        Reference time.
    rng : numpy.random.Generator
        Source of randomness.
    years : int
        Length of the window of the history (the cases' history): the register's changes and
        the visits span it.

    Returns
    -------
    list of PersonRecord
        The records.
    """
    today = now.date()
    window_start = today - timedelta(days=365 * years)
    region = territory.county.code[:6]
    province = territory.county.code[:2]
    cats = list(CATEGORY_SHARES)
    shares = np.array([CATEGORY_SHARES[c] for c in cats])
    counts = np.floor(shares / shares.sum() * total).astype(int)
    counts[0] += total - int(counts.sum())
    categories = [c for c, k in zip(cats, counts, strict=True) for _ in range(int(k))]
    grids = territory.grids
    gw = np.array([g.weight for g in grids])
    chosen = rng.choice(len(grids), size=total, p=gw / gw.sum())
    village_name = {v.code: v.name for v in territory.villages}
    town_name = {t.code: t.name for t in territory.townships}
    used: set[str] = set()
    people: list[PersonRecord] = []
    # the grid workers who visit late more often (the 帮扶责任人 is a grid's first worker), the
    # one the demo's grid-worker login stands for among them (the first of the first village,
    # importers.demo.users): his 走访 list shows persons overdue
    firsts = sorted({w[0] for w in staff_by_grid.values() if w})
    slack = {w for w, u in zip(firsts, rng.random(len(firsts)), strict=True) if u < SLACK_SHARE}
    first_village = territory.villages[0].code
    slack.update(
        [w[0] for g, w in sorted(staff_by_grid.items()) if w and g[:12] == first_village][:1]
    )
    for category, gi in zip(categories, chosen, strict=True):
        grid = grids[int(gi)]
        lv = int(rng.choice([1, 2, 3], p=LEVEL_SHARES[category]))
        sex: Literal["M", "F"] = (
            "M" if rng.random() < (0.85 if category != C.MENTAL else 0.55) else "F"
        )
        if category == C.YOUTH:
            birth = _birth(rng, today, 8, 25)
        elif category == C.MENTAL:
            birth = _birth(rng, today, 18, 80)
        else:
            birth = _birth(rng, today, 19, 65)
        home = region if rng.random() < 0.9 else f"{province}{int(rng.integers(1, 30)):02d}01"
        while True:
            rid = make_resident_id(home, birth, int(rng.integers(0, 500)), sex)
            if rid not in used:
                used.add(rid)
                break
        point = random_points_in(grid.boundary, 1, rng)[0]
        village = village_name[grid.village_code]
        town = town_name[grid.village_code[:9] + "000"]
        address = f"{town}{village}{int(rng.integers(1, 12))}组{int(rng.integers(1, 120))}号"
        record = PersonRecord(
            category=str(category),
            name=person_name(rng, sex),
            resident_id=rid,
            management_level=lv,
            attributes=_attributes(category, lv, rng, today),
            residence=(float(point[0]), float(point[1])),
            address=address,
            grid_code=grid.code,
            area_code=grid.village_code,
        )
        grid_staff = staff_by_grid.get(grid.code, [])
        if grid_staff:
            record.responsibles.append((grid_staff[0], "帮扶责任人"))
        police = police_by_town.get(grid.village_code[:9] + "000", [])
        if lv == 1 and police:
            record.responsibles.append((police[int(rng.integers(len(police)))], "社区民警"))
        _register(record, window_start, today, rng)
        _visits(record, VISIT_RULES[(category, lv)], window_start, today, rng, slack=slack)
        people.append(record)
    _place_visits(people, {g.code: g.boundary for g in grids}, rng)
    return people


def _uniform_day(rng: np.random.Generator, first: date, last: date) -> date:
    """Return a day from ``first`` to ``last``, both included (``first`` if ``last`` is before)."""
    return first + timedelta(days=int(rng.integers(0, max((last - first).days, 0) + 1)))


def _register(
    record: PersonRecord, window_start: date, today: date, rng: np.random.Generator
) -> None:
    """Set the days a record was put on the register and, for some, left it.

    A 社区矫正 is on record from its 矫正开始日期, and one ended during the window left on its
    解除矫正, days after its 矫正结束日期 (its dates drawn again to end then); a 刑满释放 is on
    record from days after the release, and one whose 安置帮教期 of five years ran out during the
    window left then (its 释放日期 drawn again); of the others :data:`ADDED_SHARE` were put on
    record during the window, the rest one month to six years before it. Some of every category
    left during the window (:data:`ENDINGS`), at least a month after it began and after they
    were put on record, but a few 社区矫正 whose correction has just ended, who await their
    解除矫正 (:data:`AWAITING_SHARE`).

    Examples
    --------
    >>> from importers.demo.people import PersonRecord
    >>> rng, today = np.random.default_rng(4), date(2026, 12, 7)
    >>> start = today - timedelta(days=730)
    >>> done = []
    >>> for _ in range(400):
    ...     r = PersonRecord("correction", "甲", "", 2, _attributes("correction", 2, rng, today),
    ...                      (0.0, 0.0), "", "", "")
    ...     _register(r, start, today, rng)
    ...     done.append(r)
    >>> ended = [r for r in done if r.ended_on is not None]
    >>> 0.2 < len(ended) / 400 < 0.4
    True
    >>> all(r.on_record_since.isoformat() == r.attributes["start_date"] for r in done)
    True
    >>> all(start < r.ended_on < today and r.attributes["end_date"] <= r.ended_on.isoformat()
    ...     for r in ended)
    True
    """
    category = record.category
    share, reasons = ENDINGS[category]
    ends = rng.random() < share
    weights = np.cumsum([w for _, w, _ in reasons])
    pick = int(np.searchsorted(weights, rng.random() * weights[-1], side="right"))
    reason, _, detail = reasons[min(pick, len(reasons) - 1)]
    ended_on = _uniform_day(rng, window_start + timedelta(days=30), today - timedelta(days=1))
    attributes = record.attributes
    if category == C.CORRECTION and ends:
        if rng.random() < AWAITING_SHARE:  # ended in the last three weeks, not yet 解除矫正
            ended_on = today
            end = today - timedelta(days=int(rng.integers(1, 22)))
        else:
            end = ended_on - timedelta(days=int(rng.integers(0, 4)))
        start = end - timedelta(days=int(rng.integers(180, 1100)))
        attributes["start_date"], attributes["end_date"] = start.isoformat(), end.isoformat()
        since = start
    elif category == C.CORRECTION:
        since = date.fromisoformat(attributes["start_date"])
    elif category == C.RELEASED and ends and reason == "期满解除帮教":
        release = ended_on - timedelta(days=ASSISTANCE_DAYS + int(rng.integers(0, 15)))
        attributes["release_date"] = release.isoformat()
        since = release + timedelta(days=int(rng.integers(0, 10)))
    elif category == C.RELEASED:
        release = date.fromisoformat(attributes["release_date"])
        since = min(release + timedelta(days=int(rng.integers(0, 10))), today)
    elif rng.random() < ADDED_SHARE:
        since = _uniform_day(rng, window_start, today)
    else:
        since = window_start - timedelta(days=int(rng.integers(30, 6 * 365)))
    record.on_record_since = since
    if ends and since + timedelta(days=30) < ended_on < today:
        record.ended_on = ended_on
        record.ended_reason = ended_reason(reason, detail)


def _visits(
    record: PersonRecord,
    interval: int,
    window_start: date,
    today: date,
    rng: np.random.Generator,
    *,
    slack: AbstractSet[int] = frozenset(),
) -> None:
    """Visit a person over the window, or from their first days on record, until they left.

    A person on record before the window was last visited before it; a 刑满释放 or 社区矫正
    newcomer is first visited within a week, another within the interval (20 days at most).
    The next visit follows a visit that reached the person (见到本人, 电话/视频联系) in the last
    days of the interval (:func:`_gap`), or after 1.1 to 1.8 (:data:`LATE_SHARE`; for a worker
    of ``slack``, 1.1 to 2.5 at :data:`SLACK_LATE_SHARE`); one that did not (人户分离, 失联)
    after 2 to 10 days. A lost person (:data:`LOST_SHARES`) is not reached again from a day of
    the window on. A person with no 帮扶责任人 is never visited.
    """
    if not record.responsibles:
        return
    visitor = record.responsibles[0][0]
    pace = (SLACK_LATE_SHARE, 1.4) if visitor in slack else (LATE_SHARE, 0.7)
    category = record.category
    since = record.on_record_since or today
    stop = today if record.ended_on is None else record.ended_on - timedelta(days=1)
    u, v = rng.random(2)
    if since < window_start - timedelta(days=interval):
        first = _gap(interval, float(u), float(v), *pace)
        day = max(window_start - timedelta(days=int(first * rng.random())), since)
    else:
        soon = 7 if category in (C.RELEASED, C.CORRECTION) else min(interval, 20)
        day = since + timedelta(days=int(rng.integers(1, soon + 1)))
    lost = (
        _uniform_day(rng, window_start, today).toordinal()
        if rng.random() < LOST_SHARES[category]
        else None
    )
    c1, c2, c3, _ = np.cumsum(OUTCOME_SHARES[category]).tolist()
    notes = (VISIT_NOTES[category], *(VISIT_NOTES[code] for code in _OUTCOMES[1:]))
    x, y = record.residence
    d, end = day.toordinal(), stop.toordinal()
    visits = record.visits
    while d <= end:
        for u, v, w in rng.random((max(8, (end - d) // max(1, interval // 2) + 2), 3)).tolist():
            if d > end:
                break
            gone = lost is not None and d >= lost
            k = 3 if gone or w >= c3 else 2 if w >= c2 else 1 if w >= c1 else 0
            # placed later (_place_visits)
            visits.append((date.fromordinal(d), visitor, x, y, notes[k], _OUTCOMES[k]))
            d += _gap(interval, u, v, *pace) if k < 2 or gone else 2 + int(9 * u)


_OUTCOMES = (V.MET.value, V.CONTACTED.value, V.ABSENT.value, V.MISSING.value)
"""The 走访结果 codes in the order of :data:`OUTCOME_SHARES`."""


def _gap(interval: int, u: float, v: float, late: float, span: float) -> int:
    """Return the days to the next visit after one that reached the person (u, v uniform).

    A share ``late`` of them come 1.1 to 1.1 + ``span`` intervals after; the others in the
    last fifth of the interval (its last ten days at most): a worker visits from his list of
    persons due within days.

    >>> _gap(30, 0.5, 0.0, LATE_SHARE, 0.7), _gap(30, 0.5, 1.0, LATE_SHARE, 0.7)
    (30, 24)
    >>> _gap(90, 0.5, 1.0, LATE_SHARE, 0.7), _gap(30, 0.05, 1.0, LATE_SHARE, 0.7)
    (80, 54)
    """
    if u < late:
        return int(interval * (1.1 + span * v) + 0.5)
    return max(1, int(interval - v * min(0.2 * interval, 10.0) + 0.5))


def _place_visits(
    people: list[PersonRecord], grid_shapes: dict[str, BaseGeometry], rng: np.random.Generator
) -> None:
    """Move each visit to within about 30 m of the person's home, inside the person's grid."""
    counts = np.array([len(p.visits) for p in people])
    if not counts.sum():
        return
    homes = np.repeat(np.array([p.residence for p in people]), counts, axis=0)
    shapes = np.empty(len(people), dtype=object)
    shapes[:] = [grid_shapes[p.grid_code] for p in people]
    pts = iter(jitter_inside(homes, 30.0, list(np.repeat(shapes, counts)), rng).tolist())
    for p in people:
        p.visits[:] = [
            (day, visitor, *next(pts), note, outcome)
            for day, visitor, _, _, note, outcome in p.visits
        ]
