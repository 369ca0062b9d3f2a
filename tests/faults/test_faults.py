"""The centre under faults, on the real Asterisk: every call reaches a person (or is a callback or a
recorded abandon), no call record or work order is missing or written twice, and the centre recovers by
itself. The scenarios are shared with ``bench/faults.py`` (tests/faults/catalogue.py).

Callers in these scenarios are patient (tests.faults.scenarios.PATIENCE_S), so an abandon means the
centre kept a caller waiting that long: only a restart of Asterisk itself may end calls unanswered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hotline.sandbox.instance import AsteriskSandbox
from tests.faults.catalogue import SCENARIOS
from tests.faults.scenarios import Rig

pytestmark = [pytest.mark.faults, pytest.mark.asterisk, pytest.mark.timeout(420)]

ABANDONS_EXPECTED = {"asterisk_restart"}
"""Calls up while Asterisk stops end with it; the centre records them as abandoned."""

KNOWN_DEFECTS: dict[str, str] = {}
"""Scenarios that fail for a known defect (strict xfail with the reason); none at present."""


def _param(name: str) -> object:
    if name in KNOWN_DEFECTS:
        return pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=KNOWN_DEFECTS[name]))
    return name


@pytest.mark.parametrize("name", [_param(n) for n in SCENARIOS])
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
    if name not in ABANDONS_EXPECTED:
        assert result.abandoned == 0, result
