"""The fourth system's connector: the one module a new system adds besides its mapping files.

It follows ``connectors/base.py`` and declares itself in ``SYSTEM_SPEC``; the bridge finds it
through ``connectors.registry.register(SYSTEM_SPEC)`` or ``BRIDGE_EXTRA_SYSTEMS``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from connectors.base import Capabilities, ReadBack, SystemSpec
from connectors.http import (
    BadRecord,
    BodyLimits,
    ContractError,
    HttpClient,
    RawPage,
    RetryPolicy,
    Timeouts,
    register_secret,
)
from connectors.system_settings import SystemSettings, secret

SYSTEM = "fourth"
DEADLINE_READ_BACK = ReadBack("incoming", "document_id", ("deadline",), expected="deadline")


class FourthSettings(SystemSettings):
    """Its address and API key (no username or password)."""

    api_key: SecretStr | None = None


class FourthConnector:
    system = SYSTEM
    wire_format = "json"
    streams = ("incoming",)
    capabilities = Capabilities(
        read_one=frozenset({"incoming"}),
        writes=frozenset({"set_processing_deadline"}),
        # A deadline set reads back in the record's own "deadline" field.
        read_back={"set_processing_deadline": DEADLINE_READ_BACK},
    )

    def __init__(self, base_url: str, api_key: str, *, page_size: int = 10, **http: Any) -> None:
        register_secret(api_key)
        self.http = HttpClient(SYSTEM, base_url, **http)
        self.http.session.headers["X-Api-Key"] = api_key
        self.page_size = page_size

    @classmethod
    def from_settings(
        cls,
        section: FourthSettings,
        *,
        timeouts: Timeouts | None = None,
        policy: RetryPolicy | None = None,
        ca_bundle: str | None = None,
        limits: BodyLimits | None = None,
    ) -> FourthConnector:
        return cls(section.base_url or "", secret(section.api_key), timeouts=timeouts,
                   policy=policy, ca_bundle=ca_bundle, limits=limits)  # fmt: skip

    def list_changed(self, stream: str, marker: str | None = None) -> Iterator[RawPage]:
        params: dict[str, Any] = {"limit": self.page_size}
        if marker:
            params["since"] = marker
        while True:
            data = self.http.request_json("GET", "/api/documents", operation=f"list {stream}",
                                          params=params)  # fmt: skip
            if not isinstance(data, dict) or not isinstance(data.get("documents"), list):
                raise ContractError(SYSTEM, f"list {stream}", "page has no 'documents' list")
            records = [
                item if isinstance(item, dict) else BadRecord("not an object", repr(item)[:200])
                for item in data["documents"]
            ]
            yield RawPage(records, data.get("changedUpTo"))
            if data.get("nextPage") is None:
                return
            params = {**params, "page": data["nextPage"]}

    def read_one(self, stream: str, source_id: Any) -> dict[str, Any]:
        return self.http.request_json("GET", f"/api/documents/{source_id}",
                                      operation=f"get {stream}", record=str(source_id))  # fmt: skip

    def set_processing_deadline(
        self, document_id: Any, deadline: date, idempotency_key: str
    ) -> dict[str, Any]:
        return self.http.request_json(
            "PUT", f"/api/documents/{document_id}/deadline", operation="set deadline",
            record=str(document_id), idempotency_key=idempotency_key,
            headers={"Idempotency-Key": idempotency_key}, json={"deadline": deadline.isoformat()},
        )  # fmt: skip

    def check(self) -> str:
        page = next(self.list_changed("incoming"), RawPage([]))
        return f"read {len(page.records)} record(s), marker {page.marker}"


SYSTEM_SPEC = SystemSpec(
    name=SYSTEM,
    label="Hệ thống thứ tư (thử nghiệm)",
    role="documents",
    connector=FourthConnector,
    settings_model=FourthSettings,
    mappings_dir=Path(__file__).resolve().parent / "mappings",
)
