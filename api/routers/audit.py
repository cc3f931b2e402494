"""The audit log, for the security auditor only: entries and the hash-chain check.

Entries filter by action, actor, time and object (``object_type=person&object_id=4539``: who
read this person). An entry about a person carries ``object_label``: the person's masked name
and category (never the clear name or ID), so that the auditor understands it without the
persons layer (:func:`layers.audit.person_labels`; persons of the auditor's scope). An entry
about an account (``object_type=user``: the unmask right granted, a password reset) carries
``account_label``: the account's login name, shown name, post and scope, looked up when the
entry is read (:func:`layers.audit.account_labels`), so that entries written before name it as
well.

``POST /api/audit/person-lookup`` (the ID in the body) finds the records of a resident ID, to
ask who read them: the ID is hashed, never stored nor answered, and the search is audited.

An entry about a case carries ``case_label`` (its code, and its reporter masked: trial AO m1
read 「案件 · 编号 4241」), about an import ``import_label`` (file, kind, day).
Each entry carries ``texts``: its action, object, outcome and reason in Chinese as the page
shows them, made by :func:`layers.audit_wording.display_texts`, which writes the export's rows
too, so that the page and the export never say an entry differently (masked as the labels).
``GET /api/audit/export?file_format=xlsx|csv`` with the list's filters answers every entry the
filter shows (at most :data:`layers.audit.EXPORT_LIMIT`, else 422 in Chinese) as the page
says them, under Chinese headers, the file named by the period and the filter; the export is
an entry of its own (``audit.export``: the filter, format and rows, no personal data).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import AuditorUser, SessionDep, SettingsDep
from api.downloads import content_disposition, xlsx_response
from layers import audit, audit_wording
from layers.model import AuditEntry

router = APIRouter(prefix="/api/audit", tags=["audit"])
_Label = TypeVar("_Label", bound=BaseModel)


class ObjectLabel(BaseModel):
    """What the auditor may know of the person an entry is about: masked, never clear.

    ``erased``: the record was erased since (``zongzhi persons erase``); the label is its trace.
    ``import_id``: the import that last wrote the record (None: registered by hand, or erased).
    """

    name_masked: str
    category: str
    category_label: str
    erased: bool = False
    import_id: int | None = None


class AccountLabelOut(BaseModel):
    """The account an entry is about: login, name, post, scope (``scope_name`` None: unseen)."""

    username: str
    display_name: str
    role: str
    role_label: str
    scope_code: str
    scope_name: str | None


class CaseLabelOut(BaseModel):
    """The case an entry is about: its code and its reporter masked (None: none named)."""

    code: str
    reporter_masked: str | None


class ImportLabelOut(BaseModel):
    """The import an entry is about: its file (ID-like numbers masked), kind and day."""

    file_name: str
    kind: str
    day: str


class EntryTextsOut(BaseModel):
    """An entry's columns in Chinese, as the page shows them and the export writes them."""

    action: str = Field(description="操作, e.g. 查看反映人信息")
    object: str = Field(description="对象, masked, e.g. 案件 530424-20261206-00004241")
    outcome: str = Field(description="结果, with why it was refused, e.g. 拒绝（无查看明文权限）")
    reason: str = Field(description="原因: the stated reason, a refusal or what the entry records")


class AuditEntryOut(BaseModel):
    """One audit entry, with the label of the object it is about (masked), if any.

    ``object_label``: a person of the auditor's scope; ``account_label``, ``case_label``,
    ``import_label``. ``texts``: what the page shows of it (:func:`audit_wording.display_texts`).
    """

    id: int
    at: datetime
    actor_id: int | None
    actor_name: str
    action: str
    object_type: str | None
    object_id: str | None
    outcome: str
    reason: str | None
    detail: dict[str, Any] | None
    hash: str
    object_label: ObjectLabel | None = None
    account_label: AccountLabelOut | None = None
    case_label: CaseLabelOut | None = None
    import_label: ImportLabelOut | None = None
    texts: EntryTextsOut


class AuditPageOut(BaseModel):
    """A page of audit entries, newest first."""

    entries: list[AuditEntryOut]
    matched: int


class ChainCheck(BaseModel):
    """Result of checking the hash chain."""

    intact: bool
    first_bad_id: int | None


