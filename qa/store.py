"""The versioned QA configuration: rules and scoring items (qa.models.QaConfigVersion).

The newest version of a kind is in force; version 0 is the shipped default (qa.config) and is never
stored. Every save is a new version and one entry of the admin change log (area ``qa_rules``) with the
JSON difference from the version it replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from admin.audit import Change, json_diff, record_change
from hotline.db.access import writing
from qa.config import DEFAULT_ITEMS, RuleSet, ScoreItems
from qa.errors import QaError
from qa.models import QaConfigVersion

Sessions = sessionmaker[Session]
AUDIT_AREA = "qa_rules"
KIND_LABELS = {"rules": "质检规则", "items": "评分项"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Editor:
    """Who saves a version (for the change log)."""

    user_id: str
    role: str
    client: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionInfo:
    """One stored version, without its body."""

    version: int
    created_at: datetime
    created_by: str


def _newest(session: Session, kind: str) -> QaConfigVersion | None:
    query = (
        select(QaConfigVersion)
        .where(QaConfigVersion.kind == kind)
        .order_by(QaConfigVersion.version.desc())
        .limit(1)
    )
    return session.execute(query).scalar_one_or_none()


def rules(sm: Sessions, *, version: int | None = None) -> tuple[int, RuleSet]:
    """The rules in force (or of ``version``) and their version."""
    found, body = _body(sm, "rules", version)
    return found, RuleSet() if body is None else RuleSet.model_validate(body)


def items(sm: Sessions, *, version: int | None = None) -> tuple[int, ScoreItems]:
    """The scoring items in force (or of ``version``) and their version."""
    found, body = _body(sm, "items", version)
    return found, DEFAULT_ITEMS if body is None else ScoreItems.model_validate(body)


def _body(sm: Sessions, kind: str, version: int | None) -> tuple[int, dict[str, Any] | None]:
    with sm() as s:
        if version is None:
            row = _newest(s, kind)
        else:
            query = select(QaConfigVersion).where(
                QaConfigVersion.kind == kind, QaConfigVersion.version == version
            )
            row = s.execute(query).scalar_one_or_none()
            if row is None and version != 0:
                raise QaError(
                    "version_not_found", "no such version", status_code=404, details={"version": version}
                )
        return (0, None) if row is None else (row.version, dict(row.body))


def versions(sm: Sessions, kind: str) -> list[VersionInfo]:
    """The stored versions of ``kind``, newest first."""
    query = (
        select(QaConfigVersion.version, QaConfigVersion.created_at, QaConfigVersion.created_by)
        .where(QaConfigVersion.kind == kind)
        .order_by(QaConfigVersion.version.desc())
    )
    with sm() as s:
        return [VersionInfo(version=v, created_at=at, created_by=by) for v, at, by in s.execute(query)]


def save(sm: Sessions, kind: str, body: BaseModel, editor: Editor, *, now: datetime | None = None) -> int:
    """Store ``body`` as the next version of ``kind`` and log the change; the new version.

    Two admins saving at once: one gets 409 ``version_conflict`` and may save again."""
    at = now or datetime.now(UTC)
    new = body.model_dump(mode="json")
    default = (RuleSet() if kind == "rules" else DEFAULT_ITEMS).model_dump(mode="json")
    try:
        with writing(sm) as s:
            row = _newest(s, kind)
            before = default if row is None else dict(row.body)
            version = 1 + (
                s.execute(
                    select(func.coalesce(func.max(QaConfigVersion.version), 0)).where(
                        QaConfigVersion.kind == kind
                    )
                ).scalar_one()
            )
            s.add(
                QaConfigVersion(
                    kind=kind, version=version, body=new, created_at=at, created_by=editor.user_id
                )
            )
    except IntegrityError as exc:
        raise QaError(
            "version_conflict", "someone saved at the same time; load and save again", status_code=409
        ) from exc
    change = Change(
        user_id=editor.user_id,
        role=editor.role,
        area=AUDIT_AREA,
        object_id=kind,
        action="update",
        summary=f"{KIND_LABELS[kind]} 第{version}版",
        diff=json_diff(before, new, name=f"{kind}.json"),
        client=editor.client,
    )
    record_change(sm, change, now=at)
    return version
