"""Test hooks that make the runner fail the way production runs fail, at chosen points.

CUTOVER_TEST_KILL_AT=<point> sends SIGKILL to the runner's own process when it reaches <point>:
no exception handler, no `finally`, no flush runs, exactly as when an operator or the OOM
killer kills it. The points:

    batch:<entity>:<n>     after the n-th checkpointed batch of a massive entity
    phase:<n>:validating   while phase n is being validated (tests run, results not yet stored)
    phase:<n>:completed    after phase n is recorded as completed, before the next starts
    post-validation        during the overall validation at the end of a run
    rollback:<entity>      inside a rollback's transaction, after <entity> was restored
    before-image:<entity>  before the before-image of <entity> is copied
    rebuild:<entity>       inside the rebuild of a first load's deferred indexes and foreign
                           keys, after the first index was built

CUTOVER_TEST_PAUSE_AT=<point> stops the runner there with SIGSTOP instead, so that a test can
do something to a server while the runner is at that point (crash the target), then SIGCONT.

CUTOVER_TEST_RAISE_AT=<point> raises InjectedFailure there, a failure the runner catches and
records (the execution failed, resumable), as a bug or a refused statement would.

CUTOVER_TEST_FAIL_AT=<point> makes the statement run at <point> fail on the server instead, as
a full disk would (a statement error, the connection still open). The points:

    before-image:<entity>  the copy of <entity>'s before-image

Unset (always, outside the suite), each call costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

import psycopg

from runner.errors import CutoverError

KILL_AT = "CUTOVER_TEST_KILL_AT"
PAUSE_AT = "CUTOVER_TEST_PAUSE_AT"
RAISE_AT = "CUTOVER_TEST_RAISE_AT"
FAIL_AT = "CUTOVER_TEST_FAIL_AT"


class InjectedFailure(CutoverError):
    """A failure a test injected (CUTOVER_TEST_RAISE_AT) to prove that resume works."""


def checkpoint(point: str) -> None:
    """SIGKILL (or SIGSTOP) this process, or raise InjectedFailure, if the test asked for it at
    `point`."""
    if os.environ.get(KILL_AT) == point:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get(PAUSE_AT) == point:
        os.kill(os.getpid(), signal.SIGSTOP)
    if os.environ.get(RAISE_AT) == point:
        raise InjectedFailure(f"Injected failure at {point} (test hook).")


def fault(point: str, conn: psycopg.Connection) -> None:
    """Make a statement fail on `conn` if the test asked for it at `point`."""
    if os.environ.get(FAIL_AT) == point:
        conn.execute(
            "do $fault$ begin raise exception disk_full using message = "
            "'could not extend file: No space left on device (CUTOVER_TEST_FAIL_AT)'; end $fault$"
        )
