"""Garbage for the centre's raw sockets: what a broken or hostile AMI server or FastAGI peer may send.

Everything is generated from a seeded ``random.Random``, so a run is repeatable (``HOTLINE_FUZZ_SEED``
changes the seed for a wider exploration).
"""

from __future__ import annotations

import os
import random
import string

APP_EVENTS = ("AGIExecStart", "AgentConnect", "BridgeEnter", "Hangup", "Newchannel", "OriginateResponse")
"""The AMI events the centre subscribes to (besides ``UserEvent``)."""
USER_EVENTS = (
    "HotlineQueued",
    "HotlineBridgeFailed",
    "HotlineCallbackRequested",
    "HotlineConsult",
    "HotlineFallback",
)
FIELDS = (
    "Channel", "Uniqueid", "Linkedid", "CallerIDNum", "CallerIDName", "ActionID", "Response", "Reason",
    "Queue", "Skills", "Priority", "Agent", "Interface", "Exten", "Context", "ChannelState", "BridgeUniqueid",
    "DestChannel", "DestUniqueid", "Cause", "Variable", "Value", "CallId", "Keys", "Position", "HoldTime",
)  # fmt: skip
"""Header names the centre's consumers read."""


def seed() -> int:
    """The run's seed: fixed, unless ``HOTLINE_FUZZ_SEED`` is set."""
    return int(os.environ.get("HOTLINE_FUZZ_SEED", "12345"))


def _value(rng: random.Random) -> str:
    kind = rng.randrange(8)
    if kind == 0:
        return ""
    if kind == 1:
        return str(rng.choice([-1, 0, 2**31, 2**64, 10**30]))
    if kind == 2:
        return "".join(rng.choice(string.printable.strip()) for _ in range(rng.randrange(1, 40)))
    if kind == 3:
        return "".join(chr(rng.randrange(0x20, 0x2FFF)) for _ in range(rng.randrange(1, 20)))
    if kind == 4:
        return f"PJSIP/{rng.randrange(10**6)}-{rng.randrange(2**32):08x}"
    if kind == 5:
        return f"{rng.randrange(10**10)}.{rng.randrange(10**4)}"
    if kind == 6:
        return "x" * rng.randrange(1000, 20000)
    return rng.choice(["Success", "Failure", "Error", "general", "zh", "1", "None", "null"])


def ami_event(rng: random.Random) -> bytes:
    """One well-framed event the centre listens to, with random, missing or absurd headers."""
    name = rng.choice(APP_EVENTS + ("UserEvent",) * 3)
    lines = [f"Event: {name}"]
    if name == "UserEvent":
        lines.append(f"UserEvent: {rng.choice(USER_EVENTS)}")
    for field in rng.sample(FIELDS, rng.randrange(0, len(FIELDS))):
        lines.append(f"{field}: {_value(rng)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogatepass")


def ami_garbage(rng: random.Random) -> bytes:
    """One chunk of AMI garbage: random bytes, a truncated or header-less frame, a bare line, a reply to
    an action nobody sent, or a well-framed event with absurd headers."""
    kind = rng.randrange(7)
    if kind == 0:
        return rng.randbytes(rng.randrange(1, 4000))
    if kind == 1:
        return ami_event(rng)[: rng.randrange(1, 60)]
    if kind == 2:
        return b"no colon here\r\nnor: event\r\n\r\n"
    if kind == 3:
        return f"Response: Success\r\nActionID: {_value(rng)}\r\n\r\n".encode()
    if kind == 4:
        return b"\r\n\r\n\r\n"
    return ami_event(rng)


def agi_garbage(rng: random.Random) -> bytes:
    """What a broken FastAGI peer sends instead of (or inside) a header block."""
    kind = rng.randrange(5)
    if kind == 0:
        return rng.randbytes(rng.randrange(1, 5000))
    if kind == 1:
        return b"agi_network: yes\nagi_network_script: ivr\nagi_chan"
    if kind == 2:
        return b"".join(f"agi_{i}: {_value(rng)}\n".encode() for i in range(rng.randrange(1, 400))) + b"\n"
    if kind == 3:
        return b"agi_network_script: " + bytes(rng.randrange(256) for _ in range(300)) + b"\n\n"
    return "".join(f"{_value(rng)}: {_value(rng)}\n" for _ in range(20)).encode("utf-8", "surrogatepass")
