"""The admin console's users and directory with the centre on the real PostgreSQL: the same tests as on
SQLite (imported here), run against a centre whose ``centre`` fixture is a scratch database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hotline.app import Centre, ensure_admin
from hotline.settings import Settings
from tests.integration.test_admin_agents import (
    test_given_a_centre_csv_when_imported_then_bad_lines_are_named_and_only_a_clean_file_goes_in,
    test_given_the_directory_when_an_admin_changes_it_then_agents_transfer_list_follows_at_once,
)
from tests.pg import scratch_database

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres, pytest.mark.timeout(240)]

__all__ = [
    "test_given_a_centre_csv_when_imported_then_bad_lines_are_named_and_only_a_clean_file_goes_in",
    "test_given_the_directory_when_an_admin_changes_it_then_agents_transfer_list_follows_at_once",
]


@pytest.fixture
async def centre(centre_settings: Settings) -> AsyncIterator[Centre]:
    """A running centre on a scratch PostgreSQL database (replaces the SQLite one for this module)."""
    with scratch_database("hotline_admin_agents") as url:
        settings = centre_settings.model_copy(update={"database_url": url})
        running = Centre(settings=settings, ami_secret=settings.ami_secret.get_secret_value())
        ensure_admin(running.sessions, settings)
        await running.start()
        try:
            yield running
        finally:
            await running.stop()
            running.sessions.kw["bind"].dispose()
