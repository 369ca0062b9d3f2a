"""The admin change log entries of the call flows (``admin_changes``, area ``flow``).

Version changes are logged against the pack (``object_id`` = pack id, e.g. ``12345``) with the unified
diff of the YAML they change: a new draft against what it was copied from (the live version when it was
written from scratch), an edited draft against its previous text, a publish or a rollback against the
version that was live before. Prompt changes are logged against ``prompt:<id>`` with a JSON before/after
of the file (where it came from, size, SHA-256) and, for generated prompts, the text spoken.
"""

from __future__ import annotations

from typing import Any

from admin.audit import Change, Sessions, json_diff, record_change, unified_diff
from agent_desktop.auth import Principal
from ivr import flow_store as store
from ivr.catalog import FlowCatalog
from ivr.flow_store import FlowVersionRow

AREA = "flow"


def _record(sm: Sessions, me: Principal, *, object_id: str, action: str, summary: str, diff: str) -> int:
    change = Change(
        user_id=me.user_id,
        role=str(me.role),
        area=AREA,
        object_id=object_id,
        action=action,
        summary=summary,
        diff=diff,
    )
    return record_change(sm, change)


def _label(row: FlowVersionRow) -> str:
    return f"{row.pack_id}:{row.version}"


def live_row(catalog: FlowCatalog) -> FlowVersionRow | None:
    """The version new calls run now (None before the first publish)."""
    return store.live_version(catalog.sessions, pack_id=catalog.pack_id)


def log_draft_created(
    catalog: FlowCatalog, me: Principal, row: FlowVersionRow, *, base: int | None, copied: bool
) -> int:
    """``draft_created`` with its origin looked up: ``base`` when the draft copied it, else the live one."""
    origin = catalog.version(base) if copied and base is not None else live_row(catalog)
    return draft_created(catalog.sessions, me, row, origin=origin)


def draft_created(sm: Sessions, me: Principal, row: FlowVersionRow, *, origin: FlowVersionRow | None) -> int:
    """A new draft; the diff is against the version it was copied from (or against nothing)."""
    before = origin.source if origin is not None else ""
    came = f"（基于版本 {origin.version}）" if origin is not None else ""
    return _record(
        sm,
        me,
        object_id=row.pack_id,
        action="draft_create",
        summary=f"新建草稿 版本 {row.version}{came}",
        diff=unified_diff(before, row.source, name=_label(row)),
    )


def draft_saved(sm: Sessions, me: Principal, row: FlowVersionRow, *, before: str) -> int:
    """A draft's text replaced."""
    return _record(
        sm,
        me,
        object_id=row.pack_id,
        action="draft_update",
        summary=f"保存草稿 版本 {row.version}",
        diff=unified_diff(before, row.source, name=_label(row)),
    )


def made_live(
    sm: Sessions, me: Principal, row: FlowVersionRow, *, previous: FlowVersionRow | None, action: str
) -> int:
    """A publish or a rollback: version ``row`` replaced ``previous`` for new calls."""
    verb = "发布" if action == "publish" else "回滚到"
    was = f"（原线上版本 {previous.version}）" if previous is not None else ""
    return _record(
        sm,
        me,
        object_id=row.pack_id,
        action=action,
        summary=f"{verb} 版本 {row.version}{was}",
        diff=unified_diff(previous.source if previous else "", row.source, name=_label(row)),
    )


def prompt_changed(
    sm: Sessions, me: Principal, prompt_id: str, *, action: str, before: dict[str, Any], after: dict[str, Any]
) -> int:
    """A prompt's recording uploaded (``prompt_upload``) or generated (``prompt_generate``)."""
    verb = "上传录音" if action == "prompt_upload" else "语音合成"
    return _record(
        sm,
        me,
        object_id=f"prompt:{prompt_id}",
        action=action,
        summary=f"提示音 {prompt_id}：{verb}",
        diff=json_diff(before, after, name=f"prompt/{prompt_id}"),
    )
