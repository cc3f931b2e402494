"""Jurisdictions named in words: the 所属社区 and 所属乡镇 clerks write instead of 12-digit codes.

A roster or a 12345 export names its village or community (``复安社区``, ``复安社区居委会``,
``宁州街道复安社区``) and often its township in a column of its own. :class:`Gazetteer` finds
the one jurisdiction of the database so named: the name is compared without the suffixes of
the body that runs the unit (居委会, 村民委员会, 办事处, 人民政府 …), and may start with the
names of units above it. A name that two units share (two 新复社区 in one county) is told
apart by the township; otherwise the row is refused with the places it could mean.

A 12345 export often has no such column and no coordinates, only the 事发地址
(``华宁县宁州街道复安社区幸福路 3 号``): :meth:`Gazetteer.in_address` finds the deepest unit the
address names in full.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from geo.codes import prefix_length

_BODY_SUFFIX = re.compile(r"(居民委员会|村民委员会|居委会|村委会|委员会|办事处|人民政府|政府)$")
_HAN = re.compile(r"[\u3400-\u9fff]")
_SPACE = re.compile(r"\s+")
_SHORTENED = ("社区", "村")
"""What a village's name may be written without (``复安`` for ``复安社区``)."""
_SHOWN = 3
"""How many of the places an ambiguous name could mean a rule lists."""
_LEVEL_WORDS = {4: "乡镇（街道）", 5: "村（社区）"}
_ROAD_AFTER = frozenset("路街巷道桥弄")
"""A village's name followed by one of these in an address names a road (新村路), not it."""


def is_place_name(value: str) -> bool:
    """Whether a value of an area column is a name (it has Chinese characters) not a code.

    Examples
    --------
    >>> is_place_name("复安社区"), is_place_name("530424001001")
    (True, False)
    """
    return _HAN.search(value) is not None


def place_key(name: str) -> str:
    """Return a unit's name as compared: NFKC, no spaces, no governing body's suffix.

    Examples
    --------
    >>> place_key("复安社区 居委会"), place_key("宁州街道办事处"), place_key("盘溪镇人民政府")
    ('复安社区', '宁州街道', '盘溪镇')
    """
    text = _SPACE.sub("", unicodedata.normalize("NFKC", name))
    return _BODY_SUFFIX.sub("", text) or text


_NUMERALS = "〇零一二两三四五六七八九十百"
_GRID_SERIAL = re.compile(
    rf"(?:第?(?P<before>[{_NUMERALS}]+|[0-9]+)号?网格|网格(?P<after>[{_NUMERALS}]+|[0-9]+)号?)$"
)
"""A grid's serial at the end of its name: 第1网格, 第一网格, 一网格, 1号网格, 网格一."""
_DIGIT_OF = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}


def chinese_number(text: str) -> int | None:
    """Return the number a serial is written as (``十二``, ``二十``, ``一百零五``, ``07``).

    Returns
    -------
    int or None
        ``None`` when it is not one number (``一二``).

    Examples
    --------
    >>> [chinese_number(t) for t in ("一", "十", "十二", "二十", "二十三", "一百零五", "07")]
    [1, 10, 12, 20, 23, 105, 7]
    >>> chinese_number("一二") is None
    True
    """
    if text.isdigit():
        return int(text)
    match = re.fullmatch(
        r"(?:(?P<h>[一二两三四五六七八九])百)?(?P<z>[零〇])?"
        r"(?:(?P<t>[一二两三四五六七八九])?(?P<ten>十))?(?P<u>[一二两三四五六七八九])?",
        text,
    )
    if not text or match is None:
        return None
    hundreds, tens, units = match["h"], match["t"], match["u"]
    value = 100 * _DIGIT_OF[hundreds] if hundreds else 0
    if match["ten"]:
        value += 10 * (_DIGIT_OF[tens] if tens else 1)
    return value + (_DIGIT_OF[units] if units else 0)


def grid_key(name: str) -> str:
    """Return a grid's name as compared: :func:`place_key`, its serial as ``第N网格``.

    Clerks write the third grid of 复安社区 ``复安社区第三网格``, ``复安三网格``,
    ``复安社区3号网格``, ``复安社区第03网格`` or ``复安社区网格三``: all are ``复安社区第3网格``.

    Examples
    --------
    >>> [grid_key(n) for n in ("复安第三网格", "复安社区一网格", "3号网格", "网格十二", "第01网格")]
    ['复安第3网格', '复安社区第1网格', '第3网格', '第12网格', '第1网格']
    >>> grid_key("三合网格"), grid_key("城东一二网格")  # no serial; not one number
    ('三合网格', '城东一二网格')
    """
    key = place_key(name)
    match = _GRID_SERIAL.search(key)
    if match is None:
        return key
    number = chinese_number(match["before"] or match["after"])
    if number is None:
        return key
    return f"{key[: match.start()]}第{number}网格"


