"""The throwaway PostgreSQL server the database tests use: it answers, goes down and comes back."""

from __future__ import annotations

import psycopg
import pytest

from .pg_fixture import postgres_server, postgres_url  # noqa: F401  (pytest finds fixtures by name)
from .pg_server import PostgresServer


def _select_one(server: PostgresServer, database: str) -> int:
    with server.connect(database, connect_timeout=5) as conn:
        row = conn.execute("select 1").fetchone()
    assert row is not None
    return int(row[0])


def test_server_answers_stops_and_starts_again(postgres_server: PostgresServer) -> None:  # noqa: F811
    assert postgres_server.url == f"postgresql+psycopg://handout@127.0.0.1:{postgres_server.port}/records"
    assert _select_one(postgres_server, "records") == 1

    postgres_server.stop()
    assert not postgres_server.running
    with pytest.raises(psycopg.OperationalError):
        _select_one(postgres_server, "records")

    postgres_server.start()
    assert postgres_server.running
    assert _select_one(postgres_server, "records") == 1


def test_each_test_gets_its_own_database(postgres_server: PostgresServer, postgres_url: str) -> None:  # noqa: F811
    database = postgres_url.rsplit("/", 1)[1]
    assert database.startswith("test_")
    assert postgres_url == postgres_server.url_for(database)
    assert _select_one(postgres_server, database) == 1
