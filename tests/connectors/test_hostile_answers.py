"""Hostile answers, over real HTTP from the simulators (issue 18): every one is bounded and ends
in a clear error naming system, operation and page, with no byte of the body in its text.

Huge, slow, HTML, mislabelled and invalid UTF-8 bodies for the REST connector, the SOAP bulk
listings (lxml) and the zeep calls (single reads and writes); deeply nested JSON costs one
record, not the page.
"""

from __future__ import annotations

import pytest

from connectors.bodies import CHUNK_BYTES, MB
from connectors.http import (
    BadRecord,
    BodyLimits,
    BodyTooLarge,
    ContractError,
    RetryableError,
    RetryPolicy,
    Timeouts,
)
from connectors.idesk import IDeskConnector
from connectors.ioffice import IOfficeConnector
from connectors.tracking import LgspToken, TrackingConnector
from simulators.faults import GATEWAY_PAGE
from simulators.harness import SimulatorCluster

ONCE = RetryPolicy(max_attempts=1)
SHORT = Timeouts(connect_s=2, read_s=5)
SMALL = BodyLimits(max_bytes=1 * MB, deadline_s=30)


@pytest.fixture(scope="module")
def sim():
    with SimulatorCluster(size=60, seed=5) as cluster:
        record_texts(cluster)
        yield cluster


@pytest.fixture(autouse=True)
def _no_faults_left_over(sim):
    sim.clear_faults()
    yield
    sim.clear_faults()


def ioffice(sim, limits: BodyLimits = SMALL) -> IOfficeConnector:
    connector = IOfficeConnector(
        sim.ioffice_url, **sim.ioffice_credentials, policy=ONCE, timeouts=SHORT, limits=limits,
        page_size=20,
    )  # fmt: skip
    connector.login()  # before the fault is set: the fault is for the page
    return connector


def idesk(sim, limits: BodyLimits = SMALL) -> IDeskConnector:
    return IDeskConnector(sim.idesk_url, *sim.idesk_credentials, policy=ONCE, timeouts=SHORT,
                          limits=limits, page_size=20)  # fmt: skip


def tracking(sim, limits: BodyLimits = SMALL) -> TrackingConnector:
    token = LgspToken(sim.token_url, **sim.tracking_credentials, policy=ONCE, timeouts=SHORT,
                      limits=limits)  # fmt: skip
    connector = TrackingConnector(sim.tracking_url, token=token, policy=ONCE, timeouts=SHORT,
                                  limits=limits, page_size=20)  # fmt: skip
    connector.soap._authenticate()  # the bearer first: faults below are for the calls
    connector.soap._authenticated = True
    return connector


def first_task_id(sim) -> str:
    return next(iter(sim.ground_truth("tasks")))["id"]


def record_texts(sim) -> list[str]:
    """Text of the records the simulators send (abstracts, titles, numbers): none may appear
    in an error. Read once, without faults, through the connectors themselves."""
    if not hasattr(sim, "record_texts"):
        pages = listing(ioffice(sim, BodyLimits())) + listing(tracking(sim, BodyLimits()))
        texts = [t for page in pages for r in page.records if isinstance(r, dict)
                 for t in _strings(r)]  # fmt: skip
        assert len(texts) > 50
        sim.record_texts = texts
    return sim.record_texts


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value] if len(value) >= 12 else []
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def assert_clean(error: Exception, sim, *also: bytes | str) -> None:
    text = str(error)
    for secret in (sim.ioffice_credentials["password"], sim.idesk_credentials[1],
                   sim.tracking_credentials["client_secret"]):  # fmt: skip
        assert secret not in text
    for fragment in record_texts(sim):
        assert fragment not in text
    for fragment in also:
        assert (fragment.decode() if isinstance(fragment, bytes) else fragment) not in text


def listing(connector, stream: str = "incoming") -> list:
    if isinstance(connector, TrackingConnector):
        return list(connector.list_changed())
    return list(connector.list_changed(stream))


# --- size --------------------------------------------------------------------------------


