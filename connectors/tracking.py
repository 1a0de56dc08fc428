"""The provincial task-tracking system (TDNV) over SOAP 1.1, optionally behind LGSP.

When a token URL is configured, every call carries ``Authorization: Bearer`` from LGSP's
OAuth2 client-credentials endpoint; a token that stops working mid-run is fetched again once.
Writes carry an idempotency key, so they are retried safely after a lost response.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field, SecretStr, field_validator

from connectors.base import Capabilities, ReadBack, UnreadableOneByOne
from connectors.http import (
    BodyLimits,
    HttpClient,
    RawPage,
    RetryPolicy,
    Timeouts,
    build_session,
    register_basic_auth,
    token_from_answer,
)
from connectors.soap import SoapClient, service_address, service_path
from connectors.system_settings import SystemSettings, http_url, secret

SYSTEM = "tracking"
WSDL = "tracking.wsdl"


class TrackingSettings(SystemSettings):
    """The tracking system, optionally reached through LGSP's OAuth2 client-credentials token.
    base_url is the service root; the endpoint's path is the WSDL's."""

    endpoint_path: ClassVar[str | None] = service_path(WSDL)

    token_url: str | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    client_secret_block: str | None = Field(
        default=None, description="name of a Prefect Secret block holding the client secret, "
        "instead of client_secret",
    )  # fmt: skip

    @field_validator("token_url")
    @classmethod
    def _token_url_is_http(cls, value: str | None) -> str | None:
        return http_url(value, "token_url")


class LgspToken:
    """An OAuth2 client-credentials token from LGSP's ``POST /token``."""

    def __init__(self, token_url: str, client_id: str, client_secret: str, **http: Any) -> None:
        # The secret travels form-encoded; some gateways want it as HTTP Basic instead.
        register_basic_auth(client_id, client_secret)
        self.http = HttpClient("lgsp", token_url, **http)
        self.client_id = client_id
        self._client_secret = client_secret

    def fetch(self) -> str:
        data = self.http.request_json(
            "POST",
            "",
            operation="token",
            safe_to_retry=True,  # a new token changes nothing worth protecting
            data={
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self._client_secret,
            },
        )
        return token_from_answer(
            data, "access_token", system="lgsp", operation="token", optional_numbers=("expires_in",)
        )


class TrackingConnector:
    system = SYSTEM
    wire_format = "xml"  # what its writes are encoded as (push checks text against it)
    streams = ("tasks",)
    capabilities = Capabilities(
        read_one=frozenset({"tasks"}),
        writes=frozenset({"report_completion", "report_progress", "request_extension"}),
        # Progress and extension requests have no stable read-back beyond the write's answer.
        read_back={"report_completion": ReadBack("tasks", "task_id", ("Completion",))},
    )

    @classmethod
    def from_settings(cls, section: TrackingSettings, **connection: Any) -> TrackingConnector:
        token = None
        if section.token_url:  # LGSP's token answers are bounded by the same limits
            token = LgspToken(section.token_url, section.client_id or "",
                              secret(section.client_secret), **connection)  # fmt: skip
        return cls(section.base_url or "", token=token, **connection)

    def __init__(
        self,
        base_url: str,
        *,
        token: LgspToken | None = None,
        timeouts: Timeouts | None = None,
        policy: RetryPolicy | None = None,
        ca_bundle: str | None = None,
        page_size: int = 100,
        limits: BodyLimits | None = None,
    ) -> None:
        self.session = build_session(ca_bundle=ca_bundle)
        self.token = token
        self.soap = SoapClient(
            SYSTEM, WSDL, service_address(base_url, WSDL), timeouts=timeouts, policy=policy,
            session=self.session, authenticate=self._set_bearer if token else None, limits=limits,
        )  # fmt: skip
        self.page_size = page_size

    def _set_bearer(self) -> None:
        assert self.token is not None
        self.session.headers["Authorization"] = f"Bearer {self.token.fetch()}"

    # --- reads --------------------------------------------------------------------------

    def list_changed(
        self, stream: str = "tasks", marker: str | None = None, *, page_size: int | None = None
    ) -> Iterator[RawPage]:
        if stream != "tasks":
            raise ValueError(f"the tracking system has one stream, 'tasks', not {stream!r}")
        size = page_size or self.page_size
        return self.soap.list_changed("ListChangedTasks", "Task", "TaskId", marker, page_size=size)

    def get_task(self, task_id: str) -> dict[str, Any]:
        result = self.soap.call("GetTask", record=task_id, TaskId=task_id)
        return result.get("Task", result) if isinstance(result, dict) else result

    # --- writes (each with its idempotency key) -----------------------------------------

    def read_one(self, stream: str, source_id: str) -> dict[str, Any]:
        if stream not in self.capabilities.read_one:
            raise UnreadableOneByOne(SYSTEM, stream)
        return self.get_task(source_id)

    def report_progress(
        self, task_id: str, idempotency_key: str, text: str, percent: int, reported_at: datetime
    ) -> dict[str, Any]:
        return self._write(
            "ReportProgress", task_id, idempotency_key,
            ProgressText=text, Percent=percent, ReportedAt=reported_at,
        )  # fmt: skip

    def report_completion(
        self, task_id: str, idempotency_key: str, evidence: dict[str, Any], completed_at: datetime
    ) -> dict[str, Any]:
        """``evidence``: NumberNotation, IssuerCode, IssuedAt and optionally Abstract."""
        return self._write(
            "ReportCompletion", task_id, idempotency_key,
            Evidence=evidence, CompletedAt=completed_at,
        )  # fmt: skip

    def request_extension(
        self, task_id: str, idempotency_key: str, reason: str, proposed_deadline: datetime
    ) -> dict[str, Any]:
        return self._write(
            "RequestExtension", task_id, idempotency_key,
            Reason=reason, ProposedDeadline=proposed_deadline,
        )  # fmt: skip

    def _write(
        self, operation: str, task_id: str, idempotency_key: str, **arguments: Any
    ) -> dict[str, Any]:
        return self.soap.call(
            operation,
            record=task_id,
            idempotency_key=idempotency_key,
            read_only=False,
            TaskId=task_id,
            IdempotencyKey=idempotency_key,
            **arguments,
        )

    def check(self) -> str:
        page = next(self.list_changed(page_size=1), RawPage([]))
        return f"authenticated, read {len(page.records)} task(s), marker {page.marker}"
