"""VNPT iOffice over REST/JSON (docs/domain.md §2; contract in docs/simulators.md).

Speaks the protocol only and returns raw dicts: login and token renewal, the status envelope,
change-ordered listings from a marker with an opaque cursor, detail, activity log, and the one
write (a processing deadline for a document that has none).

iOffice sends local times without an offset ("2024-02-07 09:15:00"); the markers this
connector yields are ISO 8601 with +07:00 so the store compares every system's markers alike.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any, ClassVar

from connectors.base import Capabilities, ReadBack
from connectors.http import (
    AuthError,
    BadRecord,
    BadRequestError,
    BodyLimits,
    ConnectorError,
    ContractError,
    HttpClient,
    RawPage,
    RetryPolicy,
    Timeouts,
    contains_too_deep,
    register_secret,
    token_from_answer,
)
from connectors.system_settings import SystemSettings, secret

log = logging.getLogger(__name__)

SYSTEM = "ioffice"
ICT = timezone(timedelta(hours=7))

# The API's prefix, added to base_url (the service root, as for every system).
API = "/qlvb/api"

# Our stream names → iOffice's path segments.
STREAM_PATHS = {
    "incoming": "van-ban-den",
    "outgoing": "van-ban-di",
    "directives": "chi-dao",
}


def to_marker(local_text: str | None) -> str | None:
    """iOffice's change time ("2024-02-07 09:15:00", local) → ISO 8601 with +07:00."""
    if not local_text:
        return None
    try:
        moment = datetime.fromisoformat(str(local_text).replace(" ", "T"))
    except ValueError:
        # Not a date: passed on as sent; ingest keeps the page's records and records the
        # marker as a dead letter instead of failing the listing here.
        return str(local_text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=ICT)).isoformat()


class IOfficeSettings(SystemSettings):
    """iOffice's section: the common one; its base_url is the root the API's prefix goes on."""

    endpoint_path: ClassVar[str | None] = API


