"""Where a person registered by hand with no point and no grid lives: from their address.

A township's registrar often knows a person's 现住址 (``宁州街道复安社区幸福路 3 号``) or their
所属村（社区） and not the spot on the map. A roster's person so written is placed by the
importer (:func:`importers.names.place_in_only_grids`, trial AV M1): their village from the
address or the 所属社区, and the village's grid when it has one grid in use. The console's
registration (:func:`layers.person_entry.register_person`) places them the same way, with the
same gazetteer (:class:`geo.places.Gazetteer`), read from the registrar's scope.

No point is made up: the address gives a village, not a home (:mod:`layers.person_places`).
A village of several grids does not tell which: the person is registered in the village with
no grid, and the registration says so (:attr:`VillagePlace.several_note`). An address that
names only a township, or no unit of the scope, or one of several places, is refused: the
registrar is there to pick the point on the map. So is one naming a village a re-division
retired (撤并村, 村改居): the refusal says when and names the unit that took it over, if the data
knows it (``successor_code``, followed to the live unit: :mod:`layers.unit_gazetteer`).

The console's form suggests the villages of the scope for the 所属村（社区）
(:func:`scope_villages`) and asks where the words place a person before it registers them
(:func:`place_by_words`), so that the registrar picks the grid of a village of several grids.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.places import Gazetteer, Place, Preference, is_place_name
from layers.errors import InvalidInput
from layers.model import Level
from layers.unit_gazetteer import read_gazetteer, unit_places

BY_ADDRESS = "居住地址"
BY_COMMUNITY = "所属村（社区）"
NOT_FOUND = (
    "未能从{source}找到您辖区内的村（社区）：请在地图上点选居住地，或在居住地址中写明所在村（社区）"
)
NOT_A_VILLAGE = (
    "{source}只能定到{unit}，未写明村（社区）：请在地图上点选居住地，"
    "或在居住地址中写明所在村（社区）"
)
RETIRED = "{source}{unit}已于 {day} {how}：请填写现在的村（社区），或在地图上点选居住地"
MERGED_OUT_OF_SIGHT = "撤并，并入的单位不在您的辖区内（居住地已不属本辖区的，请联系县综治中心）"
"""How a unit merged into one out of the registrar's scope is said, naming neither."""
_CHAIN_MOST = 10
"""Most successors :func:`merged_out_of_sight` follows."""
_GRIDS_SHOWN = 5
"""How many of a village's grids the several-grids note names."""


@dataclass(frozen=True)
class GridChoice:
    """A live grid of a village, to choose from."""

    code: str
    name: str


def live_grids(session: Session, village_code: str) -> list[GridChoice]:
    """Return the grids in use of a village, by code (those the session's scope reads).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the reader.
    village_code : str
        The village (12 digits).

    Returns
    -------
    list of GridChoice
        Empty for a village with no grid in use.
    """
    rows = session.execute(
        text(
            "SELECT code, name FROM grids WHERE area_code = :v AND retired_on IS NULL ORDER BY code"
        ),
        {"v": village_code},
    ).all()
    return [GridChoice(code=str(r.code), name=str(r.name)) for r in rows]


def grid_village(session: Session, grid_code: str) -> str | None:
    """Return the village of a grid in use, or None (no such grid, retired, or not read).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the reader.
    grid_code : str
        The grid (15 digits).

    Returns
    -------
    str or None
        Its village's code (12 digits).
    """
    found = session.scalar(
        text("SELECT area_code FROM grids WHERE code = :g AND retired_on IS NULL"),
        {"g": grid_code},
    )
    return None if found is None else str(found)


