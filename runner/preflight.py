"""Checks before any dbt work: both databases answer, with the roles configured."""

from __future__ import annotations

import psycopg

from runner.config import Endpoint, legacy_reader_endpoint, target_endpoint
from runner.errors import CutoverError, connection_reason


def check_connection(endpoint: Endpoint, what: str) -> None:
    try:
        with psycopg.connect(endpoint.conninfo(connect_timeout="5")) as conn:
            conn.execute("select 1")
    except psycopg.OperationalError as exc:
        raise CutoverError(
            f"Cannot reach the {what} database at {endpoint.display()}: {connection_reason(exc)}."
        ) from exc


def check_servers() -> tuple[Endpoint, Endpoint]:
    legacy, target = legacy_reader_endpoint(), target_endpoint()
    check_connection(legacy, "legacy")
    check_connection(target, "target")
    return legacy, target
