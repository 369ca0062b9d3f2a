"""AMI framing cost: one large event fed in 1,460-byte TCP segments vs the same bytes in one read.

Prints one JSON line. ``segmented_over_whole`` is the ratio of event-loop CPU for the segmented feed to
the single-read baseline measured in the same run: near 1 when the splitter is linear, in the hundreds
when every segment searches the whole buffer again.
"""

from __future__ import annotations

import argparse
import json
import time

from hotline.ami.connection import AmiConnection

SEGMENT = 1460


def _feed(raw: bytes, segment: int) -> float:
    got: list[object] = []
    conn = AmiConnection(lambda event, _follows_login: got.append(event))
    started = time.process_time()
    for start in range(0, len(raw), segment):
        conn.data_received(raw[start : start + segment])
    elapsed = time.process_time() - started
    assert len(got) == 1
    return elapsed


def main() -> None:
    """Measure and print the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mib", type=float, default=2.0, help="size of the event in MiB")
    args = parser.parse_args()
    payload = "x" * int(args.mib * 1024 * 1024)
    raw = b"Asterisk Call Manager/11.0.0\r\n" + f"Event: UserEvent\r\nPayload: {payload}\r\n\r\n".encode()
    whole = min(_feed(raw, len(raw)) for _ in range(3))
    segmented = min(_feed(raw, SEGMENT) for _ in range(3))
    print(
        json.dumps(
            {
                "event_bytes": len(raw),
                "segment_bytes": SEGMENT,
                "whole_cpu_s": round(whole, 4),
                "segmented_cpu_s": round(segmented, 4),
                "segmented_over_whole": round(segmented / max(whole, 1e-6), 1),
            }
        )
    )


if __name__ == "__main__":
    main()
