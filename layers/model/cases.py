"""Cases (incidents and disputes, 一案一码) and their append-only event log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from layers.model.base import (
    Base,
    LabelledEnum,
    area_code_type,
    created_column,
    geometry,
    id_column,
)


class Channel(LabelledEnum):
    """How a case came in (统一登记 channels)."""

    GRID_WORKER = ("grid_worker", "网格员上报")
    HOTLINE_12345 = ("hotline_12345", "12345热线")
    NON_POLICE_110 = ("non_police_110", "110非警务警情")
    WALK_IN = ("walk_in", "来访")
    PHONE = ("phone", "来电")
    LETTER = ("letter", "来信")
    ONLINE = ("online", "网上受理")
    SUPERIOR = ("superior", "上级交办")
    SUBORDINATE = ("subordinate", "下级上报")
    PETITION = ("petition", "信访")
    VIDEO = ("video", "视频发现")


class Category(LabelledEnum):
    """Top-level kind of case."""

    DISPUTE = ("dispute", "矛盾纠纷")
    SAFETY_HAZARD = ("safety_hazard", "安全隐患")
    PUBLIC_OPINION = ("public_opinion", "社情民意")


class DisputeType(LabelledEnum):
    """Sub-category of a dispute."""

    MARRIAGE_FAMILY = ("marriage_family", "婚姻家庭")
    NEIGHBOURS = ("neighbours", "邻里纠纷")
    LAND = ("land", "土地山林")
    LABOUR_WAGES = ("labour_wages", "劳资欠薪")
    PROPERTY_MANAGEMENT = ("property_management", "物业管理")
    MEDICAL = ("medical", "医疗纠纷")
    TRAFFIC = ("traffic", "交通事故")
    DEMOLITION = ("demolition", "征地拆迁")
    ENVIRONMENT = ("environment", "环境污染")
    CONSUMER = ("consumer", "消费维权")
    LOANS_CONTRACTS = ("loans_contracts", "借贷合同")
    OTHER = ("other", "其他纠纷")


class HazardType(LabelledEnum):
    """Sub-category of a safety hazard: the kind of danger.

    A storm night's incidents have their own (trial AZ m1): 内涝积水 (a flooded underpass),
    电力设施隐患 (电线落地, a fallen pole), 停电断电 and 人员走失 (a missing 独居老人), so its
    reports and hot spots no longer read as 社情民意.
    """

    FIRE = ("fire", "消防安全隐患")
    ROAD = ("road", "道路交通隐患")
    BUILDING = ("building", "房屋建筑隐患")
    GAS = ("gas", "燃气安全隐患")
    GEOLOGY = ("geology", "地质灾害隐患")
    WATERLOGGING = ("waterlogging", "内涝积水")
    POWER_LINE = ("power_line", "电力设施隐患")
    OUTAGE = ("power_outage", "停电断电")
    MISSING_PERSON = ("missing_person", "人员走失")
    OTHER = ("other_hazard", "其他安全隐患")


class OpinionType(LabelledEnum):
    """Sub-category of public opinion (社情民意): what the matter concerns."""

    INFRASTRUCTURE = ("infrastructure", "基础设施")
    SANITATION = ("sanitation", "环境卫生")
    PUBLIC_SERVICE = ("public_service", "公共服务")
    POLICY = ("policy", "政策咨询")


SUBTYPES: dict[Category, type[LabelledEnum]] = {
    Category.DISPUTE: DisputeType,
    Category.SAFETY_HAZARD: HazardType,
    Category.PUBLIC_OPINION: OpinionType,
}
"""The code table of each category's subcategories (``cases.subcategory`` holds their codes)."""


class RiskLevel(LabelledEnum):
    """Risk grade: 1 red (highest) … 4 blue."""

    RED = ("1", "红色（重大）")
    ORANGE = ("2", "橙色（较大）")
    YELLOW = ("3", "黄色（一般）")
    BLUE = ("4", "蓝色（低）")


class CaseState(LabelledEnum):
    """Where a case is in its workflow."""

    REGISTERED = ("registered", "已登记")
    TRIAGED = ("triaged", "已分流")
    DISPATCHED = ("dispatched", "已派单")
    ACCEPTED = ("accepted", "已受理")
    ON_SITE = ("on_site", "已到场")
    RESOLVED = ("resolved", "已办结")
    LEGAL_ROUTE = ("legal_route", "法治化途径")
    EVALUATED = ("evaluated", "已评价")
    VISITED = ("visited", "已回访")
    ARCHIVED = ("archived", "已销号")
    ESCALATED = ("escalated", "已上报")


class Case(Base):
    """The current state of one case."""

    __tablename__ = "cases"
    __table_args__ = (
        Channel.check("channel"),
        Category.check("category"),
        CaseState.check("state"),
        CheckConstraint("risk_level BETWEEN 1 AND 4", name="risk_range"),
        CheckConstraint("handling_level BETWEEN 1 AND 5", name="handling_level_range"),
        Index("ix_cases_area_code_state", "area_code", "state"),
        Index("ix_cases_reported_at", "reported_at"),
        Index("uq_cases_channel_external_no", "channel", "external_no", unique=True),
        # a case found by the last digits of its code (layers.case_lists.identifier_match);
        # migration 0033 gives it the C collation, which reflection leaves out of its expression
        Index("ix_cases_code_reversed", text("reverse(code::text)")),
        # the cases of a day by the date in their codes (layers.case_lists.code_day); migration
        # 0035 gives it the C collation, likewise left out here
        Index("ix_cases_code_day", text("substr(code::text, 8)")),
    )

    id: Mapped[int] = id_column()
    code: Mapped[str] = mapped_column(String(32), unique=True)
    external_no: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(20))
    subcategory: Mapped[str | None] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    risk_level: Mapped[int] = mapped_column(SmallInteger, default=4)
    point = mapped_column(geometry("POINT"), nullable=True)
    address: Mapped[str | None] = mapped_column(String(200))
    area_code: Mapped[str] = mapped_column(area_code_type(), ForeignKey("jurisdictions.code"))
    grid_code: Mapped[str | None] = mapped_column(String(15), index=True)
    state: Mapped[str] = mapped_column(String(20), default=CaseState.REGISTERED)
    handling_level: Mapped[int] = mapped_column(SmallInteger, default=4)
    reported_at: Mapped[datetime]
    registered_at: Mapped[datetime] = created_column()
    contact_deadline: Mapped[datetime | None]
    deadline: Mapped[datetime | None]
    supervision_deadline: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    reporter_name: Mapped[str | None] = mapped_column(String(50))
    reporter_phone: Mapped[str | None] = mapped_column(String(30))
    duplicate_of: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )
    repeat_count: Mapped[int] = mapped_column(default=0, server_default="0")
    import_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("import_runs.id"), index=True
    )
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class CaseEvent(Base):
    """One entry of a case's append-only log: who did what, from which state to which."""

    __tablename__ = "case_events"
    __table_args__ = (
        Index("ix_case_events_case_id_at", "case_id", "at"),
        Index(
            "ix_case_events_escalations",
            "area_code",
            "at",
            postgresql_where=text("action = 'escalate'"),
        ),
        Index("ix_case_events_summons", "area_code", postgresql_where=text("action = 'summon'")),
    )

    id: Mapped[int] = id_column()
    case_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("cases.id", ondelete="CASCADE"))
    area_code: Mapped[str] = mapped_column(area_code_type(), index=True)
    at: Mapped[datetime] = created_column()
    actor_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(50))
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
