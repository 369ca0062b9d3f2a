"""The app's AMI user may send only the action classes the app uses, on the real Asterisk sandbox.

Actions of the classes it needs work (system, call, originate, agent); CLI commands (``command``), config
file edits (``config``) and user events are refused by Asterisk itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hotline.ami.client import AmiClient
from hotline.ami.messages import AmiError
from hotline.sandbox.instance import AsteriskSandbox

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def ami(sandbox: AsteriskSandbox) -> AsyncIterator[AmiClient]:
    c = sandbox.config
    client = AmiClient(host="127.0.0.1", port=c.ami_port, username=c.ami_username, secret=c.ami_secret)
    await client.start()
    try:
        yield client
    finally:
        await client.close()


async def refused(ami: AmiClient, action: dict[str, str]) -> str:
    with pytest.raises(AmiError) as caught:
        await ami.send_action(action)
    return str(caught.value).lower() + repr(caught.value.details).lower()


@pytest.mark.parametrize(
    "action",
    [
        {"Action": "Command", "Command": "core show uptime"},
        {
            "Action": "UpdateConfig",
            "SrcFilename": "extensions.conf",
            "DstFilename": "extensions.conf",
            "Action-000000": "NewCat",
            "Cat-000000": "intruder",
        },
        {"Action": "UserEvent", "UserEvent": "Forged"},
    ],
    ids=["command", "config", "user"],
)
async def test_given_the_app_ami_user_when_it_sends_an_unneeded_class_then_permission_denied(
    ami: AmiClient, action: dict[str, str]
) -> None:
    assert "permission denied" in await refused(ami, action)


async def test_given_the_app_ami_user_when_it_sends_what_the_app_sends_then_allowed(ami: AmiClient) -> None:
    await ami.send_action({"Action": "DBPut", "Family": "hotline-perm-test", "Key": "k", "Val": "v"})
    got = await ami.send_action_list(
        {"Action": "DBGet", "Family": "hotline-perm-test", "Key": "k"}, complete_event="DBGetComplete"
    )
    assert [e.get("Val") for e in got if e.get("Event") == "DBGetResponse"] == ["v"]
    await ami.send_action({"Action": "DBDel", "Family": "hotline-perm-test", "Key": "k"})
    await ami.send_action({"Action": "Reload", "Module": "res_pjsip.so"})
    await ami.send_action_list({"Action": "CoreShowChannels"}, complete_event="CoreShowChannelsComplete")
    message = await refused(ami, {"Action": "Getvar", "Channel": "PJSIP/nobody-0", "Variable": "X"})
    assert "permission denied" not in message
    message = await refused(ami, {"Action": "Redirect", "Channel": "PJSIP/nobody-0", "Exten": "s"})
    assert "permission denied" not in message
