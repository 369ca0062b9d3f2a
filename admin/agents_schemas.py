"""Request and response bodies of the admin agents routes (``/api/admin/agents``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from admin.csv_import import MAX_LEVEL, MAX_PASSWORD, MAX_SKILLS, MIN_LEVEL, MIN_PASSWORD, SKILL

ConsoleRole = Literal["agent", "supervisor", "qa", "admin"]
"""Roles the console gives; department users are made in the department portal (用户管理)."""
AGENT_ID = r"^[0-9A-Za-z_-]{1,32}$"
EXTENSION = r"^([0-9]{2,10})?$"
NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"


def _check_skills(skills: dict[str, int]) -> dict[str, int]:
    for name, level in skills.items():
        if not SKILL.fullmatch(name):
            raise ValueError(f"skill name {name!r}: 1-32 letters, digits, _ or -")
        if not MIN_LEVEL <= level <= MAX_LEVEL:
            raise ValueError(f"skill {name}: level must be {MIN_LEVEL}-{MAX_LEVEL}")
    return skills


class AgentChange(BaseModel):
    """What an admin sets on a user (not the password)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100, pattern=NO_CONTROL)
    extension: str = Field(default="", pattern=EXTENSION)
    role: ConsoleRole = "agent"
    skills: dict[str, int] = Field(default_factory=dict, max_length=MAX_SKILLS)

    _skills = field_validator("skills")(_check_skills)


class AgentCreate(AgentChange):
    """A new user with their first password."""

    agent_id: str = Field(pattern=AGENT_ID)
    password: str = Field(min_length=MIN_PASSWORD, max_length=MAX_PASSWORD)


class PasswordReset(BaseModel):
    """A new password; ``enable`` also enables a disabled user."""

    model_config = ConfigDict(extra="forbid")
    password: str = Field(min_length=MIN_PASSWORD, max_length=MAX_PASSWORD)
    enable: bool = False


class QueuesChange(BaseModel):
    """The queues a supervisor supervises."""

    model_config = ConfigDict(extra="forbid")
    queues: list[str] = Field(max_length=200)


class CsvImport(BaseModel):
    """The text of an agents CSV file (admin.csv_import)."""

    model_config = ConfigDict(extra="forbid")
    csv: str = Field(min_length=1, max_length=1_000_000)


class AgentAdminPublic(BaseModel):
    """A user as the console lists them."""

    agent_id: str
    name: str
    extension: str
    contact: str
    role: str
    skills: dict[str, int]
    disabled: bool
    disabled_at: datetime | None
    has_password: bool
    queues: list[str]
    created_at: datetime


class DisablePublic(BaseModel):
    """A disabled user and what ended with them."""

    user: AgentAdminPublic
    sessions_ended: int
    sip_contacts_removed: int
    sip_password_rotated: bool


class ImportPublic(BaseModel):
    """An import that went through."""

    created: int
    agent_ids: list[str]
