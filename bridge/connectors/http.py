"""The one place HTTP sessions are built and calls are retried (DESIGN.md, connectors/http.py).

Every connector goes through here, so every connector has the same behaviour:

* **Timeouts** on connect and read, always. TLS verification is always on; the only knob is an
  extra CA bundle for systems behind the agency's own CA.
* **Retries** with exponential back-off and jitter (tenacity), honouring ``Retry-After``. Reads
  are retried; a write is retried only when it carries an idempotency key, because resending a
  write without one could apply it twice.
* **Classified errors**: ``RetryableError`` (worth trying again later), ``FatalError`` and its
  kinds ``AuthError``, ``BadRequestError``, ``ContractError`` (the system broke its contract).
  Each names the system, the operation and, where there is one, the record.
* **Secret redaction**: every password, token and client secret a connector uses is registered
  here and replaced by ``***`` in exception text and in every log record of the process.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import requests
from requests.adapters import HTTPAdapter
from tenacity import (
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)
from tenacity import Retrying as _Retrying

log = logging.getLogger("bridge.connectors")

T = TypeVar("T")

# --- secret redaction --------------------------------------------------------------------

REDACTED = "***"

# Secrets in shapes we can recognise without knowing the value: JSON members and form fields
# with a secret name, and credential headers. Deliberately narrow: "lgsp token: HTTP 401" is an
# operation name, not a secret, and must stay readable.
_SECRET_NAMES = r"(?:password|passwd|client_secret|access_token|refresh_token|token|secret)"  # noqa: S105
_SECRET_PATTERNS = [
    re.compile(rf'(?i)("{_SECRET_NAMES}"\s*:\s*")[^"]+'),
    re.compile(rf"(?i)(\b{_SECRET_NAMES}=)[^&\s,;]+"),
    re.compile(r"(?i)(x-authentication-token[\"']?\s*[:=]\s*[\"']?)[^\"'\s,}]+"),
    re.compile(r"(?i)(\b(?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]{6,}"),
]


class _SecretRegistry:
    """Every secret value this process has used; redaction replaces each one wherever it is."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, value: str | None) -> None:
        # Very short values would redact innocent text ("a", "1"); real secrets are longer.
        if value and len(value) >= 4:
            with self._lock:
                self._values.add(value)

    def redact(self, text: str) -> str:
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)
        for value in values:
            if value in text:
                text = text.replace(value, REDACTED)
        for pattern in _SECRET_PATTERNS:
            text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
        return text


SECRETS = _SecretRegistry()


def register_secret(value: str | None) -> None:
    """Tell redaction about a secret value (a password, a token just received...)."""
    SECRETS.add(value)


def redact(text: str) -> str:
    return SECRETS.redact(text)


def _redact_record(record: logging.LogRecord) -> None:
    message = record.getMessage()
    cleaned = redact(message)
    if record.exc_info and record.exc_info[1] is not None:
        # A formatter would print the exception's own text later; bake a redacted copy in now.
        cleaned += "\n" + redact(logging.Formatter().formatException(record.exc_info))
        record.exc_info = None
        record.exc_text = None
    record.msg, record.args = cleaned, None


def install_redaction() -> None:
    """Redact every log record of every logger in this process, at creation.

    A record factory rather than a logger filter: filters on a logger do not see records that
    propagate from its children, nor from libraries (urllib3 logs URLs), and handlers are set
    up by whoever runs us (the CLI, Prefect). Installing twice is harmless.
    """
    current = logging.getLogRecordFactory()
    if getattr(current, "redacts_secrets", False):
        return

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = current(*args, **kwargs)
        _redact_record(record)
        return record

    factory.redacts_secrets = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


install_redaction()


# Libraries whose DEBUG output is whole pages or request lines: zeep's transport writes every
# SOAP envelope it sends and receives (secret documents included), urllib3 every URL with its
# query. They are capped at INFO whatever level the process runs at (docs/secrecy.md).
TRANSPORT_LOGGERS = ("zeep.transports", "urllib3", "urllib3.connectionpool")


