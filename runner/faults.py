"""Test hooks that make the runner fail the way production runs fail, at chosen points.

CUTOVER_TEST_KILL_AT=<point> sends SIGKILL to the runner's own process when it reaches <point>:
no exception handler, no `finally`, no flush runs, exactly as when an operator or the OOM
killer kills it. The points:

    batch:<entity>:<n>     after the n-th checkpointed batch of a massive entity
    phase:<n>:validating   while phase n is being validated (tests run, results not yet stored)
    phase:<n>:completed    after phase n is recorded as completed, before the next starts
    post-validation        during the overall validation at the end of a run
    rollback:<entity>      inside a rollback's transaction, after <entity> was restored

Unset (always, outside the suite), each call costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

KILL_AT = "CUTOVER_TEST_KILL_AT"


def checkpoint(point: str) -> None:
    """SIGKILL this process if the test asked for it at `point`."""
    if os.environ.get(KILL_AT) == point:
        os.kill(os.getpid(), signal.SIGKILL)
