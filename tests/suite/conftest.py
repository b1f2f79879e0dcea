"""Fixtures: real PostgreSQL servers started by the suite, never a mocked database.

One pair of servers (legacy and target) per test session, on free ports under a temporary
folder, provisioned exactly as `cutover dev up` provisions the dev pair. Generator scales are
small; full-scale figures belong to the benchmark command, not to tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import SCALE, SEED

from cutover_dev.devenv import DevEnvironment
from cutover_dev.legacy.generator import generate
from cutover_dev.servers import free_port
from runner.config import Endpoint, legacy_admin_endpoint
from runner.dbt import DbtProject


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here runs against real servers: `pytest -m "not servers"` leaves them to CI."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.servers)


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevEnvironment]:
    root = Path(tmp_path_factory.mktemp("servers", numbered=True))
    bin_dir = Path(os.environ["CUTOVER_PG_BIN"]) if os.environ.get("CUTOVER_PG_BIN") else None
    env = DevEnvironment(root=root, legacy_port=free_port(), target_port=free_port(), bin_dir=bin_dir)
    values = env.up()
    artefacts = root / "dbt"
    values["DBT_TARGET_PATH"] = str(artefacts / "target")
    values["DBT_LOG_PATH"] = str(artefacts / "logs")
    values["CUTOVER_REPORT_DIR"] = str(root / "reports")
    values["CUTOVER_LOG_DIR"] = str(root / "logs")
    # At scale 0.01 the forced data problems and their cascades make up to 36% of a 25-row
    # table; the stop rule itself is tested with an explicit --error-tolerance.
    values["CUTOVER_ERROR_TOLERANCE"] = "60"
    with pytest.MonkeyPatch.context() as patch:
        for key, value in values.items():
            patch.setenv(key, value)
        yield env
    env.destroy()


@pytest.fixture(scope="session")
def admin(servers: DevEnvironment) -> Endpoint:
    return legacy_admin_endpoint()


@pytest.fixture(scope="session")
def reader_role(servers: DevEnvironment) -> str:
    return os.environ["CUTOVER_LEGACY_USER"]


@pytest.fixture
def fresh_legacy(admin: Endpoint, reader_role: str) -> Endpoint:
    """A newly generated legacy database at the test scale (about 2 s), for a test that changes it."""
    generate(admin, SCALE, SEED, reader_role=reader_role)
    return admin


@pytest.fixture(scope="module")
def generated_legacy(admin: Endpoint, reader_role: str) -> Endpoint:
    """A newly generated legacy database shared by the read-only tests of one module."""
    generate(admin, SCALE, SEED, reader_role=reader_role)
    return admin


@pytest.fixture(scope="session")
def dbt_project(servers: DevEnvironment) -> DbtProject:
    project = DbtProject()
    project.parse()
    return project


@pytest.fixture(scope="session")
def target_super(servers: DevEnvironment) -> Endpoint:
    return servers.target_superuser()
