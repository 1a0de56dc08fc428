"""Hostile SOAP responses are refused: entity expansion ("billion laughs") and external entities.

The simulators never send these, so this is the place for `responses`: it hands the SOAP
client exactly the bytes an attacker or a broken gateway would, through the real zeep and lxml
code paths.
"""

from __future__ import annotations

import pytest
import responses

from connectors.http import ContractError, RetryPolicy
from connectors.soap import SoapClient, parse_xml_safely

ADDRESS = "http://127.0.0.1:9/tdnv/services/NhiemVuService"
NO_RETRY = RetryPolicy(max_attempts=1)

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Body><t:GetTaskResponse xmlns:t="urn:tdnv:nhiemvu:1.0">
    <t:Task><t:TaskId>&lol4;</t:TaskId></t:Task>
  </t:GetTaskResponse></soap:Body>
</soap:Envelope>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE foo [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Body><t:GetTaskResponse xmlns:t="urn:tdnv:nhiemvu:1.0">
    <t:Task><t:TaskId>&xxe;</t:TaskId></t:Task>
  </t:GetTaskResponse></soap:Body>
</soap:Envelope>"""


@pytest.fixture
def client() -> SoapClient:
    return SoapClient("tracking", "tracking.wsdl", ADDRESS, policy=NO_RETRY)


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "xxe"])
@responses.activate
def test_zeep_refuses_hostile_responses(client, body):
    responses.post(ADDRESS, body=body, content_type="text/xml")
    with pytest.raises(ContractError, match=r"^tracking GetTask \(record NV1\): response refused"):
        client.call("GetTask", record="NV1", TaskId="NV1")


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "xxe"])
@responses.activate
def test_the_bulk_lxml_path_refuses_hostile_responses(client, body):
    responses.post(ADDRESS, body=body, content_type="text/xml")
    with pytest.raises(ContractError, match="DTD or entity; refused"):
        next(client.list_changed("ListChangedTasks", "Task", "TaskId"))


def test_the_safe_parser_never_expands_or_fetches():
    with pytest.raises(ContractError):
        parse_xml_safely(EXTERNAL_ENTITY, system="tracking", operation="test")
    root = parse_xml_safely(b"<a><b>1</b></a>", system="tracking", operation="test")
    assert root.findtext("b") == "1"
