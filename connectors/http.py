"""The one place HTTP sessions are built and calls are retried (docs/design.md,
"Layout").

Every connector goes through here, so every connector has the same behaviour:

* **Timeouts** on connect and read, always. TLS verification is always on; the only knob is an
  extra CA bundle for systems behind the agency's own CA.
* **Retries** with exponential back-off and jitter (tenacity), honouring ``Retry-After``. Reads
  are retried; a write is retried only when it carries an idempotency key, because resending a
  write without one could apply it twice.
* **Classified errors**: ``RetryableError`` (worth trying again later), ``FatalError`` and its
  kinds ``AuthError``, ``BadRequestError``, ``ContractError`` (the system broke its contract).
  Each names the system, the operation and, where there is one, the record and the page; none
  quotes a body (``errors.py``).
* **Bounded answers**: bodies are streamed within a size limit and a total deadline, HTML where
  JSON was due is refused, JSON is UTF-8 and depth-limited (``bodies.py``).
* **Secret redaction**: every password, token and client secret a connector uses is registered
  and replaced by ``***``, in each of its encodings, in exception text and in every log record
  of the process; the transport loggers of zeep and urllib3 are capped at INFO
  (``redaction.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from tenacity import (
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)
from tenacity import Retrying as _Retrying

from connectors import redaction as _redaction
from connectors.bodies import (
    TOO_DEEP,
    BodyLimits,
    BodyTooLarge,
    DeadlineAdapter,
    check_xml_encoding,
    contains_too_deep,
    exchange,
    load_json,
    media_type,
    read_bounded,
    refuse_wrong_kind,
    transport_problem,
)
from connectors.errors import (
    TLS_FAILED,
    AuthError,
    BadRequestError,
    ConnectorError,
    ContractError,
    FatalError,
    RetryableError,
    token_from_answer,
)
from connectors.redaction import (
    cap_transport_loggers,
    install_redaction,
    redact,
    register_basic_auth,
    register_secret,
)

__all__ = [
    "TLS_FAILED",
    "TOO_DEEP",
    "AuthError",
    "BadRecord",
    "BadRequestError",
    "BodyLimits",
    "BodyTooLarge",
    "ConnectorError",
    "ContractError",
    "FatalError",
    "HttpClient",
    "RawPage",
    "RetryPolicy",
    "RetryableError",
    "Timeouts",
    "build_session",
    "call_with_retries",
    "cap_transport_loggers",
    "check_xml_encoding",
    "classify_response",
    "contains_too_deep",
    "exchange",
    "install_redaction",
    "parse_retry_after",
    "read_bounded",
    "redact",
    "refuse_wrong_kind",
    "register_basic_auth",
    "register_secret",
    "token_from_answer",
    "transport_problem",
]

log = logging.getLogger("connectors")

T = TypeVar("T")

# Redaction and the error classes live in their own modules; every connector imports them
# from here, the one module connectors share.
SECRETS = _redaction.SECRETS
REDACTED = _redaction.REDACTED


@dataclass(frozen=True)
class BadRecord:
    """A record a connector could not read; the page goes on without it."""

    reason: str
    raw: bytes | dict | str
    source_id: str | None = None


@dataclass(frozen=True)
class RawPage:
    """One page of a change-ordered listing, as every connector yields it.

    ``marker`` is the change time of the page's last record as an ISO 8601 instant with
    offset: the source's own change marker, translated so the store can compare markers of
    every system the same way.
    """

    records: Sequence[dict[str, Any] | BadRecord]
    marker: str | None = None


# --- the retry policy --------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    # A Retry-After longer than this is not waited for in-line: the error goes up and the next
    # scheduled run tries again, instead of holding a worker for minutes.
    retry_after_cap_s: float = 120.0


def _wait_with_retry_after(policy: RetryPolicy) -> Callable[[RetryCallState], float]:
    # Jitter of the same size as the first wait spreads out workers that failed together.
    backoff = wait_exponential_jitter(
        multiplier=policy.backoff_initial_s,
        max=policy.backoff_max_s,
        jitter=policy.backoff_initial_s,
    )

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        delay = backoff(state)
        if isinstance(error, ConnectorError) and error.retry_after is not None:
            delay = max(delay, error.retry_after)
        return delay

    return wait


def call_with_retries(
    fn: Callable[[], T],
    *,
    policy: RetryPolicy,
    retry_allowed: bool,
    sleep: Callable[[float], None] | None = None,
) -> T:
    """Run ``fn``; on ``RetryableError`` try again per ``policy`` if ``retry_allowed``.

    ``fn`` must raise the classified errors of this module. The last error is re-raised as is,
    so the caller sees which system, operation and record failed.
    """
    if not retry_allowed:
        return fn()

    def should_retry(error: BaseException) -> bool:
        if not isinstance(error, RetryableError):
            return False
        return error.retry_after is None or error.retry_after <= policy.retry_after_cap_s

    def log_retry(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0
        log.warning("retrying in %.1fs (attempt %d): %s", wait, state.attempt_number, error)

    extra = {"sleep": sleep} if sleep else {}
    retrying = _Retrying(
        retry=retry_if_exception(should_retry),
        stop=stop_after_attempt(policy.max_attempts),
        wait=_wait_with_retry_after(policy),
        before_sleep=log_retry,
        reraise=True,
        **extra,
    )
    return retrying(fn)


# --- sessions and classified requests ----------------------------------------------------

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class _Session(requests.Session):
    """requests' session, reading the environment's proxy and CA settings once per origin.

    requests reads them again for every request (``HTTPS_PROXY``, ``NO_PROXY``,
    ``REQUESTS_CA_BUNDLE``…: a walk over the whole environment, about 0.13 ms of CPU, more than
    a small exchange's own work). They depend only on the scheme and host, and a process does
    not change its environment mid-run, so the answer is kept per origin and per argument."""

    def merge_environment_settings(self, url, proxies, stream, verify, cert):  # type: ignore[no-untyped-def]
        parts = urlsplit(url)
        key = (
            parts.scheme, parts.netloc, tuple(sorted((proxies or {}).items())), stream, verify,
            cert, tuple(sorted(self.proxies.items())), self.stream, self.verify, self.cert,
        )  # fmt: skip
        cache = self.__dict__.setdefault("_environment_settings", {})
        settings = cache.get(key)
        if settings is None:
            settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
            if len(cache) < 64:
                cache[key] = settings
        return {**settings, "proxies": dict(settings["proxies"])}


def build_session(*, ca_bundle: str | None = None, pool_size: int = 10) -> requests.Session:
    """A pooled session with TLS verification on (plus ``ca_bundle`` when set)."""
    session = _Session()
    adapter = DeadlineAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    # requests verifies by default; a CA bundle path replaces the default trust store for this
    # session. There is deliberately no way to switch verification off.
    session.verify = ca_bundle if ca_bundle else True
    return session


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def classify_response(
    response: requests.Response, *, system: str, operation: str, record: str | None = None
) -> None:
    """Raise the classified error for a failed response; return quietly on success.

    The error says the status and how long the body was, never what it said: a 401 may echo
    the login request, a 400 may quote the record it refused (issue 18).
    """
    status = response.status_code
    if status < 400:
        return
    detail = f"HTTP {status} {response.reason or ''}".strip()
    size = len(response.content or b"")
    problem = f"{detail} ({size} bytes of {media_type(response) or 'untyped'} body)"
    kwargs = {"record": record}
    if status in (401, 403):
        raise AuthError(system, operation, problem + " — check the credentials", **kwargs)
    if status == 429 or status >= 500 or status == 408:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise RetryableError(system, operation, problem, retry_after=retry_after, **kwargs)
    raise BadRequestError(system, operation, problem, **kwargs)


@dataclass(frozen=True)
class Timeouts:
    connect_s: float = 5.0
    read_s: float = 30.0

    @property
    def as_tuple(self) -> tuple[float, float]:
        return (self.connect_s, self.read_s)


class HttpClient:
    """A base URL, a session and the policy: what a REST connector calls."""

    def __init__(
        self,
        system: str,
        base_url: str,
        *,
        timeouts: Timeouts | None = None,
        policy: RetryPolicy | None = None,
        ca_bundle: str | None = None,
        session: requests.Session | None = None,
        limits: BodyLimits | None = None,
    ) -> None:
        self.system = system
        self.base_url = base_url.rstrip("/")
        self.timeouts = timeouts or Timeouts()
        self.policy = policy or RetryPolicy()
        self.limits = limits or BodyLimits()
        self.session = session or build_session(ca_bundle=ca_bundle)

    def request(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        record: str | None = None,
        idempotency_key: str | None = None,
        safe_to_retry: bool = False,
        **kwargs: object,
    ) -> requests.Response:
        """Send one request, retried per the policy when that is safe; raise classified errors.

        Reads are safe to retry; a write is when it carries ``idempotency_key``, or when the
        caller says it has no effect worth protecting (``safe_to_retry``: a login, a token).
        """
        safe = safe_to_retry or idempotency_key is not None
        return self._call(method, path, operation, record, safe, lambda r: r, kwargs)

    def request_json(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        record: str | None = None,
        idempotency_key: str | None = None,
        safe_to_retry: bool = False,
        stated_refusals: frozenset[int] = frozenset(),
        **kwargs: object,
    ) -> object:
        """Like ``request``, returning the decoded JSON body. A truncated body is retried too.

        ``stated_refusals``: HTTP statuses whose body is the system's own envelope stating why
        it refused (iOffice answers 409 with its status code): decoded and returned for the
        connector to read the code from, instead of an error that says only the status."""

        def decode(response: requests.Response) -> object:
            return self.decode_json(response, operation=operation, record=record)

        safe = safe_to_retry or idempotency_key is not None
        return self._call(method, path, operation, record, safe, decode, kwargs, stated_refusals)

    def _call(
        self,
        method: str,
        path: str,
        operation: str,
        record: str | None,
        safe_to_retry: bool,
        read: Callable[[requests.Response], T],
        kwargs: dict,
        stated_refusals: frozenset[int] = frozenset(),
    ) -> T:
        method = method.upper()
        retry_allowed = method in READ_METHODS or safe_to_retry
        url = f"{self.base_url}/{path.lstrip('/')}" if path else self.base_url

        def attempt() -> T:
            response = self.send_once(method, url, operation=operation, record=record, **kwargs)
            if response.status_code not in stated_refusals:
                classify_response(response, system=self.system, operation=operation, record=record)
            return read(response)

        return call_with_retries(attempt, policy=self.policy, retry_allowed=retry_allowed)

    def send_once(
        self, method: str, url: str, *, operation: str, record: str | None, **kwargs: object
    ) -> requests.Response:
        """One HTTP exchange, its body read within the limits (size, total deadline);
        transport failures become classified errors (``bodies.exchange``)."""
        return exchange(
            self.session, method, url, limits=self.limits, timeouts=self.timeouts.as_tuple,
            system=self.system, operation=operation, record=record, **kwargs,
        )  # fmt: skip

    def decode_json(
        self, response: requests.Response, *, operation: str, record: str | None = None
    ) -> object:
        """The body as JSON (UTF-8 whatever it is labelled, nesting cut at the limit), or the
        error saying what was wrong with it: where and how long, never what it said."""
        body = response.content
        where = {"system": self.system, "operation": operation, "record": record}
        refuse_wrong_kind(response, body, expected="JSON", **where)
        try:
            return load_json(body, limits=self.limits, **where)
        except ValueError as exc:
            # A cut-off body is usually a dropped connection: worth another try.
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) != len(body):
                raise RetryableError(
                    self.system,
                    operation,
                    f"truncated body ({len(body)} of {declared} bytes)",
                    record=record,
                ) from None
            position = getattr(exc, "pos", None)
            at = f" at character {position}" if position is not None else ""
            raise ContractError(
                self.system, operation, f"body is not JSON ({len(body)} bytes; error{at})",
                record=record,
            ) from None  # fmt: skip
