"""Simulator clusters on loopback and small helpers to talk to them with requests and lxml."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from lxml import etree

from simulators.harness import SimulatorCluster

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
TDNV = "urn:tdnv:nhiemvu:1.0"
IDESK = "urn:idesk:vanban:1.0"


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorCluster]:
    """One small world per test module; tests that write pick records nobody else touches."""
    with SimulatorCluster(size=300, seed=11) as cluster:
        yield cluster


@pytest.fixture(autouse=True)
def _no_faults_leak(request) -> Iterator[None]:
    yield
    if "sim" in request.fixturenames:
        request.getfixturevalue("sim").clear_faults()


class IOffice:
    """A bare-hands iOffice client: login once, then GETs and POSTs with the token."""

    def __init__(self, sim: SimulatorCluster) -> None:
        self.base = sim.ioffice_url
        self.credentials = sim.ioffice_credentials
        self.token = self.login()

    def login(self) -> str:
        answer = requests.post(f"{self.base}/qlvb/api/login", json=self.credentials, timeout=10)
        answer.raise_for_status()
        return answer.json()["data"]["token"]

    def get(self, path: str, **params) -> requests.Response:
        return requests.get(
            f"{self.base}{path}",
            params=params,
            headers={"X-Authentication-Token": self.token},
            timeout=10,
        )

    def post(self, path: str, body: dict) -> requests.Response:
        return requests.post(
            f"{self.base}{path}",
            json=body,
            headers={"X-Authentication-Token": self.token},
            timeout=10,
        )

    def list_all(self, stream: str, marker: str | None = None, limit: int = 50) -> list[dict]:
        items: list[dict] = []
        cursor = None
        while True:
            params = {"limit": limit}
            if marker:
                params["tuNgay"] = marker
            if cursor:
                params["cursor"] = cursor
            answer = self.get(f"/qlvb/api/{stream}/thay-doi", **params)
            assert answer.status_code == 200, answer.text
            data = answer.json()["data"]
            items.extend(data["items"])
            cursor = data["nextCursor"]
            if cursor is None:
                return items


def soap_body(namespace: str, operation: str, **fields) -> bytes:
    """A document/literal request; nested dicts become nested elements, in the given order."""
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    body = etree.SubElement(env, f"{{{SOAP_ENV}}}Body")
    request = etree.SubElement(body, f"{{{namespace}}}{operation}", nsmap={None: namespace})

    def fill(parent, values: dict) -> None:
        for name, value in values.items():
            if value is None:
                continue
            child = etree.SubElement(parent, f"{{{namespace}}}{name}")
            if isinstance(value, dict):
                fill(child, value)
            else:
                child.text = str(value)

    fill(request, fields)
    return etree.tostring(env, xml_declaration=True, encoding="utf-8")


class Tracking:
    """A bare-hands tracking client: LGSP token, then SOAP posts parsed with lxml."""

    def __init__(self, sim: SimulatorCluster) -> None:
        self.sim = sim
        self.token = self.fetch_token()

    def fetch_token(self) -> str:
        answer = requests.post(
            self.sim.token_url,
            data={"grant_type": "client_credentials", **self.sim.tracking_credentials},
            timeout=10,
        )
        answer.raise_for_status()
        return answer.json()["access_token"]

    def post(self, operation: str, **fields) -> requests.Response:
        return requests.post(
            self.sim.tracking_endpoint,
            data=soap_body(TDNV, operation, **fields),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "text/xml"},
            timeout=10,
        )

    def call(self, operation: str, **fields) -> etree._Element:
        answer = self.post(operation, **fields)
        assert answer.status_code == 200, answer.text
        return etree.fromstring(answer.content)[0][0]

    def list_all(self, marker: str | None = None, page_size: int = 50) -> list[etree._Element]:
        tasks: list[etree._Element] = []
        cursor = None
        while True:
            page = self.call(
                "ListChangedTasksRequest", Marker=marker, Cursor=cursor, PageSize=page_size
            )
            tasks.extend(page.findall(f"{{{TDNV}}}Task"))
            cursor = page.findtext(f"{{{TDNV}}}NextCursor")
            if cursor is None:
                return tasks


def fault_of(answer: requests.Response) -> tuple[str, str]:
    fault = etree.fromstring(answer.content).find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
    assert fault is not None, answer.text
    return fault.findtext("faultcode"), fault.findtext("detail/*") or ""
