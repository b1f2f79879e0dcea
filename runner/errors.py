"""The one exception type a user can cause; the CLI turns it into one sentence and exit code 1."""


class CutoverError(Exception):
    """An error with a message fit to show a user as it is."""
