"""Jurisdictions named in words: the 所属社区 and 所属乡镇 clerks write instead of 12-digit codes.

A roster or a 12345 export names its village or community (``复安社区``, ``复安社区居委会``,
``宁州街道复安社区``) and often its township in a column of its own. :class:`Gazetteer` finds
the one jurisdiction of the database so named: the name is compared without the suffixes of
the body that runs the unit (居委会, 村民委员会, 办事处, 人民政府 …), and may start with the
names of units above it. A name that two units share (two 新复社区 in one county) is told
apart by the township; otherwise the row is refused with the places it could mean.

A platform's 所属区域 writes the unit as a path from the top (``华宁县/河岭村``,
``华宁县-盘溪镇-河岭村``): the place is the last unit of the path that exists under the units
before it.

A 12345 export often has no such column and no coordinates, only the 事发地址
(``华宁县宁州街道复安社区幸福路 3 号``): :meth:`Gazetteer.in_address` finds the deepest unit the
address names in full.

A name that stays shared after all that a row says is told apart by the import's jurisdiction
(``--within``) and by the unit the file's name names (``华溪镇网格员花名册.xlsx``): when some of
the places it could mean lie in them, only those count (:class:`Preference`). When none of them
lies in the import's jurisdiction, the row is refused as outside it (``不在 盘溪镇（…）范围内``),
not asked for its township: a clerk who filled it in would only be refused again. With a
jurisdiction, a name the database does not have is not answered ``先导入辖区``: a township's
clerk does not import units (:mod:`importers.names` says when it names a division elsewhere).

A unit a re-division retired (``retired_on``) is still found by its name: files of years
name it, and the importer records such a row in the live unit that took it over
(:mod:`importers.names`). A name that a retired and a live unit share means the live one; a
rule listing the places a name could mean lists live units only. A name looked for in a unit
and not found there may be a retired unit whose successor lies in it: a ledger of 柳岭村, which
took over 柳塘村 and re-coded its grids, still writes ``柳塘第2网格``. A file of units names the
units themselves: it does not look so.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol, TypeVar

from geo.codes import prefix_length

_BODY_SUFFIX = re.compile(r"(居民委员会|村民委员会|居委会|村委会|委员会|办事处|人民政府|政府)$")
_VILLAGE_BODY = re.compile(r"村(?:民委员|委)会$")
"""A village committee's suffix: ``河岭村委会`` is also found as ``河岭村``."""
_HAN = re.compile(r"[\u3400-\u9fff]")
_SPACE = re.compile(r"\s+")
_SHORTENED = ("社区", "村")
"""What a village's name may be written without (``复安`` for ``复安社区``)."""
_SHOWN = 3
"""How many of the places an ambiguous name could mean a rule lists."""
_LEVEL_WORDS = {4: "乡镇（街道）", 5: "村（社区）"}
_ROAD_AFTER = frozenset("路街巷道桥弄")
"""A village's name followed by one of these in an address names a road (新村路), not it."""
_PATH_SEPARATOR = re.compile(r"\s*[/\\>|\-—–]+\s*")
"""What separates the units of a path (``华宁县/河岭村``, ``华宁县-盘溪镇-河岭村``), after NFKC."""
T = TypeVar("T")


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
    retired_on : date or None
        The day a re-division retired it (``None``: live).
    successor_code : str or None
        The live unit its chain of successors leads to, if it is retired and one does.
    """

    code: str
    name: str
    level: int
    parent_code: str | None
    retired_on: date | None = None
    successor_code: str | None = None


@dataclass
class Preference:
    """The units that tell apart the places a shared name could mean, the first first.

    When a name means several places and some of them lie in the first unit, only those
    count; then likewise for the next (:meth:`Gazetteer.preferred`). A name of one place
    keeps it, wherever it lies.

    Attributes
    ----------
    codes : sequence of str
        Codes of the units: the import's jurisdiction (``--within``), the unit the file's
        name names.
    decided : set of str
        The codes that told apart the places of at least one name.
    scope : str or None
        The import's jurisdiction (``--within``): a name whose places all lie outside it is
        refused as outside it (:meth:`Gazetteer.outside_rule`).
    """

    codes: Sequence[str] = ()
    decided: set[str] = field(default_factory=set)
    scope: str | None = None


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
            for key in _keys(place):
                self._by_key[key].append(place)
        self._key_ends = frozenset(key[-1] for key in self._by_key)
        self._key_lengths = sorted({len(key) for key in self._by_key}, reverse=True)

    def unit(self, code: str) -> Place | None:
        """Return the unit of this code, if the gazetteer has it."""
        return self._by_code.get(code)

    def __contains__(self, code: object) -> bool:
        """Whether the gazetteer has a unit of this code."""
        return code in self._by_code

    def locate(
        self,
        name: str | None,
        township: str | None = None,
        prefer: Preference | None = None,
        *,
        taken_over: bool = True,
    ) -> tuple[str | None, str]:
        """Return the code of the one unit ``name`` means, or ``None`` and why not.

        Parameters
        ----------
        name : str or None
            The unit as the file names it (``None``: the township is the unit).
        township : str, optional
            The township (or any unit above) it lies in, to tell apart units of one name.
        prefer : Preference, optional
            Units that tell apart the units a name still means after its township.
        taken_over : bool
            Whether a retired unit whose successor lies in the township counts as in it
            (:meth:`candidates`): a record's row, not a file of units.

        Returns
        -------
        tuple
            ``(code, "")`` when one unit matches, else ``(None, rule)`` with a Chinese rule.

        Examples
        --------
        >>> places = Gazetteer([Place("530424101000", "盘溪镇", 4, None),
        ...                     Place("530424101203", "河岭村", 5, "530424101000")])
        >>> places.locate("华宁县/河岭村"), places.locate("盘溪镇-河岭村-3组")
        (('530424101203', ''), ('530424101203', ''))
        """
        if name is None and township is None:
            return None, "未填所属辖区"
        found = self.candidates(name, township, prefer, taken_over=taken_over)
        if name is None:
            name, township = township, None
        where = ""
        if township is not None:
            if not self.find(township):
                return None, f"数据库中没有名为“{township}”的乡镇（街道）"
            where = f"在{township}"
        if len(found) == 1:
            return found[0].code, ""
        if not found and township is not None:
            return (
                None,
                f"{township}下没有名为“{name}”的村（社区）：请核对所属乡镇，或写 12 位区划代码",
            )
        if not found:
            imports_units = prefer is None or prefer.scope is None  # not a township's clerk
            fix = (
                "请写 12 位区划代码，或先导入辖区"
                if imports_units
                else "请核对名称，或写 12 位区划代码"
            )
            return None, f"数据库中没有名为“{name}”的村（社区）或乡镇：{fix}"
        found.sort(key=lambda p: p.code)
        if _all_retired(found):
            now = _now_as(found, self.label_of)
            return None, (
                f"“{name}”{where}有 {len(found)} 处，均已撤销{now}：请写现在的村（社区）"
                "或 12 位区划代码"
            )
        shown = "、".join(self.label(p) for p in found[:_SHOWN])
        more = "等" if len(found) > _SHOWN else ""
        outside = self.outside_rule([p.code for p in found], prefer)
        if outside is not None:
            return None, f"“{name}”{where}有 {len(found)} 处：{shown}{more}，{outside}"
        return None, (
            f"“{name}”{where}有 {len(found)} 处：{shown}{more}。请填写所属乡镇（街道）"
            "或 12 位区划代码"
        )

    def candidates(
        self,
        name: str | None,
        township: str | None = None,
        prefer: Preference | None = None,
        *,
        taken_over: bool = True,
    ) -> list[Place]:
        """Return the units ``name`` may mean, as :meth:`locate` narrows them.

        Several units are left when the row's township and ``prefer`` do not tell them apart:
        the row's point or address may (:mod:`importers.names`). Of a retired unit and a live
        one left, the live one (:func:`live_first`). A township that was retired stands also
        for the one that took it over; with ``taken_over``, a unit of that name not in the
        township may be a retired one whose successor lies in it (a village of 旧镇, merged
        into 新镇, named under 新镇).

        Examples
        --------
        >>> places = Gazetteer([Place("530424001000", "宁州街道", 4, None),
        ...                     Place("530424001016", "新复社区", 5, "530424001000"),
        ...                     Place("530424102000", "华溪镇", 4, None),
        ...                     Place("530424102001", "新复社区", 5, "530424102000")])
        >>> [p.code for p in places.candidates("新复社区")]
        ['530424001016', '530424102001']
        >>> [p.code for p in places.candidates("新复社区", "华溪镇")]
        ['530424102001']
        """
        if name is None:
            name, township = township, None
        if name is None:
            return []
        found = self.find(name)
        if township is not None:
            above = self.find(township)
            above += [self._by_code[p.successor_code] for p in above if p.successor_code]
            inside = [p for p in found if any(_inside(p.code, unit) for unit in above)]
            if not inside and taken_over:
                inside = [p for p in found if any(_leads_into(p, unit) for unit in above)]
            found = inside
        return live_first(self.preferred(found, _code, prefer))

    def in_address(
        self, address: str, within: str | None = None, prefer: Preference | None = None
    ) -> tuple[str | None, str]:
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
        prefer : Preference, optional
            Units that tell apart the deepest units, when the address names several.

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
        deepest = live_first(self.preferred(deepest, _code, prefer))
        if len(deepest) == 1:
            return deepest[0].code, ""
        shown = "、".join(self.label(p) for p in deepest[:_SHOWN])
        more = "等" if len(deepest) > _SHOWN else ""
        if len({place_key(p.name) for p in deepest}) == 1:
            said = f"地址中的“{deepest[0].name}”有 {len(deepest)} 处"
        else:
            said = f"地址中有 {len(deepest)} 个{_LEVEL_WORDS.get(level, '辖区')}"
        if _all_retired(deepest):
            said, shown, more = f"{said}，均已撤销{_now_as(deepest, self.label_of)}", "", ""
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

        The ancestors may be all or some of the units above (``华宁县宁州街道复安社区``,
        ``华宁县复安社区``). A path (``华宁县/河岭村``, ``华宁县-盘溪镇-河岭村``) means the
        units its last part that names any means, among those under the units its parts
        before name.

        Examples
        --------
        >>> towns = [Place("530424001000", "宁州街道", 4, None),
        ...          Place("530424001001", "复安社区居委会", 5, "530424001000")]
        >>> [p.code for p in Gazetteer(towns).find("宁州街道复安社区")]
        ['530424001001']
        >>> [p.code for p in Gazetteer(towns).find("华宁县/宁州街道/复安社区/3号楼")]
        ['530424001001']
        """
        parts = [p for p in _PATH_SEPARATOR.split(unicodedata.normalize("NFKC", name)) if p]
        if len(parts) > 1:
            return self._find_path(parts)
        key = place_key(name)
        for whole in (key, *(key + kind for kind in _SHORTENED)):
            if whole in self._by_key:
                return list(self._by_key[whole])
        found: list[Place] = []
        for cut in range(1, len(key)):
            head, tail = key[:cut], key[cut:]
            found += [p for p in self._by_key.get(tail, ()) if self._written_above(head, p)]
        return found

    def _find_path(self, parts: list[str]) -> list[Place]:
        """Return the units the last part of a path that names any means, under the others."""
        above: list[Place] = []
        for part in parts:
            found = self.find(part)
            if above:
                found = [p for p in found if any(_inside(p.code, unit) for unit in above)]
            above = found or above
        return above

    def preferred(
        self, found: list[T], code_of: Callable[[T], str], prefer: Preference | None
    ) -> list[T]:
        """Return the places of ``found`` in the units ``prefer`` names, when it tells them apart.

        Parameters
        ----------
        found : list
            The places (units, grids) a name means.
        code_of : callable
            A place → the code of the unit it lies in.
        prefer : Preference or None
            The units, the first first; the codes that told places apart are added to its
            ``decided``.

        Returns
        -------
        list
            ``found`` when it holds one place, or none of them lies in a unit; else those that
            lie in the first such unit, narrowed likewise by the next.

        Examples
        --------
        >>> places = Gazetteer([Place("530424001000", "宁州街道", 4, None),
        ...                     Place("530424102000", "华溪镇", 4, None)])
        >>> prefer = Preference(["530424102000"])
        >>> places.preferred(["530424001016", "530424102001"], str, prefer), prefer.decided
        (['530424102001'], {'530424102000'})
        >>> places.preferred(["530424001016"], str, prefer)  # one place: kept
        ['530424001016']
        """
        if prefer is None:
            return found
        for unit in prefer.codes:
            inside = [place for place in found if self.within(code_of(place), unit)]
            if len(found) > 1 and 0 < len(inside) < len(found):
                found = inside
                prefer.decided.add(unit)
        return found

    def current(self, code: str) -> str:
        """Return the live unit that took over the unit ``code``, if it is retired; else ``code``.

        Examples
        --------
        >>> places = Gazetteer([Place("530424101001", "南河村", 5, None, date(2026, 3, 10),
        ...                           "530424101002")])
        >>> places.current("530424101001"), places.current("530424101002")
        ('530424101002', '530424101002')
        """
        unit = self._by_code.get(code)
        return unit.successor_code if unit is not None and unit.successor_code else code

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

    def outside_rule(self, codes: Sequence[str], prefer: Preference | None) -> str | None:
        """Return why places a name could mean are refused: none lies in the import's scope.

        Parameters
        ----------
        codes : sequence of str
            The codes of the places (units, or the units grids lie in).
        prefer : Preference or None
            Its ``scope``, the import's jurisdiction.

        Returns
        -------
        str or None
            ``均不在 盘溪镇（530424101000）范围内（--within）``, or ``None`` when there is no
            scope or a place lies in it.

        Examples
        --------
        >>> places = Gazetteer([Place("530424101000", "盘溪镇", 4, None)])
        >>> places.outside_rule(["530424001016", "530424102001"], Preference(scope="530424101000"))
        '均不在 盘溪镇（530424101000）范围内（--within）'
        >>> places.outside_rule(["530424101001", "530424102001"], Preference(scope="530424101000"))
        """
        scope = self.unit(prefer.scope) if prefer is not None and prefer.scope else None
        if scope is None or any(_inside(code, scope) for code in codes):
            return None
        return f"均不在 {scope.name}（{scope.code}）范围内（--within）"

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

    def _written_above(self, head: str, place: Place) -> bool:
        """Whether ``head`` names units above ``place`` from the top, levels left out or not.

        ``华宁县宁州街道``, ``华宁县`` and ``宁州街道`` are written above 复安社区.
        """
        names: list[str] = []
        parent = self._by_code.get(place.parent_code or "")
        while parent is not None and len(names) < 5:
            names.append(place_key(parent.name))
            parent = self._by_code.get(parent.parent_code or "")
        at = 0
        for name in reversed(names):
            if head.startswith(name, at):
                at += len(name)
        return at == len(head)


