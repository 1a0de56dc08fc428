"""Credentials from Prefect Secret blocks, as an alternative to the environment (issue 17).

A system's section may name a Secret block instead of holding a secret: ``password_block``
for ``password``, ``client_secret_block`` for the tracking system's ``client_secret``
(``connectors/system_settings.py``: any ``<secret>_block`` beside a ``<secret>``). The block is
read from the Prefect API in force (``PREFECT_API_URL``) when the connector is built, so a
secret rotated in the Prefect UI is used by the next run without a restart; the value is
registered for redaction (``connectors/redaction.py``) before anything can print it.

An operator creates the block once (Blocks → Secret in the UI, or
``Secret(value="...").save("ioffice-password")``) and sets
``BRIDGE_IOFFICE__PASSWORD_BLOCK=ioffice-password``.
"""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from connectors.redaction import register_secret
from connectors.system_settings import SystemSettings, secret_block_fields


class SecretBlockError(ValueError):
    """A named Secret block could not be read; says which setting named it, never a value."""


def names_any(section: SystemSettings) -> bool:
    """Whether ``section`` names a Secret block (only then is Prefect imported and asked)."""
    return any(getattr(section, name) for name in secret_block_fields(type(section)).values())


def resolve(section: SystemSettings, system: str) -> SystemSettings:
    """``section`` with each secret named by a ``<secret>_block`` read from its Secret block."""
    updates: dict[str, Any] = {}
    for field, block_field in secret_block_fields(type(section)).items():
        name = getattr(section, block_field)
        if name:
            value = read_secret_block(name, f"{system}.{block_field}")
            updates[field] = SecretStr(value)
    return section.model_copy(update=updates) if updates else section


def read_secret_block(name: str, setting: str) -> str:
    """The text held by the Secret block ``name``; ``setting`` names where it was asked for."""
    from prefect.blocks.system import Secret
    from prefect.exceptions import ObjectNotFound

    try:
        block = Secret.load(name, _sync=True)
    except (ValueError, ObjectNotFound):
        # Prefect says "Unable to find block document named ..." as a ValueError.
        raise SecretBlockError(
            f"{setting}: no Prefect Secret block named {name!r} on the Prefect API "
            f"({_api_url()}); create it (Blocks → Secret) or fix the name"
        ) from None
    except Exception as exc:  # the API down, refused, timing out: said by its class only
        raise SecretBlockError(
            f"{setting}: cannot read Prefect Secret block {name!r} from the Prefect API "
            f"({_api_url()}): {exc.__class__.__name__}"
        ) from None
    value = block.get()
    if not isinstance(value, str) or not value:
        raise SecretBlockError(
            f"{setting}: Prefect Secret block {name!r} holds {type(value).__name__}, not text"
        )
    register_secret(value)
    return value


def _api_url() -> str:
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or "PREFECT_API_URL unset: an ephemeral local API"
