"""The one exception type a user can cause; the CLI turns it into one sentence and exit code 1."""


class CutoverError(Exception):
    """An error with a message fit to show a user as it is."""


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
