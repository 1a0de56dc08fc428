"""The registry: each packaged system declared once, its declaration consistent with its
connector and its mapping files, and everything that lists systems taking them from it."""

from __future__ import annotations

import typing

import pytest

import cli
import flows
from bridge.settings import BridgeSettings, load_settings
from connectors import registry
from connectors.base import Connector
from pipelines import push, sync

OPERATIONS = {"report_completion", "report_progress", "request_extension",
              "set_processing_deadline"}  # fmt: skip


@pytest.mark.parametrize("spec", registry.specs(), ids=lambda spec: spec.name)
def test_each_declaration_agrees_with_its_connector_and_its_mapping_files(spec):
    connector = spec.connector
    assert connector.system == spec.name
    assert all(hasattr(connector, name) for name in ("check", "list_changed", "read_one"))
    assert connector.wire_format in ("json", "xml")
    declared = connector.capabilities
    assert declared.writes <= OPERATIONS
    assert all(callable(getattr(connector, operation, None)) for operation in declared.writes)
    assert declared.read_one <= set(connector.streams)
    for operation, check in declared.read_back.items():
        assert operation in declared.writes and check.stream in declared.read_one
    # Its streams are its mapping files, and it can list every one of them.
    streams = sync.Catalog.load().streams_of(spec.name)
    assert streams and set(streams) <= set(connector.streams)
    assert spec.name in BridgeSettings.model_fields
    assert isinstance(getattr(load_settings(), spec.name), spec.settings_model)


def test_one_tracking_system_and_the_rest_hold_documents():
    assert registry.tracking_system() == "tracking"
    assert set(registry.document_systems()) == set(registry.names()) - {"tracking"}


def test_the_flows_the_cli_and_push_list_the_registered_systems():
    assert set(typing.get_args(flows.SystemName)) == set(registry.names())
    assert all(flows.SYSTEM_LABELS[name] == registry.label(name) for name in registry.names())
    parser = cli.build_parser()
    for name in registry.names():
        assert parser.parse_args(["resync", "--system", name]).system == name
    with pytest.raises(SystemExit):
        parser.parse_args(["resync", "--system", "nonesuch"])
    for name in registry.names():
        assert push.describe("set_processing_deadline", name, {}).startswith(
            f"[{registry.label(name)}]"
        )


def test_a_connector_that_cannot_read_one_stream_says_so():
    spec = next(
        s for s in registry.specs() if set(s.connector.streams) - s.connector.capabilities.read_one
    )
    connector = object.__new__(spec.connector)  # no connection needed: refused before any call
    stream = sorted(set(spec.connector.streams) - spec.connector.capabilities.read_one)[0]
    with pytest.raises(ValueError, match="single records"):
        sync.fetch_one(connector, stream, "1")


def test_connector_classes_fulfil_the_protocol():
    for spec in registry.specs():
        assert isinstance(object.__new__(spec.connector), Connector)
