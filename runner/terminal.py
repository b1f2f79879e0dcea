"""Where the command line writes: messages and progress on stderr, results on stdout."""

from rich.console import Console

console = Console(stderr=True)
# Tables stay readable when the output goes to a file or a CI log.
out = Console() if Console().is_terminal else Console(width=200)
