"""Synthetic special-population records (GB/T 31000-2015 categories) and their follow-up visits.

Names are synthetic; resident IDs are checksum-valid (:func:`geo.codes.make_resident_id`) with the
county's region code for most people. Category shares, management levels and per-category
attributes follow the categories' usual make-up (many released prisoners and mental-health
patients, fewer people under community correction, few AIDS-risk records). The clear ID exists
only in memory: the loader stores its keyed hash, its mask and its sealed form.

Visit rules give an interval per category and management level; each person has up to six past
visits, and about one in ten is overdue (last visit longer ago than the interval).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

import numpy as np
from shapely.geometry.base import BaseGeometry

from geo.codes import make_resident_id
from importers.demo.geometry import jitter_inside, random_points_in
from importers.demo.names import person_name
from importers.demo.territory import Territory
from layers.model import PersonCategory
from layers.person_attributes import validate_attributes
from layers.visits_due import DEFAULT_RULES

C = PersonCategory

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
OVERDUE_SHARE = 0.1
MAX_VISITS = 6

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
    visits : list of (date, int, float, float, str)
        ``(visited_on, worker index, lon, lat, note)``.
    on_record_since : datetime.date or None
        The day put on record: one interval before the first visit; the generation's day
        when never visited.
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
    visits: list[tuple[date, int, float, float, str]] = field(default_factory=list)
    on_record_since: date | None = None


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

    Returns
    -------
    list of PersonRecord
        The records.
    """
    today = now.date()
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
        _visits(record, VISIT_RULES[(category, lv)], today, rng)
        people.append(record)
    _place_visits(people, {g.code: g.boundary for g in grids}, rng)
    return people


def _visits(record: PersonRecord, interval: int, today: date, rng: np.random.Generator) -> None:
    if not record.responsibles:
        record.on_record_since = today  # never visited: on record from now on
        return
    visitor = record.responsibles[0][0]
    if rng.random() < OVERDUE_SHARE:
        last = today - timedelta(days=int(interval * rng.uniform(1.15, 3.0)) + 1)
    else:
        last = today - timedelta(days=int(rng.integers(0, max(interval, 1))))
    horizon = today - timedelta(days=365)
    day = last
    x, y = record.residence
    for _ in range(MAX_VISITS):
        if day < horizon:
            break
        record.visits.append((day, visitor, x, y, "上门走访，情况稳定"))  # placed later
        day -= timedelta(days=max(1, int(interval * rng.uniform(0.7, 1.05))))
    record.on_record_since = record.visits[-1][0] - timedelta(days=interval)


def _place_visits(
    people: list[PersonRecord], grid_shapes: dict[str, BaseGeometry], rng: np.random.Generator
) -> None:
    """Move each visit to within about 30 m of the person's home, inside the person's grid."""
    owners = [(p, k) for p in people for k in range(len(p.visits))]
    if not owners:
        return
    homes = np.array([p.residence for p, _ in owners])
    pts = jitter_inside(homes, 30.0, [grid_shapes[p.grid_code] for p, _ in owners], rng)
    for (p, k), (x, y) in zip(owners, pts, strict=True):
        day, visitor, _, _, note = p.visits[k]
        p.visits[k] = (day, visitor, float(x), float(y), note)
