"""Constants and helpers shared by the tests."""

from __future__ import annotations

import os

import psycopg

from runner.config import Endpoint
from runner.dba import provision_target

SCALE = 0.01
SEED = 42


def query(endpoint: Endpoint, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(endpoint.conninfo(), autocommit=True) as conn:
        cursor = conn.execute(sql, params or None)
        return cursor.fetchall() if cursor.description else []


def reset_target(target_super: Endpoint) -> None:
    """Drop everything a cutover wrote, the audit trail included, then provision the target
    again as its DBA would (the migration role can neither drop nor create the trail)."""
    query(
        target_super,
        "drop schema if exists app, staging, intermediate, quarantine, audit, mapping, cutover_audit, "
        "cutover_snapshots cascade",
    )
    provision_target(target_super.conninfo(), os.environ["CUTOVER_TARGET_USER"])
