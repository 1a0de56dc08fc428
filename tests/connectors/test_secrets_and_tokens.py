"""No credential in any encoding, no body in any error; token answers checked field by field;
XML over lxml's limits said clearly (issue 18).

A scripted server on loopback plays what the simulators cannot: a 401 that echoes the login
request (password JSON-escaped, URL-encoded, in Basic auth's base64), a SOAP fault quoting it,
a token endpoint answering with the wrong types, an 11 MB text node.
"""

from __future__ import annotations

import base64
import json
import logging
from urllib.parse import quote, quote_plus

import pytest

from connectors.http import (
    AuthError,
    BadRequestError,
    ContractError,
    FatalError,
    RetryableError,
    RetryPolicy,
    Timeouts,
)
from connectors.idesk import IDeskConnector
from connectors.ioffice import IOfficeConnector
from connectors.soap import SoapClient
from connectors.tracking import LgspToken, TrackingConnector
from tests.connectors.test_http import ScriptedServer

ONCE = RetryPolicy(max_attempts=1)
SHORT = Timeouts(connect_s=2, read_s=5)
USER = "van.thu"
# Every character that changes between encodings: a quote, a backslash, a space, +, /, &, =,
# and a Vietnamese letter (\u1ea1 in ASCII-only JSON).
PASSWORD = 'Mật "khẩu"\\ạ+/&=x 2024'


@pytest.fixture
def server():
    scripted = ScriptedServer()
    yield scripted
    scripted.close()


@pytest.fixture
def debug_everywhere(caplog):
    """DEBUG on for every logger, the transport ones included, as an operator debugging would."""
    caplog.set_level(logging.DEBUG)
    names = ["zeep.transports", "urllib3.connectionpool", "connectors"]
    levels = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield caplog
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def every_form(secret: str, username: str = USER) -> set[str]:
    pair = f"{username}:{secret}"
    forms = {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        json.dumps(json.dumps(secret))[2:-2],  # JSON inside JSON
        json.dumps(json.dumps(json.dumps(secret)))[3:-3],
        quote(secret, safe=""),
        quote_plus(secret),
        base64.b64encode(pair.encode()).decode(),
    }
    return forms


def echo_body(secret: str) -> bytes:
    """A 401 that echoes the request in every encoding a server might use."""
    pair = base64.b64encode(f"{USER}:{secret}".encode()).decode()
    echoed = {
        "error": "invalid credentials",
        "request": json.dumps({"username": USER, "password": secret}),  # JSON inside JSON
        "form": f"username={quote_plus(USER)}&password={quote_plus(secret)}",
        "query": f"?u={USER}&p={quote(secret, safe='')}",
        "authorization": f"Basic {pair}",
        "seen": secret,
    }
    return json.dumps(echoed).encode()  # ASCII-only: \u1ea1, \", \\


def test_a_login_401_echoing_the_password_in_every_encoding_leaks_nothing(server, debug_everywhere):
    caplog = debug_everywhere
    server.script((401, {"Content-Type": "application/json"}, echo_body(PASSWORD)))
    connector = IOfficeConnector(server.url, USER, PASSWORD, policy=ONCE, timeouts=SHORT)
    with pytest.raises(AuthError) as raised:
        connector.login()
    logging.getLogger("pipelines.sync").error("login failed: %s", raised.value)
    logging.getLogger("pipelines.sync").debug("answer: %s", echo_body(PASSWORD).decode())
    # The answer logged as a JSON member once more: the password now three escapes deep.
    logging.getLogger("bridge").debug(json.dumps({"answer": echo_body(PASSWORD).decode()}))
    text = str(raised.value) + "\n" + caplog.text
    for form in every_form(PASSWORD):
        assert form not in text, form
    assert "invalid credentials" not in str(raised.value)  # the body is not quoted at all
    assert str(raised.value).startswith("ioffice login: HTTP 401")


def test_an_lgsp_401_echoing_the_client_secret_leaks_nothing(server, debug_everywhere):
    secret = 'lgsp "s3cret"\\ạ+/&='
    server.script((401, {"Content-Type": "application/json"}, echo_body(secret)))
    token = LgspToken(server.url, USER, secret, policy=ONCE, timeouts=SHORT)
    with pytest.raises(AuthError, match=r"^lgsp token: HTTP 401") as raised:
        token.fetch()
    logging.getLogger("bridge").warning("%s / %s", raised.value, echo_body(secret).decode())
    text = str(raised.value) + "\n" + debug_everywhere.text
    for form in every_form(secret):
        assert form not in text, form


def soap_fault(message: str) -> bytes:
    from xml.sax.saxutils import escape

    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        f"<soap:Fault><faultcode>soap:Client</faultcode><faultstring>{escape(message)}"
        "</faultstring></soap:Fault></soap:Body></soap:Envelope>"
    ).encode()


