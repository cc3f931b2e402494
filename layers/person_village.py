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
registrar is there to pick the point on the map.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import scope_range
from geo.places import Gazetteer, Place, Preference, is_place_name
from layers.errors import InvalidInput
from layers.model import Level

BY_ADDRESS = "居住地址"
BY_COMMUNITY = "所属村（社区）"
NOT_FOUND = (
    "未能从{source}找到您辖区内的村（社区）：请在地图上点选居住地，或在居住地址中写明所在村（社区）"
)
NOT_A_VILLAGE = (
    "{source}只能定到{unit}，未写明村（社区）：请在地图上点选居住地，"
    "或在居住地址中写明所在村（社区）"
)
_GRIDS_SHOWN = 5
"""How many of a village's grids the several-grids note names."""


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
    """

    area_code: str
    grid_code: str | None
    source: str
    village: str
    grids: tuple[str, ...] = ()

    @property
    def several_note(self) -> str | None:
        """Return what the registration says when the village's grids do not tell which grid.

        Examples
        --------
        >>> VillagePlace("530424001001", None, BY_ADDRESS, "宁州街道复安社区",
        ...              ("复安第1网格", "复安第2网格")).several_note
        '按居住地址定到宁州街道复安社区，该村（社区）有 2 个网格（复安第1网格、复安第2网格），\
无法确定所在网格：未划入网格，不在网格员的走访名单上，须指定所在网格（在花名册中填写所属网格）'
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
            "无法确定所在网格：未划入网格，不在网格员的走访名单上，须指定所在网格"
            "（在花名册中填写所属网格）"
        )


def scope_gazetteer(session: Session, scope_code: str) -> Gazetteer:
    """Return the live jurisdictions of the scope and those above it, found by name.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session of the registrar.
    scope_code : str
        The registrar's scope.

    Returns
    -------
    Gazetteer
        The units an address in the scope may name (the county and city above too, so
        that ``华宁县宁州街道…`` is read as written).
    """
    lo, hi = scope_range(scope_code)
    above = [scope_code[:n].ljust(12, "0") for n in (2, 4, 6, 9) if n < len(lo)]
    rows = session.execute(
        text(
            "SELECT code, name, level, parent_code FROM jurisdictions"
            " WHERE retired_on IS NULL AND ((code >= :lo AND code < :hi) OR code = ANY(:above))"
            " ORDER BY code"
        ),
        {"lo": lo, "hi": hi, "above": above},
    ).all()
    return Gazetteer(Place(r.code, r.name, int(r.level), r.parent_code) for r in rows)


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
        Neither names a village of the scope (or one of several).
    """
    places = scope_gazetteer(session, scope_code)
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
    if found.level < Level.VILLAGE:
        raise InvalidInput(NOT_A_VILLAGE.format(source=source, unit=places.under_parent(found)))
    grids = session.execute(
        text(
            "SELECT code, name FROM grids WHERE area_code = :v AND retired_on IS NULL ORDER BY code"
        ),
        {"v": found.code},
    ).all()
    return VillagePlace(
        area_code=found.code,
        grid_code=str(grids[0].code) if len(grids) == 1 else None,
        source=source,
        village=places.under_parent(found),
        grids=tuple(str(g.name) for g in grids),
    )
