"""What ends when a user is disabled: their signed-in sessions (the websocket hub closes their desktops
as their tokens are revoked, on this app node at once and on the others when they hear of it or check
the user in the database: agent_desktop.revocation), their ACD login, and their browser phone (a new
SIP password nobody holds, their registered contacts removed on every Asterisk node).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fastapi import Request

from agent_desktop.context import DesktopContext
from hotline.ami.messages import AmiError
from hotline.sip_secrets import SipSecrets, extension_of

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Ended:
    """What was ended for one user (``sessions``: the tokens this node held; the other nodes end
    theirs on their own)."""

    sessions: int
    sip_contacts_removed: int
    sip_password_rotated: bool


def _secrets(request: Request) -> SipSecrets | None:
    phone = getattr(request.app.state, "phone", None)
    secrets = getattr(phone, "secrets", None)
    return secrets if isinstance(secrets, SipSecrets) else None


async def end_everything(request: Request, *, agent_id: str, contact: str) -> Ended:
    """End ``agent_id``'s sessions, ACD login and phone registration now.

    The phone is retired only while this user holds its password (hotline.sip_secrets owners): an
    extension another user holds is theirs. With Asterisk unreachable the phone is left to the periodic
    owner check, which rotates it once Asterisk answers (the user's record no longer entitles them).
    """
    ctx: DesktopContext = request.app.state.desktop
    sessions = ctx.tokens.revoke_user(agent_id)
    await ctx.desktop.change_status(agent_id, "logged_out")
    secrets = _secrets(request)
    extension = extension_of(agent_id, contact)
    if secrets is None or not extension:
        return Ended(sessions=sessions, sip_contacts_removed=0, sip_password_rotated=False)
    try:
        holder = (await secrets.owners()).get(extension, "")
        if holder.split(":", 1)[0] != agent_id:
            return Ended(sessions=sessions, sip_contacts_removed=0, sip_password_rotated=False)
        removed = await secrets.retire(extension)
    except AmiError as exc:
        log.warning("phone %s of disabled user %s not retired now (%s)", extension, agent_id, exc)
        return Ended(sessions=sessions, sip_contacts_removed=0, sip_password_rotated=False)
    return Ended(sessions=sessions, sip_contacts_removed=removed, sip_password_rotated=True)
