"""The centre under faults, on the real Asterisk: every call reaches a person (or is a callback or a
recorded abandon), no call record or work order is missing or written twice, and the centre recovers by
itself. The scenarios are shared with ``bench/faults.py`` (tests/faults/scenarios.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hotline.sandbox.instance import AsteriskSandbox
from tests.faults.scenarios import SCENARIOS, Rig

pytestmark = [pytest.mark.faults, pytest.mark.asterisk, pytest.mark.timeout(420)]


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_given_a_fault_mid_burst_when_it_passes_then_no_call_and_no_record_is_lost(
    name: str, sandbox: AsteriskSandbox, tmp_path: Path
) -> None:
    result = await SCENARIOS[name](Rig(sandbox=sandbox, workdir=tmp_path))
    print(json.dumps(result.as_json()))
    assert result.calls >= 5, result
    assert result.lost == 0, result
    assert result.records_missing == 0, result
    assert result.records_duplicated == 0, result
    assert result.recovery_s is not None, result
