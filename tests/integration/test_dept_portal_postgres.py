"""The department portal's journey, scoping and user rules with the centre on the real PostgreSQL: the same
tests as on SQLite (imported here), run against a centre whose ``centre`` fixture is a scratch database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hotline.app import Centre, ensure_admin
from hotline.settings import Settings
from tests.integration.test_dept_portal_api import (
    test_given_an_order_when_signed_handed_down_and_replied_then_each_step_is_recorded,
    test_given_another_department_then_the_order_is_never_shown_nor_acted_on,
    test_given_the_return_limit_when_returning_then_only_in_time_is_accepted,
)
from tests.integration.test_dept_users import test_a_department_admin_manages_only_plain_users_below_it
from tests.pg import scratch_database

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres, pytest.mark.timeout(120)]

__all__ = [
    "test_a_department_admin_manages_only_plain_users_below_it",
    "test_given_an_order_when_signed_handed_down_and_replied_then_each_step_is_recorded",
    "test_given_another_department_then_the_order_is_never_shown_nor_acted_on",
    "test_given_the_return_limit_when_returning_then_only_in_time_is_accepted",
]


@pytest.fixture
async def centre(centre_settings: Settings) -> AsyncIterator[Centre]:
    """A running centre on a scratch PostgreSQL database (replaces the SQLite one for this module)."""
    with scratch_database("hotline_dept") as url:
        settings = centre_settings.model_copy(update={"database_url": url})
        running = Centre(settings=settings, ami_secret=settings.ami_secret.get_secret_value())
        ensure_admin(running.sessions, settings)
        await running.start()
        try:
            yield running
        finally:
            await running.stop()
            running.sessions.kw["bind"].dispose()
