"""Each function performs exactly one AMI action on behalf of the ACD."""

from __future__ import annotations

from collections.abc import Mapping

from acd.overflow import VIDEO_TAG
from hotline.ami.client import AmiError
from hotline.ami.link import AmiLink
from hotline.dialing import dial_string
from privacy.masking import is_confidential, masked_connected_line, sip_caller_id

AGENT_LEG_CONTEXT = "hotline-agent-leg"
VIDEO_CODECS = "opus,ulaw,alaw,vp8,h264"
"""What the agent leg of a video call (tag ``video``) offers: the agent's phone gets video too."""


async def originate_agent_leg(
    ami: AmiLink,
    *,
    contact: str,
    caller_channel: str,
    caller_number: str,
    call_id: str,
    agent_id: str,
    leg_id: str,
    ring_timeout_s: float,
    attrs: Mapping[str, str],
) -> str:
    """Ring the agent's phone; when it answers, bridge it onto the waiting caller.

    The phone shows the caller's number, masked when the call's IVR ``attrs`` tag it confidential; then
    the bridge's connected-line update is masked too (``[hotline-mask-connected]``). A video call (IVR tag
    ``video``, the sign-language page) rings the agent with video offered as well (``VIDEO_CODECS``).

    The leg runs ``[hotline-agent-leg]``, which bridges it onto the caller; when the agent leg hangs up,
    the caller continues at ``hotline-after`` (survey, then hangup).
    Returns the ActionID; the outcome arrives as an ``OriginateResponse`` event.
    """
    confidential = is_confidential(attrs)
    return await ami.originate(
        channel=contact,
        context=AGENT_LEG_CONTEXT,
        exten="s",
        priority=1,
        caller_id=sip_caller_id("12345", caller_number, confidential=confidential),
        variables={
            "HOTLINE_CALL_ID": call_id,
            "HOTLINE_AGENT_ID": agent_id,
            "HOTLINE_BRIDGE_TO": caller_channel,
            **(masked_connected_line(caller_number) if confidential else {}),
        },
        channel_id=leg_id,
        other_channel_id=f"{leg_id}-2",
        timeout_ms=int(ring_timeout_s * 1000),
        action_id=leg_id,
        near=call_id,
        codecs=VIDEO_CODECS if VIDEO_TAG in attrs.get("tags", "").split(",") else None,
    )


async def channel_state(ami: AmiLink, *, channel: str) -> str:
    """The channel's state as Asterisk names it ("Up", "Ring", "Ringing", ...); AmiError if it is gone."""
    reply = await ami.send_action({"Action": "Getvar", "Channel": channel, "Variable": "CHANNEL(state)"})
    return reply.get("Value", "")


async def channel_name(ami: AmiLink, *, channel: str) -> str:
    """The current name of a channel given by uniqueid (a masquerade may have renamed it); AmiError if
    it is gone."""
    reply = await ami.send_action({"Action": "Getvar", "Channel": channel, "Variable": "CHANNEL(name)"})
    name = reply.get("Value", "")
    if not name:
        raise AmiError("ami.no_channel", f"no channel {channel}", channel=channel)
    return name


async def bridge_peer(ami: AmiLink, *, channel: str) -> str:
    """The channel bridged with ``channel`` ("" when it is in no two-party bridge)."""
    reply = await ami.send_action({"Action": "Getvar", "Channel": channel, "Variable": "BRIDGEPEER"})
    return reply.get("Value", "")


async def hangup_channel(ami: AmiLink, *, channel: str, cause: int = 16) -> None:
    """Hang up one channel by name or uniqueid."""
    await ami.send_action({"Action": "Hangup", "Channel": channel, "Cause": str(cause)})


async def put_heartbeat(ami: AmiLink, *, epoch: int) -> None:
    """Tell the dialplan's hold loop that the service is alive."""
    await ami.send_action({"Action": "DBPut", "Family": "hotline", "Key": "heartbeat", "Val": str(epoch)})


async def put_agent_contact(ami: AmiLink, *, agent_id: str, contact: str) -> None:
    """Record the agent's phone for the static fallback queue."""
    await ami.send_action({"Action": "DBPut", "Family": "hotline/contact", "Key": agent_id, "Val": contact})


async def delete_agent_contact(ami: AmiLink, *, agent_id: str) -> None:
    """Forget the agent's phone for the fallback queue (agent logged out)."""
    await ami.send_action({"Action": "DBDel", "Family": "hotline/contact", "Key": agent_id})


async def originate_callback_leg(
    ami: AmiLink,
    *,
    contact: str,
    number: str,
    external_dial: str,
    call_id: str,
    agent_id: str,
    leg_id: str,
    ring_timeout_s: float,
    attrs: Mapping[str, str],
) -> str:
    """Ring the agent for a callback; when they answer, ``[hotline-desk] callback`` dials the citizen.

    The phone shows the number to be called back, masked when ``attrs`` tag the call confidential (also
    when the citizen answers: the connected-line update is masked).
    """
    confidential = is_confidential(attrs)
    return await ami.originate(
        channel=contact,
        context="hotline-desk",
        exten="callback",
        priority=1,
        caller_id=sip_caller_id("12345 回拨", number, confidential=confidential),
        variables={
            "HOTLINE_CALL_ID": call_id,
            "HOTLINE_AGENT_ID": agent_id,
            "HOTLINE_DIAL": dial_string(external_dial, number),
            **(masked_connected_line(number) if confidential else {}),
        },
        channel_id=leg_id,
        other_channel_id=f"{leg_id}-2",
        timeout_ms=int(ring_timeout_s * 1000),
        action_id=leg_id,
    )


async def redirect(ami: AmiLink, *, channel: str, context: str, exten: str) -> None:
    """Send a channel to another place in the dialplan."""
    await ami.send_action(
        {"Action": "Redirect", "Channel": channel, "Context": context, "Exten": exten, "Priority": "1"}
    )
