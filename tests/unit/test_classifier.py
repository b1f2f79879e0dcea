"""What the runner retries and how long it waits, without a server."""

from __future__ import annotations

import pytest

from runner.failures import PERMANENT, TRANSIENT, is_transient


@pytest.mark.parametrize(
    "message",
    [
        "deadlock detected",
        "could not serialize access due to concurrent update",
        "server closed the connection unexpectedly",
        "FATAL: terminating connection due to administrator command",
        'connection to server at "127.0.0.1", port 5432 failed: Connection refused',
        "the database system is starting up",
        "SSL SYSCALL error: EOF detected",
    ],
)
def test_transient_errors_are_retried(message):
    assert is_transient(message)


@pytest.mark.parametrize(
    "message",
    [
        'connection to server failed: FATAL: password authentication failed for user "migrator"',
        'connection to server failed: FATAL: role "nobody" does not exist',
        'connection to server failed: FATAL: database "nowhere" does not exist',
    ],
)
def test_wrong_settings_are_not_retried_even_when_the_connection_failed(message):
    assert PERMANENT.search(message) and not is_transient(message)


@pytest.mark.parametrize("message", ['relation "app.orders" does not exist', "division by zero"])
def test_other_errors_are_not_transient(message):
    assert not TRANSIENT.search(message)
