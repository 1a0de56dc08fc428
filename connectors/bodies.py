"""Bounded reading and decoding of answer bodies (issue 18): what a hostile or broken upstream
cannot do to the client.

* **Size**: a body is streamed in chunks and the read stops past the system's limit (a 300 MB
  page must not take the client to 1.2 GB); a declared Content-Length over it is refused before
  reading. Fatal: the same page will be as large next time (lower the page size).
* **Time**: one deadline for the whole exchange. The read timeout is per socket read, so a
  server sending a byte a second would otherwise hold us for ever. The body is checked between
  chunks read as they arrive (``read1``), with the socket's wait shortened to what is left; and
  a watch (``deadline_watch``) shuts the connection's socket down when the deadline passes
  while still connecting or reading headers. Retryable.
* **Kind**: an HTML page where JSON or XML was expected (a proxy or gateway answering for the
  system), JSON where XML was due, markup where JSON was due, or an empty 200 is a retryable
  error saying so, not a misleading parse error on every record.
* **Encoding**: JSON is UTF-8 (RFC 8259 §8.1) whatever charset-less type it is labelled with;
  XML declares its own. Invalid UTF-8 is an error naming the byte position, never U+FFFD.
* **Depth**: JSON nested deeper than the limit is cut at the limit: the subtree becomes
  ``TOO_DEEP``, so the one record that holds it can be refused alone (``contains_too_deep``).

Errors say where (system, operation, byte position) and how long, never what: no byte of a body
goes into an error text.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import re
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from connectors.errors import TLS_FAILED, ContractError, FatalError, RetryableError
from connectors.watchdog import Watchdog

MB = 1024 * 1024
CHUNK_BYTES = 64 * 1024

# Put where a JSON subtree deeper than the limit was. A NUL makes sure no canonical model
# would ever accept it as text, should it travel further than it should.
TOO_DEEP = "\x00nested too deep\x00"


@dataclass(frozen=True)
class BodyLimits:
    max_bytes: int = 50 * MB
    deadline_s: float = 60.0
    max_json_depth: int = 64


class BodyTooLarge(ContractError):
    """The answer was larger than the system's limit; ``bytes_read`` says how much was read."""

    def __init__(self, system: str, operation: str, problem: str, *, bytes_read: int,
                 record: str | None = None) -> None:  # fmt: skip
        self.bytes_read = bytes_read
        super().__init__(system, operation, problem, record=record)


def _size(n: int) -> str:
    return f"{n / MB:.1f} MB" if n >= MB else f"{n} bytes"


