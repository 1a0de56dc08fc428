"""`python -m bridge.automations`: create or update the Prefect automations of
deploy/automations.yaml on the server at ``PREFECT_API_URL`` (README, "Being told when a run
fails").

Each automation is matched by name: one that exists is updated in place, a missing one is
created, so running this again after editing the file (or after a new release) is safe.
``--notify TYPE/NAME`` names the notification block (made once in the UI) whose id replaces
``NOTIFICATION_BLOCK`` in the file; without it, the automations that notify are skipped and
said to be. ``--check`` only validates the file against Prefect's model, without the API.
Exit status as `bridge`'s: 0 done, 1 the Prefect API failed, 2 a mistake in the file or the
options.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "deploy" / "automations.yaml"
PLACEHOLDER = "NOTIFICATION_BLOCK"


class AutomationFileError(ValueError):
    """The file or the options are wrong: said in one line, exit status 2."""


@dataclass(frozen=True)
class Planned:
    name: str
    data: dict[str, Any]  # Prefect's format, the placeholder still in it
    notifies: bool


def read_file(path: Path) -> list[Planned]:
    """The automations of ``path``, each checked against Prefect's model."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AutomationFileError(f"{path}: cannot read it ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or "unreadable"
        raise AutomationFileError(f"{where}: not valid YAML ({problem})") from None
    entries = document.get("automations") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise AutomationFileError(f"{path}: no 'automations:' list")
    planned, seen = [], set()
    for number, entry in enumerate(entries, 1):
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name:
            raise AutomationFileError(f"{path}: automation {number} has no name")
        if name in seen:
            raise AutomationFileError(f"{path}: automation {name!r} is named twice")
        seen.add(name)
        notifies = any(a.get("block_document_id") == PLACEHOLDER for a in entry.get("actions", []))
        # Checked with a stand-in id: the real one is only known on the server.
        _validated(entry, "00000000-0000-0000-0000-000000000000", path)
        planned.append(Planned(name, entry, notifies))
    return planned


def _validated(entry: dict[str, Any], block_id: str, path: Path) -> Any:
    from prefect.events.schemas.automations import AutomationCore
    from pydantic import ValidationError

    data = {
        **entry,
        "actions": [
            {**a, "block_document_id": block_id} if a.get("block_document_id") == PLACEHOLDER else a
            for a in entry.get("actions", [])
        ],
    }
    try:
        return AutomationCore.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise AutomationFileError(
            f"{path}: automation {entry['name']!r}: {where}: {first['msg']}"
            + (f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else "")
        ) from None


def notification_block_id(client: Any, notify: str) -> str:
    """The id of the block ``TYPE/NAME`` (``custom-webhook/bridge-notify``)."""
    from prefect.exceptions import ObjectNotFound

    slug, _, name = notify.partition("/")
    if not slug or not name:
        raise AutomationFileError(
            f"--notify {notify!r}: give the block as TYPE/NAME, e.g. slack-webhook/bridge-notify"
        )
    try:
        return str(client.read_block_document_by_name(name, slug, include_secrets=False).id)
    except ObjectNotFound:
        raise AutomationFileError(
            f"--notify {notify}: no {slug} block named {name!r} on the Prefect API; "
            "create it first (Blocks in the UI)"
        ) from None


def apply(planned: list[Planned], notify: str | None, path: Path) -> list[str]:
    """Create or update each automation; one line per automation saying what was done."""
    from prefect.client.orchestration import get_client

    lines = []
    with get_client(sync_client=True) as client:
        block_id = notification_block_id(client, notify) if notify else None
        for item in planned:
            if item.notifies and block_id is None:
                lines.append(f"skipped  {item.name} (it notifies: give --notify TYPE/NAME)")
                continue
            automation = _validated(item.data, block_id or "", path)
            existing = client.read_automations_by_name(item.name)
            if existing:
                client.update_automation(existing[0].id, automation)
                lines.append(f"updated  {item.name} ({existing[0].id})")
            else:
                created = client.create_automation(automation)
                lines.append(f"created  {item.name} ({created})")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bridge.automations", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help="default: %(default)s")
    parser.add_argument(
        "--notify", metavar="TYPE/NAME", help="the notification block, e.g. custom-webhook/ops"
    )
    parser.add_argument(
        "--check", action="store_true", help="only validate the file; no Prefect API needed"
    )
    args = parser.parse_args(argv)
    import httpx
    from prefect.settings import PREFECT_API_URL

    api = PREFECT_API_URL.value()
    try:
        planned = read_file(args.file)
        if args.check:
            print(f"{args.file}: {len(planned)} automation(s) OK")
            return 0
        if not api:
            # Unset, Prefect would start a throwaway API in this process and lose them.
            raise AutomationFileError(
                "PREFECT_API_URL is not set; set it to the server's API, e.g. "
                "http://127.0.0.1:4200/api"
            )
        for line in apply(planned, args.notify, args.file):
            print(line)
    except AutomationFileError as exc:
        print(f"bridge automations: {exc}", file=sys.stderr)
        return 2
    except httpx.HTTPError as exc:  # the API down or refusing: said by its class and status
        status = getattr(getattr(exc, "response", None), "status_code", None)
        said = exc.__class__.__name__ + (f" (HTTP {status})" if status else "")
        print(f"bridge automations: the Prefect API at {api} failed: {said}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
