"""Property tests of the AMI stream splitter (hotline/ami/framing.py): however TCP cuts the byte stream,
the same frames come out, in order, with bytes searched a bounded number of times. The stream is random
bytes with frame ends and their prefixes (``\\r``, ``\\r\\n``, ``\\r\\n\\r``) sprinkled in, so cuts fall
inside terminators as well as between them."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.ami.framing import FRAME_END, FrameBuffer

PIECES = st.lists(
    st.one_of(st.binary(max_size=40), st.sampled_from([FRAME_END, b"\r", b"\r\n", b"\r\n\r"])), max_size=40
)
CUTS = st.lists(st.integers(min_value=0), max_size=60)


def _cut(stream: bytes, points: list[int]) -> list[bytes]:
    edges = sorted({0, len(stream), *(p % (len(stream) + 1) for p in points)})
    return [stream[a:b] for a, b in itertools.pairwise(edges)]


def _frames(chunks: list[bytes]) -> tuple[list[bytes], FrameBuffer]:
    buffer = FrameBuffer()
    out: list[bytes] = []
    for chunk in chunks:
        buffer.feed(chunk)
        out.extend(buffer.frames())
    return out, buffer


@settings(max_examples=400, derandomize=True, database=None)
@given(pieces=PIECES, points=CUTS)
def test_any_chunking_yields_the_frames_of_the_whole_stream(pieces: list[bytes], points: list[int]) -> None:
    stream = b"".join(pieces)
    chunked, buffer = _frames(_cut(stream, points))
    whole, _ = _frames([stream])
    assert chunked == whole == stream.split(FRAME_END)[:-1]
    assert bytes(buffer.data) == stream.split(FRAME_END)[-1]
    assert buffer.scanned <= len(stream) + 3 * (len(points) + len(whole) + 1)
