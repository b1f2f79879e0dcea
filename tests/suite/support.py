"""Constants and helpers shared by the tests."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest

from runner.config import PROJECT_DIR, Endpoint
from runner.dba import provision_target

SCALE = 0.01
SEED = 42
# screenshots and other files kept for review
ARTEFACTS = Path(os.environ.get("CUTOVER_TEST_ARTEFACTS", PROJECT_DIR / "test-artefacts"))


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


CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    """Debian's Chromium, installed with apt-get where it is missing."""
    path = shutil.which("chromium")
    if path is None and shutil.which("apt-get") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium"]
        if subprocess.run(install, env=env, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True)
            subprocess.run(install, env=env, capture_output=True)
        path = shutil.which("chromium")
    if path is None:
        pytest.fail("Chromium is missing and could not be installed: run `apt-get install chromium`.")
    return path
