"""Where the command line writes, and how any failure of a command becomes one sentence."""

from __future__ import annotations

import sys
from datetime import datetime, timezone

import click
from rich.console import Console

from runner.errors import CutoverError, Interrupted, root_cause

console = Console(stderr=True)
# Tables stay readable when the output goes to a file or a CI log.
out = Console() if Console().is_terminal else Console(width=200)


class CutoverGroup(click.Group):
    """The top command group: every failure of a command ends in one sentence and a non-zero exit,
    never a traceback. A CutoverError is shown as it is (click calls its show()); Ctrl-C exits
    with 130; anything else is shown by its first line, its traceback kept in the log folder."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            raise Interrupted() from None
        except Exception as exc:  # noqa: BLE001 - the one place that turns any failure into a sentence
            raise CutoverError(unexpected(exc)) from exc


def unexpected(exc: Exception) -> str:
    """One sentence for an exception no command expected, the traceback kept in a file."""
    import traceback

    import psycopg

    from runner.audit import log_folder

    try:
        folder = log_folder()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "errors.log"
        with path.open("a") as log:
            log.write(f"--- {datetime.now(timezone.utc).isoformat()} cutover {' '.join(sys.argv[1:])}\n")
            log.write("".join(traceback.format_exception(exc)))
        where = f"the traceback is in {path}"
    except OSError:
        where = "no traceback could be written"
    if isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)):
        return f"The connection to a database was lost: {root_cause(str(exc))} ({where})."
    if isinstance(exc, psycopg.Error):
        return f"The database refused a statement: {root_cause(str(exc))} ({where})."
    return f"Unexpected {type(exc).__name__}: {root_cause(str(exc) or type(exc).__name__)} ({where})."