def _shorten_socket_wait(response: requests.Response, seconds: float) -> None:
    # Best effort: the socket under urllib3's response, so that a silent server cannot hold one
    # read past the deadline either. Missing attributes (another adapter) just skip it.
    connection = getattr(response.raw, "connection", None) or getattr(
        response.raw, "_connection", None
    )
    sock = getattr(connection, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.settimeout(max(seconds, 0.001))


# --- the watch over connecting and headers ------------------------------------------------

_watched = threading.local()


class _WatchedPool:
    """Remembers each connection it hands out to a thread that is under a deadline watch."""

    def _get_conn(self, timeout: float | None = None):  # type: ignore[no-untyped-def]
        conn = super()._get_conn(timeout)  # type: ignore[misc]
        sink = getattr(_watched, "connections", None)
        if sink is not None:
            sink.append(conn)
        return conn


class _WatchedHTTPPool(_WatchedPool, HTTPConnectionPool):
    pass


class _WatchedHTTPSPool(_WatchedPool, HTTPSConnectionPool):
    pass


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter whose pools let ``deadline_watch`` find the connection in use."""

    def init_poolmanager(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPPool,
            "https": _WatchedHTTPSPool,
        }


_WATCHDOG = Watchdog()


@contextmanager
def deadline_watch(seconds: float) -> Iterator[None]:
    """While inside, a request of this thread that outlives ``seconds`` has its socket shut
    down, which ends any blocked connect or read at once (with an error the caller reports as
    the deadline: see ``past``)."""
    connections: list = []
    _watched.connections = connections

    def expire() -> None:
        for conn in list(connections):
            sock = getattr(conn, "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    entry = _WATCHDOG.watch(seconds, expire)
    try:
        yield
    finally:
        _WATCHDOG.end(entry)
        connections.clear()  # pooled again: no late action may shut another request's socket
        _watched.connections = None


def past(started: float, limits: BodyLimits) -> bool:
    """Whether the deadline of a request sent at ``started`` has passed (a failure then is the
    deadline's doing, whatever the transport called it)."""
    return time.monotonic() >= started + limits.deadline_s - 0.01


def deadline_error(
    limits: BodyLimits, received: int, *, system: str, operation: str, record: str | None = None
) -> RetryableError:
    return RetryableError(
        system, operation,
        f"answer not complete within the deadline of {limits.deadline_s:g} s "
        f"({_size(received)} received; request_deadline_s in [{system}])",
        record=record,
    )  # fmt: skip


def read_bounded(
    response: requests.Response,
    limits: BodyLimits,
    *,
    system: str,
    operation: str,
    started: float,
    read_timeout_s: float,
    record: str | None = None,
) -> bytes:
    """Read a streamed (``stream=True``) response's body within ``limits`` and leave it in
    ``response.content`` as if requests had read it. ``started`` is ``time.monotonic()`` when
    the request was sent: the deadline covers the whole exchange."""
    deadline = started + limits.deadline_s
    where = {"record": record}
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        response.close()
        raise BodyTooLarge(
            system, operation,
            f"answer declares {_size(int(declared))}, over the limit of "
            f"{_size(limits.max_bytes)} (max_body_mb in [{system}]); lower the page size",
            bytes_read=0, **where,
        )  # fmt: skip
    buffer = bytearray()

    def past_deadline() -> RetryableError:
        return deadline_error(limits, len(buffer), system=system, operation=operation, **where)

    waiting_for_deadline = False
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise past_deadline()
            waiting_for_deadline = remaining < read_timeout_s
            _shorten_socket_wait(response, min(read_timeout_s, remaining))
            chunk = response.raw.read1(CHUNK_BYTES, decode_content=True)
            if not chunk:
                break
            buffer += chunk
            if len(buffer) > limits.max_bytes:
                raise BodyTooLarge(
                    system, operation,
                    f"answer larger than the limit of {_size(limits.max_bytes)} (stopped after "
                    f"{len(buffer)} bytes; max_body_mb in [{system}]); lower the page size",
                    bytes_read=len(buffer), **where,
                )  # fmt: skip
    except (RetryableError, ContractError):
        response.close()
        raise
    except Exception as exc:  # urllib3's read errors: timeouts, resets, a cut-off chunk
        response.close()
        if past(started, limits) or (
            waiting_for_deadline and "timeout" in exc.__class__.__name__.lower()
        ):
            raise past_deadline() from None
        problem = f"answer cut off after {len(buffer)} bytes ({exc.__class__.__name__})"
        raise RetryableError(system, operation, problem, **where) from None
    body = bytes(buffer)
    buffer.clear()  # one copy of the body in memory, not two
    response._content = body  # what requests itself sets after reading
    response._content_consumed = True
    return body


# Transport errors that quote what the server sent (a status line, a header, a chunk size):
# their argument is dropped, their name kept.
_QUOTES_THE_ANSWER = re.compile(
    r"\b(BadStatusLine|LineTooLong|InvalidChunkLength|HeaderParsingError|InvalidHeader|"
    r"UnrewindableBodyError|IncompleteRead)\((?:[^()]|\([^()]*\))*\)"
)


def transport_problem(exc: Exception) -> str:
    """A transport failure in words (connection refused, read timed out, name unknown...),
    without what the server may have sent."""
    text = _QUOTES_THE_ANSWER.sub(lambda m: f"{m.group(1)}(…)", str(exc))
    return f"{exc.__class__.__name__}: {text[:300]}"


def exchange(
    session: requests.Session,
    method: str,
    url: str,
    *,
    limits: BodyLimits,
    timeouts: tuple[float, float],
    system: str,
    operation: str,
    record: str | None = None,
    **kwargs: object,
) -> requests.Response:
    """One HTTP exchange within ``limits``: sent, its headers and body read under the total
    deadline and the size limit; transport failures become classified errors. The body is in
    ``response.content`` when this returns."""
    started = time.monotonic()
    where = {"system": system, "operation": operation, "record": record}
    with deadline_watch(limits.deadline_s):
        try:
            response = session.request(method, url, timeout=timeouts, stream=True, **kwargs)
        except requests.exceptions.RequestException as exc:
            if past(started, limits):
                raise deadline_error(limits, 0, **where) from None
            if isinstance(exc, requests.exceptions.SSLError):
                problem = f"{TLS_FAILED} ({exc.__class__.__name__})"
                raise FatalError(problem=problem, **where) from None
            raise RetryableError(problem=transport_problem(exc), **where) from None
        read_bounded(response, limits, started=started, read_timeout_s=timeouts[1], **where)
    return response


# --- what kind of body it is -------------------------------------------------------------

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_HTML_START = re.compile(rb"^\s*(?:<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])", re.I)
_BOM = codecs.BOM_UTF8


def media_type(response: requests.Response) -> str:
    return (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()


def refuse_wrong_kind(
    response: requests.Response, body: bytes, *, system: str, operation: str,
    expected: str, record: str | None = None,
) -> None:  # fmt: skip
    """A successful answer that is clearly not ``expected`` ("JSON" or "XML"): an HTML page (a
    proxy, a gateway or a login page answering for the system), JSON where XML was due, markup
    where JSON was due, or nothing at all. Retryable: such answers come and go with whatever
    stands in front of the system, and a write that got one carries its idempotency key."""
    head = body[:512].lstrip(_BOM).lstrip()
    label = media_type(response) or "no content type"
    kind = None
    if not head and response.status_code not in (202, 204):
        kind = "an empty answer"
    elif _HTML_START.match(head) or (
        label in _HTML_TYPES and head[:1] not in ((b"{", b"[") if expected == "JSON" else (b"<",))
    ):
        kind = "an HTML page"
    elif expected == "XML" and head[:1] in (b"{", b"["):
        kind = "JSON"
    elif expected == "JSON" and head[:1] == b"<":
        kind = "markup"
    if kind is not None:
        raise RetryableError(
            system, operation,
            f"answered with {kind} ({label}, {len(body)} bytes) where {expected} was expected: "
            "a proxy or gateway answering for the system?",
            record=record,
        )  # fmt: skip


def decode_utf8(body: bytes, *, system: str, operation: str, record: str | None = None) -> str:
    """The body as UTF-8 text (a BOM dropped); invalid UTF-8 is an error naming where."""
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ContractError(
            system, operation,
            f"answer is not valid UTF-8 (byte {exc.start} of {len(body)})", record=record,
        ) from None  # fmt: skip


_XML_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)")


def check_xml_encoding(
    body: bytes, *, system: str, operation: str, record: str | None = None
) -> None:
    """XML without a declared encoding, or declaring UTF-8, must be valid UTF-8."""
    declared = _XML_DECLARED_ENCODING.match(body[:200].lstrip(_BOM))
    if declared is None or declared.group(1).lower().replace(b"_", b"-") in (b"utf-8", b"utf8"):
        decode_utf8(body, system=system, operation=operation, record=record)


# --- JSON, depth-limited -----------------------------------------------------------------


def load_json(
    body: bytes, *, limits: BodyLimits, system: str, operation: str, record: str | None = None
) -> Any:
    """Decode a JSON body; subtrees nested deeper than ``limits.max_json_depth`` become
    ``TOO_DEEP``. Raises ``ValueError`` for a body that is not JSON (the caller knows whether
    it was cut off)."""
    text = decode_utf8(body, system=system, operation=operation, record=record)
    try:
        return _cut_deep(json.loads(text), limits.max_json_depth)
    except RecursionError:
        # Deeper than the parser can go (about 1,000 levels): cut the deep parts out of the
        # text first, each replaced by a string mark of this call's own, so the rest of the
        # page still reads.
        mark = f"{_CUT_MARK_PREFIX}{secrets.token_hex(8)}"
        value = json.loads(_cut_deep_text(text, limits.max_json_depth, json.dumps(mark)))
        return _cut_deep(value, limits.max_json_depth, mark)


def _cut_deep(value: Any, max_depth: int, mark: str | None = None) -> Any:
    """Replace every container deeper than ``max_depth``, and every string equal to ``mark``
    (where the text was cut before parsing), by ``TOO_DEEP``, without recursion."""
    if isinstance(value, dict | list) and max_depth < 1:
        return TOO_DEEP
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        container, depth = stack.pop()
        children = container.values() if isinstance(container, dict) else container
        if mark is None and depth < max_depth:
            # Above the bound nothing is replaced: only the containers below are walked.
            stack.extend(
                [(child, depth + 1) for child in children if isinstance(child, dict | list)]
            )
            continue
        items = container.items() if isinstance(container, dict) else enumerate(container)
        for key, child in list(items):
            if isinstance(child, dict | list):
                if depth + 1 > max_depth:
                    container[key] = TOO_DEEP
                else:
                    stack.append((child, depth + 1))
            elif mark is not None and child == mark:
                container[key] = TOO_DEEP
    return value


_CUT_MARK_PREFIX = "\x00cut:"
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)


def _cut_deep_text(text: str, max_depth: int, mark: str) -> str:
    """The JSON text with each container opened below ``max_depth`` replaced by ``mark`` (a
    JSON string; only on the rare path of a body too deep for the parser)."""
    out: list[str] = []
    depth, copied_to, cut_from = 0, 0, None
    for token in _TOKENS.finditer(text):
        symbol = token.group()
        if symbol in "[{":
            depth += 1
            if depth == max_depth + 1 and cut_from is None:
                cut_from = token.start()
        elif symbol in "]}":
            if depth == max_depth + 1 and cut_from is not None:
                out.append(text[copied_to:cut_from])
                out.append(mark)
                copied_to, cut_from = token.end(), None
            depth -= 1
    out.append(text[copied_to:])
    return "".join(out)


def contains_too_deep(value: Any) -> bool:
    """Whether a decoded value holds a subtree cut for being too deep."""
    stack = [value]
    while stack:
        item = stack.pop()
        if item == TOO_DEEP:
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