@dataclass(frozen=True)
class VillagePlace:
    """The village (and its only grid) a person's address or 所属村（社区） places them in.

    Attributes
    ----------
    area_code : str
        The village's code.
    grid_code : str or None
        Its one grid in use; ``None`` when it has several (or none).
    source : str
        What gave the village: :data:`BY_ADDRESS` or :data:`BY_COMMUNITY`.
    village : str
        The village under its township (``宁州街道复安社区``).
    grids : tuple of str
        The names of its grids in use.
    grid_codes : tuple of str
        Their codes, in the same order.
    """

    area_code: str
    grid_code: str | None
    source: str
    village: str
    grids: tuple[str, ...] = ()
    grid_codes: tuple[str, ...] = ()

    @property
    def several_note(self) -> str | None:
        """Return what the registration says when the village's grids do not tell which grid.

        Examples
        --------
        >>> VillagePlace("530424001001", None, BY_ADDRESS, "宁州街道复安社区",
        ...              ("复安第1网格", "复安第2网格")).several_note
        '按居住地址定到宁州街道复安社区，该村（社区）有 2 个网格（复安第1网格、复安第2网格），\
无法确定所在网格：未划入网格，不在网格员的走访名单上，须指定所在网格：\
在“走访”页选“未落图/未划入网格”，对该人员点“划入网格”'
        >>> VillagePlace("530424001001", "530424001001001", BY_ADDRESS, "复安社区",
        ...              ("复安第1网格",)).several_note is None
        True
        """
        if self.grid_code is not None:
            return None
        if not self.grids:
            return (
                f"按{self.source}定到{self.village}，该村（社区）尚未划分网格："
                "未划入网格，不在网格员的走访名单上"
            )
        shown = "、".join(self.grids[:_GRIDS_SHOWN]) + (
            "等" if len(self.grids) > _GRIDS_SHOWN else ""
        )
        return (
            f"按{self.source}定到{self.village}，"
            f"该村（社区）有 {len(self.grids)} 个网格（{shown}），"
            "无法确定所在网格：未划入网格，不在网格员的走访名单上，须指定所在网格："
            "在“走访”页选“未落图/未划入网格”，对该人员点“划入网格”"
        )


def place_by_words(
    session: Session, address: str | None, community: str | None, scope_code: str
) -> VillagePlace:
    """Return the village a person's 所属村（社区） or address names, and its only grid.

    The 所属村（社区） (a name, or a 12-digit code) first; the address when it is not given,
    or names a village of the township it gives.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session of the registrar.
    address : str or None
        The residence as written.
    community : str or None
        The 所属村（社区） as written.
    scope_code : str
        The registrar's scope: the village must lie in it.

    Returns
    -------
    VillagePlace
        The village, and its grid when it has one in use.

    Raises
    ------
    InvalidInput
        Neither names a village of the scope (or one of several), or the unit named is
        retired (:func:`retired_refusal`).
    """
    places = read_gazetteer(session, scope_code)
    prefer = Preference([scope_code], scope=scope_code)  # a registrar imports no units
    unit: str | None = None
    source = BY_COMMUNITY
    if community:
        if is_place_name(community):
            unit, rule = places.locate(community, prefer=prefer)
            if unit is None:
                raise InvalidInput(f"所属村（社区）：{rule}")
        else:
            unit = community.strip()
        if unit not in places or not places.within(unit, scope_code):
            raise InvalidInput(NOT_FOUND.format(source=BY_COMMUNITY))
    found = places.unit(unit) if unit is not None else None
    if address and (found is None or found.level < Level.VILLAGE):
        deeper, rule = places.in_address(address, within=unit or scope_code, prefer=prefer)
        if rule:
            raise InvalidInput(f"居住地址：{rule}")
        if deeper is not None:
            unit, source = deeper, BY_ADDRESS
            found = places.unit(deeper)
    if found is None:
        if not address and not community:
            raise InvalidInput("请在地图上点选居住地，或填写居住地址")
        raise InvalidInput(NOT_FOUND.format(source=source if community else BY_ADDRESS))
    if found.retired_on is not None:
        hidden = found.successor_code is None and merged_out_of_sight(session, found.code)
        raise InvalidInput(retired_refusal(places, found, source, merged_out_of_sight=hidden))
    if found.level < Level.VILLAGE:
        raise InvalidInput(NOT_A_VILLAGE.format(source=source, unit=places.under_parent(found)))
    grids = live_grids(session, found.code)
    return VillagePlace(
        area_code=found.code,
        grid_code=str(grids[0].code) if len(grids) == 1 else None,
        source=source,
        village=places.under_parent(found),
        grids=tuple(str(g.name) for g in grids),
        grid_codes=tuple(str(g.code) for g in grids),
    )


