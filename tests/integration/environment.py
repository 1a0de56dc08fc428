"""The environment a `bridge` process needs to reach a running SimulatorCluster."""

from __future__ import annotations

from simulators.harness import SimulatorCluster


def bridge_env(sim: SimulatorCluster, **more: str) -> dict[str, str]:
    """BRIDGE_* variables naming every simulator and its (simulator-only) credentials."""
    return {
        "BRIDGE_IOFFICE__BASE_URL": sim.ioffice_url,
        "BRIDGE_IOFFICE__USERNAME": sim.ioffice_credentials["username"],
        "BRIDGE_IOFFICE__PASSWORD": sim.ioffice_credentials["password"],
        "BRIDGE_IDESK__BASE_URL": sim.idesk_url,
        "BRIDGE_IDESK__USERNAME": sim.idesk_credentials[0],
        "BRIDGE_IDESK__PASSWORD": sim.idesk_credentials[1],
        "BRIDGE_TRACKING__BASE_URL": sim.tracking_url,
        "BRIDGE_TRACKING__TOKEN_URL": sim.token_url,
        "BRIDGE_TRACKING__CLIENT_ID": sim.tracking_credentials["client_id"],
        "BRIDGE_TRACKING__CLIENT_SECRET": sim.tracking_credentials["client_secret"],
        **more,
    }
