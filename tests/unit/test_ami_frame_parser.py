"""The AMI frame parser reads every frame as panoramisk's ``Message.from_line`` does (the reference
it replaced for speed): generated hostile text and real frames give the same kind, headers and values."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from panoramisk.message import Message

from hotline.ami.messages import AmiEvent, AmiResponse, HeaderValue, parse_frame

BITS = st.sampled_from(
    ["Event: ", "Response: ", "event: ", "Content: ", "content: ", "Output: ", "Result: %41 ", "Follows",
     "Response: Follows\r\n", "Response: Fail\r\n", "Uniqueid: ", ":", ": ", " ", "\r\n", "x", "é"]
)  # fmt: skip
TEXT = st.lists(st.one_of(BITS, st.text(max_size=12)), max_size=25).map("".join)

REAL = [
    "Event: Newchannel\r\nPrivilege: call,all\r\nChannel: PJSIP/1001-00000001\r\nUniqueid: 1.1\r\n"
    "ChanVariable: A=1\r\nChanVariable: B=2\r\nExten:",
    "Response: Success\r\nActionID: x-1\r\nMessage: Originate successfully queued",
    "Event: OriginateResponse\r\nResponse: Failure\r\nActionID: x-2\r\nReason: 0",
    "Response: Follows\r\nPrivilege: Command\r\nActionID: x-3\r\nuptime 12 s\r\n--END COMMAND--",
    "Response: Error\r\nActionID: x-4\r\nMessage: Permission denied",
    'Event: AGIExecStart\r\nCommand: STREAM FILE hotline/welcome "0"\r\nResult: 200%20result%3D0 ',
    "garbage without a colon",
]


def reference(text: str) -> tuple[str, dict[str, HeaderValue]] | None:
    """What the panoramisk-based parser made of ``text``."""
    lines = [line + " " if line.endswith(":") else line for line in text.strip("\r\n").split("\r\n")]
    parsed = Message.from_line("\r\n".join(lines))
    if parsed is None:
        return None
    headers: dict[str, HeaderValue] = {str(k): v for k, v in parsed.items() if k != "content"}
    content = parsed.get("content", "")
    if content and "Output" not in headers:
        headers["Output"] = str(content)
    return ("event" if "Event" in headers else "response"), headers


def same(text: str) -> None:
    ref, frame = reference(text), parse_frame(text)
    if ref is None or frame is None:
        assert ref is None, (text, ref)
        assert frame is None, (text, frame)
        return
    kind, headers = ref
    assert isinstance(frame, AmiEvent if kind == "event" else AmiResponse), text
    assert list(frame) == list(headers), text
    for key, value in headers.items():
        assert frame.get_all(key) == (list(value) if isinstance(value, list) else [value]), (text, key)


def test_real_frames_read_as_the_reference_reads_them() -> None:
    for text in REAL:
        same(text)
    frame = parse_frame(REAL[0])
    assert isinstance(frame, AmiEvent)
    assert frame.get_all("ChanVariable") == ["A=1", "B=2"]
    assert frame["Exten"] == ""


@settings(max_examples=800, derandomize=True, database=None)
@given(text=TEXT)
def test_generated_frames_read_as_the_reference_reads_them(text: str) -> None:
    same(text)
