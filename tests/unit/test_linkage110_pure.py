"""The 110 interface's pure parts: signatures, the backoff, what 110 learns about the caller, the schemas."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from linkage110.schemas import HandoffIn, TransferIn, schemas
from linkage110.sender import backoff_s
from linkage110.service import handoff_payload
from linkage110.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureError,
    sign,
    signed_headers,
    verify,
)
from tickets.rows import Caller, FiveElements, WorkOrderRow
from tickets.vocab import Category, Channel, ContactPreference, SpecialGroup, Status, Urgency

NOW = 1_800_000_000
T = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


def test_given_signed_body_when_verified_within_the_window_then_accepted() -> None:
    body = '{"a":"转办"}'.encode()
    verify("s3cret", signed_headers("s3cret", NOW, body), body, now=NOW + 299, skew_s=300)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"secret": "other"}, "mismatch"),
        ({"body": b'{"a":"x"}'}, "mismatch"),
        ({"now": NOW + 301}, "stale"),
        ({"now": NOW - 301}, "stale"),
        ({"timestamp": "12ab"}, "bad_timestamp"),
        ({"drop": SIGNATURE_HEADER}, "missing"),
        ({"drop": TIMESTAMP_HEADER}, "missing"),
    ],
)
def test_given_altered_request_when_verified_then_refused_with_its_reason(
    change: dict[str, object], reason: str
) -> None:
    body = b'{"a":"y"}'
    headers = signed_headers(str(change.get("secret", "s3cret")), NOW, body)
    if "timestamp" in change:
        headers[TIMESTAMP_HEADER] = str(change["timestamp"])
    headers.pop(str(change.get("drop", "")), None)
    with pytest.raises(SignatureError) as refused:
        verify("s3cret", headers, change.get("body", body), now=float(change.get("now", NOW)), skew_s=300)  # type: ignore[arg-type]
    assert refused.value.reason == reason


def test_signature_covers_the_timestamp() -> None:
    assert sign("k", NOW, b"{}") != sign("k", NOW + 1, b"{}")
    with pytest.raises(ValueError, match="secret"):
        sign("", NOW, b"{}")


def test_backoff_doubles_and_is_bounded() -> None:
    waits = [backoff_s(n, base_s=2, max_s=60) for n in range(1, 9)]
    assert waits == [2, 4, 8, 16, 32, 60, 60, 60]
    assert backoff_s(10_000, base_s=2, max_s=600) == 600


def _order(confidential: bool = False) -> WorkOrderRow:
    caller = Caller(
        name="张三", number="13800138000", contact_preference=ContactPreference.ANY,
        special_group=SpecialGroup.NONE, confidential=confidential,
    )  # fmt: skip
    return WorkOrderRow(
        id=1, number="12345-20261206-000001", call_id=None, caller=caller, channel=Channel.PHONE,
        category=Category.REPORT, matter="噪音扰民", matter_code=None, content="楼下有人打架",
        elements=FiveElements(), address="姑苏区人民路 1 号", urgency=Urgency.URGENT, status=Status.INTAKE,
        answered_directly=False, answer_article_id=None, departments=(), linked_numbers=(), sign_due=None,
        handle_due=None, reply_due=None,
        created_by="a1", created_at=T, updated_at=T, dispatched_at=None, closed_at=None,
    )  # fmt: skip


def test_given_110_not_entitled_when_handing_off_then_number_masked_and_name_withheld() -> None:
    body = handoff_payload(_order(), key="12345-abcdefgh", reason="打架", actor="a1", entitled=False, now=T)
    assert body["order"]["caller"] == {
        "name": "",
        "number": "138****8000",
        "masked": True,
        "confidential": False,
    }
    assert body["order"]["urgency_label"] == "紧急"
    assert body["order"]["category_label"] == "举报"
    HandoffIn.model_validate(body)


def test_given_110_entitled_when_handing_off_then_full_caller_with_confidential_flag() -> None:
    body = handoff_payload(_order(True), key="12345-abcdefgh", reason="", actor="a1", entitled=True, now=T)
    assert body["order"]["caller"] == {
        "name": "张三",
        "number": "13800138000",
        "masked": False,
        "confidential": True,
    }


GOOD = {
    "idempotency_key": "110-key-0001",
    "reference": "JQ20261206001",
    "received_at": "2026-12-06T10:00:00+08:00",
    "caller": {"name": "李四", "number": "13900000000"},
    "content": "小区路灯不亮",
    "matter": "路灯故障",
}


@pytest.mark.parametrize(
    "hostile",
    [
        {**GOOD, "extra": 1},
        {**GOOD, "content": "x" * 4001},
        {**GOOD, "content": "a\x00b"},
        {**GOOD, "idempotency_key": "short"},
        {**GOOD, "idempotency_key": "../../etc/passwd"},
        {**GOOD, "received_at": "2026-12-06T10:00:00"},
        {**GOOD, "category": "crime"},
        {**GOOD, "caller": {"number": "1' OR 1=1"}},
        {**GOOD, "caller": "李四"},
        {k: v for k, v in GOOD.items() if k != "content"},
    ],
)
def test_hostile_transfer_bodies_are_refused(hostile: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        TransferIn.model_validate(hostile)


def test_schemas_name_every_body_and_forbid_unknown_fields() -> None:
    published = schemas()
    assert set(published) == {"handoff", "handoff_ack", "transfer", "transfer_ack"}
    assert published["transfer"]["additionalProperties"] is False
    TransferIn.model_validate(GOOD)
