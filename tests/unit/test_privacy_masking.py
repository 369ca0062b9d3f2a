"""Masking of citizens' numbers: the pure helpers, and the log lines that print a number."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from hotline.ami.connection import AmiConnection
from hotline.bus import EventBus
from hotline.db import repository as repo
from hotline.db.engine import make_engine, migrate, session_factory
from hotline.recorder import Recorder
from privacy.masking import for_log, is_confidential, mask_number, masked_connected_line, sip_caller_id
from tickets.intake import MessageIntake
from tickets.service import TicketService

NUMBER = "13800138000"


def test_mask_number_and_confidential_tags() -> None:
    assert mask_number(NUMBER) == "138****8000"
    assert mask_number("110") == "**0"
    assert is_confidential({"tags": "work_order,confidential"})
    assert is_confidential({"tags": ["confidential"]})
    assert not is_confidential({"tags": "work_order"})
    assert not is_confidential(None)


def test_sip_caller_id_masks_number_and_name_for_confidential_calls() -> None:
    assert sip_caller_id("12345", NUMBER, confidential=False) == f'"12345 {NUMBER}" <{NUMBER}>'
    masked = sip_caller_id("12345", NUMBER, confidential=True)
    assert NUMBER not in masked
    assert masked.endswith("<138****8000>")
    assert masked_connected_line(NUMBER)["HOTLINE_SHOWN_NUMBER"] == "138****8000"


def test_for_log_masks_phone_numbers_but_keeps_call_ids_times_and_short_codes() -> None:
    text = for_log({"call_id": "1763900000.12", "caller": NUMBER, "at": 1763900000.5, "dialed": "12345"})
    assert NUMBER not in text
    assert "138****8000" in text
    assert "1763900000.12" in text
    assert "1763900000.5" in text
    assert "'12345'" in text
    assert for_log("+8613800138000 called") == "+86****8000 called"


async def test_recorder_logs_a_malformed_event_with_the_number_masked(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'rec.db'}"
    migrate(url)
    engine = make_engine(url)
    bus = EventBus()
    recorder = Recorder(bus=bus, sessions=session_factory(engine))
    task = asyncio.create_task(recorder.run())
    try:
        bus.publish("call.changed", {"call_id": "1763900000.12", "caller": NUMBER})
        await recorder.drained()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        engine.dispose()
    logged = [r.getMessage() for r in caplog.records if r.name == "hotline.recorder"]
    assert logged
    assert not any(NUMBER in m for m in logged), logged


async def test_message_intake_logs_the_callers_number_masked(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'intake.db'}"
    migrate(url)
    engine = make_engine(url)
    bus = EventBus()
    intake = MessageIntake(bus=bus, tickets=TicketService(sessions=session_factory(engine)))
    task = asyncio.create_task(intake.run())
    message = {
        "call_id": "c-1",
        "caller": NUMBER,
        "path": "",
        "recorded": False,
        "callback": True,
        "tags": [],
    }
    try:
        with caplog.at_level(logging.INFO, logger="tickets.intake"):
            bus.publish("call.message", message)
            for _ in range(200):
                if intake.created:
                    break
                await asyncio.sleep(0.02)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        engine.dispose()
    logged = [r.getMessage() for r in caplog.records if r.name == "tickets.intake"]
    assert intake.created == 1
    assert any("138****8000" in m for m in logged), logged
    assert not any(NUMBER in m for m in logged), logged


async def test_recorder_survives_an_event_missing_a_field_its_write_needs_and_logs_it_masked(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'rec.db'}"
    migrate(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    bus = EventBus()
    recorder = Recorder(bus=bus, sessions=sessions)
    task = asyncio.create_task(recorder.run())
    try:
        bus.publish("call.ivr_started", {"call_id": "c-bad", "caller": NUMBER, "at": 1763900000.0})
        good = {"call_id": "c-good", "caller": NUMBER, "channel": "PJSIP/t", "dialed": "12345"}
        bus.publish("call.ivr_started", good | {"at": 1763900001.0})
        await recorder.drained()
        assert not task.done()
        assert repo.get_call(sessions, call_id="c-good") is not None
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        engine.dispose()
    logged = [r.getMessage() for r in caplog.records if r.name == "hotline.recorder"]
    assert any("c-bad" in m for m in logged), logged
    assert not any(NUMBER in m for m in logged), logged


def test_ami_connection_logs_a_skipped_frame_with_numbers_masked(caplog: pytest.LogCaptureFixture) -> None:
    connection = AmiConnection(lambda event, solicited: None)
    connection.data_received(b"Asterisk Call Manager/9.0.0\r\nCallerIDNum: 13800138000\r\nFoo: bar\r\n\r\n")
    logged = [r.getMessage() for r in caplog.records if r.name == "hotline.ami.connection"]
    assert any("138****8000" in m for m in logged), logged
    assert not any(NUMBER in m for m in logged), logged
