"""Hostile input to the wire parsers, generated: whatever an AMI server or a FastAGI peer sends, the
parsers answer with a parsed value or their own typed error, never another exception, and a header
block that never ends is cut off by the deadline or the size bounds."""

from __future__ import annotations

import asyncio
import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.ami.messages import AmiEvent, AmiResponse, parse_frame
from hotline.fastagi.protocol import AgiError, AgiHangup, AgiResult, parse_result, read_headers

LINE_BITS = st.sampled_from(
    ["Event: ", "Response: ", "ActionID: ", ":", " ", "\r\n", "\n", "\r", "200 ", "511 ", "520-", "result=",
     "(", ")", "endpos=", "-1", "99999999999999999999", "agi_", "\x00", "é", "\udcff"]
)  # fmt: skip
TEXT = st.lists(st.one_of(LINE_BITS, st.text(max_size=20)), max_size=30).map("".join)


@settings(max_examples=500, derandomize=True, database=None)
@given(text=TEXT)
def test_ami_frame_parser_returns_a_frame_or_none(text: str) -> None:
    frame = parse_frame(text)
    assert frame is None or isinstance(frame, AmiEvent | AmiResponse)


@settings(max_examples=500, derandomize=True, database=None)
@given(line=TEXT)
def test_agi_reply_parser_returns_a_result_or_its_own_error(line: str) -> None:
    with contextlib.suppress(AgiError, AgiHangup):
        assert isinstance(parse_result(line), AgiResult)


async def _headers(data: bytes, *, eof: bool) -> dict[str, str] | AgiError:
    reader = asyncio.StreamReader(limit=4096)
    reader.feed_data(data)
    if eof:
        reader.feed_eof()
    try:
        return await read_headers(reader, timeout_s=0.01)
    except AgiError as exc:
        return exc


@settings(max_examples=200, derandomize=True, database=None, deadline=None)
@given(
    data=st.one_of(st.binary(max_size=3000), TEXT.map(lambda t: t.encode("utf-8", "surrogatepass"))),
    eof=st.booleans(),
)
def test_agi_header_reader_returns_headers_or_its_own_error(data: bytes, eof: bool) -> None:
    outcome = asyncio.run(_headers(data, eof=eof))
    assert isinstance(outcome, dict | AgiError)
    if isinstance(outcome, dict):
        assert b"\n\n" in b"\n" + data.replace(b"\r", b"")