@router.get("", response_model=AuditPageOut)
def list_entries(
    user: AuditorUser,
    session: SessionDep,
    limit: Annotated[int, Query(description="Page size, clamped to 1-1000")] = 100,
    offset: Annotated[int, Query(description="Entries to skip")] = 0,
    action: Annotated[str | None, Query(max_length=40)] = None,
    actor: Annotated[str | None, Query(max_length=50)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    object_type: Annotated[
        str | None, Query(max_length=30, description="Kind of object, e.g. person")
    ] = None,
    object_id: Annotated[
        str | None, Query(max_length=64, description="Id of the object, e.g. a person's id")
    ] = None,
) -> AuditPageOut:
    """List audit entries, newest first, optionally filtered (by object: who read a person)."""
    page = audit.entries(
        session,
        limit=limit,
        offset=min(offset, 2**31 - 1),
        action=action,
        actor_name=actor,
        since=since,
        until=until,
        object_type=object_type,
        object_id=object_id,
    )
    labels = audit_wording.labels_of(session, page.entries)
    return AuditPageOut(
        entries=[
            AuditEntryOut(
                id=e.id,
                at=e.at,
                actor_id=e.actor_id,
                actor_name=e.actor_name,
                action=e.action,
                object_type=e.object_type,
                object_id=e.object_id,
                outcome=e.outcome,
                reason=e.reason,
                detail=e.detail,
                hash=e.hash.hex(),
                object_label=_label(labels.persons, e.object_type, e.object_id),
                account_label=_account(labels.accounts, e.object_type, e.object_id),
                case_label=_found(labels.cases, CaseLabelOut, "case", e),
                import_label=_found(labels.imports, ImportLabelOut, "import", e),
                texts=EntryTextsOut(**asdict(audit_wording.display_texts(e, labels))),
            )
            for e in page.entries
        ],
        matched=page.matched,
    )


def _found(
    found: Mapping[str, Any], model: type[_Label], kind: str, entry: AuditEntry
) -> _Label | None:
    label = found.get(entry.object_id or "") if entry.object_type == kind else None
    return None if label is None else model(**asdict(label))


@router.get(
    "/export",
    summary="Every entry the filter shows, as an XLSX or a CSV (UTF-8 with BOM) file; audited",
    responses={422: {"description": "More entries than one export holds (said in Chinese)"}},
)
def export(
    user: AuditorUser,
    session: SessionDep,
    file_format: Annotated[Literal["xlsx", "csv"], Query(alias="format")] = "xlsx",
    action: Annotated[str | None, Query(max_length=40)] = None,
    actor: Annotated[str | None, Query(max_length=50)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    object_type: Annotated[str | None, Query(max_length=30)] = None,
    object_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """Answer the entries of the filter (all pages) as the page says them, the export audited."""
    where = audit.EntryFilter(action, actor, since, until, object_type, object_id)
    found = audit.entries_to_export(session, where)
    labels = audit_wording.labels_of(session, found)
    rows = [audit_wording.entry_texts(e, labels) for e in found]
    audit.record_export(
        session,
        actor_id=user.id,
        actor_name=user.username,
        where=where,
        file_format=file_format,
        rows=len(rows),
    )
    session.commit()
    name = audit_wording.export_name(where, file_format)
    if file_format == "csv":
        disposition = content_disposition(name, "audit-log.csv")
        return Response(
            audit_wording.export_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": disposition},
        )
    body = audit_wording.export_xlsx(rows, where, exported_by=user.username, at=datetime.now(UTC))
    return xlsx_response(body, name, "audit-log.xlsx")


def _label(
    persons: Mapping[str, audit.PersonLabel], object_type: str | None, object_id: str | None
) -> ObjectLabel | None:
    found = persons.get(object_id or "") if object_type == "person" else None
    return None if found is None else ObjectLabel(**asdict(found))


def _account(
    accounts: Mapping[str, audit.AccountLabel], object_type: str | None, object_id: str | None
) -> AccountLabelOut | None:
    found = accounts.get(object_id or "") if object_type == audit.ACCOUNT_OBJECT else None
    return None if found is None else AccountLabelOut(**asdict(found))


class LookupIn(BaseModel):
    """A resident ID to find the person records of (in the body: never in a URL or a log)."""

    resident_id: str = Field(max_length=40)


class FoundPersonOut(BaseModel):
    """A person record the ID names: its id (the entries' ``object_id``), masked.

    ``text``: the person as an entry's object names them (:func:`audit_wording.person_text`).
    """

    id: str
    object_label: ObjectLabel
    text: str = Field(description="The person masked, e.g. 董**（重点青少年）")
    origin: str | None = Field(
        default=None, description="The import that last wrote the record (none: by hand)"
    )


@router.post(
    "/person-lookup",
    response_model=list[FoundPersonOut],
    summary="The person records of a resident ID (masked), to see who read them; audited",
    responses={422: {"description": "Not a valid resident ID"}},
)
def person_lookup(
    body: LookupIn, user: AuditorUser, session: SessionDep, settings: SettingsDep
) -> list[FoundPersonOut]:
    """Hash the ID with the platform key, return the records found; the search is audited."""
    found = audit.persons_of_resident_id(
        session,
        settings.platform_keys(),
        body.resident_id,
        actor_id=user.id,
        actor_name=user.username,
    )
    session.commit()
    return [
        FoundPersonOut(
            id=p.id,
            object_label=ObjectLabel(**asdict(p.label)),
            text=audit_wording.person_text(p.label),
            origin=p.origin,
        )
        for p in found
    ]


@router.get("/verify", response_model=ChainCheck)
def verify(user: AuditorUser, session: SessionDep) -> ChainCheck:
    """Check every link of the audit hash chain."""
    result = audit.verify_chain(session)
    if result is True:
        return ChainCheck(intact=True, first_bad_id=None)
    return ChainCheck(intact=False, first_bad_id=int(result))
