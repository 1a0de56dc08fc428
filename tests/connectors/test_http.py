"""The shared HTTP policy, over real HTTP to a scripted server on loopback.

The simulators exercise these paths end to end (issue 5's integration tests); this scripted
server gives exact control of one exchange at a time: N failures then success, a Retry-After,
a body cut short, a hang longer than the read timeout.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from connectors.http import (
    AuthError,
    BadRequestError,
    ContractError,
    FatalError,
    HttpClient,
    RetryableError,
    RetryPolicy,
    Timeouts,
    call_with_retries,
    parse_retry_after,
    redact,
    register_secret,
)


class ScriptedServer:
    """Answers each request with the next scripted reply: (status, headers, body, delay_s)."""

    def __init__(self) -> None:
        self.replies: deque[tuple[int, dict, bytes, float]] = deque()
        self.requests: list[tuple[str, str, dict]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                server.requests.append((self.command, self.path, dict(self.headers)))
                status, headers, body, delay = server.replies.popleft()
                time.sleep(delay)
                self.send_response(status)
                headers = {"Content-Length": str(len(body)), **headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                # The client may have given up already (timeout tests).
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()

    def script(self, *replies: tuple) -> None:
        """Queue replies: (status, headers, body) with an optional delay in seconds."""
        for status, headers, body, *delay in replies:
            self.replies.append((status, headers, body, delay[0] if delay else 0.0))

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    scripted = ScriptedServer()
    yield scripted
    scripted.close()


FAST = RetryPolicy(max_attempts=4, backoff_initial_s=0.01, backoff_max_s=0.05)


def _client(server: ScriptedServer, **kwargs) -> HttpClient:
    return HttpClient("ioffice", server.url, policy=kwargs.pop("policy", FAST), **kwargs)


def test_reads_are_retried_through_5xx_until_they_succeed(server):
    server.script((503, {}, b"busy"), (500, {}, b"oops"), (200, {}, b'{"ok": true}'))
    data = _client(server).request_json("GET", "/qlvb/api/x", operation="list incoming")
    assert data == {"ok": True}
    assert len(server.requests) == 3


def test_retries_stop_after_the_policy_and_the_error_names_system_and_operation(server):
    server.script(*[(503, {}, b"busy")] * 4)
    with pytest.raises(RetryableError) as error:
        _client(server).request("GET", "/x", operation="list incoming", record="VBD-7")
    assert len(server.requests) == 4
    assert str(error.value).startswith("ioffice list incoming (record VBD-7): HTTP 503")


def test_retry_after_is_honoured(server, caplog):
    server.script((429, {"Retry-After": "1"}, b"slow down"), (200, {}, b"{}"))
    with caplog.at_level(logging.WARNING, logger="connectors.http"):
        _client(server).request_json("GET", "/x", operation="list")
    # The wait decided, as logged (no test asserts a wall-clock time): the server's 1 s, not
    # the policy's few milliseconds.
    assert any("retrying in 1.0s" in record.getMessage() for record in caplog.records)
    assert len(server.requests) == 2


def test_a_retry_after_beyond_the_cap_is_not_waited_for_in_line():
    calls = []

    def fails() -> None:
        calls.append(1)
        raise RetryableError("tracking", "list tasks", "HTTP 429", retry_after=3600)

    with pytest.raises(RetryableError):
        call_with_retries(fails, policy=FAST, retry_allowed=True, sleep=lambda s: None)
    assert len(calls) == 1


def test_a_write_without_idempotency_key_is_never_resent(server):
    server.script((503, {}, b"busy"))
    with pytest.raises(RetryableError):
        _client(server).request("POST", "/write", operation="set deadline", json={"a": 1})
    assert len(server.requests) == 1


def test_a_write_with_idempotency_key_is_retried(server):
    server.script((502, {}, b""), (200, {}, b'{"done": 1}'))
    data = _client(server).request_json(
        "POST", "/write", operation="set deadline", idempotency_key="k1", json={"a": 1}
    )
    assert data == {"done": 1} and len(server.requests) == 2


@pytest.mark.parametrize(
    ("status", "error_class"), [(401, AuthError), (403, AuthError), (400, BadRequestError)]
)
def test_client_errors_are_fatal_and_not_retried(server, status, error_class):
    server.script((status, {}, b'{"status": {"code": "E1", "message": "sai"}}'))
    with pytest.raises(error_class) as error:
        _client(server).request("GET", "/x", operation="detail", record="VBD-1")
    assert isinstance(error.value, FatalError)
    assert len(server.requests) == 1
    assert "record VBD-1" in str(error.value) and f"HTTP {status}" in str(error.value)


def test_a_read_timeout_is_retryable_and_retried(server):
    server.script((200, {}, b"{}", 1.0), (200, {}, b'{"late": false}'))
    client = _client(server, timeouts=Timeouts(connect_s=1, read_s=0.3))
    assert client.request_json("GET", "/x", operation="list") == {"late": False}
    assert len(server.requests) == 2


def test_a_truncated_body_is_retried(server):
    server.script((200, {"Content-Length": "50"}, b'{"items": [1, 2'), (200, {}, b'{"items": []}'))
    assert _client(server).request_json("GET", "/x", operation="list") == {"items": []}


def test_a_body_that_is_not_json_breaks_the_contract(server):
    server.script((200, {"Content-Type": "application/json"}, b"maintenance until 18:00"))
    with pytest.raises(ContractError, match="body is not JSON") as raised:
        _client(server).request_json("GET", "/x", operation="list")
    assert "maintenance" not in str(raised.value)


def test_an_html_page_where_json_was_due_is_retryable(server):
    page = (200, {"Content-Type": "text/html"}, b"<html>maintenance</html>")
    server.script(page, page, page, page)
    with pytest.raises(RetryableError, match="HTML page") as raised:
        _client(server).request_json("GET", "/x", operation="list")
    assert "maintenance" not in str(raised.value)
    assert len(server.requests) == 4


def test_nothing_listens_is_retryable():
    client = HttpClient("idesk", "http://127.0.0.1:9", policy=FAST)
    with pytest.raises(RetryableError, match="idesk ping: ConnectionError"):
        client.request("GET", "/", operation="ping")


def test_tls_verification_cannot_be_switched_off():
    client = HttpClient("tracking", "https://127.0.0.1:9")
    assert client.session.verify is True
    with_ca = HttpClient("tracking", "https://127.0.0.1:9", ca_bundle="/etc/agency-ca.pem")
    assert with_ca.session.verify == "/etc/agency-ca.pem"


def test_secrets_are_redacted_from_errors_and_every_logger(server, caplog):
    register_secret("s3cr3t-passw0rd")
    caplog.set_level(logging.DEBUG)
    server.script((401, {}, b'{"message": "bad password s3cr3t-passw0rd", "token": "abc123xyz"}'))
    with pytest.raises(AuthError) as error:
        _client(server).request("POST", "/qlvb/api/login", operation="login")
    logging.getLogger("pipelines.anything").error("login failed: %s", error.value)
    logging.getLogger("urllib3.somewhere").warning("Bearer eyJhbGciOi.payload.sig sent")
    try:
        raise ValueError("password=s3cr3t-passw0rd")
    except ValueError:
        logging.getLogger("other").exception("boom")
    everything = str(error.value) + caplog.text
    assert "s3cr3t-passw0rd" not in everything
    assert "abc123xyz" not in everything
    assert "eyJhbGciOi" not in everything
    assert "***" in everything


def test_redaction_of_known_shapes_without_knowing_the_value():
    text = "client_secret=abcdef&grant_type=client_credentials X-Authentication-Token: tok999"
    cleaned = redact(text)
    assert "abcdef" not in cleaned and "tok999" not in cleaned
    assert "grant_type=client_credentials" in cleaned


def test_retry_after_parsing():
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("not a date") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_the_environment_proxy_settings_apply_to_every_request_of_each_origin(server, monkeypatch):
    # Sessions read them once per origin (connectors.http._Session): still honoured, per host.
    for name in ("HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", server.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    server.script(*[(200, {}, b"{}")] * 3)
    proxied = _client(server)
    proxied.base_url = "http://tracking.example.test"
    proxied.request_json("GET", "/a", operation="read")
    proxied.request_json("GET", "/b", operation="read")
    _client(server).request_json("GET", "/c", operation="read")  # NO_PROXY: straight there
    paths = [path for _, path, _ in server.requests]
    assert paths == ["http://tracking.example.test/a", "http://tracking.example.test/b", "/c"]
