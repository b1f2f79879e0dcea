"""The class of a failure, from the profile's error_classes (runner/settings.py ErrorClasses):
critical (the run stops), major (retried with backoff), minor (logged, the run goes on) or
warning (logged only). A pattern without wildcards beats one with them, a test's name beats its
severity; what no pattern names keeps the runner's own behaviour."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase

from runner.settings import ERROR_CLASSES, ErrorClasses


def _matching(classes: ErrorClasses, prefix: str, value: str) -> str | None:
    patterns = [
        (name, pattern[len(prefix) :])
        for name in ERROR_CLASSES
        for pattern in getattr(classes, name)
        if pattern.startswith(prefix)
    ]
    for name, pattern in patterns:
        if not any(c in pattern for c in "*?[") and pattern == value:
            return name
    for name, pattern in patterns:
        if fnmatchcase(value, pattern):
            return name
    return None


def class_of_test(classes: ErrorClasses, name: str, severity: str) -> str:
    """A failed dbt test (severity error or warn)."""
    return (
        _matching(classes, "test:", name)
        or _matching(classes, "severity:", severity)
        or ("critical" if severity == "error" else "warning")
    )


def class_of_reason(classes: ErrorClasses, code: str) -> str:
    """Rows quarantined for a reason."""
    return _matching(classes, "reason:", code) or "minor"


# The failures worth a retry: the server or the connection, not the statement ...
TRANSIENT = re.compile(
    r"deadlock detected|could not serialize|server closed the connection|terminating connection"
    r"|connection to server .* failed|connection already closed|could not connect to server"
    r"|Connection refused|SSL SYSCALL error|canceling statement due to conflict"
    r"|the database system is (starting up|shutting down|in recovery mode)"
    r"|could not receive data|no connection to the server|connection .* lost",
    re.IGNORECASE,
)
# ... unless retrying cannot help: the settings themselves are wrong.
PERMANENT = re.compile(
    r"password authentication failed|no pg_hba.conf entry|role .* does not exist|database .* does not exist",
    re.IGNORECASE,
)


def is_transient(messages: str) -> bool:
    """A failure that the same statement may not meet again (a lost connection, a deadlock)."""
    return bool(TRANSIENT.search(messages)) and not PERMANENT.search(messages)


def class_of_transient(classes: ErrorClasses) -> str:
    return "critical" if "transient" in classes.critical else "major"


def backoff(base: float, attempt: int, strategy: str) -> float:
    """The wait before retry `attempt` (1, 2, ...): base, 2 x base, 3 x base (linear) or base,
    2 x base, 4 x base (exponential)."""
    return base * attempt if strategy == "linear" else base * 2 ** (attempt - 1)
