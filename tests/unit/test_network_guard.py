"""The suite refuses any connection or name lookup outside loopback."""

from __future__ import annotations

import socket

import pytest
import requests

from tests.conftest import NonLoopbackConnectionRefused


@pytest.mark.parametrize("address", [("203.0.113.7", 443), ("10.0.0.1", 5432), ("8.8.8.8", 53)])
def test_connections_off_this_machine_are_refused(address):
    with socket.socket() as sock, pytest.raises(NonLoopbackConnectionRefused):
        sock.connect(address)


def test_name_lookups_are_refused_and_requests_cannot_reach_out():
    with pytest.raises(NonLoopbackConnectionRefused):
        socket.getaddrinfo("ioffice.example.vn", 443)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get("https://ioffice.example.vn/qlvb/api/login", timeout=2)


def test_loopback_is_allowed():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