def test_a_soap_fault_quoting_the_basic_auth_credentials_leaks_nothing(server, debug_everywhere):
    pair = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    fault = soap_fault(f"user {USER} with password {PASSWORD} (Authorization: Basic {pair})")
    server.script((500, {"Content-Type": "text/xml; charset=utf-8"}, fault))
    connector = IDeskConnector(server.url, USER, PASSWORD, policy=ONCE, timeouts=SHORT)
    with pytest.raises(BadRequestError, match=r"^idesk GetDocument \(record 7\): SOAP fault") as e:
        connector.get("7")
    logging.getLogger("bridge").error("%s", e.value)
    text = str(e.value) + "\n" + debug_everywhere.text
    for form in every_form(PASSWORD):
        assert form not in text, form
    assert "Authorization" in server.requests[0][2]  # Basic auth was really sent


def test_zeep_at_debug_writes_no_soap_page(server, debug_everywhere):
    page = (
        '<?xml version="1.0" encoding="utf-8"?><soap:Envelope '
        'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        '<t:ListChangedTasksResponse xmlns:t="urn:tdnv:nhiemvu:1.0"><t:Task>'
        "<t:TaskId>NV1</t:TaskId><t:Title>Báo cáo tình hình mật số 42</t:Title></t:Task>"
        "</t:ListChangedTasksResponse></soap:Body></soap:Envelope>"
    ).encode()
    server.script((200, {"Content-Type": "text/xml; charset=utf-8"}, page))
    connector = TrackingConnector(server.url, policy=ONCE, timeouts=SHORT)
    pages = list(connector.list_changed())
    assert pages[0].records[0]["Title"] == "Báo cáo tình hình mật số 42"
    assert "Báo cáo" not in debug_everywhere.text and "NV1" not in debug_everywhere.text


# --- token answers -----------------------------------------------------------------------


def envelope(data: object) -> bytes:
    return json.dumps({"status": {"code": "0", "message": "OK"}, "data": data}).encode()


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        ({"token": 123}, "'token' is a number, expected non-empty text"),
        ({"token": ""}, "'token' is empty text"),
        ({"token": ["a"]}, "'token' is a list"),
        ({"expiresIn": 3600}, "the answer has no 'token'"),
        ("tok-en-as-text", "the answer is text, not an object"),
    ],
)
def test_an_ioffice_login_answer_of_the_wrong_shape_is_a_fatal_error_naming_the_field(
    server, answer, says
):
    server.script((200, {"Content-Type": "application/json"}, envelope(answer)))
    connector = IOfficeConnector(server.url, USER, PASSWORD, policy=ONCE, timeouts=SHORT)
    with pytest.raises(ContractError, match=rf"^ioffice login: {says}") as raised:
        connector.login()
    assert isinstance(raised.value, FatalError)
    assert "tok-en-as-text" not in str(raised.value)


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        ({"access_token": 123, "token_type": "Bearer"}, "'access_token' is a number"),
        ({"token_type": "Bearer", "expires_in": 3600}, "the answer has no 'access_token'"),
        ({"access_token": "abcd-efgh-1234", "expires_in": "3600"}, "'expires_in' is text"),
        ({"access_token": None}, "'access_token' is null"),
        ([1, 2], "the answer is a list, not an object"),
    ],
)
def test_an_lgsp_token_answer_of_the_wrong_shape_is_a_fatal_error_naming_the_field(
    server, answer, says
):
    server.script((200, {"Content-Type": "application/json"}, json.dumps(answer).encode()))
    token = LgspToken(server.url, USER, PASSWORD, policy=ONCE, timeouts=SHORT)
    with pytest.raises(ContractError, match=rf"^lgsp token: {says}") as raised:
        token.fetch()
    assert "abcd-efgh-1234" not in str(raised.value)


def test_a_well_formed_lgsp_token_is_taken(server):
    body = {"access_token": "abcd-efgh-1234", "token_type": "Bearer", "expires_in": 3600}
    server.script((200, {"Content-Type": "application/json"}, json.dumps(body).encode()))
    assert LgspToken(server.url, USER, PASSWORD, policy=ONCE).fetch() == "abcd-efgh-1234"


# --- XML over lxml's limits --------------------------------------------------------------


def listing_page(inner: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><soap:Envelope '
        'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        f'<t:ListChangedTasksResponse xmlns:t="urn:tdnv:nhiemvu:1.0">{inner}'
        "</t:ListChangedTasksResponse></soap:Body></soap:Envelope>"
    ).encode()


GOOD_TASK = "<t:Task><t:TaskId>NV2</t:TaskId><t:Title>Báo cáo quý</t:Title></t:Task>"