@dataclass(frozen=True)
class Place:
    """One jurisdiction as the gazetteer knows it.

    Attributes
    ----------
    code : str
        12-digit division code.
    name : str
        Its name in the database.
    level : int
        1 (province) … 5 (village).
    parent_code : str or None
        The unit above it.
    """

    code: str
    name: str
    level: int
    parent_code: str | None


class Gazetteer:
    """The jurisdictions of the database, found by name.

    Parameters
    ----------
    places : iterable of Place
        Every jurisdiction a name may mean.
    """

    def __init__(self, places: Iterable[Place]) -> None:
        self._by_code: dict[str, Place] = {}
        self._by_key: defaultdict[str, list[Place]] = defaultdict(list)
        for place in places:
            self._by_code[place.code] = place
            self._by_key[place_key(place.name)].append(place)
        self._key_ends = frozenset(key[-1] for key in self._by_key)
        self._key_lengths = sorted({len(key) for key in self._by_key}, reverse=True)

    def unit(self, code: str) -> Place | None:
        """Return the unit of this code, if the gazetteer has it."""
        return self._by_code.get(code)

    def __contains__(self, code: object) -> bool:
        """Whether the gazetteer has a unit of this code."""
        return code in self._by_code

    def locate(self, name: str | None, township: str | None = None) -> tuple[str | None, str]:
        """Return the code of the one unit ``name`` means, or ``None`` and why not.

        Parameters
        ----------
        name : str or None
            The unit as the file names it (``None``: the township is the unit).
        township : str, optional
            The township (or any unit above) it lies in, to tell apart units of one name.

        Returns
        -------
        tuple
            ``(code, "")`` when one unit matches, else ``(None, rule)`` with a Chinese rule.
        """
        if name is None:
            name, township = township, None
        if name is None:
            return None, "未填所属辖区"
        found = self.find(name)
        where = ""
        if township is not None:
            above = self.find(township)
            if not above:
                return None, f"数据库中没有名为“{township}”的乡镇（街道）"
            found = [p for p in found if any(_inside(p.code, unit) for unit in above)]
            where = f"在{township}"
        if len(found) == 1:
            return found[0].code, ""
        if not found and township is not None:
            return (
                None,
                f"{township}下没有名为“{name}”的村（社区）：请核对所属乡镇，或写 12 位区划代码",
            )
        if not found:
            return (
                None,
                f"数据库中没有名为“{name}”的村（社区）或乡镇：请写 12 位区划代码，或先导入辖区",
            )
        found.sort(key=lambda p: p.code)
        shown = "、".join(self.label(p) for p in found[:_SHOWN])
        more = "等" if len(found) > _SHOWN else ""
        return None, (
            f"“{name}”{where}有 {len(found)} 处：{shown}{more}。请填写所属乡镇（街道）"
            "或 12 位区划代码"
        )

    def in_address(self, address: str, within: str | None = None) -> tuple[str | None, str]:
        """Return the code of the deepest unit an address names, or ``None`` and why not.

        Units are found by their full names (``复安社区``, not ``复安``), as whole words: a name
        inside a longer one (``新村`` in ``城新村``) and a village's name that begins a road's
        (``新村路``) do not count. A unit counts only if it lies in every unit above its level
        that the address also names, so ``盘溪镇新复社区`` means the 新复社区 of 盘溪镇.

        Parameters
        ----------
        address : str
            The address as the file writes it.
        within : str, optional
            Code of the unit the row is known to lie in (its township): only units in it count.

        Returns
        -------
        tuple
            ``(code, "")`` for the one deepest unit; ``(None, "")`` when the address names
            none; ``(None, rule)`` with a Chinese rule when it could mean several.

        Examples
        --------
        >>> places = Gazetteer([Place("530424001000", "宁州街道", 4, None),
        ...                     Place("530424001001", "复安社区居委会", 5, "530424001000")])
        >>> places.in_address("华宁县宁州街道复安社区幸福路3号")
        ('530424001001', '')
        >>> places.in_address("宁州街道复安路3号")
        ('530424001000', '')
        """
        text = _SPACE.sub("", unicodedata.normalize("NFKC", address))
        named = [p for key in self._keys_in(text) for p in self._by_key[key]]
        if within is not None:
            unit = self._by_code.get(within)
            named = [p for p in named if unit is not None and _inside(p.code, unit)]
        fits = [
            p
            for p in named
            if all(_inside(p.code, other) for other in named if other.level < p.level)
        ]
        if not fits:
            return None, ""
        level = max(p.level for p in fits)
        same_level = {p.code: p for p in fits if p.level == level}
        deepest = [same_level[code] for code in sorted(same_level)]
        if len(deepest) == 1:
            return deepest[0].code, ""
        shown = "、".join(self.label(p) for p in deepest[:_SHOWN])
        more = "等" if len(deepest) > _SHOWN else ""
        if len({place_key(p.name) for p in deepest}) == 1:
            said = f"地址中的“{deepest[0].name}”有 {len(deepest)} 处"
        else:
            said = f"地址中有 {len(deepest)} 个{_LEVEL_WORDS.get(level, '辖区')}"
        return None, f"{said}：{shown}{more}。请在地址中写明乡镇（街道），或填写所属社区、所属乡镇"

    def _keys_in(self, text: str) -> list[str]:
        """Return the names of units ``text`` writes in full, each not inside a longer one."""
        spans: list[tuple[int, int]] = []
        for end in range(len(text), 0, -1):
            if text[end - 1] not in self._key_ends:
                continue
            for length in self._key_lengths:
                start = end - length
                if start < 0 or text[start:end] not in self._by_key:
                    continue
                if any(s <= start and end <= e for s, e in spans):
                    continue
                if text[end : end + 1] in _ROAD_AFTER and self._is_village(text[start:end]):
                    continue
                spans.append((start, end))
        return [text[s:e] for s, e in spans]

    def _is_village(self, key: str) -> bool:
        return all(p.level == 5 for p in self._by_key[key])

    def find(self, name: str) -> list[Place]:
        """Return the units ``name`` may mean: same name, or same name after its ancestors'.

        Examples
        --------
        >>> towns = [Place("530424001000", "宁州街道", 4, None),
        ...          Place("530424001001", "复安社区居委会", 5, "530424001000")]
        >>> [p.code for p in Gazetteer(towns).find("宁州街道复安社区")]
        ['530424001001']
        """
        key = place_key(name)
        for whole in (key, *(key + kind for kind in _SHORTENED)):
            if whole in self._by_key:
                return list(self._by_key[whole])
        found: list[Place] = []
        for cut in range(1, len(key)):
            head, tail = key[:cut], key[cut:]
            found += [p for p in self._by_key.get(tail, ()) if self._above(p).endswith(head)]
        return found

    def within(self, code: str, container: str) -> bool:
        """Whether the unit ``code`` is the unit ``container`` or lies in it.

        Examples
        --------
        >>> places = Gazetteer([Place("530424001000", "宁州街道", 4, None)])
        >>> places.within("530424001001", "530424001000")
        True
        >>> places.within("530424002001", "530424001000")
        False
        """
        unit = self._by_code.get(container)
        return unit is not None and _inside(code, unit)

    def label_of(self, code: str) -> str:
        """Return the :meth:`label` of the unit of this code (the code, if it has none)."""
        unit = self._by_code.get(code)
        return self.label(unit) if unit is not None else code

    def label(self, place: Place) -> str:
        """Return ``盘溪镇新复社区（530424102005）``: the unit under its parent, with its code."""
        return f"{self.under_parent(place)}（{place.code}）"

    def under_parent(self, place: Place) -> str:
        """Return ``盘溪镇新复社区``: the unit's name after its parent's."""
        parent = self._by_code.get(place.parent_code or "")
        above = place_key(parent.name) if parent is not None else ""
        return f"{above}{place.name}"

    def _above(self, place: Place) -> str:
        """Return the keys of the units above ``place``, from the top, run together."""
        names: list[str] = []
        parent = self._by_code.get(place.parent_code or "")
        while parent is not None and len(names) < 5:
            names.append(place_key(parent.name))
            parent = self._by_code.get(parent.parent_code or "")
        return "".join(reversed(names))


