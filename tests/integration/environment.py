"""The environment a `bridge` process needs to reach a running SimulatorCluster."""

from __future__ import annotations

from simulators.harness import SimulatorCluster


def bridge_env(sim: SimulatorCluster, **more: str) -> dict[str, str]:
    """BRIDGE_* variables naming every simulator (its root as base_url) and its
    (simulator-only) credentials: what `bridge simulate` prints."""
    return {**sim.bridge_environment(), **more}
