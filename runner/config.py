"""The one place that reads connection settings.

Precedence: command-line flags > environment variables > the local dev servers' env file
(written by `cutover dev up` under .cutover/dev/, git-ignored). Secrets come only from the
environment or that file, never from a file in the repository.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from runner.errors import CutoverError

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEV_DIR = PROJECT_DIR / ".cutover" / "dev"
DEV_ENV_FILE = DEV_DIR / "env"


@dataclass(frozen=True)
class Endpoint:
    """How to reach one PostgreSQL database as one role."""

    host: str
    port: int
    dbname: str
    user: str
    password: str

    def conninfo(self, **extra: str) -> str:
        parts = {
            "host": self.host,
            "port": str(self.port),
            "dbname": self.dbname,
            "user": self.user,
            "password": self.password,
            "application_name": "cutover",
            "connect_timeout": "10",
            **extra,
        }
        return " ".join(f"{key}={_quote(value)}" for key, value in parts.items())

    def display(self) -> str:
        """Where it points, without the password."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}"


def _quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.exists():
        return values
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The process environment over the dev env file."""
    merged = read_env_file(DEV_ENV_FILE)
    merged.update(os.environ if env is None else env)
    return merged


def _endpoint(env: Mapping[str, str], prefix: str, default_db: str, role: str) -> Endpoint:
    def get(name: str, default: str | None = None) -> str:
        value = env.get(f"{prefix}_{name}", default)
        if value is None:
            raise CutoverError(
                f"{prefix}_{name} is not set: start the local servers with `cutover dev up` "
                f"or export the {role} connection settings (see docs/real-servers.md)."
            )
        return value

    port = get("PORT", "5432")
    if not port.isdigit():
        raise CutoverError(f"{prefix}_PORT must be a port number, not {port!r}.")
    return Endpoint(
        host=get("HOST", "127.0.0.1"),
        port=int(port),
        dbname=get("DB", default_db),
        user=get("USER"),
        password=get("PASSWORD"),
    )


def target_endpoint(env: Mapping[str, str] | None = None) -> Endpoint:
    """The migration role on the target database (what dbt uses)."""
    return _endpoint(environment(env), "CUTOVER_TARGET", "target", "target")


def legacy_reader_endpoint(env: Mapping[str, str] | None = None) -> Endpoint:
    """The read-only role on the legacy database (what the foreign-data wrapper uses)."""
    return _endpoint(environment(env), "CUTOVER_LEGACY", "legacy", "legacy read-only")


def legacy_admin_endpoint(env: Mapping[str, str] | None = None) -> Endpoint:
    """A role that may create the synthetic legacy database (generator and mutate only)."""
    return _endpoint(environment(env), "CUTOVER_LEGACY_ADMIN", "legacy", "legacy admin")
