"""Revisit use cases (tickets.revisit) with the real order loop, shared by the SQLite and PostgreSQL runners.

``RevisitContract`` needs a ``db_url`` fixture: the URL of an empty database owned by the test. The
telephony side is the service's own entry points, called as the dialer and the revisit IVR call them
(tests/integration/test_revisit_call.py places the real calls). ``T0`` is Wednesday 2026-11-25 10:00 in
Beijing: orders are replied at noon, inside calling hours.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.migrated_db import MigratedDatabase
from tests.revisit_support import events, replied_order
from tickets import repository as repo
from tickets.errors import TicketError
from tickets.loop import OrderLoop
from tickets.revisit import RevisitService, WorkItem
from tickets.revisit_rules import RevisitPolicy, TargetState
from tickets.vocab import BEIJING, ContactPreference, Satisfaction, SpecialGroup, Status

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=BEIJING)
REPLIED = T0 + timedelta(hours=2)


def only(items: list[WorkItem], order_number: str) -> WorkItem:
    """The work-list line of ``order_number``'s citizen."""
    found = [i for i in items if i.target.order_number == order_number]
    assert len(found) == 1
    return found[0]


def status(sm: sessionmaker[Session], number: str) -> Status:
    """The order's status now."""
    row = repo.get_work_order(sm, number=number)
    assert row is not None
    return row.status


