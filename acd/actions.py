"""Each function performs exactly one AMI action on behalf of the ACD."""

from __future__ import annotations

from hotline.ami.client import AmiClient

AFTER_CALL_TARGET = "hotline-after^s^1"


async def originate_agent_leg(
    ami: AmiClient,
    *,
    contact: str,
    caller_channel: str,
    caller_number: str,
    call_id: str,
    agent_id: str,
    leg_id: str,
    ring_timeout_s: float,
) -> str:
    """Ring the agent's phone; when it answers, bridge it onto the waiting caller.

    When the agent leg hangs up, the caller continues at ``hotline-after`` (survey, then hangup).
    Returns the ActionID; the outcome arrives as an ``OriginateResponse`` event.
    """
    return await ami.originate(
        channel=contact,
        application="Bridge",
        data=f"{caller_channel},F({AFTER_CALL_TARGET})",
        caller_id=f'"12345 {caller_number}" <{caller_number}>',
        variables={"HOTLINE_CALL_ID": call_id, "HOTLINE_AGENT_ID": agent_id},
        channel_id=leg_id,
        other_channel_id=f"{leg_id}-2",
        timeout_ms=int(ring_timeout_s * 1000),
        action_id=leg_id,
    )


async def hangup_channel(ami: AmiClient, *, channel: str, cause: int = 16) -> None:
    """Hang up one channel by name or uniqueid."""
    await ami.send_action({"Action": "Hangup", "Channel": channel, "Cause": str(cause)})


async def put_heartbeat(ami: AmiClient, *, epoch: int) -> None:
    """Tell the dialplan's hold loop that the service is alive."""
    await ami.send_action({"Action": "DBPut", "Family": "hotline", "Key": "heartbeat", "Val": str(epoch)})


async def put_agent_contact(ami: AmiClient, *, agent_id: str, contact: str) -> None:
    """Record the agent's phone for the static fallback queue."""
    await ami.send_action({"Action": "DBPut", "Family": "hotline/contact", "Key": agent_id, "Val": contact})


async def delete_agent_contact(ami: AmiClient, *, agent_id: str) -> None:
    """Forget the agent's phone for the fallback queue (agent logged out)."""
    await ami.send_action({"Action": "DBDel", "Family": "hotline/contact", "Key": agent_id})