@pytest.mark.parametrize("system", ["ioffice", "idesk", "tracking"])
def test_a_huge_chunked_page_is_cut_at_the_limit_plus_one_chunk(sim, system):
    connector = {"ioffice": ioffice, "idesk": idesk, "tracking": tracking}[system](sim)
    sim.set_faults(system, huge_body={"next": 1, "mb": 40})
    with pytest.raises(BodyTooLarge) as raised:
        listing(connector)
    error = raised.value
    assert error.system == system and error.page == "page 1"
    # Memory stays bounded: the client read no more than the limit and one chunk of 40 MB.
    assert SMALL.max_bytes < error.bytes_read <= SMALL.max_bytes + CHUNK_BYTES
    assert "1.0 MB" in str(error) and "max_body_mb" in str(error)
    assert_clean(error, sim)


def test_a_declared_length_over_the_limit_is_refused_before_reading(sim):
    connector = ioffice(sim)
    sim.set_faults("ioffice", huge_body={"next": 1, "mb": 40, "declare": 1})
    expected = r"ioffice list incoming \(page 1\): answer declares"
    with pytest.raises(BodyTooLarge, match=expected) as raised:
        listing(connector)
    assert raised.value.bytes_read == 0


def test_a_huge_answer_to_a_soap_write_is_bounded_too(sim):
    connector = tracking(sim)
    sim.set_faults("tracking", huge_body={"next": 1, "mb": 40})
    from datetime import UTC, datetime

    with pytest.raises(BodyTooLarge) as raised:
        connector.report_progress(first_task_id(sim), "key-huge-1", "Đang xử lý", 10,
                                  datetime(2024, 2, 1, 3, tzinfo=UTC))  # fmt: skip
    assert raised.value.operation == "ReportProgress"
    assert raised.value.bytes_read <= SMALL.max_bytes + CHUNK_BYTES


# --- time --------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("system", ["ioffice", "tracking"])
def test_a_body_sent_a_byte_a_second_ends_at_the_total_deadline(sim, system):
    limits = BodyLimits(max_bytes=SMALL.max_bytes, deadline_s=2.5)
    connector = ioffice(sim, limits) if system == "ioffice" else tracking(sim, limits)
    sim.set_faults(system, slow_body={"next": 1, "bytes_per_s": 1})
    with pytest.raises(RetryableError, match=r"deadline of 2\.5 s") as raised:
        listing(connector)
    # Each byte came within the 5 s read timeout: only the total deadline could stop it.
    assert raised.value.system == system
    assert_clean(raised.value, sim)


def test_a_slow_answer_to_a_zeep_call_ends_at_the_deadline(sim):
    connector = tracking(sim, BodyLimits(deadline_s=1.5))
    sim.set_faults("tracking", slow_body={"next": 1, "bytes_per_s": 2})
    with pytest.raises(RetryableError, match=r"tracking GetTask \(record .*deadline of 1.5 s"):
        connector.get_task(first_task_id(sim))


# --- kind and encoding -------------------------------------------------------------------


@pytest.mark.parametrize("system", ["ioffice", "idesk", "tracking"])
def test_an_html_gateway_page_is_a_retryable_error_saying_so(sim, system):
    connector = {"ioffice": ioffice, "idesk": idesk, "tracking": tracking}[system](sim)
    sim.set_faults(system, html_body={"next": 1})
    with pytest.raises(RetryableError, match="HTML page") as raised:
        listing(connector)
    assert raised.value.system == system and raised.value.page == "page 1"
    assert_clean(raised.value, sim, "Bad Gateway", "upstream")
    assert str(len(GATEWAY_PAGE)) in str(raised.value)


def test_an_html_page_answering_a_soap_write_is_retryable(sim):
    from datetime import UTC, datetime

    connector = tracking(sim)
    sim.set_faults("tracking", html_body={"next": 1})
    with pytest.raises(RetryableError, match=r"tracking ReportProgress .*HTML page"):
        connector.report_progress(first_task_id(sim), "key-html-1", "Đang xử lý", 10,
                                  datetime(2024, 2, 1, 3, tzinfo=UTC))  # fmt: skip


