"""``HOTLINE_LINKAGE110_*``: where the 110 platform is, the shared secret and the delivery rules."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Linkage110Settings"]


class Linkage110Settings(BaseSettings):
    """The 110 linkage's settings.

    ``url``: the 110 platform's base URL (hand-offs go to ``<url>/v1/handoffs``; empty: hand-offs wait in
    the outbox). ``secret``: the shared HMAC secret (empty: the interface refuses every request).
    ``caller_entitled``: whether the 110 platform receives callers' full names and numbers; by default
    it gets the number masked (``138****8000``) and no name, as agents see confidential callers, until
    the centre's agreement with the public security bureau entitles it (then set it true).
    """

    model_config = SettingsConfigDict(env_prefix="HOTLINE_LINKAGE110_", extra="ignore")

    url: str = ""
    secret: str = ""
    skew_s: float = Field(default=300.0, gt=0, le=3600)
    caller_entitled: bool = False
    timeout_s: float = Field(default=10.0, gt=0, le=120)
    backoff_base_s: float = Field(default=2.0, gt=0)
    backoff_max_s: float = Field(default=600.0, gt=0)
    poll_s: float = Field(default=1.0, gt=0)
