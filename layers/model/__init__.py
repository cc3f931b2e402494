"""The data model of every layer; importing this package registers all tables."""

from layers.model.accounts import AuditEntry, ImportRun, Role, User
from layers.model.analytics import Alert, AlertState, HotspotCell, HotspotRun
from layers.model.base import SRID, Base, LabelledEnum
from layers.model.case_photos import CasePhoto
from layers.model.cases import (
    Case,
    CaseEvent,
    CaseState,
    Category,
    Channel,
    DisputeType,
    HazardType,
    OpinionType,
    RiskLevel,
)
from layers.model.cross_scope import CrossScopeAttempt
from layers.model.dispatches import AssigneeKind, Dispatch, DispatchStatus
from layers.model.grids import Grid
from layers.model.import_jobs import ImportJob, JobState
from layers.model.jurisdictions import Jurisdiction, Level
from layers.model.persons import (
    ErasedPerson,
    ManagementLevel,
    Person,
    PersonCategory,
    PersonResponsible,
    PersonVisit,
    VisitOutcome,
    VisitRule,
)
from layers.model.video import DirectionType, PositionType, PtzType, VideoPoint, VideoStatus
from layers.model.visit_photos import VisitPhoto
from layers.model.workers import Worker, WorkerPosition, WorkerRole, WorkerStatus

__all__ = [
    "SRID",
    "Alert",
    "AlertState",
    "AssigneeKind",
    "AuditEntry",
    "Base",
    "Case",
    "CaseEvent",
    "CasePhoto",
    "CaseState",
    "Category",
    "Channel",
    "CrossScopeAttempt",
    "Dispatch",
    "DispatchStatus",
    "DirectionType",
    "DisputeType",
    "ErasedPerson",
    "Grid",
    "HazardType",
    "HotspotCell",
    "HotspotRun",
    "ImportJob",
    "ImportRun",
    "JobState",
    "Jurisdiction",
    "LabelledEnum",
    "Level",
    "ManagementLevel",
    "OpinionType",
    "Person",
    "PersonCategory",
    "PersonResponsible",
    "PersonVisit",
    "PositionType",
    "PtzType",
    "RiskLevel",
    "Role",
    "User",
    "VideoPoint",
    "VideoStatus",
    "VisitOutcome",
    "VisitPhoto",
    "VisitRule",
    "Worker",
    "WorkerPosition",
    "WorkerRole",
    "WorkerStatus",
]
"""Public names of the data model."""
