"""Asterisk's own database (AstDB) over AMI: the few reads and writes the app makes there (SIP passwords
and owners, guest credentials, agents' fallback contacts), one node per link."""

from __future__ import annotations

from hotline.ami.link import AmiLink
from hotline.ami.messages import AmiError


async def put(link: AmiLink, family: str, key: str, value: str) -> None:
    """Write ``family/key`` on the link's node."""
    await link.send_action({"Action": "DBPut", "Family": family, "Key": key, "Val": value})


async def tree(link: AmiLink, family: str) -> dict[str, str]:
    """Every key of an AstDB family on one node (empty when the family does not exist there)."""
    try:
        events = await link.send_action_list(
            {"Action": "DBGetTree", "Family": family}, complete_event="DBGetTreeComplete"
        )
    except AmiError as exc:
        if absent(exc):
            return {}
        raise
    return {
        str(e.get("Key", "")).rsplit("/", 1)[-1]: str(e.get("Val", ""))
        for e in events
        if e.get("Event") == "DBGetTreeResponse"
    }


def absent(exc: AmiError) -> bool:
    """Whether AMI refused because the AstDB entry or family is not there."""
    text = f"{exc} {exc.details}".lower()
    return "not found" in text or "could not be deleted" in text
