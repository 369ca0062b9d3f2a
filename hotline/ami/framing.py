"""Splitting the AMI byte stream into frames in linear time.

A frame ends with a blank line (``\\r\\n\\r\\n``). Bytes already searched are never searched again, so
one large event arriving in many small TCP segments costs time proportional to its size (searching the
whole buffer on every segment is quadratic: a 2 MiB event in 1,460-byte segments took ~1.2 s of event-loop
CPU). ``scanned`` counts the bytes searched, so that bound can be checked without a clock.
"""

from __future__ import annotations

from collections.abc import Iterator

FRAME_END = b"\r\n\r\n"


class FrameBuffer:
    """Bytes in, complete frames out (without their terminator)."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.scanned = 0
        self._searched = 0

    def __len__(self) -> int:
        return len(self.data)

    def feed(self, chunk: bytes) -> None:
        """Append bytes read from the socket."""
        self.data += chunk

    def drop_head(self, count: int) -> None:
        """Remove ``count`` bytes from the front (e.g. the greeting line) and search them again from there."""
        del self.data[:count]
        self._searched = 0

    def clear(self) -> None:
        """Forget everything buffered."""
        self.data.clear()
        self._searched = 0

    def frames(self) -> Iterator[bytes]:
        """Every complete frame buffered so far, oldest first; the rest stays buffered."""
        while True:
            start = max(0, self._searched - len(FRAME_END) + 1)
            end = self.data.find(FRAME_END, start)
            self.scanned += (end + len(FRAME_END) if end >= 0 else len(self.data)) - start
            if end < 0:
                self._searched = len(self.data)
                return
            frame = bytes(self.data[:end])
            del self.data[: end + len(FRAME_END)]
            self._searched = 0
            yield frame
