"""KPI correctness driven by ``hotline simulate`` (hotline.simulate, the command's engine) with a mix of
patient and impatient callers (``--patience 300,300,16,4``): two agents talking 20 s, eight callers
pressing 0.
The first two are answered at once, the next patient two after more than 15 s, the callers giving up after
16 s abandon in the queue, those giving up after 4 s are short abandons. ``GET /api/kpis`` must equal the
counts made here with plain SQL over the call records (docs/KPIS.md: 15 s service level, 5 s short abandons).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from hotline.ami.client import AmiClient
from hotline.app import Centre
from hotline.sandbox.instance import AsteriskSandbox
from hotline.simulate import Simulation, SimulationPlan
from tests.integration.conftest import ADMIN_PASSWORD
from tests.integration.desktop import DesktopClient

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(240)]

PLAN = SimulationPlan(
    calls=8,
    agents=2,
    talk_s=20.0,
    ring_s=0.3,
    wrapup_s=0.5,
    keys=("0",),
    patience_cycle=(300.0, 300.0, 16.0, 4.0),
    interval_s=0.4,
    timeout_s=180.0,
    skills=("general",),
)


def _counts(centre: Centre, prefix: str) -> dict[str, Any]:
    """The figures counted from the call records with plain SQL (not supervisor.kpis)."""
    sql = text(
        """
        SELECT
          SUM(CASE WHEN NOT (outcome = 'abandoned' AND wait_seconds <= 5) THEN 1 ELSE 0 END) AS offered,
          SUM(CASE WHEN outcome = 'answered' THEN 1 ELSE 0 END) AS answered,
          SUM(CASE WHEN outcome = 'answered' AND wait_seconds <= 15 THEN 1 ELSE 0 END) AS answered_in_sl,
          SUM(CASE WHEN outcome = 'abandoned' AND wait_seconds > 5 THEN 1 ELSE 0 END) AS abandoned,
          SUM(CASE WHEN outcome = 'abandoned' AND wait_seconds <= 5 THEN 1 ELSE 0 END) AS short_abandoned
        FROM calls
        WHERE kind = 'citizen' AND queued_at IS NOT NULL AND caller LIKE :prefix
        """
    )
    with centre.sessions() as s:
        return dict(s.execute(sql, {"prefix": f"{prefix}%"}).mappings().one())


async def test_given_patient_and_impatient_callers_simulated_then_kpis_equal_the_call_records(
    centre: Centre, sandbox: AsteriskSandbox
) -> None:
    c = sandbox.config
    ami = AmiClient(host="127.0.0.1", port=c.ami_port, username=c.ami_username, secret=c.ami_secret)
    await ami.start()
    admin = DesktopClient(centre.url)
    started = datetime.now(UTC)
    try:
        sim = Simulation(plan=PLAN, base_url=centre.url, ami=ami, admin_password=ADMIN_PASSWORD)
        summary = await sim.execute()
        assert summary["lost"] == 0, summary
        await centre.recorder.drained()
        ended = datetime.now(UTC)
        expected = _counts(centre, sim.caller_prefix)
        # The mix is really there: answered within and after 15 s, abandoned, short abandons.
        assert expected["answered_in_sl"] >= 1, expected
        assert expected["answered"] - expected["answered_in_sl"] >= 1, expected
        assert expected["abandoned"] >= 1, expected
        assert expected["short_abandoned"] >= 1, expected

        await admin.sign_in("admin", ADMIN_PASSWORD)
        params = {
            "from": (started - timedelta(seconds=1)).isoformat(),
            "to": (ended + timedelta(seconds=1)).isoformat(),
            "queue": "general",
        }
        got = await admin.http.get("/api/kpis", params=params, headers=admin.auth)
        assert got.status_code == 200, got.text
        totals = got.json()["totals"]
        for field in ("offered", "answered", "answered_in_sl", "abandoned", "short_abandoned"):
            assert totals[field] == expected[field], (field, totals, expected)
        assert totals["service_level"] == round(expected["answered_in_sl"] / expected["answered"], 4)
        assert totals["answer_rate"] == round(expected["answered"] / expected["offered"], 4)
    finally:
        await admin.close()
        await ami.close()
