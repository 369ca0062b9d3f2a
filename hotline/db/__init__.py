"""Persistence: SQLAlchemy 2 models, Alembic migrations shipped in ``hotline/migrations``, typed data access.

``engine.make_engine`` / ``engine.migrate`` / ``engine.session_factory`` build the plumbing;
``repository`` holds the data-access functions, which return the immutable rows of ``rows``.
"""
