"""Secret redaction for every error text and every log record of the process (issue 18).

A secret leaks in whatever encoding the leaking text uses: a 401 answer that echoes the login
request shows the password JSON-escaped (``\\"``, ``\\\\``, ``\\u1ea1``), a URL or form body shows
it URL-encoded, HTTP Basic auth shows ``base64("user:password")``, a SOAP fault shows it with
XML escapes. So each registered secret is searched for in all of those forms, case-insensitively
(over-redacting a look-alike is harmless; missing one is not).

Also here, because it is logging set-up that every connector needs: the transport loggers of
zeep and urllib3 are capped at INFO, since at DEBUG they write whole request and response bodies
(SOAP pages with their records, login requests with their passwords).
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
from urllib.parse import quote, quote_plus
from xml.sax.saxutils import escape as xml_escape

REDACTED = "***"

# Secrets in shapes we can recognise without knowing the value: JSON members, form fields and
# XML elements with a secret name, and credential headers. Deliberately narrow: "lgsp token:
# HTTP 401" is an operation name, not a secret, and must stay readable.
_SECRET_NAMES = r"(?:password|passwd|client_secret|access_token|refresh_token|token|secret)"  # noqa: S105
_SECRET_PATTERNS = [
    # A JSON string member, escapes included ("pa\"ss" must not stop the match at \").
    re.compile(rf'(?i)("{_SECRET_NAMES}"\s*:\s*")(?:[^"\\]|\\.)+'),
    # The same member inside JSON that was itself escaped into a string (\"password\":\"...\"):
    # an escaped quote (\\\"), an escaped backslash, an escape, a plain character; up to \".
    re.compile(
        rf'(?i)(\\"{_SECRET_NAMES}\\"\s*:\s*\\")'
        r'(?:\\\\\\"|\\\\\\\\|\\\\[^"\\]|\\[^"\\]|[^"\\])+'
    ),
    re.compile(rf"(?i)(\b{_SECRET_NAMES}=)[^&\s,;]+"),
    re.compile(rf"(?i)(<(?:\w+:)?{_SECRET_NAMES}>)[^<]+"),
    re.compile(r"(?i)(x-authentication-token[\"']?\s*[:=]\s*[\"']?)[^\"'\s,}]+"),
    re.compile(r"(?i)(\b(?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]{6,}"),
]

# Very short values would redact innocent text ("a", "1"); real secrets are longer.
MIN_SECRET_LENGTH = 4


def encoded_forms(value: str) -> set[str]:
    """Every form ``value`` can take in text we might print: plain, JSON-escaped (ASCII-only
    and not, nested up to three times), Python repr, URL-encoded (quote and quote_plus),
    XML-escaped, base64."""
    # JSON-escaped, and JSON inside JSON (a server echoing the request it refused as a string
    # member, logged as JSON again): up to three levels deep.
    json_forms, level = set(), {value}
    for _ in range(3):
        level = {json.dumps(form, ensure_ascii=ascii)[1:-1] for form in level
                 for ascii in (True, False)}  # fmt: skip
        json_forms |= level
    forms = {
        value,
        *json_forms,
        repr(value)[1:-1],
        quote(value, safe=""),
        quote(value),
        quote_plus(value),
        xml_escape(value),
        xml_escape(value, {'"': "&quot;", "'": "&apos;"}),
        value.encode("ascii", "xmlcharrefreplace").decode("ascii"),
        base64.b64encode(value.encode()).decode(),
    }
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


class SecretRegistry:
    """Every secret value this process uses; redaction replaces each one wherever it is, in
    every encoded form.

    Credentials from the settings stay for the life of the process. Tokens received (a new one
    per login, per LGSP renewal) are ``temporary``: only the newest ``keep_temporary`` are kept,
    so that a process serving for months does not grow one pattern without end; a token that
    old stopped working long ago.
    """

    def __init__(self, keep_temporary: int = 32) -> None:
        self._permanent: set[str] = set()
        self._temporary: dict[str, set[str]] = {}  # value -> its forms, oldest first
        self._keep = keep_temporary
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, value: str | None, *, temporary: bool = False) -> None:
        if isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH:
            self._add_forms(value, encoded_forms(value), temporary)

    def add_basic_auth(self, username: str, password: str) -> None:
        """HTTP Basic sends ``base64("user:password")``: that string is a secret too."""
        if isinstance(password, str) and len(password) >= MIN_SECRET_LENGTH:
            pair = f"{username}:{password}"
            forms = {base64.b64encode(pair.encode()).decode(), *encoded_forms(pair)}
            self._add_forms(pair, forms, temporary=False)

    def _add_forms(self, value: str, forms: set[str], temporary: bool) -> None:
        with self._lock:
            if forms <= self._permanent or value in self._temporary:
                return
            if temporary:
                self._temporary[value] = forms
                while len(self._temporary) > self._keep:
                    del self._temporary[next(iter(self._temporary))]
            else:
                self._permanent |= forms
            every = self._permanent.union(*self._temporary.values())
            # Longest first, so a form that contains another is replaced whole.
            alternatives = sorted(every, key=len, reverse=True)
            self._pattern = re.compile("|".join(map(re.escape, alternatives)), re.IGNORECASE)

    def redact(self, text: str) -> str:
        pattern = self._pattern
        if pattern is not None:
            text = pattern.sub(REDACTED, text)
        for known_shape in _SECRET_PATTERNS:
            text = known_shape.sub(lambda m: m.group(1) + REDACTED, text)
        return text


SECRETS = SecretRegistry()


def register_secret(value: str | None, *, temporary: bool = False) -> None:
    """Tell redaction about a secret value: a password (for good), a token just received
    (``temporary``: kept among the newest few)."""
    SECRETS.add(value, temporary=temporary)


def register_basic_auth(username: str, password: str) -> None:
    """Tell redaction about a password sent with HTTP Basic auth (the base64 pair too)."""
    SECRETS.add(password)
    SECRETS.add_basic_auth(username, password)


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


# Loggers that write whole bodies at DEBUG (zeep: every SOAP request and answer; urllib3: each
# request line with its query). Capped at INFO whatever level the root or a handler is at.
TRANSPORT_LOGGERS = (
    "zeep",
    "zeep.transports",
    "zeep.wsdl",
    "zeep.xsd",
    "urllib3",
    "urllib3.connectionpool",
    "requests",
    "httpx",
    "httpcore",
)


def _at_least_info(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.INFO


def cap_transport_loggers() -> None:
    """Keep the transport loggers at INFO or above: a level and a filter, so that a later
    ``setLevel(DEBUG)`` on one of them (a debugging session, a test harness) still writes no
    body. Installing twice is harmless."""
    for name in TRANSPORT_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.INFO:
            logger.setLevel(logging.INFO)
        if _at_least_info not in logger.filters:
            logger.addFilter(_at_least_info)


install_redaction()
cap_transport_loggers()
