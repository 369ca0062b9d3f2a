"""Versions of one flow pack: seed, draft, validate, publish, roll back, diff, and the live pack.

Rules: the first document of a pack is its main flow and its id is the pack id. A draft may hold any
text; publishing parses and validates the whole pack (every flow, with its subflows, against the ACD's
queues and the prompt recordings) and refuses with every issue at once. Parsed published versions are
cached by number: they never change, so a call holding one is never disturbed by a later publish.
"""

from __future__ import annotations

import difflib
import logging
import threading
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ivr import flow_store as store
from ivr.errors import IvrError
from ivr.flow import Flow, FlowError, load_flow_pack, validate_flow
from ivr.flow.loader import DEFAULT_PACK_PATH

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PackIssue:
    """One reason a pack may not go live."""

    flow_id: str | None
    node_id: str | None
    code: str
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "flow_id": self.flow_id,
            "node_id": self.node_id,
            "code": self.code,
            "message": self.message,
            "details": dict(self.details),
        }


@dataclass(frozen=True, slots=True)
class LivePack:
    """A parsed published version: the main flow, all flows by id, and its label for call records."""

    pack_id: str
    version: int
    flows: Mapping[str, Flow]
    main: Flow

    @property
    def label(self) -> str:
        """``<pack>:<version>``, stored as ``HOTLINE_FLOW_VERSION`` and ``calls.ivr_flow_version``."""
        return f"{self.pack_id}:{self.version}"


def parse_label(label: str) -> tuple[str, int] | None:
    """``("12345", 3)`` from ``"12345:3"``; None for anything else."""
    pack_id, _, number = label.rpartition(":")
    return (pack_id, int(number)) if pack_id and number.isdigit() else None


