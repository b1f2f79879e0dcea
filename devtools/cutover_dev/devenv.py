"""A pair of local servers (legacy and target) provisioned like production, under one folder.

Roles created here mirror what a DBA sets up for the real cutover:
- legacy: `legacy_reader`, login, read-only by default, SELECT on the legacy tables except
  password hashes (granted by cutover_dev.legacy.roles once the schema exists);
- target: `migrator`, owner of the target database; what only a superuser may create (the
  postgres_fdw extension, the audit schema owned by `cutover_audit_owner`, the migrator's
  grants on it) comes from the same script a DBA runs in production (runner.dba).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from cutover_dev.servers import SUPERUSER, LocalServer, embedded_bin_dir
from runner.config import PROJECT_DIR, Endpoint
from runner.dba import provision_target
from runner.errors import CutoverError, connection_reason

LEGACY_DB = "legacy"
TARGET_DB = "target"
READER_ROLE = "legacy_reader"
MIGRATOR_ROLE = "migrator"
DEFAULT_LEGACY_PORT = 55432
DEFAULT_TARGET_PORT = 55433


@dataclass
class DevEnvironment:
    """Two local servers and the env file that tells dbt and the runner how to reach them."""

    root: Path
    legacy_port: int = DEFAULT_LEGACY_PORT
    target_port: int = DEFAULT_TARGET_PORT
    bin_dir: Path | None = None

    def __post_init__(self) -> None:
        bin_dir = self.bin_dir or embedded_bin_dir()
        self.legacy = LocalServer("legacy", self.root / "legacy", self.legacy_port, bin_dir)
        self.target = LocalServer("target", self.root / "target", self.target_port, bin_dir)

    @property
    def env_file(self) -> Path:
        return self.root / "env"

    @property
    def secrets_file(self) -> Path:
        return self.root / "role.passwords"

    def up(self) -> dict[str, str]:
        """Initialise, start and provision both servers; idempotent. Returns the environment."""
        self.root.mkdir(parents=True, exist_ok=True)
        for server in (self.legacy, self.target):
            server.init()
            server.start()
        passwords = self._role_passwords()
        self._provision_legacy(passwords[READER_ROLE])
        self._provision_target(passwords[MIGRATOR_ROLE])
        env = self.environment()
        self.env_file.write_text(
            "# Written by `cutover dev up`: connection settings of the local servers.\n"
            + "".join(f"export {key}='{value}'\n" for key, value in env.items())
        )
        self.env_file.chmod(0o600)
        return env

    def down(self) -> None:
        for server in (self.target, self.legacy):
            server.stop()

    def destroy(self) -> None:
        for server in (self.target, self.legacy):
            server.destroy()
        self.env_file.unlink(missing_ok=True)
        self.secrets_file.unlink(missing_ok=True)

    def status(self) -> dict[str, bool]:
        return {"legacy": self.legacy.is_running(), "target": self.target.is_running()}

    def environment(self) -> dict[str, str]:
        passwords = self._role_passwords()
        return {
            "CUTOVER_LEGACY_HOST": "127.0.0.1",
            "CUTOVER_LEGACY_PORT": str(self.legacy.port),
            "CUTOVER_LEGACY_DB": LEGACY_DB,
            "CUTOVER_LEGACY_USER": READER_ROLE,
            "CUTOVER_LEGACY_PASSWORD": passwords[READER_ROLE],
            "CUTOVER_LEGACY_ADMIN_HOST": "127.0.0.1",
            "CUTOVER_LEGACY_ADMIN_PORT": str(self.legacy.port),
            "CUTOVER_LEGACY_ADMIN_DB": LEGACY_DB,
            "CUTOVER_LEGACY_ADMIN_USER": SUPERUSER,
            "CUTOVER_LEGACY_ADMIN_PASSWORD": self.legacy.superuser_password(),
            "CUTOVER_TARGET_HOST": "127.0.0.1",
            "CUTOVER_TARGET_PORT": str(self.target.port),
            "CUTOVER_TARGET_DB": TARGET_DB,
            "CUTOVER_TARGET_USER": MIGRATOR_ROLE,
            "CUTOVER_TARGET_PASSWORD": passwords[MIGRATOR_ROLE],
            "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"),
            # dbt masks the values of DBT_ENV_SECRET_* variables in everything it logs.
            "DBT_ENV_SECRET_LEGACY_PASSWORD": passwords[READER_ROLE],
            "DBT_ENV_SECRET_TARGET_PASSWORD": passwords[MIGRATOR_ROLE],
        }

    def target_superuser(self) -> Endpoint:
        return Endpoint("127.0.0.1", self.target.port, TARGET_DB, SUPERUSER, self.target.superuser_password())

    def _role_passwords(self) -> dict[str, str]:
        if not self.secrets_file.exists():
            self.secrets_file.write_text(
                f"{READER_ROLE}={secrets.token_urlsafe(24)}\n{MIGRATOR_ROLE}={secrets.token_urlsafe(24)}\n"
            )
            self.secrets_file.chmod(0o600)
        pairs = (line.split("=", 1) for line in self.secrets_file.read_text().splitlines() if line)
        return {key: value for key, value in pairs}

    def _provision_legacy(self, reader_password: str) -> None:
        with _connect(self.legacy.superuser_conninfo()) as conn:
            _ensure_database(conn, LEGACY_DB, owner=SUPERUSER)
            _ensure_role(conn, READER_ROLE, reader_password)
            conn.execute(
                sql.SQL("alter role {} set default_transaction_read_only = on").format(
                    sql.Identifier(READER_ROLE)
                )
            )

    def _provision_target(self, migrator_password: str) -> None:
        with _connect(self.target.superuser_conninfo()) as conn:
            _ensure_role(conn, MIGRATOR_ROLE, migrator_password)
            _ensure_database(conn, TARGET_DB, owner=MIGRATOR_ROLE)
        provision_target(self.target.superuser_conninfo(TARGET_DB), MIGRATOR_ROLE)


def _connect(conninfo: str) -> psycopg.Connection:
    try:
        return psycopg.connect(conninfo, autocommit=True)
    except psycopg.OperationalError as exc:
        raise CutoverError(f"Cannot reach a local server: {connection_reason(exc)}.") from exc


def _ensure_database(conn: psycopg.Connection, name: str, owner: str) -> None:
    exists = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
    if not exists:
        conn.execute(
            sql.SQL("create database {} owner {}").format(sql.Identifier(name), sql.Identifier(owner))
        )


def _ensure_role(conn: psycopg.Connection, name: str, password: str) -> None:
    exists = conn.execute("select 1 from pg_roles where rolname = %s", (name,)).fetchone()
    verb = "alter" if exists else "create"
    conn.execute(
        sql.SQL(verb + " role {} login password {}").format(sql.Identifier(name), sql.Literal(password))
    )


def default_dev_environment() -> DevEnvironment:
    """The project's dev servers under .cutover/dev (or CUTOVER_DEV_DIR), ports overridable for
    machines where the defaults are taken."""
    return DevEnvironment(
        root=Path(os.environ.get("CUTOVER_DEV_DIR", PROJECT_DIR / ".cutover" / "dev")),
        legacy_port=int(os.environ.get("CUTOVER_DEV_LEGACY_PORT", DEFAULT_LEGACY_PORT)),
        target_port=int(os.environ.get("CUTOVER_DEV_TARGET_PORT", DEFAULT_TARGET_PORT)),
        bin_dir=Path(os.environ["CUTOVER_PG_BIN"]) if os.environ.get("CUTOVER_PG_BIN") else None,
    )
