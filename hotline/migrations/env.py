"""Alembic environment: runs the migrations on the connection ``hotline.db.engine.migrate`` hands in.

Used without an ini file: ``alembic_config(url)`` builds the configuration. When no connection is
passed (e.g. the ``alembic`` command line with that configuration), an engine is made from the URL.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from hotline.db.engine import make_engine
from hotline.db.registry import full_metadata

config = context.config
target_metadata = full_metadata()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    """Emit the SQL for the URL's dialect instead of running it."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate over the given connection, or over a new engine for the configured URL."""
    given = config.attributes.get("connection")
    if isinstance(given, Connection):
        _run(given)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as connection:
            _run(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
