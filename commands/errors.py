"""Expected errors said in one line each, with the fix and the documented exit status
(README, "Exit status"): 1 a system or the store failed, 2 usage or configuration. Anything
else is a bug and keeps its traceback.

No line carries a value of a setting (any may be a password) or a database password.
"""

from __future__ import annotations

import sys

USAGE = 2
FAILED = 1


def _say(command: str, line: str) -> None:
    print(f"bridge {command}: {line}", file=sys.stderr)


def report(command: str, exc: BaseException) -> int:
    """Print ``exc`` for a person and return the exit status; re-raise what is not expected."""
    import os

    from pydantic import ValidationError
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

    from bridge.settings_check import SettingsError, describe_validation
    from commands import UsageError
    from connectors.http import ConnectorError
    from mappings.loader import MappingError
    from pipelines.systems import NotConfigured
    from store.database import StoreEmpty, describe_store_error

    if isinstance(exc, SettingsError):
        for problem in exc.problems:
            _say(command, problem)
        return USAGE
    if isinstance(exc, ValidationError):
        from bridge.settings import config_file_path

        # The settings' models are all named *Settings; anything else was the command's input.
        what = "setting" if exc.title.endswith("Settings") else "input"
        for line in describe_validation(exc, os.environ, _quietly(config_file_path)):
            _say(command, f"invalid {what} {line}")
        return USAGE
    if isinstance(exc, UsageError | FileNotFoundError | MappingError | NotConfigured):
        _say(command, str(exc))
        return USAGE
    if isinstance(exc, ArgumentError | NoSuchModuleError):
        # Said without the URL: it may carry a password.
        _say(command, "the database URL (BRIDGE_DATABASE_URL) is not a URL SQLAlchemy can use, "
             "e.g. postgresql+psycopg://bridge@db.example.vn/bridge")  # fmt: skip
        return USAGE
    if isinstance(exc, StoreEmpty):
        _say(command, str(exc))
        return FAILED
    if isinstance(exc, DBAPIError):
        _say(command, describe_store_error(exc, _database_url()))
        return FAILED
    if isinstance(exc, ConnectorError):
        _say(command, str(exc))
        return FAILED
    raise exc


def _quietly(call):  # type: ignore[no-untyped-def]
    try:
        return call()
    except OSError:
        return None


def _database_url() -> str:
    """The store's URL as configured, for naming it (the password is masked when shown)."""
    try:
        from bridge.settings import load_settings

        return load_settings().effective_database_url
    except Exception:  # the settings were fine a moment ago; never fail while reporting
        return ""
