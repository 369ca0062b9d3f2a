"""Listening sessions on agents' calls (Asterisk ChanSpy over AMI).

Rules of this module:
- A session is the supervisor's phone running ChanSpy in ``[hotline-supervise]`` on the agent's own
  leg, targeted by uniqueid (option ``u``: names repeat across nodes, uniqueids do not), originated on
  the node holding that leg (``near``): ChanSpy sees only its own node.
- The session id is the spy channel's uniqueid (``spy-`` + 16 hex digits, chosen here). Everything
  about a session lives on that channel as variables (who listens, to which agent and call, in which
  mode), so any app node can switch, leave or take over a session another node started.
- Modes switch inside one session by DTMF (ChanSpy option ``d``: 4 listen, 5 whisper, 6 barge), queued
  on the spy channel as if its phone had sent them (AMI ``PlayDTMF`` with ``Receive``).
- Taking over moves the caller and the supervisor into a conference of their own (the three-way call's
  dialplan, ``[hotline-desk] conf``): the agent's bridge ends and the agent leg hangs up; the caller goes
  on to the survey when the supervisor hangs up.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from hotline.ami.link import AmiLink
from hotline.ami.messages import AmiError

SPY_CONTEXT = "hotline-supervise"
TAKE_OVER_CONTEXT = "hotline-desk"
TAKE_OVER_EXTEN = "conf"
SESSION_ID = re.compile(r"^spy-[0-9a-f]{16}$")
UNIQUEID = re.compile(r"^[0-9A-Za-z._-]{1,64}$")


class SpyMode(StrEnum):
    """What the supervisor does in a session."""

    LISTEN = "listen"
    """Hears both parties; neither hears the supervisor."""
    WHISPER = "whisper"
    """Hears both parties; only the agent hears the supervisor."""
    BARGE = "barge"
    """Hears both parties; both hear the supervisor."""


MODE_DIGIT = {SpyMode.LISTEN: "4", SpyMode.WHISPER: "5", SpyMode.BARGE: "6"}
SESSION_VARS = {
    "supervisor_id": "HOTLINE_SPY_BY",
    "agent_id": "HOTLINE_SPY_AGENT",
    "call_id": "HOTLINE_SPY_CALL",
    "queue": "HOTLINE_SPY_QUEUE",
    "mode": "HOTLINE_SPY_MODE",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class SpySession:
    """One listening session, as its spy channel describes it."""

    session_id: str
    supervisor_id: str
    agent_id: str
    call_id: str
    queue: str
    mode: SpyMode


def new_session(*, supervisor_id: str, agent_id: str, call_id: str, queue: str, mode: SpyMode) -> SpySession:
    """A session not started yet, with a fresh id."""
    return SpySession(
        session_id=f"spy-{secrets.token_hex(8)}",
        supervisor_id=supervisor_id,
        agent_id=agent_id,
        call_id=call_id,
        queue=queue,
        mode=mode,
    )


class Spies:
    """Starts and steers listening sessions over AMI."""

    def __init__(self, ami: AmiLink) -> None:
        self._ami = ami

    async def start(self, session: SpySession, *, phone: str, target_uniqueid: str) -> None:
        """Ring ``phone``; once answered it listens in on the channel ``target_uniqueid`` as
        ``session`` says (a :func:`new_session`)."""
        if not UNIQUEID.match(target_uniqueid):
            raise AmiError("ami.invalid_originate", "bad target uniqueid", target=target_uniqueid)
        variables = {var: str(getattr(session, key)) for key, var in SESSION_VARS.items()}
        await self._ami.originate(
            channel=phone,
            context=SPY_CONTEXT,
            exten=str(session.mode),
            priority=1,
            caller_id=f'"监听" <{session.supervisor_id}>',
            variables={**variables, "HOTLINE_SPY_TARGET": target_uniqueid},
            channel_id=session.session_id,
            other_channel_id=f"{session.session_id}-2",
            near=target_uniqueid,
        )

    async def describe(self, session_id: str) -> SpySession | None:
        """The live session ``session_id`` (None when its channel is gone or is no session)."""
        if not SESSION_ID.match(session_id):
            return None
        values: dict[str, str] = {}
        try:
            for key, var in SESSION_VARS.items():
                reply = await self._ami.send_action(
                    {"Action": "Getvar", "Channel": session_id, "Variable": var}
                )
                values[key] = reply.get("Value", "")
        except AmiError:
            return None
        if not values["supervisor_id"] or values["mode"] not in set(SpyMode):
            return None
        return SpySession(
            session_id=session_id,
            supervisor_id=values["supervisor_id"],
            agent_id=values["agent_id"],
            call_id=values["call_id"],
            queue=values["queue"],
            mode=SpyMode(values["mode"]),
        )

    async def switch(self, session: SpySession, mode: SpyMode) -> SpySession:
        """Change the session's mode (the DTMF digit ChanSpy's ``d`` option listens for)."""
        await self._ami.send_action(
            {
                "Action": "PlayDTMF",
                "Channel": session.session_id,
                "Digit": MODE_DIGIT[mode],
                "Duration": "100",
                "Receive": "true",
            }
        )
        await self._setvar(session.session_id, SESSION_VARS["mode"], str(mode))
        return SpySession(
            session_id=session.session_id,
            supervisor_id=session.supervisor_id,
            agent_id=session.agent_id,
            call_id=session.call_id,
            queue=session.queue,
            mode=mode,
        )

    async def leave(self, session: SpySession) -> None:
        """Hang up the supervisor's leg; the call goes on as before."""
        await self._ami.send_action({"Action": "Hangup", "Channel": session.session_id})

    async def take_over(self, session: SpySession, *, caller_channel: str) -> str:
        """Join the caller and the supervisor in a conference of their own; the agent's leg ends.
        Returns the conference's name."""
        conf = f"hl-sup-{session.call_id}"
        for channel, role in ((caller_channel, "caller"), (session.session_id, "supervisor")):
            await self._setvar(channel, "HOTLINE_CONF", conf)
            await self._setvar(channel, "HOTLINE_CONF_ROLE", role)
        await self._ami.send_action(
            {
                "Action": "Redirect",
                "Channel": caller_channel,
                "ExtraChannel": session.session_id,
                "Context": TAKE_OVER_CONTEXT,
                "Exten": TAKE_OVER_EXTEN,
                "Priority": "1",
                "ExtraContext": TAKE_OVER_CONTEXT,
                "ExtraExten": TAKE_OVER_EXTEN,
                "ExtraPriority": "1",
            }
        )
        return conf

    async def uniqueid_of(self, channel: str) -> str:
        """The uniqueid of the live channel ``channel`` ("" when Asterisk does not know it)."""
        try:
            reply = await self._ami.send_action(
                {"Action": "Getvar", "Channel": channel, "Variable": "UNIQUEID"}
            )
        except AmiError:
            return ""
        value = reply.get("Value", "")
        return value if UNIQUEID.match(value) else ""

    async def _setvar(self, channel: str, name: str, value: str) -> None:
        await self._ami.send_action(
            {"Action": "Setvar", "Channel": channel, "Variable": name, "Value": value}
        )
