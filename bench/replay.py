"""Record the simulators' exact answers once, then replay them at once from a process of their own.

    python -m bench.replay record DIR --documents 5000 --page-size 500
    python -m bench.replay serve DIR [--pages K]      # prints "READY <port>", serves until killed

Why: the simulators build every page from their world on each request and, run in the bench's
process, share its interpreter lock, so a bench against them measures them as much as the
client. The replay server answers each request with bytes recorded beforehand (no world, no
templating), in another process, so what is measured is the client: download, decode,
validate, store.

What is recorded, for ``documents`` documents in the simulated world (speed 0, seed 7):

* REST (iOffice): the login answer and every page of the incoming listing
  (``GET /qlvb/api/van-ban-den/thay-doi?limit=P[&cursor=C]``), keyed by cursor;
* SOAP (iDesk): every ``ListChangedDocuments`` envelope, keyed by the request's ``Cursor``.

``--pages K`` serves only the first K pages of each listing (the K-th without a next cursor):
a smaller world from the same recording, for the memory figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import socket
import sys
from pathlib import Path
from typing import Any

from connectors.soap import service_path

REST_LOGIN = "/qlvb/api/login"
REST_LISTING = "/qlvb/api/van-ban-den/thay-doi"
# Where iDesk answers under its root, from the WSDL as the connector finds it.
SOAP_PATH = service_path("idesk.wsdl")
SOAP_CURSOR = re.compile(rb"<(?:[\w-]+:)?Cursor>([^<]*)</")
SOAP_NEXT_CURSOR = re.compile(rb"<(?:[\w-]+:)?NextCursor>[^<]*</(?:[\w-]+:)?NextCursor>")
SOAP_OPERATION = "ListChangedDocuments"


# -- recording -------------------------------------------------------------------------------


def record(directory: Path, documents: int, page_size: int, seed: int = 7) -> dict[str, Any]:
    """Run the simulators in this process and keep every page they answer, in order."""
    import requests
    from lxml import etree

    from connectors.idesk import IDeskConnector
    from simulators.harness import SimulatorCluster

    directory.mkdir(parents=True, exist_ok=True)
    with SimulatorCluster(size=documents, seed=seed, speed=0.0) as sim:
        session = requests.Session()
        login = session.post(sim.ioffice_url + REST_LOGIN, json=sim.ioffice_credentials, timeout=60)
        token = login.json()["data"]["token"]
        session.headers["X-Authentication-Token"] = token
        rest: list[dict[str, Any]] = []
        params: dict[str, Any] = {"limit": page_size}
        while True:
            answer = session.get(sim.ioffice_url + REST_LISTING, params=params, timeout=120)
            answer.raise_for_status()
            data = answer.json()["data"]
            rest.append({"cursor": params.get("cursor"), "records": len(data["items"])})
            (directory / f"rest-{len(rest):05d}.json").write_bytes(answer.content)
            if not data.get("nextCursor"):
                break
            params = {"limit": page_size, "cursor": data["nextCursor"]}
        (directory / "rest-login.json").write_bytes(login.content)

        connector = IDeskConnector(sim.idesk_url, *sim.idesk_credentials)
        service = connector.soap.service
        soap: list[dict[str, Any]] = []
        arguments: dict[str, Any] = {"PageSize": page_size}
        while True:
            with connector.soap.client.settings(raw_response=True):
                answer = service[SOAP_OPERATION](**arguments)
            answer.raise_for_status()
            root = etree.fromstring(answer.content)
            count = len(root.findall(".//{*}Document"))
            next_cursor = root.findtext(".//{*}NextCursor")
            soap.append({"cursor": arguments.get("Cursor"), "records": count})
            (directory / f"soap-{len(soap):05d}.xml").write_bytes(answer.content)
            if not next_cursor:
                break
            arguments = {"PageSize": page_size, "Cursor": next_cursor}
    index = {"documents": documents, "page_size": page_size, "rest": rest, "soap": soap}
    (directory / "index.json").write_text(json.dumps(index, indent=1))
    return index


def load_index(directory: Path) -> dict[str, Any]:
    return json.loads((directory / "index.json").read_text())


def listed(index: dict[str, Any], kind: str, pages: int | None = None) -> int:
    """Records the replayed listing of ``kind`` (rest, soap) holds, over ``pages`` pages."""
    return sum(page["records"] for page in index[kind][:pages])


# -- serving ---------------------------------------------------------------------------------


class Replay:
    """The recorded answers in memory, looked up by path and cursor."""

    def __init__(self, directory: Path, pages: int | None = None) -> None:
        index = load_index(directory)
        self.login = (directory / "rest-login.json").read_bytes()
        self.rest: dict[str | None, bytes] = {}
        rest_pages = index["rest"][:pages]
        for number, page in enumerate(rest_pages, start=1):
            body = (directory / f"rest-{number:05d}.json").read_bytes()
            if number == len(rest_pages) and pages is not None:
                envelope = json.loads(body)
                envelope["data"]["nextCursor"] = None
                body = json.dumps(envelope, ensure_ascii=False).encode()
            self.rest[page["cursor"]] = body
        self.soap: dict[str | None, bytes] = {}
        soap_pages = index["soap"][:pages]
        for number, page in enumerate(soap_pages, start=1):
            body = (directory / f"soap-{number:05d}.xml").read_bytes()
            if number == len(soap_pages) and pages is not None:
                body = SOAP_NEXT_CURSOR.sub(b"", body)
            self.soap[page["cursor"]] = body

    def answer(self, method: str, path: str, query: bytes, body: bytes) -> tuple[int, str, bytes]:
        if path == REST_LOGIN:
            return 200, "application/json", self.login
        if path == REST_LISTING:
            cursor = None
            for pair in query.decode().split("&"):
                name, _, value = pair.partition("=")
                if name == "cursor":
                    from urllib.parse import unquote_plus

                    cursor = unquote_plus(value)
            page = self.rest.get(cursor)
            if page is not None:
                return 200, "application/json", page
        if path == SOAP_PATH and method == "POST":
            found = SOAP_CURSOR.search(body)
            page = self.soap.get(found.group(1).decode() if found else None)
            if page is not None:
                return 200, "text/xml; charset=utf-8", page
        return 404, "text/plain", b"not recorded"


def asgi_app(replay: Replay):  # type: ignore[no-untyped-def]
    """A bare ASGI app: no framework between the socket and the recorded bytes."""

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        status, kind, payload = replay.answer(
            scope["method"], scope["path"], scope.get("query_string", b""), body
        )
        headers = [
            (b"content-type", kind.encode()),
            (b"content-length", str(len(payload)).encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    return app


def serve(directory: Path, pages: int | None = None) -> None:
    import uvicorn

    replay = Replay(directory, pages)
    # IPPROTO_TCP so asyncio sets TCP_NODELAY (simulators/harness.py says why).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)  # listening before READY: a client may connect before uvicorn accepts
    config = uvicorn.Config(asgi_app(replay), log_level="critical", access_log=False,
                            lifespan="off")  # fmt: skip
    server = uvicorn.Server(config)
    print(f"READY {sock.getsockname()[1]}", flush=True)
    asyncio.run(server.serve(sockets=[sock]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record")
    rec.add_argument("directory", type=Path)
    rec.add_argument("--documents", type=int, default=5000)
    rec.add_argument("--page-size", type=int, default=500)
    srv = sub.add_parser("serve")
    srv.add_argument("directory", type=Path)
    srv.add_argument("--pages", type=int)
    args = parser.parse_args(argv)
    if args.command == "record":
        index = record(args.directory, args.documents, args.page_size)
        print(json.dumps({"rest": listed(index, "rest"), "soap": listed(index, "soap")}))
    else:
        serve(args.directory, args.pages)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
