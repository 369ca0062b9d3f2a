"""A pcap of RFC 4733 telephone-events (payload type 101) for SIPp's ``play_pcap_audio``.

Each key is one event: eight packets 20 ms apart with a growing duration (marker bit on the first),
then the end packet three times, as phones send it. Every key has its own RTP timestamp, so a
receiver takes a repeated key as a new press and not as a retransmission. SIPp replaces addresses
and ports with the call's own when it plays the file.
"""

from __future__ import annotations

import struct
from pathlib import Path

EVENTS = {**{str(d): d for d in range(10)}, "*": 10, "#": 11}
PAYLOAD_TYPE = 101
SSRC = 0x484F544C
RATE = 8000


def _ip_udp(payload: bytes) -> bytes:
    udp = struct.pack("!HHHH", 40000, 40000, 8 + len(payload), 0) + payload
    header = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, bytes([127, 0, 0, 2]), bytes([127, 0, 0, 1])
    )
    total = sum(struct.unpack("!10H", header))
    total = (total & 0xFFFF) + (total >> 16)
    checksum = ~((total & 0xFFFF) + (total >> 16)) & 0xFFFF
    return header[:10] + struct.pack("!H", checksum) + header[12:] + udp


def _packets(keys: list[tuple[float, str]]) -> list[tuple[float, bytes]]:
    out: list[tuple[float, bytes]] = []
    seq = 1000
    for at, key in keys:
        event, stamp = EVENTS[key], 16000 + round(at * RATE)
        steps = [(i, 160 * (i + 1), False) for i in range(8)] + [(8 + i, 160 * 8, True) for i in range(3)]
        for index, duration, end in steps:
            marker = 0x80 if index == 0 else 0
            rtp = struct.pack("!BBHII", 0x80, marker | PAYLOAD_TYPE, seq & 0xFFFF, stamp, SSRC)
            body = struct.pack("!BBH", event, (0x80 if end else 0) | 10, duration)
            out.append((at + 0.02 * min(index, 8), rtp + body))
            seq += 1
    return out


def write_dtmf_pcap(path: Path, keys: list[tuple[float, str]]) -> Path:
    """Write ``keys`` (seconds from the start, key) as RFC 4733 events to the pcap file ``path``."""
    frames = [b"\x00" * 12 + b"\x08\x00" + _ip_udp(rtp) for _, rtp in _packets(keys)]
    times = [at for at, _ in _packets(keys)]
    data = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for at, frame in zip(times, frames, strict=True):
        data += struct.pack("<IIII", 1_700_000_000 + int(at), round((at % 1) * 1e6), len(frame), len(frame))
        data += frame
    path.write_bytes(bytes(data))
    return path