class _Unit(Protocol):
    """A unit or a grid: what :func:`live_first` reads of it."""

    @property
    def code(self) -> str: ...

    @property
    def retired_on(self) -> date | None: ...

    @property
    def successor_code(self) -> str | None: ...


U = TypeVar("U", bound=_Unit)


def live_first(found: list[U]) -> list[U]:
    """Return the live places of ``found``, if some are; else the retired ones, told apart.

    A name that a retired unit and a live one share means the live one. Retired units that
    all lead to one live unit are one (the first by code): a row naming it goes there.

    Examples
    --------
    >>> old = Place("530424101001", "南河村", 5, None, date(2026, 3, 10), "530424101009")
    >>> new = Place("530424102001", "南河村", 5, None)
    >>> [p.code for p in live_first([old, new])], [p.code for p in live_first([old])]
    (['530424102001'], ['530424101001'])
    """
    live = [place for place in found if place.retired_on is None]
    if live:
        return live
    leads = {place.successor_code for place in found}
    if len(found) > 1 and len(leads) == 1 and None not in leads:
        return [min(found, key=lambda place: place.code)]
    return found


def _all_retired(found: Sequence[_Unit]) -> bool:
    return bool(found) and all(place.retired_on is not None for place in found)


def _now_as(found: Sequence[_Unit], label: Callable[[str], str]) -> str:
    """Return ``，现为A、B``: the live units the retired ``found`` lead to (empty: none)."""
    leads = sorted({p.successor_code for p in found if p.successor_code is not None})
    if not leads:
        return ""
    more = "等" if len(leads) > _SHOWN else ""
    return f"，现为{'、'.join(label(code) for code in leads[:_SHOWN])}{more}"