def merged_out_of_sight(session: Session, code: str) -> bool:
    """Return whether a retired unit was merged into one the session's scope does not read.

    The gazetteer follows a unit's successors through the rows row-level security lets it read
    (:func:`layers.unit_gazetteer.unit_places`): a village of a township merged into another
    township's has no successor there, and looked abolished (撤销) to the registrar.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the reader.
    code : str
        The retired unit (12 digits).

    Returns
    -------
    bool
        True when its chain of successors reaches a unit the session cannot read; False when
        it has none, or ends at a retired unit without successor.
    """
    seen: set[str] = set()
    heir = session.scalar(
        text("SELECT successor_code FROM jurisdictions WHERE code = :c"), {"c": code}
    )
    while heir is not None and heir not in seen and len(seen) < _CHAIN_MOST:
        seen.add(heir)
        row = session.execute(
            text("SELECT retired_on, successor_code FROM jurisdictions WHERE code = :c"),
            {"c": heir},
        ).one_or_none()
        if row is None:
            return True
        if row.retired_on is None:
            return False
        heir = row.successor_code
    return False


def retired_refusal(
    places: Gazetteer, unit: Place, source: str, *, merged_out_of_sight: bool = False
) -> str:
    """Return the refusal of a retired unit named: 撤并 into the unit that took it over, or 撤销.

    Parameters
    ----------
    places : Gazetteer
        The gazetteer the unit was found in (its successor is named from it).
    unit : Place
        The retired unit.
    source : str
        What named it: :data:`BY_ADDRESS` or :data:`BY_COMMUNITY`.
    merged_out_of_sight : bool, optional
        It was merged into a unit out of the registrar's scope (:func:`merged_out_of_sight`):
        said 撤并, without naming that unit.

    Returns
    -------
    str
        The refusal, naming the live unit its successors lead to, when one does.

    Examples
    --------
    >>> from datetime import date
    >>> places = Gazetteer([
    ...     Place("530424101000", "盘溪镇", 4, None),
    ...     Place("530424101201", "高寨村", 5, "530424101000", date(2024, 6, 28), "530424101203"),
    ...     Place("530424101202", "旧寨村", 5, "530424101000", date(2024, 6, 28)),
    ...     Place("530424101203", "河岭村", 5, "530424101000")])
    >>> retired_refusal(places, places.unit("530424101201"), BY_ADDRESS)
    '居住地址中的盘溪镇高寨村已于 2024-06-28 撤并，现为盘溪镇河岭村（530424101203）：\
请填写现在的村（社区），或在地图上点选居住地'
    >>> retired_refusal(places, places.unit("530424101202"), BY_COMMUNITY)
    '所属村（社区）盘溪镇旧寨村已于 2024-06-28 撤销：请填写现在的村（社区），\
或在地图上点选居住地'
    >>> retired_refusal(places, places.unit("530424101202"), BY_COMMUNITY,
    ...                 merged_out_of_sight=True)[:42]
    '所属村（社区）盘溪镇旧寨村已于 2024-06-28 撤并，并入的单位不在您的辖区内'
    """
    day = unit.retired_on.isoformat() if unit.retired_on is not None else ""
    heir = unit.successor_code
    if heir is not None:
        how = f"撤并，现为{places.label_of(heir)}"
    elif merged_out_of_sight:
        how = MERGED_OUT_OF_SIGHT
    else:
        how = "撤销"
    said = "居住地址中的" if source == BY_ADDRESS else source
    return RETIRED.format(source=said, unit=places.under_parent(unit), day=day, how=how)


@dataclass(frozen=True)
class VillageChoice:
    """A live village of the scope, as the form's 所属村（社区） suggests it.

    Attributes
    ----------
    code : str
        Its code.
    name : str
        Its name.
    township : str or None
        The name of its township (街道).
    value : str
        What the 所属村（社区） is filled with: its name, or its township's and its name when
        the scope has another village of that name.
    """

    code: str
    name: str
    township: str | None
    value: str


def scope_villages(session: Session, scope_code: str) -> list[VillageChoice]:
    """Return the live villages (村、社区) of the scope, by code.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session of the registrar.
    scope_code : str
        The registrar's scope.

    Returns
    -------
    list of VillageChoice
        Each village, with what the form's 所属村（社区） takes for it.
    """
    units = unit_places(session, scope_code)
    names = {u.code: u.name for u in units}
    lo = scope_code.rstrip("0")
    villages = [
        u
        for u in units
        if u.level == Level.VILLAGE and u.retired_on is None and u.code.startswith(lo)
    ]
    shared = Counter(u.name for u in villages)
    return [
        VillageChoice(
            code=u.code,
            name=u.name,
            township=names.get(u.parent_code or ""),
            value=u.name
            if shared[u.name] == 1
            else f"{names.get(u.parent_code or '', '')}{u.name}",
        )
        for u in villages
    ]
