"""The `bridge` command's subcommands by group (cli.py wires them into one parser)."""

from __future__ import annotations

from datetime import datetime


class UsageError(Exception):
    """Bad input from the user: printed without a traceback, exit status 2."""


def system_names() -> tuple[str, ...]:
    """The registered systems (connectors/registry.py): the CLI's choices."""
    from connectors import registry

    return registry.names()


def example_variable() -> str:
    """The environment variable that configures the first registered system, for messages."""
    return f"BRIDGE_{system_names()[0].upper()}__BASE_URL"


def local_time(moment: datetime | None, timezone: str, *, iso: bool = False) -> str:
    """A stored (UTC) time as the agency reads it, its offset said: ``2026-12-03 14:05 +07:00``
    (``iso``: ``2026-12-03T14:05:00+07:00``); empty for none."""
    from zoneinfo import ZoneInfo

    if moment is None:
        return ""
    here = moment.astimezone(ZoneInfo(timezone))
    if iso:
        return here.isoformat()
    offset = here.strftime("%z")
    return f"{here:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:]}"