class IOfficeConnector:
    system = SYSTEM
    wire_format = "json"  # what its writes are encoded as (push checks text against it)
    streams = tuple(STREAM_PATHS)
    capabilities = Capabilities(
        read_one=frozenset(STREAM_PATHS),
        writes=frozenset({"set_processing_deadline"}),
        # A deadline set shows in the document's hạn xử lý (a date, maybe with a time).
        read_back={
            "set_processing_deadline": ReadBack("incoming", "document_id", ("hanXuLy",), "deadline")
        },
    )

    @classmethod
    def from_settings(cls, section: SystemSettings, **connection: Any) -> IOfficeConnector:
        return cls(section.base_url or "", section.username or "", secret(section.password),
                   **connection)  # fmt: skip

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        timeouts: Timeouts | None = None,
        policy: RetryPolicy | None = None,
        ca_bundle: str | None = None,
        page_size: int = 100,
        limits: BodyLimits | None = None,
    ) -> None:
        self.http = HttpClient(
            SYSTEM, base_url, timeouts=timeouts, policy=policy, ca_bundle=ca_bundle, limits=limits
        )
        self.username = username
        self._password = password
        register_secret(password)
        self.page_size = page_size
        self._token: str | None = None

    # --- session ------------------------------------------------------------------------

    def login(self) -> None:
        data = self._unwrap(
            self.http.request_json(
                "POST",
                f"{API}/login",
                operation="login",
                safe_to_retry=True,  # a second session harms nothing
                json={"username": self.username, "password": self._password},
            ),
            "login",
        )
        token = token_from_answer(data, "token", system=SYSTEM, operation="login")
        self._token = token
        self.http.session.headers["X-Authentication-Token"] = token

    def _call(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        record: str | None = None,
        idempotency_key: str | None = None,
        tolerate_deep_records: bool = False,
        **kwargs: Any,
    ) -> Any:
        """One call in the envelope; an expired session is renewed once, mid-run.

        JSON nested deeper than the limit is refused, except in a listing
        (``tolerate_deep_records``), where only the record holding it is (a ``BadRecord``).
        """
        if self._token is None:
            self.login()
        for attempt in (1, 2):
            try:
                body = self.http.request_json(
                    method,
                    path,
                    operation=operation,
                    record=record,
                    idempotency_key=idempotency_key,
                    **kwargs,
                )
                data = self._unwrap(body, operation, record)
                if not tolerate_deep_records and contains_too_deep(data):
                    problem = f"answer nested deeper than {self.http.limits.max_json_depth} levels"
                    raise ContractError(SYSTEM, operation, problem, record=record)
                return data
            except AuthError:
                if attempt == 2:
                    raise
                log.info("iOffice session expired during %s; logging in again", operation)
                self.login()
        raise AssertionError("unreachable")

    @staticmethod
    def _unwrap(body: Any, operation: str, record: str | None = None) -> Any:
        """The ``data`` of a successful envelope; a non-zero code breaks the contract."""
        status = body.get("status") if isinstance(body, dict) else None
        if not isinstance(status, dict) or "code" not in status:
            problem = "answer is not in the status envelope"
            raise ContractError(SYSTEM, operation, problem, record=record)
        if str(status["code"]) != "0":
            # iOffice stated a refusal in its own envelope: final, unlike an answer that is
            # not the envelope at all (a gateway's page), which a keyed write may resend.
            # Its own status words ("Token đã hết hạn"), kept short: an error message,
            # not a record, but a server may still echo what it refused.
            code, said = str(status["code"])[:40], " ".join(str(status.get("message", "")).split())
            said = said if len(said) <= 200 else f"{said[:200]}… ({len(said)} characters)"
            raise BadRequestError(SYSTEM, operation, f"status {code}: {said}", record=record)
        return body.get("data")

    # --- reads --------------------------------------------------------------------------

    def list_changed(
        self, stream: str, marker: str | None = None, *, page_size: int | None = None
    ) -> Iterator[RawPage]:
        """Every record changed at or after ``marker`` (ISO 8601), a page at a time."""
        segment = STREAM_PATHS[stream]
        operation = f"list {stream}"
        limit = page_size or self.page_size
        params: dict[str, Any] = {"limit": limit}
        if marker:
            params["tuNgay"] = marker
        number = 1
        while True:
            page = f"page {number}" + (f" from marker {marker}" if marker else "")
            try:
                data = self._call("GET", f"{API}/{segment}/thay-doi", operation=operation,
                                  params=params, tolerate_deep_records=True)  # fmt: skip
                if not isinstance(data, dict) or not isinstance(data.get("items"), list):
                    raise ContractError(SYSTEM, operation, "page has no 'items' list")
                if contains_too_deep({k: v for k, v in data.items() if k != "items"}):
                    raise ContractError(SYSTEM, operation, "page envelope nested too deep")
            except ConnectorError as exc:
                raise exc.on_page(page, operation) from None
            yield RawPage([self._readable(item) for item in data["items"]],
                          self._page_marker(data.get("marker"), operation, page))  # fmt: skip
            number += 1
            cursor = data.get("nextCursor")
            if not cursor:
                return
            params = {"limit": limit, "cursor": cursor}

    @staticmethod
    def _page_marker(value: Any, operation: str, page: str) -> str | None:
        # A marker that is not a date must not stop the listing: the page's records are read,
        # only the cursor does not move for it (the next page's marker moves it).
        try:
            return to_marker(value) if isinstance(value, str) else None
        except ValueError:
            log.warning("%s %s %s: marker is not a date (%d characters); cursor not moved",
                        SYSTEM, operation, page, len(value))  # fmt: skip
            return None

    @staticmethod
    def _readable(item: Any) -> dict[str, Any] | BadRecord:
        # Field-level problems (a missing number, a bad date) are normalize's to report; the
        # connector only refuses what is not a record at all.
        if not isinstance(item, dict):
            return BadRecord("list item is not a JSON object", repr(item)[:2000])
        if contains_too_deep(item):
            # Keep what can be shown of it (the cut parts are marked), not the whole depth.
            source_id = item.get("id") if isinstance(item.get("id"), str | int) else None
            deep = [key for key, value in item.items() if contains_too_deep(value)]
            reason = (
                f"field {', '.join(map(repr, deep))} is nested deeper than the limit of JSON "
                "levels (max_json_depth)"
            )
            return BadRecord(
                reason, repr(item)[:2000], None if source_id is None else str(source_id)
            )
        if item.get("id") in (None, ""):
            return BadRecord("record has no 'id'", item)
        return item

    def get(self, stream: str, record_id: str | int) -> dict[str, Any]:
        segment = STREAM_PATHS[stream]
        return self._call("GET", f"{API}/{segment}/{record_id}",
                          operation=f"get {stream}", record=str(record_id))  # fmt: skip

    def read_one(self, stream: str, source_id: str | int) -> dict[str, Any]:
        return self.get(stream, source_id)

    def activity_log(self, document_id: str | int) -> list[dict[str, Any]]:
        data = self._call("GET", f"{API}/van-ban-den/{document_id}/nhat-ky",
                          operation="activity log", record=str(document_id))  # fmt: skip
        return list(data.get("items", [])) if isinstance(data, dict) else []

    # --- the one write ------------------------------------------------------------------

    def set_processing_deadline(
        self, document_id: str | int, deadline: date, idempotency_key: str
    ) -> dict[str, Any]:
        """Set hạn xử lý on a document that has none. Safe to resend with the same key."""
        return self._call(
            "POST",
            f"{API}/van-ban-den/{document_id}/han-xu-ly",
            operation="set processing deadline",
            record=str(document_id),
            idempotency_key=idempotency_key,
            # A document that has a deadline already is refused with 409 and DEADLINE_EXISTS in
            # the envelope: push needs that code to settle the row as done by someone else.
            stated_refusals=frozenset({409}),
            json={"hanXuLy": deadline.isoformat(), "idempotencyKey": idempotency_key},
        )

    def check(self) -> str:
        """Log in and read one page of incoming documents; a one-line description."""
        self.login()
        page = next(self.list_changed("incoming", page_size=1), RawPage([]))
        return f"logged in, read {len(page.records)} record(s), marker {page.marker}"
