"""Pytest fixtures for a real PostgreSQL server (see tests/pg_server.py).

`postgres_server` is one server for the whole session; `postgres_url` gives each test its own empty
database on it. A test module uses them by importing both names:

    from .pg_fixture import postgres_server, postgres_url  # noqa: F401  (pytest finds fixtures by name)

Without PostgreSQL installed the tests are skipped on a developer's machine, but fail in CI (the CI
variable set), so a broken CI image cannot pass by skipping every database test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from .pg_server import PostgresServer, PostgresUnavailable, start_server


def _in_ci() -> bool:
    """Whether we run in CI: CI set to anything but an explicit no (GitHub, GitLab and others set CI=true)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL server for the session, removed (process and folder) at the end."""
    try:
        server = start_server()
    except PostgresUnavailable as error:
        missing = str(error)
    else:
        missing = ""
    # Outside the except block, so the report is the one line below and not a chained traceback.
    if missing:
        if _in_ci():
            pytest.fail(f"PostgreSQL is required in CI: {missing}", pytrace=False)
        pytest.skip(f"PostgreSQL not available: {missing}")
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """SQLAlchemy URL of a fresh, empty database made for this test alone, dropped afterwards."""
    # An earlier test may have stopped the server to act out an outage (and failed before restarting it).
    postgres_server.start()
    name = f"test_{uuid.uuid4().hex[:16]}"
    with postgres_server.connect("postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield postgres_server.url_for(name)
    finally:
        # FORCE ends sessions the test's engines still hold open. Errors are ignored: if the test left the
        # server stopped, the database simply goes with the whole cluster at the end of the session.
        try:
            with postgres_server.connect("postgres", autocommit=True, connect_timeout=5) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        except psycopg.Error:
            pass
