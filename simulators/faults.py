"""Fault injection, per server, set at start or at run time, deterministic under a seed.

Each fault kind has a rate (0..1: the share of eligible requests it hits) and/or `next` (hit
the next N eligible requests). Every kind draws from its own `random.Random` seeded with
(seed, server, kind), so a test that sends the same requests sees the same faults, and turning
one fault on does not reshuffle another.

Transport faults are applied by `FaultMiddleware` around the whole server; the rest are asked
for by the handlers where they make sense (`plan.fire(kind)`).
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# kind -> (what it does, parameters and their defaults)
FAULT_KINDS: dict[str, tuple[str, dict[str, float]]] = {
    "latency": ("delay every answer by `ms` milliseconds", {"ms": 200}),
    "http_5xx": ("answer with HTTP `status` (500 or 503)", {"status": 503}),
    "timeout": ("hold the request `seconds`, then answer 504", {"seconds": 30}),
    "rate_limit": ("answer 429 with Retry-After: `retry_after`", {"retry_after": 1}),
    "truncated": ("send half the body under the full Content-Length", {}),
    "malformed": ("one record of a list page lacks a required field or has a bad date", {}),
    "duplicate": ("the last record of a page is repeated on the next page", {}),
    "shifting": ("a record not yet listed changes while the listing is paged", {}),
    "token_expiry": ("every issued token stops working before this request", {}),
    "soap_fault": ("a SOAP server answers soap:Server (transient)", {}),
    "lost_response": ("a write is applied, then the answer is lost (HTTP 504)", {}),
    "html_answer": ("a write is applied, then a gateway answers 200 with its HTML page", {}),
    "empty_answer": ("a write is applied, then the answer is 200 with an empty body", {}),
    "foreign_answer": ("a write is applied, then 200 with JSON from SOAP, XML from REST", {}),
    # Hostile answers (issue 18): what a broken upstream or a proxy in between sends.
    "huge_body": (
        "the answer padded with leading white space to `mb` megabytes, sent in 1 MB pieces; "
        "with `declare`=1 under its true Content-Length, else chunked",
        {"mb": 64, "declare": 0},
    ),
    "slow_body": ("the answer sent `bytes_per_s` bytes a second", {"bytes_per_s": 1}),
    "html_body": ("HTTP 200 with a proxy's HTML error page instead of the answer", {}),
    "mislabelled": ("the answer labelled text/html without a charset", {}),
    "invalid_utf8": ("a byte 0xFF in the middle of the answer", {}),
    "deep_nesting": ("iOffice: one record of a list page nested `levels` deep", {"levels": 1200}),
}

# What a gateway in front of a system sends instead of a write's answer (HTTP 200 all).
GATEWAY_PAGE = (
    b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
    b"</h1></center><hr><center>nginx</center></body></html>"
)
FOREIGN_BODIES = {
    "xml": (b'{"status": "ok", "result": true}', "application/json"),
    "json": (b'<?xml version="1.0"?><result><status>ok</status></result>', "text/xml"),
}


def garbled_answer(plan: FaultPlan, speaks: str) -> tuple[bytes, str] | None:
    """The 200 body and content type replacing an applied write's answer, or None.

    ``speaks`` is the server's own format, "xml" (SOAP) or "json" (REST): a foreign answer is
    the other one.
    """
    own_type = "text/xml; charset=utf-8" if speaks == "xml" else "application/json"
    if plan.fire("html_answer"):
        return GATEWAY_PAGE, "text/html; charset=utf-8"
    if plan.fire("empty_answer"):
        return b"", own_type
    if plan.fire("foreign_answer"):
        return FOREIGN_BODIES[speaks]
    return None


@dataclass
class FaultSpec:
    rate: float = 0.0
    next: int = 0
    params: dict[str, float] = field(default_factory=dict)


@dataclass
class Injection:
    """A hostile record or page marker queued for the next page of one stream."""

    stream: str
    fields: dict[str, str]
    marker: str | None = None


class FaultPlan:
    """The faults of one server; thread-safe, since handlers run in a thread pool."""

    def __init__(self, server: str, seed: int) -> None:
        self.server = server
        self.seed = seed
        self._lock = threading.Lock()
        self._specs: dict[str, FaultSpec] = {}
        self._rngs: dict[str, random.Random] = {}
        self.fired: dict[str, int] = {}  # how often each kind fired, for tests and the CLI
        self._injections: dict[str, list[Injection]] = {}
        self.injected: list[tuple[str, str]] = []  # (stream, record id) each hostile record hit

    def set(self, kind: str, rate: float = 0.0, next: int = 0, **params: float) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; known: {', '.join(FAULT_KINDS)}")
        if not 0.0 <= rate <= 1.0 or next < 0:
            raise ValueError(f"fault {kind}: rate must be within 0..1 and next >= 0")
        unknown = set(params) - set(FAULT_KINDS[kind][1])
        if unknown:
            raise ValueError(f"fault {kind}: unknown parameter(s) {sorted(unknown)}")
        with self._lock:
            self._specs[kind] = FaultSpec(rate, next, {**FAULT_KINDS[kind][1], **params})
            # Repeatable fault sequences for tests, not secrecy: no CSPRNG needed.
            self._rngs[kind] = random.Random(f"{self.seed}:{self.server}:{kind}")  # noqa: S311

    def clear(self) -> None:
        with self._lock:
            self._specs.clear()

    def fire(self, kind: str) -> bool:
        """Whether `kind` hits this (eligible) request."""
        with self._lock:
            spec = self._specs.get(kind)
            if spec is None:
                return False
            if spec.next > 0:
                spec.next -= 1
                hit = True
            else:
                hit = spec.rate > 0 and self._rngs[kind].random() < spec.rate
            if hit:
                self.fired[kind] = self.fired.get(kind, 0) + 1
            return hit

    def param(self, kind: str, name: str) -> float:
        with self._lock:
            spec = self._specs.get(kind)
            return spec.params[name] if spec else FAULT_KINDS[kind][1][name]

    # --- hostile records ------------------------------------------------------------------
    # A test queues a hostile record for a stream; the next listed page of that stream carries
    # it in the middle record (so good records surround it on the same page). `fields` maps a
    # field to the raw text to send: a JSON fragment on REST ('"a\\u0000b"', '[[[...]]]'),
    # element text on SOAP ('LeadUnit/UnitId'). `marker` replaces the page's change marker.

    def inject(self, stream: str, fields: dict[str, str] | None = None,
               marker: str | None = None) -> None:  # fmt: skip
        with self._lock:
            self._injections.setdefault(stream, []).append(
                Injection(stream, dict(fields or {}), marker)
            )

    def take_injection(self, stream: str) -> Injection | None:
        """The next queued hostile record of `stream`, if any (the server applies it)."""
        with self._lock:
            queued = self._injections.get(stream)
            return queued.pop(0) if queued else None

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {
                kind: {"rate": s.rate, "next": s.next, **s.params}
                for kind, s in self._specs.items()
            } | {"fired": dict(self.fired)}


def parse_fault_option(text: str) -> tuple[str, str, dict[str, float]]:
    """`ioffice:http_5xx=0.1`, `tracking:timeout=next2,seconds=5` -> (server, kind, settings)."""
    try:
        server, rest = text.split(":", 1)
        kind, _, value = rest.partition("=")
        settings: dict[str, float] = {}
        for part in filter(None, value.split(",")):
            if "=" in part:
                name, number = part.split("=", 1)
                settings[name] = float(number)
            elif part.startswith("next"):
                settings["next"] = int(part[4:])
            else:
                settings["rate"] = float(part)
    except ValueError as exc:
        raise ValueError(f"bad fault option {text!r}: {exc}") from None
    return server, kind, settings


def apply_settings(plan: FaultPlan, kind: str, settings: dict[str, Any]) -> None:
    settings = dict(settings)
    rate = float(settings.pop("rate", 0.0))
    next_n = int(settings.pop("next", 0))
    plan.set(kind, rate=rate, next=next_n, **{k: float(v) for k, v in settings.items()})


class FaultMiddleware:
    """Transport faults around a whole server (admin paths and WSDL downloads are exempt)."""

    def __init__(self, app, plan: FaultPlan, expire_tokens: Callable[[], None]) -> None:
        self.app = app
        self.plan = plan
        self.expire_tokens = expire_tokens

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or exempt(scope):
            await self.app(scope, receive, send)
            return
        plan = self.plan
        if plan.fire("latency"):
            await asyncio.sleep(plan.param("latency", "ms") / 1000)
        if plan.fire("token_expiry"):
            self.expire_tokens()
        if plan.fire("rate_limit"):
            retry = str(int(plan.param("rate_limit", "retry_after")))
            await _plain(send, 429, b"rate limited", [(b"retry-after", retry.encode())])
            return
        if plan.fire("http_5xx"):
            status = int(plan.param("http_5xx", "status"))
            await _plain(send, status, b"simulated server error")
            return
        if plan.fire("timeout"):
            await asyncio.sleep(plan.param("timeout", "seconds"))
            await _plain(send, 504, b"simulated gateway timeout")
            return
        if plan.fire("truncated"):
            await self.app(scope, receive, _truncating(send))
            return
        if plan.fire("html_body"):
            await _plain(send, 200, GATEWAY_PAGE, content_type=b"text/html")
            return
        for kind in ("huge_body", "slow_body", "mislabelled", "invalid_utf8"):
            if plan.fire(kind):
                await self.app(scope, receive, _rewriting(send, receive, kind, plan))
                return
        await self.app(scope, receive, send)


def exempt(scope) -> bool:
    """Admin calls and WSDL downloads: the test harness talking, not a client."""
    return scope["path"].startswith("/admin") or scope.get("query_string", b"").lower() == b"wsdl"


async def _plain(
    send,
    status: int,
    body: bytes,
    headers: list | None = None,
    content_type: bytes = b"text/plain; charset=utf-8",
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _truncating(send):
    """Buffer the answer, then send half of it under the full Content-Length and stop."""
    state: dict[str, Any] = {"start": None, "body": b""}

    async def wrapped(message) -> None:
        if message["type"] == "http.response.start":
            state["start"] = message
            return
        if message["type"] == "http.response.body":
            state["body"] += message.get("body", b"")
            if message.get("more_body"):
                return
            body = state["body"]
            headers = [(k, v) for k, v in state["start"]["headers"] if k != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**state["start"], "headers": headers})
            # Ends the response short of its Content-Length: the server closes the connection
            # and the client sees an incomplete read, like a network cut mid-answer.
            await send({"type": "http.response.body", "body": body[: len(body) // 2]})
            return
        await send(message)

    return wrapped


def _rewriting(send, receive, kind: str, plan: FaultPlan):
    """Buffer the answer, then send it the hostile way ``kind`` says."""
    state: dict[str, Any] = {"start": None, "body": b""}

    async def wrapped(message) -> None:
        if message["type"] == "http.response.start":
            state["start"] = message
            return
        if message["type"] != "http.response.body":
            await send(message)
            return
        state["body"] += message.get("body", b"")
        if message.get("more_body"):
            return
        start, body = state["start"], state["body"]
        headers = [(k, v) for k, v in start["headers"] if k not in (b"content-length",)]
        if kind == "mislabelled":
            headers = [(k, v) for k, v in headers if k != b"content-type"]
            headers.append((b"content-type", b"text/html"))
        if kind == "invalid_utf8":
            middle = len(body) // 2
            body = body[:middle] + b"\xff" + body[middle:]
        if kind == "huge_body":
            await _send_huge(send, start, headers, body, plan)
            return
        if kind == "slow_body":
            await _send_slowly(send, receive, start, headers, body, plan)
            return
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return wrapped


async def _send_huge(send, start, headers, body: bytes, plan: FaultPlan) -> None:
    piece = 1024 * 1024
    padding = max(int(plan.param("huge_body", "mb") * piece) - len(body), 0)
    if plan.param("huge_body", "declare"):
        headers = [*headers, (b"content-length", str(padding + len(body)).encode())]
    await send({**start, "headers": headers})
    blank = b" " * piece
    while padding > 0:
        chunk = blank if padding >= piece else blank[:padding]
        padding -= len(chunk)
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": body})


async def _send_slowly(send, receive, start, headers, body: bytes, plan: FaultPlan) -> None:
    pause = 1 / max(plan.param("slow_body", "bytes_per_s"), 0.001)
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({**start, "headers": headers})
    for index in range(len(body)):
        last = index == len(body) - 1
        await send({"type": "http.response.body", "body": body[index : index + 1],
                    "more_body": not last})  # fmt: skip
        if last:
            return
        # Wait between bytes, and stop as soon as the client hangs up (no zombie sender).
        try:
            message = await asyncio.wait_for(receive(), timeout=pause)
        except TimeoutError:
            continue
        if message.get("type") == "http.disconnect":
            return