def _keys(place: Place) -> list[str]:
    """Return the keys a unit is found by: its :func:`place_key`, and ``河岭村`` for 河岭村委会."""
    key = place_key(place.name)
    committee = _VILLAGE_BODY.search(_SPACE.sub("", place.name)) and not key.endswith("村")
    return [key + "村", key] if committee else [key]


def _written(place: Place) -> list[str]:
    """Return the names a village is written as before its grids' (longest first)."""
    keys = _keys(place)
    return [*keys, *(keys[-1].removesuffix(kind) for kind in _SHORTENED)]


def _code(place: Place) -> str:
    return place.code


def _inside(code: str, unit: Place) -> bool:
    """Whether ``code`` is ``unit``'s or one under it (their codes share its prefix)."""
    return code.startswith(unit.code[: prefix_length(unit.level)])


def _leads_into(place: Place, unit: Place) -> bool:
    """Whether ``place`` is retired into ``unit`` or a unit under it."""
    return place.successor_code is not None and _inside(place.successor_code, unit)


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
    retired_on : date or None
        The day a re-division retired it (``None``: live).
    successor_code : str or None
        The live grid its chain of successors leads to, if it is retired and one does.
    """

    code: str
    name: str
    area_code: str
    retired_on: date | None = None
    successor_code: str | None = None


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
        self._by_core: defaultdict[tuple[str, str], list[GridPlace]] = defaultdict(list)
        self._written: defaultdict[str, list[str]] = defaultdict(list)
        self._by_code: dict[str, GridPlace] = {}
        for grid in grids:
            self._by_code[grid.code] = grid
            key = grid_key(grid.name)
            self._by_key[key].append(grid)
            self._by_core[grid.area_code, self._core(key, grid.area_code)].append(grid)
        self._villages = sorted({village for village, _ in self._by_core})
        for village in self._villages:
            unit = places.unit(village)
            for written in dict.fromkeys(_written(unit) if unit is not None else ()):
                if len(written) >= 2:
                    self._written[written].append(village)

    def grid(self, code: str) -> GridPlace | None:
        """Return the grid of 15-digit ``code``, or ``None`` when the database has none.

        Parameters
        ----------
        code : str
            A grid code.

        Returns
        -------
        GridPlace or None
            The grid.
        """
        return self._by_code.get(code)

    def locate(
        self,
        name: str,
        area: str | None = None,
        prefer: Preference | None = None,
        *,
        taken_over: bool = True,
    ) -> tuple[GridPlace | None, str]:
        """Return the one grid ``name`` means (in ``area`` when given), or ``None`` and why not.

        Parameters
        ----------
        name : str
            The grid as the file names it.
        area : str, optional
            The row's jurisdiction code (its village, or a unit above: its township).
        prefer : Preference, optional
            Units that tell apart the grids a name still means in ``area``.
        taken_over : bool
            Whether a retired grid whose successor lies in ``area`` counts as in it
            (:meth:`candidates`): a record's row, not a file of grids.

        Returns
        -------
        tuple
            ``(grid, "")`` when one grid matches, else ``(None, rule)`` with a Chinese rule.
        """
        found = self.candidates(name, area, prefer, taken_over=taken_over)
        if len(found) == 1:
            return found[0], ""
        unit = self._places.unit(area) if area is not None else None
        where = f"在{self._places.label(unit)}" if unit is not None else ""
        if not found:
            return None, f"数据库中{where}没有名为“{name}”的网格：请写 15 位网格编码，或先导入网格"
        found = sorted(found, key=lambda g: g.code)
        if _all_retired(found):
            now = _now_as(found, self._label_of)
            return (
                None,
                f"“{name}”{where}有 {len(found)} 处，均已撤销{now}：请写现在的网格或 15 位网格编码",
            )
        shown = "、".join(self._label(g) for g in found[:_SHOWN])
        more = "等" if len(found) > _SHOWN else ""
        outside = self._places.outside_rule([g.area_code for g in found], prefer)
        if outside is not None:
            return None, f"“{name}”{where}有 {len(found)} 处：{shown}{more}，{outside}"
        asked = "所属社区" if unit is not None else "所属社区、所属乡镇"
        if len({g.area_code for g in found}) == 1:  # a re-coded grid beside its old code
            return (
                None,
                f"“{name}”{where}有 {len(found)} 处：{shown}{more}。这 {len(found)} 个网格同属"
                "一个村（社区）且同名，所属社区无法区分：请填写 15 位网格编码",
            )
        return (
            None,
            f"“{name}”{where}有 {len(found)} 处：{shown}{more}。请填写{asked}或 15 位网格编码",
        )

    def candidates(
        self,
        name: str,
        area: str | None = None,
        prefer: Preference | None = None,
        *,
        taken_over: bool = True,
    ) -> list[GridPlace]:
        """Return the grids ``name`` may mean, as :meth:`locate` narrows them.

        Units the name writes before the grid's (``华溪镇新复社区第4网格``) tell apart grids of
        one name first, then ``prefer``; of a retired grid and a live one left, the live one
        (:func:`live_first`). A grid not found in ``area``, a village that was retired, is
        looked for in the village that took it over. With ``taken_over``, a grid still not
        found may be a retired one whose successor lies there: ``柳塘第2网格`` under 柳岭村,
        which took over 柳塘村 and re-coded its grids (:meth:`_taken_over_in`).

        Examples
        --------
        >>> places = Gazetteer([Place("530424001000", "宁州街道", 4, None),
        ...                     Place("530424001016", "新复社区", 5, "530424001000"),
        ...                     Place("530424102000", "华溪镇", 4, None),
        ...                     Place("530424102001", "新复社区", 5, "530424102000")])
        >>> grids = GridDirectory([GridPlace("530424001016004", "新复第4网格", "530424001016"),
        ...                        GridPlace("530424102001004", "新复第4网格", "530424102001")],
        ...                       places)
        >>> [g.code for g in grids.candidates("华溪镇新复社区第4网格")]
        ['530424102001004']
        >>> len(grids.candidates("新复第4网格"))
        2
        """
        key = grid_key(name)
        found = self._named_in(key, area)
        if not found and area is not None and self._places.current(area) != area:
            found = self._named_in(key, self._places.current(area))
        if not found and area is not None and taken_over:
            found = self._taken_over_in(key, self._places.current(area))
        if len(found) > 1:
            found = self.in_unit(found, self._places.in_address(name)[0])
        return live_first(self._places.preferred(found, _area_of, prefer))

    def _named_in(self, key: str, area: str | None) -> list[GridPlace]:
        """Return the grids of ``area`` (anywhere, if ``None``) that ``key`` names."""
        found = self._by_key.get(key, [])
        if area is not None:
            found = [g for g in found if self._places.within(g.area_code, area)]
            if not found:
                core = self._core(key, area)
                found = [g for v in self._in_area(area) for g in self._by_core.get((v, core), ())]
        return found or self._after_village(key, area)

    def _taken_over_in(self, key: str, area: str) -> list[GridPlace]:
        """Return the retired grids ``key`` names whose live successor lies in ``area``.

        Named as the database has them (``柳塘第2网格``) or after their village's name
        (``柳塘村第2网格``); a bare serial (``第2网格``) names a grid of ``area`` only.
        """
        named = [*self._by_key.get(key, ()), *self._after_village(key)]
        taken = {g.code: g for g in named if self._leads_into(g, area)}
        return list(taken.values())

    def _leads_into(self, grid: GridPlace, area: str) -> bool:
        """Whether ``grid`` is retired into a live grid that lies in ``area``."""
        successor = self._by_code.get(grid.successor_code or "")
        return successor is not None and self._places.within(successor.area_code, area)

    def in_unit(self, found: list[GridPlace], unit: str | None) -> list[GridPlace]:
        """Return the grids of ``found`` in ``unit``, when some but not all of them lie there.

        Examples
        --------
        >>> places = Gazetteer([Place("530424102000", "华溪镇", 4, None)])
        >>> grids = [GridPlace("530424001016004", "新复第4网格", "530424001016"),
        ...          GridPlace("530424102001004", "新复第4网格", "530424102001")]
        >>> [g.code for g in GridDirectory(grids, places).in_unit(grids, "530424102000")]
        ['530424102001004']
        """
        if unit is None:
            return found
        inside = [g for g in found if self._places.within(g.area_code, unit)]
        return inside if 0 < len(inside) < len(found) else found

    def _in_area(self, area: str) -> list[str]:
        """Return the villages with grids in ``area`` (none if it is no unit of the places)."""
        unit = self._places.unit(area)
        if unit is None:
            return []
        prefix = area[: prefix_length(unit.level)]
        start = bisect_left(self._villages, prefix)
        return self._villages[start : bisect_left(self._villages, prefix + "\x7f", start)]

    def _after_village(self, key: str, area: str | None = None) -> list[GridPlace]:
        """Return the grids ``key`` names after their village's name (``华福社区第1网格``).

        With ``area`` (the row's township), only the grids of its villages. Each part of the
        key that a village is written as is looked up (a name is a few characters long).
        """
        inside = set(self._in_area(area)) if area is not None else None
        found: dict[str, GridPlace] = {}
        for end in range(2, len(key)):
            for start in range(end - 1):
                for village in self._written.get(key[start:end], ()):
                    if inside is None or village in inside:
                        found |= {g.code: g for g in self._by_core.get((village, key[end:]), ())}
        return list(found.values())

    def _label(self, grid: GridPlace) -> str:
        """Return ``宁州街道新复社区的新复第4网格（530424001016004）``."""
        return f"{self._village(grid)}{grid.name}（{grid.code}）"

    def _label_of(self, code: str) -> str:
        grid = self._by_code.get(code)
        return self._label(grid) if grid is not None else code

    def _village(self, grid: GridPlace) -> str:
        """Return ``宁州街道新复社区的``: where a grid lies, to tell apart grids of one name."""
        unit = self._places.unit(grid.area_code)
        return f"{self._places.under_parent(unit)}的" if unit is not None else ""

    def _core(self, key: str, village: str) -> str:
        """Return a grid's name without its village's name in front (``第1网格``)."""
        unit = self._places.unit(village)
        if unit is None:
            return key
        for prefix in _written(unit):
            if prefix and key.startswith(prefix) and len(key) > len(prefix):
                return key[len(prefix) :]
        return key


def _area_of(grid: GridPlace) -> str:
    return grid.area_code
