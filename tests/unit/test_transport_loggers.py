"""zeep's and urllib3's transport loggers never write DEBUG records (docs/secrecy.md): at DEBUG
zeep.transports writes whole SOAP pages, secret documents included."""

from __future__ import annotations

import logging

from connectors.redaction import TRANSPORT_LOGGERS


def test_transport_loggers_stay_at_info_even_when_everything_else_is_at_debug(caplog):
    caplog.set_level(logging.DEBUG)
    for name in TRANSPORT_LOGGERS:
        logger = logging.getLogger(name)
        logger.debug("SOAP page %s", "TUYỆT MẬT - V/v ...")
        logging.getLogger(name).setLevel(logging.DEBUG)  # lowered by someone later: still capped
        logger.debug("SOAP page %s", "TUYỆT MẬT - V/v ...")
        logger.info("%s: request sent", name)
        logger.setLevel(logging.INFO)
    logging.getLogger("bridge.anything").debug("ours still at DEBUG")
    assert "MẬT" not in caplog.text
    assert [r.levelno for r in caplog.records if r.name in TRANSPORT_LOGGERS] == [
        logging.INFO
    ] * len(TRANSPORT_LOGGERS)
    assert "ours still at DEBUG" in caplog.text