class RevisitContract(MigratedDatabase):
    """The shared test bodies."""

    @pytest.fixture
    def service(self, sm: sessionmaker[Session]) -> RevisitService:
        """The service with the default policy (3 attempts, 2 hours apart, 09:00-20:00)."""
        return RevisitService(sm, OrderLoop(sm), RevisitPolicy())

    def test_given_replied_order_with_merged_orders_when_listed_then_every_citizen_masked_and_due(
        self, sm: sessionmaker[Session], service: RevisitService
    ) -> None:
        main = replied_order(sm, "13800138000", at=T0, merge=("13900139000", "13700137000"))
        elderly = replied_order(sm, "13600136000", at=T0, group=SpecialGroup.ELDERLY)
        sms = replied_order(sm, "13500135000", at=T0, preference=ContactPreference.SMS_ONLY)
        undialable = replied_order(sm, "+8613400134000", at=T0)
        items = service.work_list(REPLIED)
        assert [i.target.main_number for i in items].count(main) == 3
        mine = only(items, main)
        assert (mine.masked_number, mine.auto, mine.target.merged) == ("138****8000", True, False)
        assert mine.plan.state is TargetState.PENDING
        assert mine.plan.next_at == REPLIED
        assert sorted(i.masked_number for i in items if i.target.merged) == ["137****7000", "139****9000"]
        assert not only(items, elderly).auto
        assert not only(items, sms).auto
        assert not only(items, undialable).auto, "only plain digits are dialled"
        due = {i.target.order_number for i in service.due(REPLIED)}
        assert main in due
        assert elderly not in due
        assert sms not in due
        assert len(due) == 3

    def test_given_citizen_answers_by_phone_when_solved_and_satisfied_then_order_closed_with_both_entries(
        self, sm: sessionmaker[Session], service: RevisitService
    ) -> None:
        number = replied_order(sm, "13800138000", at=T0)
        attempt = service.start_call(only(service.due(REPLIED), number), REPLIED)
        assert attempt is not None
        assert attempt.outcome == "calling"
        answered = service.answered(attempt.id, REPLIED + timedelta(seconds=5))
        assert answered is not None
        assert answered.order_number == number
        done = service.phone_result(attempt.id, solved=True, satisfaction=Satisfaction.SATISFIED, now=REPLIED)
        assert done is not None
        assert (done.outcome, done.solved, done.satisfaction) == (
            "reached",
            True,
            "satisfied",
        )
        assert events(sm, number)[-3:] == ["call_back", "evaluate", "close"]
        evaluate = repo.work_order_history(sm, number=number)[-2]
        assert evaluate.detail["via"] == "phone"
        assert evaluate.detail["satisfaction"] == "satisfied"
        assert status(sm, number) is Status.CLOSED
        assert service.work_list(REPLIED) == []
        assert service.phone_result(attempt.id, solved=False, satisfaction=None, now=REPLIED) is None, (
            "once only"
        )

    def test_given_dissatisfied_citizen_when_answered_then_order_left_evaluated_for_rework(
        self, sm: sessionmaker[Session], service: RevisitService
    ) -> None:
        number = replied_order(sm, "13800138000", at=T0)
        attempt = service.start_call(only(service.due(REPLIED), number), REPLIED)
        assert attempt is not None
        service.phone_result(attempt.id, solved=False, satisfaction=Satisfaction.DISSATISFIED, now=REPLIED)
        assert status(sm, number) is Status.EVALUATED

    def test_given_citizen_never_answers_when_retried_then_two_hours_apart_and_closed_unreachable(
        self, sm: sessionmaker[Session], service: RevisitService
    ) -> None:
        number = replied_order(sm, "13800138000", at=T0)
        now = REPLIED
        for n in range(1, 4):
            item = only(service.due(now), number)
            attempt = service.start_call(item, now)
            assert attempt is not None
            assert attempt.seq == n
            assert service.due(now) == [], "nothing else while a call is under way"
            service.not_reached(attempt.id, "no_answer" if n != 2 else "busy", now + timedelta(seconds=30))
            assert service.due(now + timedelta(hours=1)) == []
            now += timedelta(hours=2, minutes=1)
        assert events(sm, number)[-4:] == ["call_back_failed"] * 3 + ["close_unreachable"]
        assert repo.work_order_history(sm, number=number)[-1].detail["attempts"] == 3
        assert status(sm, number) is Status.CLOSED
        assert service.due(now) == []

    def test_given_evening_failure_when_planned_then_next_call_is_next_morning(
        self, sm: sessionmaker[Session], service: RevisitService
    ) -> None:
        number = replied_order(sm, "13800138000", at=T0)
        evening = datetime(2026, 11, 25, 19, 0, tzinfo=BEIJING)
        attempt = service.start_call(only(service.due(evening), number), evening)
        assert attempt is not None
        service.not_reached(attempt.id, "no_answer", evening)
        assert service.due(datetime(2026, 11, 25, 21, 30, tzinfo=BEIJING)) == []
        morning = datetime(2026, 11, 26, 9, 0, tzinfo=BEIJING)
        assert only(service.due(morning), number).plan.next_at == morning

    def test_given_answer_without_keys_or_centre_failure_when_recorded_then_only_the_first_counts(
        self, sm: sessionmaker[Session], service: RevisitService
    ) -> None:
        number = replied_order(sm, "13800138000", at=T0)
        first = service.start_call(only(service.due(REPLIED), number), REPLIED)
        assert first is not None
        service.answered(first.id, REPLIED)
        silent = service.phone_result(first.id, solved=None, satisfaction=None, now=REPLIED)
        assert silent is not None
        assert silent.outcome == "no_keys"
        later = REPLIED + timedelta(hours=3)
        second = service.start_call(only(service.due(later), number), later)
        assert second is not None
        service.not_reached(second.id, "failed", later, "ami down")
        assert events(sm, number)[-1] == "call_back_failed"
        assert events(sm, number).count("call_back_failed") == 1
        assert only(service.work_list(later), number).plan.failed == 1

    def test_given_two_schedulers_when_both_claim_the_same_citizen_then_one_call_only(
        self, sm: sessionmaker[Session], service: RevisitService
    ) -> None:
        number = replied_order(sm, "13800138000", at=T0)
        seen_by_both = only(service.due(REPLIED), number)
        assert service.start_call(seen_by_both, REPLIED) is not None
        assert service.start_call(seen_by_both, REPLIED) is None
        with pytest.raises(TicketError) as busy:
            service.manual(
                number,
                number,
                reached=False,
                solved=None,
                satisfaction=None,
                note="",
                actor="a1",
                now=REPLIED,
            )
        assert (busy.value.error_id, busy.value.status_code) == ("revisit_in_progress", 409)

    def test_given_attempts_without_result_when_swept_then_given_up_by_how_far_they_got(
        self, sm: sessionmaker[Session], service: RevisitService
    ) -> None:
        a = replied_order(sm, "13800138000", at=T0)
        b = replied_order(sm, "13900139000", at=T0)
        c = replied_order(sm, "13700137000", at=T0)
        ringing = service.start_call(only(service.due(REPLIED), a), REPLIED)
        in_ivr = service.start_call(only(service.due(REPLIED), b), REPLIED)
        picked_up = service.start_call(only(service.due(REPLIED), c), REPLIED)
        assert ringing is not None
        assert in_ivr is not None
        assert picked_up is not None
        service.answered(in_ivr.id, REPLIED)
        service.answered(in_ivr.id, REPLIED, in_ivr=True)
        service.answered(picked_up.id, REPLIED)
        assert service.sweep(REPLIED + timedelta(minutes=4)) == 0
        assert service.sweep(REPLIED + timedelta(minutes=6)) == 3
        outcomes = {h.order_number: h.outcome for n in (a, b, c) for h in service.history(n)}
        assert outcomes == {a: "failed", b: "no_keys", c: "failed"}, "only silence in the IVR counts"
        assert "call_back_failed" not in events(sm, a) + events(sm, c)
        assert events(sm, b)[-1] == "call_back_failed"

    def test_given_merged_citizens_when_main_citizen_closed_the_order_then_they_are_still_revisited(
        self, sm: sessionmaker[Session], service: RevisitService
    ) -> None:
        main = replied_order(sm, "13800138000", at=T0, merge=("13900139000",))
        merged = next(i.target.order_number for i in service.work_list(REPLIED) if i.target.merged)
        first = service.start_call(only(service.due(REPLIED), main), REPLIED)
        assert first is not None
        service.phone_result(first.id, solved=True, satisfaction=Satisfaction.SATISFIED, now=REPLIED)
        assert status(sm, main) is Status.CLOSED
        left = service.work_list(REPLIED + timedelta(minutes=1))
        assert [i.target.order_number for i in left] == [merged]
        service.manual(
            main,
            merged,
            reached=True,
            solved=True,
            satisfaction=Satisfaction.BASICALLY_SATISFIED,
            note="李先生表示已改善",
            actor="a7",
            now=REPLIED + timedelta(minutes=2),
        )
        assert events(sm, merged)[-2:] == ["call_back", "evaluate"]
        assert status(sm, merged) is Status.MERGED
        assert service.work_list(REPLIED + timedelta(minutes=3)) == []
        vias = [(h.order_number, h.via, h.actor) for h in service.history(main)]
        assert vias == [(main, "phone", "revisit-ivr"), (merged, "manual", "a7")]

    def test_given_agent_records_by_hand_when_not_reached_three_times_then_closed_and_later_refused(
        self, sm: sessionmaker[Session], service: RevisitService
    ) -> None:
        number = replied_order(sm, "13800138000", at=T0, group=SpecialGroup.ELDERLY)
        with pytest.raises(TicketError) as bad:
            service.manual(
                number,
                number,
                reached=False,
                solved=True,
                satisfaction=None,
                note="",
                actor="a1",
                now=REPLIED,
            )
        assert bad.value.error_id == "invalid_value"
        for n in range(3):
            service.manual(
                number,
                number,
                reached=False,
                solved=None,
                satisfaction=None,
                note=f"第{n + 1}次无人接听",
                actor="a1",
                now=REPLIED + timedelta(hours=n),
            )
        assert status(sm, number) is Status.CLOSED
        assert events(sm, number)[-1] == "close_unreachable"
        with pytest.raises(TicketError) as late:
            service.manual(
                number, number, reached=True, solved=True, satisfaction=None, note="", actor="a1", now=REPLIED
            )
        assert (late.value.error_id, late.value.status_code) == ("revisit_not_found", 404)

    def test_given_many_orders_left_to_agents_when_due_is_asked_then_they_do_not_crowd_out_calls(
        self, sm: sessionmaker[Session], service: RevisitService
    ) -> None:
        for caller in ("13100131000", "13100131001", "13100131002"):
            replied_order(sm, caller, at=T0, group=SpecialGroup.DISABLED)
        later = replied_order(sm, "13800138000", at=T0 + timedelta(minutes=5))
        merged_in = replied_order(
            sm, "13200132000", at=T0, group=SpecialGroup.ELDERLY, merge=("13900139000",)
        )
        due = service.due(REPLIED + timedelta(minutes=5), limit=2)
        assert {i.target.main_number for i in due} == {later, merged_in}
        assert all(i.auto for i in due)
