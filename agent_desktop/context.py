"""What the desktop HTTP and websocket layer needs from the rest of the centre."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from acd.service import AcdService
from agent_desktop.auth import TokenStore
from agent_desktop.hub import DesktopHub
from agent_desktop.login import LoginGuard
from agent_desktop.service import DesktopService


@dataclass(frozen=True, slots=True)
class DesktopContext:
    """Dependencies of the desktop API, built once by the composition root."""

    sessions: sessionmaker[Session]
    tokens: TokenStore
    hub: DesktopHub
    desktop: DesktopService
    acd: AcdService
    login: LoginGuard = field(default_factory=LoginGuard)

    def __post_init__(self) -> None:
        self.tokens.on_revoke(self.hub.end_session)
