"""Jurisdictions: the five levels of the administrative hierarchy (province … village)."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from layers.model.base import Base, area_code_type, geometry


class Level(enum.IntEnum):
    """Level of a jurisdiction, with its Chinese name."""

    PROVINCE = 1
    CITY = 2
    COUNTY = 3
    TOWNSHIP = 4
    VILLAGE = 5

    @property
    def label(self) -> str:
        """Chinese name of the level."""
        return ("省", "市", "县", "乡镇", "村社区")[self.value - 1]

    @property
    def handling_label(self) -> str:
        """The level as the level that handles a case (办理层级): 乡镇（街道）级 and the like."""
        return ("省级", "市级", "县级", "乡镇（街道）级", "村（社区）级")[self.value - 1]


class Jurisdiction(Base):
    """One administrative unit, keyed by its 12-digit statistical division code.

    A unit abolished by a merger or a 村改居 is retired (``retired_on``), never deleted: the
    records of years name it. ``successor_code`` is the unit that took it over, if one did.
    """

    __tablename__ = "jurisdictions"
    __table_args__ = (
        CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),
        CheckConstraint(
            "successor_code IS NULL OR retired_on IS NOT NULL", name="successor_retired"
        ),
    )

    code: Mapped[str] = mapped_column(area_code_type(), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[int] = mapped_column(SmallInteger)
    parent_code: Mapped[str | None] = mapped_column(
        area_code_type(), ForeignKey("jurisdictions.code"), index=True
    )
    boundary = mapped_column(geometry("MULTIPOLYGON"), nullable=True)
    source: Mapped[str | None] = mapped_column(String(200))
    retired_on: Mapped[date | None]
    successor_code: Mapped[str | None] = mapped_column(
        area_code_type(), ForeignKey("jurisdictions.code"), index=True
    )
