"""The simulators answer like real servers: small answers are not held back by Nagle's algorithm."""

from __future__ import annotations

import socket

import requests

from simulators.harness import SimulatorCluster


def _accepted_sockets(cluster: SimulatorCluster, name: str) -> list[socket.socket]:
    server = cluster._threads[name].server
    return [
        protocol.transport.get_extra_info("socket")
        for protocol in server.server_state.connections
        if protocol.transport is not None
    ]


def test_accepted_connections_have_tcp_nodelay(sim: SimulatorCluster) -> None:
    # asyncio sets TCP_NODELAY only when the listening socket says IPPROTO_TCP; without it every
    # small SOAP or JSON answer waits for the client's delayed ACK (about 40 ms on Linux).
    with requests.Session() as session:
        session.get(sim.ioffice_url, timeout=10)
        accepted = _accepted_sockets(sim, "ioffice")
        assert accepted, "the keep-alive connection should still be open"
        for sock in accepted:
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