def _below_info(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.INFO


def cap_transport_loggers() -> None:
    """Level INFO and a filter on each transport logger: the level keeps DEBUG records from
    being made, the filter drops them even if someone lowers the level later."""
    for name in TRANSPORT_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.INFO:
            logger.setLevel(logging.INFO)
        if _below_info not in logger.filters:
            logger.addFilter(_below_info)


cap_transport_loggers()

# --- errors ------------------------------------------------------------------------------


class ConnectorError(Exception):
    """A call to an external system failed. The text says which system, operation and record."""

    def __init__(
        self,
        system: str,
        operation: str,
        problem: str,
        *,
        record: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.system = system
        self.operation = operation
        self.record = record
        self.retry_after = retry_after
        where = f"{system} {operation}" + (f" (record {record})" if record else "")
        super().__init__(redact(f"{where}: {problem}"))


class RetryableError(ConnectorError):
    """Transient: timeouts, connection drops, 429, 5xx. Trying again later may work."""


class FatalError(ConnectorError):
    """Trying again will not help until someone changes something."""


class AuthError(FatalError):
    """Credentials refused or expired; check the username, password or client secret."""


class BadRequestError(FatalError):
    """The system refused the request as invalid (4xx other than auth and 429)."""


class ContractError(FatalError):
    """The system answered, but not as its contract says (unparseable body, missing field)."""


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

TLS_FAILED = (
    "TLS verification failed; if the system uses the agency's own CA, set http.ca_bundle "
    "(BRIDGE_HTTP__CA_BUNDLE) to its PEM file"
)


def build_session(*, ca_bundle: str | None = None, pool_size: int = 10) -> requests.Session:
    """A pooled session with TLS verification on (plus ``ca_bundle`` when set)."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
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
    """Raise the classified error for a failed response; return quietly on success."""
    status = response.status_code
    if status < 400:
        return
    detail = f"HTTP {status} {response.reason or ''}".strip()
    body = response.text[:300] if response.text else ""
    problem = f"{detail}: {body}" if body else detail
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
    ) -> None:
        self.system = system
        self.base_url = base_url.rstrip("/")
        self.timeouts = timeouts or Timeouts()
        self.policy = policy or RetryPolicy()
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
        **kwargs: object,
    ) -> object:
        """Like ``request``, returning the decoded JSON body. A truncated body is retried too."""

        def decode(response: requests.Response) -> object:
            return self.decode_json(response, operation=operation, record=record)

        safe = safe_to_retry or idempotency_key is not None
        return self._call(method, path, operation, record, safe, decode, kwargs)

    def _call(
        self,
        method: str,
        path: str,
        operation: str,
        record: str | None,
        safe_to_retry: bool,
        read: Callable[[requests.Response], T],
        kwargs: dict,
    ) -> T:
        method = method.upper()
        retry_allowed = method in READ_METHODS or safe_to_retry
        url = f"{self.base_url}/{path.lstrip('/')}" if path else self.base_url

        def attempt() -> T:
            response = self.send_once(method, url, operation=operation, record=record, **kwargs)
            classify_response(response, system=self.system, operation=operation, record=record)
            return read(response)

        return call_with_retries(attempt, policy=self.policy, retry_allowed=retry_allowed)

    def send_once(
        self, method: str, url: str, *, operation: str, record: str | None, **kwargs: object
    ) -> requests.Response:
        """One HTTP exchange; transport failures become ``RetryableError``."""
        try:
            return self.session.request(method, url, timeout=self.timeouts.as_tuple, **kwargs)
        except requests.exceptions.SSLError as exc:
            problem = f"{TLS_FAILED} ({exc.__class__.__name__})"
            raise FatalError(self.system, operation, problem, record=record) from None
        except (requests.exceptions.Timeout, requests.exceptions.ConnectionError) as exc:
            raise RetryableError(
                self.system, operation, f"{exc.__class__.__name__}: {exc}", record=record
            ) from None
        except requests.exceptions.RequestException as exc:
            raise RetryableError(
                self.system, operation, f"{exc.__class__.__name__}: {exc}", record=record
            ) from None

    def decode_json(
        self, response: requests.Response, *, operation: str, record: str | None = None
    ) -> object:
        """The body as JSON, or a ``ContractError`` naming what was wrong with it."""
        try:
            return response.json()
        except ValueError as exc:
            # A cut-off body is usually a dropped connection: worth another try.
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) != len(response.content):
                raise RetryableError(
                    self.system,
                    operation,
                    f"truncated body ({len(response.content)} of {declared} bytes)",
                    record=record,
                ) from None
            # Where and how long, never what: the body may begin with a secret document.
            where = f" at character {exc.pos}" if hasattr(exc, "pos") else ""
            raise ContractError(
                self.system,
                operation,
                f"body is not JSON ({len(response.content)} bytes, unreadable{where})",
                record=record,
            ) from None