def test_json_labelled_text_html_is_read_as_utf8(sim):
    connector = ioffice(sim, BodyLimits())
    expected = listing(connector)
    sim.set_faults("ioffice", mislabelled={"rate": 1.0})
    assert listing(connector) == expected
    assert any(not text.isascii() for page in expected for r in page.records
               for text in r.values() if isinstance(text, str))  # fmt: skip


@pytest.mark.parametrize("system", ["ioffice", "idesk", "tracking"])
def test_invalid_utf8_is_a_clear_error_naming_the_page_and_byte(sim, system):
    connector = {"ioffice": ioffice, "idesk": idesk, "tracking": tracking}[system](sim)
    sim.set_faults(system, invalid_utf8={"next": 1})
    with pytest.raises(ContractError, match=r"not valid UTF-8 \(byte \d+ of \d+\)") as raised:
        listing(connector)
    assert raised.value.page == "page 1"
    assert_clean(raised.value, sim)


# --- depth -------------------------------------------------------------------------------


def test_one_record_nested_1200_levels_is_a_bad_record_and_the_page_goes_on(sim):
    connector = ioffice(sim, BodyLimits())
    expected = listing(connector)
    sim.set_faults("ioffice", deep_nesting={"next": 1, "levels": 1200})
    pages = listing(connector)
    first = pages[0].records
    assert isinstance(first[0], BadRecord) and "nested deeper" in first[0].reason
    assert first[0].source_id == str(expected[0].records[0]["id"])
    assert first[1:] == list(expected[0].records[1:])
    assert [p.records for p in pages[1:]] == [p.records for p in expected[1:]]


def test_nesting_just_past_the_limit_costs_the_record_too(sim):
    connector = ioffice(sim, BodyLimits(max_json_depth=64))
    sim.set_faults("ioffice", deep_nesting={"next": 1, "levels": 70})
    records = listing(connector)[0].records
    assert isinstance(records[0], BadRecord)
    assert all(isinstance(r, dict) for r in records[1:])


# --- headers sent a byte at a time (the simulators' ASGI servers cannot do this) -----------


class TricklingServer:
    """A raw socket server that sends its status line and headers a byte every 0.2 s: each
    byte well within the read timeout, the whole far beyond any deadline."""

    def __init__(self) -> None:
        import socket
        import threading

        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        import contextlib
        import time

        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn, contextlib.suppress(OSError):
                conn.recv(65536)
                for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" * 20:
                    if self.stop.is_set():
                        return
                    conn.sendall(bytes([byte]))
                    time.sleep(0.2)

    def close(self) -> None:
        self.stop.set()
        self.listener.close()


@pytest.mark.parametrize("kind", ["rest", "soap"])
def test_headers_sent_a_byte_at_a_time_end_at_the_total_deadline(kind):
    server = TricklingServer()
    limits = BodyLimits(deadline_s=1.5)
    try:
        if kind == "rest":
            connector = IOfficeConnector(server.url, "u", "password-x", policy=ONCE,
                                         timeouts=SHORT, limits=limits)  # fmt: skip
            call, expected = connector.login, r"^ioffice login: answer not complete"
        else:
            connector = TrackingConnector(server.url, policy=ONCE, timeouts=SHORT, limits=limits)
            call = lambda: connector.get_task("NV1")  # noqa: E731
            expected = r"^tracking GetTask \(record NV1\): answer not complete"
        with pytest.raises(RetryableError, match=expected) as raised:
            call()
        assert "deadline of 1.5 s" in str(raised.value)
    finally:
        server.close()


def test_a_garbage_status_line_is_not_quoted():
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))

    def answer() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall("Số 12/BC-UBND mật: not HTTP at all\r\n\r\n".encode())

    threading.Thread(target=answer, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        connector = IOfficeConnector(url, "u", "password-x", policy=ONCE, timeouts=SHORT)
        with pytest.raises(RetryableError, match=r"^ioffice login: ConnectionError") as raised:
            connector.login()
        assert "BadStatusLine(…)" in str(raised.value)
        assert "12/BC-UBND" not in str(raised.value)
    finally:
        listener.close()