class FlowCatalog:
    """The versions of pack ``pack_id`` in the database, with validation against the centre."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        pack_id: str = "12345",
        known_queues: AbstractSet[str] | None = None,
        recorded: Callable[[str], bool] | None = None,
    ) -> None:
        self._sm = sessions
        self.sessions = sessions
        self.pack_id = pack_id
        self._queues = known_queues
        self._recorded = recorded
        self._cache: dict[int, LivePack] = {}
        self._lock = threading.Lock()

    def seed(
        self, source: str | None = None, *, before_live: Callable[[LivePack], None] | None = None
    ) -> store.FlowVersionRow | None:
        """Store the shipped pack as version 1 and make it live, if the pack has no version yet.

        Problems found by the validator are logged, not fatal: calls must be answered.
        """
        if store.list_versions(self._sm, pack_id=self.pack_id):
            return None
        text = source if source is not None else DEFAULT_PACK_PATH.read_text(encoding="utf-8")
        try:
            row = store.add_version(
                self._sm, pack_id=self.pack_id, source=text, author="system", note="shipped pack"
            )
        except IntegrityError:
            return None
        try:
            self.publish(row.version, by="system", before_live=before_live)
        except IvrError as exc:
            log.error("the shipped pack goes live despite problems: %s %s", exc.message, exc.details)
            if before_live is not None:
                before_live(self.pack(row.version))
            store.make_live(self._sm, pack_id=self.pack_id, version=row.version, by="system")
        return store.get_version(self._sm, pack_id=self.pack_id, version=row.version)

    def parse(self, source: str) -> dict[str, Flow]:
        """Parse a pack; ``FlowError`` details become an ``IvrError`` (422)."""
        try:
            flows = load_flow_pack(source)
        except FlowError as exc:
            raise IvrError(exc.error_id, exc.message, exc.details, status_code=422) from exc
        main = next(iter(flows.values()))
        if main.id != self.pack_id:
            raise IvrError(
                "pack_id_mismatch",
                f"the first flow of the pack must have id {self.pack_id!r}, not {main.id!r}",
                {"expected": self.pack_id, "found": main.id},
                status_code=422,
            )
        return flows

    def issues(self, source: str) -> list[PackIssue]:
        """Everything that keeps ``source`` from going live (parse errors included)."""
        try:
            flows = self.parse(source)
        except IvrError as exc:
            return [PackIssue(None, None, exc.error_id, exc.message, exc.details)]
        found: list[PackIssue] = []
        for flow in flows.values():
            known = self._known_prompts(flow)
            for issue in validate_flow(
                flow,
                known_prompts=known,
                known_queues=None if self._queues is None else set(self._queues),
                flows=flows,
            ):
                found.append(PackIssue(flow.id, issue.node_id, str(issue.code), issue.message))
        return found

    def _known_prompts(self, flow: Flow) -> set[str] | None:
        if self._recorded is None:
            return None
        return {p for p, text in flow.prompts.items() if text or self._recorded(p)}

    def versions(self) -> list[store.FlowVersionRow]:
        """Every version, newest first."""
        return store.list_versions(self._sm, pack_id=self.pack_id)

    def version(self, number: int) -> store.FlowVersionRow:
        """One version; ``unknown_version`` (404) when absent."""
        row = store.get_version(self._sm, pack_id=self.pack_id, version=number)
        if row is None:
            raise IvrError("unknown_version", f"no version {number}", {"version": number}, status_code=404)
        return row

    def create_draft(
        self, *, source: str | None, base: int | None, author: str, note: str
    ) -> store.FlowVersionRow:
        """A new draft from ``source``, or a copy of version ``base`` (default: the live version)."""
        if source is None:
            origin = self.version(base) if base is not None else self._live_row()
            source = origin.source
        return store.add_version(self._sm, pack_id=self.pack_id, source=source, author=author, note=note)

    def edit_draft(
        self, number: int, *, source: str, note: str | None, base_sha256: str | None = None
    ) -> store.FlowVersionRow:
        """Replace a draft's text; a published version is refused (409), and so is a draft whose text is
        no longer the one ``base_sha256`` names (someone saved it meanwhile: 409 ``draft_changed``)."""
        outcome = store.update_draft(
            self._sm, pack_id=self.pack_id, version=number, source=source, note=note, base_sha256=base_sha256
        )
        if outcome is store.DraftSave.CHANGED:
            row = self.version(number)
            raise IvrError(
                "draft_changed",
                f"draft {number} was saved by someone else since you opened it; reload and change it again",
                {
                    "version": number,
                    "updated_at": row.updated_at.isoformat(),
                    "source_sha256": row.source_sha256,
                },
                status_code=409,
            )
        if outcome is store.DraftSave.NOT_DRAFT:
            row = self.version(number)
            raise IvrError(
                "version_frozen",
                f"version {number} is {row.status}; create a new draft to change it",
                {"version": number, "status": row.status},
                status_code=409,
            )
        return self.version(number)

    def publish(
        self, number: int, *, by: str, before_live: Callable[[LivePack], None] | None = None
    ) -> LivePack:
        """Validate version ``number`` and make it live; ``flow_invalid`` (422) lists every issue.

        ``before_live`` runs on the parsed version first (prompt generation); if it raises, nothing
        changes.
        """
        row = self.version(number)
        problems = self.issues(row.source)
        if problems:
            raise IvrError(
                "flow_invalid",
                f"version {number} has {len(problems)} problem(s); it was not published",
                {"version": number, "issues": [p.as_dict() for p in problems]},
                status_code=422,
            )
        flows = self.parse(row.source)
        if before_live is not None:
            before_live(LivePack(self.pack_id, number, flows, next(iter(flows.values()))))
        store.make_live(self._sm, pack_id=self.pack_id, version=number, by=by)
        return self.pack(number)

    def rollback(self, *, to: int | None, by: str) -> LivePack:
        """Make an earlier published version live again (default: the one before the live version)."""
        live = self._live_row()
        published = [r.version for r in self.versions() if r.status == "published"]
        target = to if to is not None else max((v for v in published if v < live.version), default=None)
        if target is None or target not in published:
            raise IvrError(
                "no_rollback_target",
                "there is no earlier published version to roll back to"
                if to is None
                else f"version {to} was never published",
                {"live": live.version, "requested": to},
                status_code=409,
            )
        store.make_live(self._sm, pack_id=self.pack_id, version=target, by=by)
        return self.pack(target)

    def diff(self, old: int, new: int) -> str:
        """Unified diff of two versions' YAML."""
        a, b = self.version(old), self.version(new)
        lines = difflib.unified_diff(
            a.source.splitlines(keepends=True),
            b.source.splitlines(keepends=True),
            fromfile=f"{self.pack_id}:{old}",
            tofile=f"{self.pack_id}:{new}",
        )
        return "".join(lines)

    def _live_row(self) -> store.FlowVersionRow:
        with self._sm() as s:
            return self._live_row_in(s)

    def _live_row_in(self, s: Session) -> store.FlowVersionRow:
        row = store.live_version_in(s, pack_id=self.pack_id)
        if row is None:
            raise IvrError(
                "no_live_version", f"pack {self.pack_id} has no published version", status_code=409
            )
        return row

    def live(self) -> LivePack:
        """The pack new calls run (see ``live_in``), in a short transaction of its own."""
        with self._sm() as s:
            return self.live_in(s)

    def live_in(self, s: Session) -> LivePack:
        """The pack new calls run, read in the open session ``s``: one small query for the live version's
        number, asked afresh every time, so a publish or rollback on any node holds for the next call; a
        published version never changes, so its text is read and parsed once."""
        number = store.live_number_in(s, pack_id=self.pack_id)
        if number is not None and (found := self._from_cache(number)) is not None:
            return found
        row = self._live_row_in(s)
        return self._cached(row.version, row.source)

    def pack(self, number: int) -> LivePack:
        """A parsed version (published or not), cached once published."""
        if (found := self._from_cache(number)) is not None:
            return found
        row = self.version(number)
        if row.status != "published":
            flows = self.parse(row.source)
            return LivePack(self.pack_id, number, flows, next(iter(flows.values())))
        return self._cached(number, row.source)

    def _from_cache(self, number: int) -> LivePack | None:
        with self._lock:
            return self._cache.get(number)

    def _cached(self, number: int, source: str) -> LivePack:
        with self._lock:
            found = self._cache.get(number)
            if found is None:
                flows = self.parse(source)
                found = LivePack(self.pack_id, number, flows, next(iter(flows.values())))
                self._cache[number] = found
            return found

    def flags(self) -> dict[str, bool]:
        """Admin switch overrides for new calls."""
        return store.flag_overrides(self._sm, pack_id=self.pack_id)

    def flags_in(self, s: Session) -> dict[str, bool]:
        """Admin switch overrides for new calls, read in the open session ``s`` (asked afresh every time,
        so a switch set on any node holds for the next call)."""
        return store.flag_overrides_in(s, pack_id=self.pack_id)

    def set_flag(self, flag: str, value: bool | None) -> dict[str, bool]:
        """Switch ``flag`` for new calls (``None``: back to the flow default); unknown flags are refused."""
        declared = self.live().main.flags
        if flag not in declared:
            raise IvrError(
                "unknown_flag",
                f"the live flow declares no flag {flag!r}",
                {"flags": sorted(declared)},
                status_code=404,
            )
        store.set_flag_override(self._sm, pack_id=self.pack_id, flag=flag, value=value)
        return self.flags()
