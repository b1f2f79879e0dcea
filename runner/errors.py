"""The one exception type a user can cause, shown by click as one sentence with exit code 1."""

import re

import click


class CutoverError(click.ClickException):
    """An error with a message fit to show a user as it is."""

    def show(self, file=None) -> None:
        from rich.markup import escape

        from runner.terminal import console

        console.print(f"[bold red]error:[/] {escape(plain(self.message))}", highlight=False, soft_wrap=True)


class Interrupted(CutoverError):
    """Ctrl-C: exit code 130, as a shell gives a process stopped by SIGINT."""

    exit_code = 130

    def __init__(self) -> None:
        super().__init__("Interrupted; an execution that was running can be resumed with `cutover resume`.")


def connection_reason(exc: Exception) -> str:
    """The part of a libpq connection error a user needs: 'Connection refused', 'password
    authentication failed for user "x"', ... (never the connection string)."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    if not lines:
        return "no answer"
    reason = lines[0].rsplit("failed: ", 1)[-1]
    return reason.removeprefix("FATAL:").strip().rstrip(".")


def first_line(exc: BaseException | None) -> str:
    """The first line of an exception's message (its type's name when it has none)."""
    if exc is None:
        return "unknown error"
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def shortened(text: str, limit: int = 300) -> str:
    """A message on one line, cut to `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# libpq's and the server's words for a database that is not there, most telling first
_CAUSES = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"connection refused",
        r"could not translate host name[^\n]*",
        r"no route to host",
        r"network is unreachable",
        r"password authentication failed[^\n]*",
        r"the database system is (?:starting up|shutting down|in recovery mode)",
        r"terminating connection due to administrator command",
        r"server closed the connection unexpectedly",
        r"timeout expired",
        r"connection timed out",
        r"SSL SYSCALL error[^\n]*",
        r"the connection is closed",
        r"could not connect to server[^\n]*",
    )
]


def plain(text: str) -> str:
    """Text without terminal colour codes."""
    return ANSI.sub("", text)


def root_cause(text: str, limit: int = 200) -> str:
    """The cause of a failure in one line, from dbt's or the server's several: the connection
    problem when there is one (naming the legacy server when the wrapper could not reach it),
    else the first line that says what the database refused."""
    text = plain(text)
    found = next((m for m in (pattern.search(text) for pattern in _CAUSES) if m), None)
    if found:
        cause = found.group(0).strip().rstrip(".")
        wrapper = re.search(r'could not connect to server "([^"]+)"', text)
        if wrapper and wrapper.group(0) not in cause:
            cause = f'{cause} (the foreign server "{wrapper.group(1)}")'
        return shortened(cause[0].upper() + cause[1:], limit)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    header = re.compile(r"(Database|Runtime|Compilation) Error in |compiled code at ")
    telling = [line for line in lines if not header.match(line)]
    return shortened((telling or lines or ["unknown error"])[0], limit)
