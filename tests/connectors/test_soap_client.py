"""SOAP clients share one parsed WSDL per process (connectors/soap.py), yet each call goes
through its own client's session, address and limits."""

from __future__ import annotations

import pytest

from connectors.http import FatalError, RetryPolicy, Timeouts
from connectors.soap import SoapClient
from tests.connectors.test_http import ScriptedServer

ONCE = RetryPolicy(max_attempts=1)
SHORT = Timeouts(connect_s=2, read_s=5)


def _page(task_id: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><soap:Envelope '
        'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        '<t:ListChangedTasksResponse xmlns:t="urn:tdnv:nhiemvu:1.0">'
        f"<t:Task><t:TaskId>{task_id}</t:TaskId></t:Task>"
        "</t:ListChangedTasksResponse></soap:Body></soap:Envelope>"
    ).encode()


def test_two_clients_share_the_parsed_wsdl_and_each_calls_its_own_server():
    first, second = ScriptedServer(), ScriptedServer()
    try:
        first.script((200, {"Content-Type": "text/xml"}, _page("NV1")))
        second.script((200, {"Content-Type": "text/xml"}, _page("NV2")))
        a = SoapClient("tracking", "tracking.wsdl", first.url, policy=ONCE, timeouts=SHORT)
        b = SoapClient("tracking", "tracking.wsdl", second.url, policy=ONCE, timeouts=SHORT)
        assert a.client.wsdl is b.client.wsdl  # parsed once
        assert b.client.transport is b.transport and b.transport.session is b.session
        assert b"NV2" in _raw_body(b.call_raw("ListChangedTasks", PageSize=1))
        assert b"NV1" in _raw_body(a.call_raw("ListChangedTasks", PageSize=1))
        assert len(first.requests) == len(second.requests) == 1
    finally:
        first.close()
        second.close()


def test_a_missing_wsdl_is_a_fatal_error_naming_the_file():
    with pytest.raises(FatalError, match=r"load WSDL.*no-such\.wsdl"):
        SoapClient("tracking", "no-such.wsdl", "http://127.0.0.1:9/", policy=ONCE)


def _raw_body(answer) -> bytes:  # type: ignore[no-untyped-def]
    from lxml import etree

    return etree.tostring(answer)
