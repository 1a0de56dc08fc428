"""The `bridge` command's subcommands by group (cli.py wires them into one parser)."""


class UsageError(Exception):
    """Bad input from the user: printed without a traceback, exit status 2."""


def system_names() -> tuple[str, ...]:
    """The registered systems (connectors/registry.py): the CLI's choices."""
    from connectors import registry

    return registry.names()


def example_variable() -> str:
    """The environment variable that configures the first registered system, for messages."""
    return f"BRIDGE_{system_names()[0].upper()}__BASE_URL"
