"""`bridge config`: the effective settings (secrets masked), where each came from, or a check.

``--check`` validates the file and the environment and says OK or the problems (exit 0 or 2);
``--sources`` adds where each value came from: the default, the file (with its line) or the
environment variable.
"""

from __future__ import annotations

import argparse
import json


def add_config(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("config", help="print the effective settings (secrets masked)")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--json", action="store_true", help="print as JSON")
    what.add_argument(
        "--check", action="store_true",
        help="only validate the config file and the BRIDGE_* environment: OK or the problems",
    )  # fmt: skip
    what.add_argument(
        "--sources", action="store_true",
        help="say where each value came from: default, file (with its line) or environment",
    )  # fmt: skip
    p.set_defaults(func=run_config)


def run_config(args: argparse.Namespace) -> int:
    from bridge.settings import config_file_path, load_settings, value_sources
    from bridge.settings_check import source_of

    # Problems raise SettingsError or ValidationError: cli.main prints them, exit 2.
    settings = load_settings()
    if args.check:
        config = config_file_path()
        read = f"{config} and the environment" if config else "the environment (no config file)"
        print(f"OK: the settings from {read} are valid")
        return 0
    shown = settings.masked()
    if args.json:
        print(json.dumps(shown, ensure_ascii=False, indent=2, default=str))
        return 0
    rows = _flatten(shown)
    found = value_sources() if args.sources else {}
    width = max(len(f"{key} = {value}") for key, value in rows)
    for key, value in rows:
        line = f"{key} = {value}"
        if args.sources and key != "config_file":
            line = f"{line:<{width}}  # {source_of(key, found)}"
        print(line)
    return 0


def _flatten(data: dict, prefix: str = "") -> list[tuple[str, object]]:
    rows: list[tuple[str, object]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows.extend(_flatten(value, f"{name}."))
        else:
            rows.append((name, value))
    return rows
