"""Place-in-line announcements: Mandarin number words, wait rounding, composition, and the FastAGI route.

The route runs over a real socket, with the test playing Asterisk's side, against a real ACD engine
and service (in-memory store, no AMI connection needed for a position query).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from acd.engine import AcdEngine
from acd.events import CallQueued
from acd.model import QueueConfig
from acd.service import AcdService
from acd.store import MemoryStore
from hotline.ami.client import AmiClient
from hotline.bus import EventBus, Subscription
from hotline.fastagi.server import FastAgiServer
from ivr.position_route import PositionRoute, Standing, acd_position, announce_value
from ivr.position_speech import (
    POSITION_PROMPTS,
    announcement,
    number_prompts,
    wait_minutes,
)
from ivr.prompts import FRAGMENTS, RUNTIME_PROMPTS

pytestmark = pytest.mark.timeout(15)


def spoken(prompt_ids: list[str]) -> str:
    """The Chinese text the prompts say, joined."""
    return "".join(POSITION_PROMPTS[p] for p in prompt_ids)


def read_number(text: str) -> int:
    """An independent reader of the Mandarin numbers 0-999 (accepts 两 and 二 alike)."""
    values = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2}
    total, digit = 0, 0
    for char in text:
        if char == "百":
            total, digit = total + (digit or 1) * 100, 0
        elif char == "十":
            total, digit = total + (digit or 1) * 10, 0
        else:
            digit = values[char]
    return total + digit


@pytest.mark.parametrize(
    ("n", "counted", "labelled"),
    [
        (0, "零", "零"),
        (1, "一", "一"),
        (2, "两", "二"),
        (9, "九", "九"),
        (10, "十", "十"),
        (12, "十二", "十二"),
        (15, "十五", "十五"),
        (20, "二十", "二十"),
        (22, "二十二", "二十二"),
        (99, "九十九", "九十九"),
        (100, "一百", "一百"),
        (101, "一百零一", "一百零一"),
        (105, "一百零五", "一百零五"),
        (110, "一百一十", "一百一十"),
        (115, "一百一十五", "一百一十五"),
        (120, "一百二十", "一百二十"),
        (200, "两百", "二百"),
        (202, "两百零二", "二百零二"),
        (250, "两百五十", "二百五十"),
        (999, "九百九十九", "九百九十九"),
    ],
)
def test_given_number_when_read_then_mandarin_words(n: int, counted: str, labelled: str) -> None:
    assert spoken(number_prompts(n)) == counted
    assert spoken(number_prompts(n, counting=False)) == labelled


def test_every_number_from_0_to_999_reads_back_to_itself_with_known_prompts_only() -> None:
    for n in range(1000):
        words = number_prompts(n)
        assert set(words) <= set(POSITION_PROMPTS)
        text = spoken(words)
        assert read_number(text) == n, text
        assert "两" not in text[1:], f"{text}: 两 only leads a count"
        assert not text.startswith("一十"), text
        assert "零零" not in text, text
        assert n == 0 or not text.endswith("零"), text


@pytest.mark.parametrize("bad", [-1, 1000, 12345])
def test_given_number_outside_0_to_999_when_read_then_value_error(bad: int) -> None:
    with pytest.raises(ValueError, match="outside 0-999"):
        number_prompts(bad)


@pytest.mark.parametrize(
    ("ewt_s", "minutes"),
    [
        (0.0, 0),
        (59.9, 0),
        (60.0, 1),
        (89.0, 1),
        (90.0, 2),
        (180.0, 3),
        (599.0, 10),
        (630.0, 10),
        (750.0, 15),
        (1_000.0, 15),
        (3_600.0, 60),
        (997 * 60.0, 995),
        (998 * 60.0, None),
        (float("inf"), None),
        (float("nan"), None),
        (-1.0, None),
        (1_000 * 60.0, None),
    ],
)
def test_given_estimate_when_rounded_then_sensible_minutes(ewt_s: float, minutes: int | None) -> None:
    assert wait_minutes(ewt_s) == minutes


def test_given_second_in_line_when_announced_then_one_caller_ahead_and_minutes() -> None:
    prompts = announcement(2, 360.0)
    assert prompts == ["pos_ahead", "num_1", "pos_callers", "ewt_about", "num_6", "ewt_minutes"]
    assert spoken(prompts) == "您前面还有一位来电，预计等待约六分钟。"


def test_given_counts_of_two_when_announced_then_liang() -> None:
    assert spoken(announcement(3, 120.0)) == "您前面还有两位来电，预计等待约两分钟。"
    assert spoken(announcement(13, 22 * 60.0)) == "您前面还有十二位来电，预计等待约二十分钟。"


def test_given_first_in_line_and_short_wait_when_announced_then_next_and_under_a_minute() -> None:
    assert spoken(announcement(1, 30.0)) == "您是下一位，预计等待不到一分钟。"


def test_given_unknown_estimate_when_announced_then_only_the_place() -> None:
    assert spoken(announcement(106, float("inf"))) == "您前面还有一百零五位来电，"


def test_given_more_than_999_ahead_when_announced_then_many_callers() -> None:
    assert announcement(1_001, 600.0)[0] == "pos_many"
    assert announcement(1_000, 600.0)[:2] == ["pos_ahead", "num_9"]


@pytest.mark.parametrize("position", [0, -1])
def test_given_caller_not_in_line_when_announced_then_nothing(position: int) -> None:
    assert announcement(position, 60.0) == []


def test_every_announcement_prompt_is_generated_at_start_up_as_a_fragment() -> None:
    for prompt, text in POSITION_PROMPTS.items():
        assert RUNTIME_PROMPTS[prompt] == text
        assert prompt in FRAGMENTS
    assert "hold_options" not in FRAGMENTS


def test_given_prompts_when_joined_for_background_then_ampersand_list_under_hotline() -> None:
    assert announce_value(["pos_next", "ewt_under_minute"]) == "hotline/pos_next&hotline/ewt_under_minute"


# -- the FastAGI route -------------------------------------------------------------------------------


HEADER = (
    "agi_network: yes\nagi_network_script: position\nagi_request: agi://127.0.0.1/position\n"
    "agi_channel: Local/12345@hotline-inbound-00000001;2\nagi_language: zh\nagi_uniqueid: {call_id}\n"
    "agi_version: 22.10.0\nagi_callerid: 13800138000\nagi_context: hotline-wait\nagi_extension: s\n"
    "agi_priority: 6\nagi_enhanced: 0.0\n{args}\n"
)


class Acd:
    """A real engine and service with one queue, and a bus subscription to ``call.position``."""

    def __init__(self) -> None:
        self.bus = EventBus()
        self.positions = self.bus.subscribe("call.position")
        self.service = AcdService(
            engine=AcdEngine(queues=[QueueConfig(name="general", skill="general")], store=MemoryStore()),
            ami=AmiClient(host="127.0.0.1", port=1, username="u", secret="s"),
            bus=self.bus,
            notifier=self,
            ring_timeout_s=5.0,
        )

    async def deliver_offer(self, agent_id: str, payload: dict[str, object]) -> int:
        return 0

    def queue(self, call_id: str) -> None:
        self.service.submit(
            CallQueued(call_id=call_id, queue="general", caller="13800138000", channel=f"Local/{call_id}")
        )


@pytest.fixture
async def acd() -> AsyncIterator[Acd]:
    centre = Acd()
    yield centre
    await centre.service.close()


async def agi_session(
    port: int, call_id: str, *args: str
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = "".join(f"agi_arg_{n}: {a}\n" for n, a in enumerate(args, start=1))
    writer.write(HEADER.format(call_id=call_id, args=lines).encode())
    await writer.drain()
    return reader, writer


async def nothing_more(subscription: Subscription) -> bool:
    """True when no further event arrives within a short while."""
    try:
        await asyncio.wait_for(subscription.get(), 0.2)
    except TimeoutError:
        return True
    return False


async def commands_until_closed(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> list[str]:
    """Every command the route sends (each answered with success) until it closes the connection."""
    sent: list[str] = []
    while line := await asyncio.wait_for(reader.readline(), 5.0):
        sent.append(line.decode().rstrip("\n"))
        writer.write(b"200 result=1\n")
        await writer.drain()
    writer.close()
    return sent


@pytest.fixture
async def server(acd: Acd) -> AsyncIterator[FastAgiServer]:
    agi = FastAgiServer(host="127.0.0.1", port=0)
    agi.add_route("position", PositionRoute(position_of=acd_position(acd.service), settle_s=1.0))
    await agi.start()
    yield agi
    await agi.close()


async def test_given_two_waiting_callers_when_second_asks_then_variable_names_its_prompts_and_event_published(
    acd: Acd, server: FastAgiServer
) -> None:
    acd.queue("first")
    acd.queue("second")
    sent = await commands_until_closed(*await agi_session(server.port, "second", "again"))
    assert sent == [
        'SET VARIABLE HOTLINE_ANNOUNCE "hotline/pos_ahead&hotline/num_1&hotline/pos_callers'
        '&hotline/ewt_about&hotline/num_6&hotline/ewt_minutes"'
    ]
    event = await asyncio.wait_for(acd.positions.get(), 1.0)
    assert (event.data["call_id"], event.data["position"]) == ("second", 2)
    assert event.data["ewt_s"] == pytest.approx(360.0)
    assert await nothing_more(acd.positions), "call.position is published once per query"


async def test_given_unknown_call_when_not_on_entry_then_nothing_set_and_no_wait(
    acd: Acd, server: FastAgiServer
) -> None:
    started = time.monotonic()
    sent = await commands_until_closed(*await agi_session(server.port, "nobody", "again"))
    assert sent == []
    assert time.monotonic() - started < 0.5
    assert await nothing_more(acd.positions)


async def test_given_call_queued_just_after_the_agi_when_on_entry_then_it_is_announced(
    acd: Acd, server: FastAgiServer
) -> None:
    session = await agi_session(server.port, "late", "entry")
    await asyncio.sleep(0.3)
    acd.queue("late")
    sent = await commands_until_closed(*session)
    assert sent == [
        'SET VARIABLE HOTLINE_ANNOUNCE "hotline/pos_next&hotline/ewt_about&hotline/num_3&hotline/ewt_minutes"'
    ]


async def test_given_call_never_queued_when_on_entry_then_gives_up_after_settling(
    acd: Acd, server: FastAgiServer
) -> None:
    started = time.monotonic()
    assert await commands_until_closed(*await agi_session(server.port, "ghost", "entry")) == []
    assert 0.9 < time.monotonic() - started < 2.0


async def test_given_call_known_but_not_waiting_when_on_entry_then_nothing_at_once() -> None:
    asked: list[str] = []

    def offered(call_id: str) -> Standing | None:
        asked.append(call_id)
        return Standing(0, 0.0)

    agi = FastAgiServer(host="127.0.0.1", port=0)
    agi.add_route("position", PositionRoute(position_of=offered, settle_s=5.0))
    await agi.start()
    try:
        started = time.monotonic()
        assert await commands_until_closed(*await agi_session(agi.port, "offered", "entry")) == []
        assert time.monotonic() - started < 0.5
        assert asked == ["offered"]
    finally:
        await agi.close()
