"""Simulated iOffice, iDesk and task-tracking servers with a clock, ground truth and faults.

Imports nothing of the bridge. Start with `python -m simulators` or, in tests,
`simulators.harness.SimulatorCluster`; the contract is in docs/simulators.md.
"""
