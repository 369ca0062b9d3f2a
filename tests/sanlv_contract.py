"""三率 figures (``tickets.sanlv``) against counts made here from the history rows, on any database.

``SanlvContract`` needs a ``db_url`` fixture. A known set of orders is driven through
``tickets.loop.OrderLoop`` with injected times in the week of Monday 2026-11-23 (Beijing), one the week
before, and the deadline checker raises 督办 on a later day; the expected figures are counted by plain
loops over each order's history, extension and 督办 rows (not through the report's SQL), and a
department's figures over its subtree by walking each order's department up to the top.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from supervisor.reports import Period, Window, report_window
from tests.migrated_db import MigratedDatabase
from tests.tickets_contract import order
from tickets import repository as repo
from tickets.checker import DeadlineChecker
from tickets.departments import all_departments
from tickets.loop import OrderLoop
from tickets.models import WorkOrder
from tickets.sanlv import COUNTS, department_report
from tickets.service import TicketService
from tickets.supervision_models import SupervisionOrder
from tickets.vocab import Satisfaction

pytestmark = pytest.mark.timeout(120)

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
"""Monday 2026-11-23 10:00 in Beijing."""
NOW = T0 + timedelta(days=40)
H, D = timedelta(hours=1), timedelta(days=1)
WINDOW = report_window(Period.WEEK, date(2026, 11, 25), NOW)


@dataclass(frozen=True)
class Scenario:
    """The orders made, by letter."""

    numbers: dict[str, str]
    loop: OrderLoop


def _dispatch(sm: sessionmaker[Session], caller: str, main: str, at: datetime) -> str:
    row = repo.create_work_order(sm, order=order(number=caller), created_by="a1", now=at)
    TicketService(sm).dispatch(row.number, main=main, actor="a1", now=at)
    return row.number


def _revisit(loop: OrderLoop, n: str, at: datetime, *, solved: bool, satisfaction: Satisfaction) -> None:
    loop.record_revisit(
        n, reached=True, solved=solved, satisfaction=satisfaction, via="manual", actor="c1", now=at
    )


def drive(sm: sessionmaker[Session]) -> Scenario:
    """The known orders: on time, late and redone, handed down and extended, returned, redispatched
    and refused an extension, never signed, one dispatched the week before, one never dispatched."""
    loop, n = OrderLoop(sm), {}
    n["a"] = a = _dispatch(sm, "13800000001", "sthjj", T0)
    loop.sign(a, department="sthjj", actor="d1", now=T0 + H)
    loop.reply(a, department="sthjj", text="已整改", actor="d1", now=T0 + D)
    _revisit(loop, a, T0 + 2 * D, solved=True, satisfaction=Satisfaction.SATISFIED)
    n["b"] = b = _dispatch(sm, "13800000002", "sthjj", T0 + 2 * H)
    loop.sign(b, department="sthjj", actor="d1", now=T0 + 3 * D)
    loop.reply(b, department="sthjj", text="已处理", actor="d1", now=T0 + 30 * D)
    _revisit(loop, b, T0 + 31 * D, solved=False, satisfaction=Satisfaction.DISSATISFIED)
    loop.reopen(b, reason="市民不满意", actor="c1", now=T0 + 31 * D + H)
    loop.sign(b, department="sthjj", actor="d1", now=T0 + 31 * D + 2 * H)
    loop.reply(b, department="sthjj", text="再次处理", actor="d1", now=T0 + 32 * D)
    _revisit(loop, b, T0 + 33 * D, solved=True, satisfaction=Satisfaction.BASICALLY_SATISFIED)
    n["c"] = c = _dispatch(sm, "13800000003", "sthjj", T0 + D)
    loop.hand_down(c, department="sthjj", to_department="sthjj_gusu_shuangta", actor="d1", now=T0 + D + H)
    loop.sign(c, department="sthjj_gusu_shuangta", actor="d3", now=T0 + D + 2 * H)
    ext = loop.request_extension(
        c, department="sthjj_gusu_shuangta", working_days=5, reason="需现场勘查", actor="d3", now=T0 + 2 * D
    )
    loop.decide_extension(c, ext.id, approve=True, note="同意", actor="s1", now=T0 + 2 * D + H)
    loop.reply(c, department="sthjj_gusu_shuangta", text="已办结", actor="d3", now=T0 + 6 * D)
    _revisit(loop, c, T0 + 7 * D, solved=True, satisfaction=Satisfaction.SATISFIED)
    n["d"] = d = _dispatch(sm, "13800000004", "cgj", T0 + 3 * H)
    loop.return_order(d, department="cgj", reason="不属本单位职责", actor="d2", now=T0 + 4 * H)
    n["e"] = e = _dispatch(sm, "13800000005", "cgj", T0 + 3 * H)
    loop.return_order(e, department="cgj", reason="应由住建局办理", actor="d2", now=T0 + 4 * H)
    loop.redispatch(e, main="zjj", actor="a1", now=T0 + 5 * H)
    loop.sign(e, department="zjj", actor="d4", now=T0 + 6 * H)
    ext = loop.request_extension(
        e, department="zjj", working_days=3, reason="材料不全", actor="d4", now=T0 + D
    )
    loop.decide_extension(e, ext.id, approve=False, note="不同意", actor="s1", now=T0 + D + H)
    loop.reply(e, department="zjj", text="已答复", actor="d4", now=T0 + 2 * D)
    _revisit(loop, e, T0 + 3 * D, solved=True, satisfaction=Satisfaction.DISSATISFIED)
    n["f"] = _dispatch(sm, "13800000006", "cgj", T0 + 4 * D)
    n["g"] = _dispatch(sm, "13800000007", "sthjj", T0 - 7 * D)
    n["h"] = repo.create_work_order(sm, order=order(number="13800000008"), created_by="a1", now=T0).number
    DeadlineChecker(sm).run_pass(now=T0 + 20 * D)
    return Scenario(n, loop)


def _escalations(sm: sessionmaker[Session]) -> dict[str, int]:
    with sm() as s:
        rows = s.execute(
            select(WorkOrder.number).join(SupervisionOrder, SupervisionOrder.order_id == WorkOrder.id)
        )
        found: dict[str, int] = {}
        for (number,) in rows:
            found[number] = found.get(number, 0) + 1
        return found


def _main_of(history: list[Any]) -> str | None:
    main = None
    for h in history:
        if h.event in ("dispatch", "redispatch"):
            main = h.detail["main"]
        elif h.event == "hand_down":
            main = h.detail["to"]
    return main


def _past(due: datetime | None) -> bool:
    return due is not None and due < NOW


def order_counts(sm: sessionmaker[Session], loop: OrderLoop, number: str, escalated: int) -> dict[str, int]:
    """One order's contribution to its department's figures, from its own rows."""
    history = repo.work_order_history(sm, number=number)
    row = repo.get_work_order(sm, number=number)
    assert row is not None
    signs = [h for h in history if h.event == "sign"]
    replies = [h for h in history if h.event == "reply"]
    evals = [h for h in history if h.event == "evaluate"]
    status = row.status.value
    last_eval = evals[-1].detail if evals else {}
    extensions = loop.extensions(number)
    return {
        "dispatched": 1,
        "signed_on_time": int(bool(signs) and signs[0].detail["on_time"] is True),
        "evaluated": int(bool(evals)),
        "solved": int(last_eval.get("solved") is True),
        "satisfied": int(last_eval.get("satisfaction") in ("satisfied", "basically_satisfied")),
        "replied": int(bool(replies)),
        "replied_on_time": int(bool(replies) and replies[0].detail["on_time"] is True),
        "overdue_sign": int(
            (bool(signs) and signs[0].detail["on_time"] is False)
            or (not signs and status == "dispatched" and _past(row.sign_due))
        ),
        "overdue_handle": int(
            (bool(replies) and row.handle_due is not None and replies[0].at > row.handle_due)
            or (not replies and status in ("dispatched", "signed", "handling") and _past(row.handle_due))
        ),
        "overdue_reply": int(
            (bool(replies) and replies[0].detail["on_time"] is False)
            or (not replies and status in ("dispatched", "signed", "handling") and _past(row.reply_due))
        ),
        "returns": sum(1 for h in history if h.event == "return"),
        "extensions_requested": len(extensions),
        "extensions_approved": sum(1 for x in extensions if x.status.value == "approved"),
        "escalations": escalated,
    }


def expected(
    sm: sessionmaker[Session], scenario: Scenario, window: Window
) -> dict[str | None, dict[str, int]]:
    """Counts per department (rolled up by walking each order's department to the top; ``None`` is
    the centre), over the orders first dispatched in ``window``."""
    with sm() as s:
        parents = {d.code: d.parent_code for d in all_departments(s)}
    escalated = _escalations(sm)
    totals: dict[str | None, dict[str, int]] = {}
    for number in scenario.numbers.values():
        history = repo.work_order_history(sm, number=number)
        dispatches = [h.at for h in history if h.event == "dispatch"]
        if not dispatches or not window.start <= dispatches[0] < window.end:
            continue
        counts = order_counts(sm, scenario.loop, number, escalated.get(number, 0))
        code = _main_of(history)
        chain: list[str | None] = [None]
        while code is not None:
            chain.append(code)
            code = parents.get(code)
        for key in chain:
            into = totals.setdefault(key, dict.fromkeys(COUNTS, 0))
            for name, value in counts.items():
                into[name] += value
    return totals


class SanlvContract(MigratedDatabase):
    """The report's counts equal the independent ones, department by department."""

    @pytest.fixture
    def scenario(self, sm: sessionmaker[Session]) -> Scenario:
        """The driven orders."""
        return drive(sm)

    def test_given_driven_orders_when_reported_then_every_department_matches_independent_counts(
        self, sm: sessionmaker[Session], scenario: Scenario
    ) -> None:
        report = department_report(sm, WINDOW, now=NOW)
        want = expected(sm, scenario, WINDOW)
        rows = {r["department"]: r for r in report["rows"]}
        assert set(want) - {None} <= set(rows)
        for code, row in rows.items():
            assert {k: row[k] for k in COUNTS} == want.get(code, dict.fromkeys(COUNTS, 0)), code
        assert {k: report["total"][k] for k in COUNTS} == want[None]

    def test_given_driven_orders_then_figures_are_the_known_ones(
        self, sm: sessionmaker[Session], scenario: Scenario
    ) -> None:
        rows = {r["department"]: r for r in department_report(sm, WINDOW, now=NOW)["rows"]}
        sthjj, cgj, zjj = rows["sthjj"], rows["cgj"], rows["zjj"]
        assert (sthjj["dispatched"], sthjj["signed_on_time"], sthjj["evaluated"]) == (3, 2, 3)
        assert (sthjj["satisfied"], sthjj["solved"], sthjj["response_rate"]) == (3, 3, 2 / 3)
        assert (sthjj["replied"], sthjj["replied_on_time"], sthjj["overdue_reply"]) == (3, 2, 1)
        assert (sthjj["extensions_requested"], sthjj["extensions_approved"]) == (1, 1)
        assert rows["sthjj_gusu"]["dispatched"] == rows["sthjj_gusu_shuangta"]["dispatched"] == 1
        assert (cgj["dispatched"], cgj["returns"], cgj["overdue_sign"]) == (2, 1, 1)
        assert cgj["escalations"] > 0
        assert cgj["satisfaction_rate"] is None
        assert (zjj["dispatched"], zjj["returns"], zjj["satisfied"]) == (1, 1, 0)
        assert zjj["satisfaction_rate"] == 0.0
        assert (zjj["extensions_requested"], zjj["extensions_approved"]) == (1, 0)

    def test_given_department_when_reported_then_only_its_subtree(
        self, sm: sessionmaker[Session], scenario: Scenario
    ) -> None:
        report = department_report(sm, WINDOW, now=NOW, department="sthjj")
        codes = {r["department"] for r in report["rows"]}
        assert codes == {"sthjj", "sthjj_gusu", "sthjj_gusu_shuangta"}
        assert report["total"]["dispatched"] == 3

    def test_given_week_before_when_reported_then_only_that_order(
        self, sm: sessionmaker[Session], scenario: Scenario
    ) -> None:
        before = report_window(Period.WEEK, date(2026, 11, 16), NOW)
        report = department_report(sm, before, now=NOW)
        assert report["total"]["dispatched"] == 1
        assert {k: report["total"][k] for k in COUNTS} == expected(sm, scenario, before)[None]
