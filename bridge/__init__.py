"""The process wiring of the e-office bridge: settings, `bridge serve` and the demo.

The product itself sits at the repository root (connectors, pipelines, mappings, schemas,
store, reports, flows.py, cli.py): see docs/architecture.md.
"""