def _inside(code: str, unit: Place) -> bool:
    """Whether ``code`` is ``unit``'s or one under it (their codes share its prefix)."""
    return code.startswith(unit.code[: prefix_length(unit.level)])


@dataclass(frozen=True)
class GridPlace:
    """One grid as the directory knows it.

    Attributes
    ----------
    code : str
        15-digit grid code.
    name : str
        Its name in the database (``复安第1网格``).
    area_code : str
        Its village.
    """

    code: str
    name: str
    area_code: str


class GridDirectory:
    """The grids of the database, found by name (a roster's 所属网格).

    A grid is named as the database has it (``复安第1网格``), or by what follows its village's
    name, within the row's village (``第1网格``) or after that name (``复安社区第1网格``,
    ``宁州街道复安社区第1网格``); its serial may be written in Chinese numerals, without 第, or
    with a 号 (:func:`grid_key`).

    Parameters
    ----------
    grids : iterable of GridPlace
        Every grid a name may mean.
    places : Gazetteer
        The jurisdictions, for the villages' names and for containment.
    """

    def __init__(self, grids: Iterable[GridPlace], places: Gazetteer) -> None:
        self._places = places
        self._by_key: defaultdict[str, list[GridPlace]] = defaultdict(list)
        self._by_area: defaultdict[str, list[GridPlace]] = defaultdict(list)
        for grid in grids:
            self._by_key[grid_key(grid.name)].append(grid)
            self._by_area[grid.area_code].append(grid)

    def locate(self, name: str, area: str | None = None) -> tuple[GridPlace | None, str]:
        """Return the one grid ``name`` means (in ``area`` when given), or ``None`` and why not.

        Parameters
        ----------
        name : str
            The grid as the file names it.
        area : str, optional
            The row's jurisdiction code (its village, or a unit above).

        Returns
        -------
        tuple
            ``(grid, "")`` when one grid matches, else ``(None, rule)`` with a Chinese rule.
        """
        found = self._by_key.get(grid_key(name), [])
        if not found and area is None:
            found = self._after_village(grid_key(name))
        if area is not None:
            found = [g for g in found if self._places.within(g.area_code, area)]
            if not found:
                core = self._core(grid_key(name), area)
                found = [
                    g
                    for village, grids in self._by_area.items()
                    if self._places.within(village, area)
                    for g in grids
                    if self._core(grid_key(g.name), village) == core
                ]
        if len(found) == 1:
            return found[0], ""
        unit = self._places.unit(area) if area is not None else None
        where = f"在{self._places.label(unit)}" if unit is not None else ""
        if not found:
            return None, f"数据库中{where}没有名为“{name}”的网格：请写 15 位网格编码，或先导入网格"
        found = sorted(found, key=lambda g: g.code)
        shown = "、".join(f"{self._village(g)}{g.name}（{g.code}）" for g in found[:_SHOWN])
        more = "等" if len(found) > _SHOWN else ""
        return None, (
            f"“{name}”{where}有 {len(found)} 处：{shown}{more}。"
            "请填写所属社区、所属乡镇或 15 位网格编码"
        )

    def _after_village(self, key: str) -> list[GridPlace]:
        """Return the grids ``key`` names after their village's name (``华福社区第1网格``)."""
        found: list[GridPlace] = []
        for village, grids in self._by_area.items():
            unit = self._places.unit(village)
            if unit is None:
                continue
            full = place_key(unit.name)
            for prefix in (full, *(full.removesuffix(kind) for kind in _SHORTENED)):
                at = key.find(prefix) if len(prefix) >= 2 else -1
                if at >= 0 and len(key) > at + len(prefix):
                    core = key[at + len(prefix) :]
                    found += [g for g in grids if self._core(grid_key(g.name), village) == core]
                    break
        return found

    def _village(self, grid: GridPlace) -> str:
        """Return ``宁州街道新复社区的``: where a grid lies, to tell apart grids of one name."""
        unit = self._places.unit(grid.area_code)
        return f"{self._places.under_parent(unit)}的" if unit is not None else ""

    def _core(self, key: str, village: str) -> str:
        """Return a grid's name without its village's name in front (``第1网格``)."""
        unit = self._places.unit(village)
        if unit is None:
            return key
        full = place_key(unit.name)
        for prefix in (full, *(full.removesuffix(kind) for kind in _SHORTENED)):
            if prefix and key.startswith(prefix) and len(key) > len(prefix):
                return key[len(prefix) :]
        return key
