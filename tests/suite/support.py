"""Constants and helpers shared by the tests."""

from __future__ import annotations

import psycopg

from runner.config import Endpoint

SCALE = 0.01
SEED = 42


def query(endpoint: Endpoint, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(endpoint.conninfo(), autocommit=True) as conn:
        cursor = conn.execute(sql, params or None)
        return cursor.fetchall() if cursor.description else []
