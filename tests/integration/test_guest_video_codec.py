"""Which video codec a guest's call gets from the real Asterisk, whichever codec the guest's offer prefers.

The guest's INVITE offers audio and video with codecs Debian's Chromium 156 offers (measured with
``RTCRtpSender.getCapabilities('video')`` and a real offer: VP8 first, then H.264 profiles 42001f,
42e01f, 4d001f in packetization modes 1 and 0, AV1, VP9), once in that order and once with H.264
first. Measured on the sandbox Asterisk 22 with the guest endpoint of ``asterisk_conf/pjsip_guests.conf``:

- the SDP answer lists VP8 then H.264 in both cases (the endpoint's own order,
  ``incoming_call_offer_pref`` at its default ``local``), so the browser sends VP8;
- the channel's native formats are ``(opus|vp8)``: one video format, VP8, in both cases.

With ``incoming_call_offer_pref=remote`` the answer puts H.264 first for an H.264-first offer, but
the channel's native formats stay ``(opus|vp8)``, so the agent's leg would still be offered VP8 first
while the citizen sends H.264 (Asterisk does not transcode video). That was not adopted without a
two-browser check of the video; VP8 stays the codec of guest calls. This test pins what is measured.
"""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from hotline.app import Centre
from hotline.sandbox.instance import AsteriskSandbox
from tests.integration.test_guest_credential import ANSWERED, Invite, credential

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(90)]

CHROMIUM_VIDEO = {
    "VP8": ["a=rtpmap:96 VP8/90000"],
    "H264": [
        "a=rtpmap:102 H264/90000",
        "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f",
        "a=rtpmap:108 H264/90000",
        "a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
    ],
    "VP9": ["a=rtpmap:98 VP9/90000", "a=fmtp:98 profile-id=0"],
}
PAYLOADS = {"VP8": "96", "H264": "102 108", "VP9": "98"}


def offer(order: tuple[str, ...]) -> str:
    """An audio + video SDP offer whose video codecs come in ``order``."""
    video = [f"m=video 40002 RTP/AVP {' '.join(PAYLOADS[c] for c in order)}"]
    for codec in order:
        video += CHROMIUM_VIDEO[codec]
    lines = [
        "v=0",
        "o=- 1 1 IN IP4 127.0.0.1",
        "s=-",
        "c=IN IP4 127.0.0.1",
        "t=0 0",
        "m=audio 40000 RTP/AVP 111 0",
        "a=rtpmap:111 opus/48000/2",
        "a=rtpmap:0 PCMU/8000",
        *video,
    ]
    return "\r\n".join(lines) + "\r\n"


def answered_video(answer: str) -> list[str]:
    """The video codecs of an SDP answer, in its order."""
    body = answer.split("\r\n\r\n", 1)[1]
    video = body.split("m=video", 1)[1].split("m=", 1)[0]
    names = dict(re.findall(r"a=rtpmap:(\d+) ([A-Za-z0-9]+)/", video))
    return [names[p] for p in video.split("\r\n", 1)[0].split()[2:] if p in names]


async def native_video(centre: Centre, user: str) -> str:
    """The video format of the guest's channel while its call lasts (e.g. ``(vp8)``)."""
    for _ in range(50):
        grant = await centre.guests.grants.by_user(user)
        if grant is not None and grant.channel:
            reply = await centre.ami.send_action(
                {"Action": "Getvar", "Channel": grant.channel, "Variable": "CHANNEL(videonativeformat)"}
            )
            return str(reply.get("Value", ""))
        await asyncio.sleep(0.1)
    raise AssertionError(f"no call of {user}")


@pytest.mark.parametrize(
    "order", [("VP8", "H264", "VP9"), ("H264", "VP8", "VP9")], ids=["vp8-first", "h264-first"]
)
async def test_given_a_guest_offer_in_either_order_then_asterisk_answers_vp8_first_and_the_channel_has_vp8(
    centre: Centre, sandbox: AsteriskSandbox, order: tuple[str, ...]
) -> None:
    async with httpx.AsyncClient(base_url=centre.url, timeout=20.0) as client:
        guest = await credential(client)
    call = Invite("127.0.0.1", sandbox.config.sip_port, guest["user"], "sign")
    call.sdp, call.talk_s = offer(order), 3.0
    calling = asyncio.create_task(asyncio.to_thread(call.send, guest["password"]))
    native = await native_video(centre, guest["user"])
    assert await calling == ANSWERED
    assert answered_video(call.answer) == ["VP8", "H264"], call.answer
    assert native == "(vp8)"
