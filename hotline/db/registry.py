"""Every module that declares tables on the shared ``Base``, imported in one place.

Migrations and schema checks need the complete metadata; feature packages keep their own models.
"""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

from hotline.db.models import Base

MODEL_MODULES = (
    "hotline.db.models",
    "ivr.flow_store",
    "tickets.models",
    "tickets.supervision_models",
    "tickets.loop_models",
    "tickets.department_models",
    "privacy.models",
    "supervisor.models",
    "tickets.revisit_models",
    "linkage110.models",
    "tickets.sms_models",
    "tickets.knowledge_models",
    "tickets.order_notice_models",
    "recordings.models",
    "recordings.search_models",
    "admin.models",
    "admin.directory_models",
    "admin.agents_models",
    "hotline.guest_models",
    "acd.queue_store",
    "ivr.hours_notice",
    "ivr.hours_queues",
    "chat.models",
    "qa.models",
)


def full_metadata() -> MetaData:
    """The metadata with every feature's tables registered."""
    for module in MODEL_MODULES:
        importlib.import_module(module)
    return Base.metadata


def include_in_comparison(name: str | None, type_: str, parent_names: object) -> bool:
    """Schema-comparison hook: skip objects that exist only in the database (search indexes)."""
    from recordings.search_models import include_in_comparison as transcripts_hook
    from tickets.models import include_in_comparison as tickets_hook

    return tickets_hook(name, type_, parent_names) and transcripts_hook(name, type_, parent_names)