def test_a_record_with_an_11_mb_text_is_a_bad_record_and_the_page_goes_on(server):
    huge = "Nội dung rất dài " * (11 * 1024 * 1024 // 17)
    server.script((200, {"Content-Type": "text/xml"}, listing_page(
        f"<t:Task><t:TaskId>NV1</t:TaskId><t:Title>{huge}</t:Title></t:Task>{GOOD_TASK}"
    )))  # fmt: skip
    connector = TrackingConnector(server.url, policy=ONCE, timeouts=SHORT)
    (page,) = list(connector.list_changed())
    bad, good = page.records
    assert bad.source_id == "NV1" and "in <Title>, over the limit of 10,485,760" in bad.reason
    assert "Nội dung" not in bad.reason and len(bad.raw) <= 2000
    assert good == {"TaskId": "NV2", "Title": "Báo cáo quý"}


def test_a_record_nested_300_levels_is_a_bad_record_and_the_page_goes_on(server):
    deep = "<t:x>" * 300 + "bí mật" + "</t:x>" * 300
    server.script((200, {"Content-Type": "text/xml"}, listing_page(
        f"<t:Task><t:TaskId>NV1</t:TaskId>{deep}</t:Task>{GOOD_TASK}"
    )))  # fmt: skip
    connector = TrackingConnector(server.url, policy=ONCE, timeouts=SHORT)
    (page,) = list(connector.list_changed())
    bad, good = page.records
    assert bad.reason == "record has elements nested deeper than 256 levels"
    assert good["TaskId"] == "NV2"


def test_over_the_limits_outside_a_listing_is_a_clear_error_without_the_text(server):
    huge = "Nội dung rất dài " * (11 * 1024 * 1024 // 17)
    server.script((200, {"Content-Type": "text/xml"}, listing_page(
        f"<t:Task><t:TaskId>NV1</t:TaskId><t:Title>{huge}</t:Title></t:Task>"
    )))  # fmt: skip
    client = SoapClient("tracking", "tracking.wsdl", server.url, policy=ONCE, timeouts=SHORT)
    with pytest.raises(ContractError, match=r"a text node is longer than .* 10 MB") as raised:
        client.call_raw("ListChangedTasks", PageSize=1)
    assert "Nội dung" not in str(raised.value) and len(str(raised.value)) < 300


def test_a_syntax_error_does_not_quote_the_body(server):
    bad = listing_page("<t:Task><t:TaskId a='Số 12/BC-UBND mật'>NV1</t:Task>")
    server.script((200, {"Content-Type": "text/xml"}, bad))
    client = SoapClient("tracking", "tracking.wsdl", server.url, policy=ONCE, timeouts=SHORT)
    with pytest.raises(ContractError, match="not well-formed XML") as raised:
        client.call_raw("ListChangedTasks", PageSize=1)
    assert "12/BC-UBND" not in str(raised.value)


# --- answers of the wrong kind to a write ------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "body", "kind"),
    [
        ("application/json", b'{"ok": true, "message": "Ghi nhan tien do"}', "JSON"),
        ("text/xml", b"", "an empty answer"),
        ("text/html", b"<html><body>Ghi nhan tien do</body></html>", "an HTML page"),
    ],
)
def test_a_200_of_the_wrong_kind_to_a_soap_write_is_retryable_and_quotes_nothing(
    server, content_type, body, kind
):
    from datetime import UTC, datetime

    server.script(*[(200, {"Content-Type": content_type}, body)] * 2)
    connector = TrackingConnector(server.url, policy=RetryPolicy(max_attempts=2,
                                  backoff_initial_s=0.01), timeouts=SHORT)  # fmt: skip
    with pytest.raises(RetryableError, match=rf"^tracking ReportProgress \(record NV1\): "
                       rf"answered with {kind} ") as raised:  # fmt: skip
        connector.report_progress("NV1", "key-1", "Đang làm", 10, datetime(2024, 2, 1, tzinfo=UTC))
    assert "Ghi nhan" not in str(raised.value)
    assert len(server.requests) == 2  # retried in-line: the write carries its idempotency key


def test_markup_where_json_was_due_is_retryable(server):
    page = (200, {"Content-Type": "application/json"}, b"<error>maintenance</error>")
    server.script(page)
    connector = IOfficeConnector(server.url, USER, PASSWORD, policy=ONCE, timeouts=SHORT)
    with pytest.raises(RetryableError, match="answered with markup") as raised:
        connector.login()
    assert "maintenance" not in str(raised.value)


def test_only_the_newest_tokens_are_kept_and_credentials_for_good():
    from connectors.redaction import SecretRegistry

    registry = SecretRegistry(keep_temporary=3)
    registry.add("permanent-password")
    for n in range(10):
        registry.add(f"token-number-{n:04d}", temporary=True)
    text = "permanent-password token-number-0000 token-number-0009 token-number-0007"
    assert registry.redact(text) == "*** token-number-0000 *** ***"
