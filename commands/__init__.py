"""The `bridge` command's subcommands by group (cli.py wires them into one parser)."""


class UsageError(Exception):
    """Bad input from the user: printed without a traceback, exit status 2."""
