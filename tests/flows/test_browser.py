"""The resync form in a real browser: Playwright drives the system's Chromium against the local
Prefect UI of `bridge serve --with-server`, served against the simulators.

An operator opens the resync deployment, "Run" → "Custom run", picks the system and a stream
from the form's lists and submits; the run is named after what was asked, its page shows the
task graph and its task per stream, and the open-failures table shows the command that retries
the record the simulator corrupted. The run ends Failed for that new failure, in one line,
with no traceback anywhere in the run's log or the serve process's output.

No browser is downloaded: the test uses the Chromium of the system's packages and is skipped,
saying why, where there is none; under CI=true a missing Chromium fails it instead.
"""

from __future__ import annotations

import shutil
import time

import pytest

from tests.conftest import IN_CI
from tests.flows.test_serve import _launched, _wait

pytestmark = [pytest.mark.prefect, pytest.mark.own_prefect_server, pytest.mark.slow]

FAR_AWAY = '["0 3 1 1 *"]'  # no scheduled run may start during the test
UI_TIMEOUT_MS = 60_000  # a loaded 2-core machine renders the UI slowly


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    if IN_CI:
        pytest.fail("the browser test must run in CI but no Chromium is installed")
    pytest.skip("no Chromium installed (the Debian package `chromium`); the browser test needs it")


def _choose(page, label: str, value: str) -> None:
    """Pick ``value`` in the form's list ``label`` the way a keyboard user does (the list opens
    on the arrow key; a click on the closed list is not reliable headless)."""
    field = page.locator(".schema-form-property").filter(has=page.get_by_text(label, exact=True))
    field.last.locator(".p-base-input__control").first.focus()
    page.keyboard.press("ArrowDown")
    page.get_by_role("option", name=value, exact=True).click()
    page.keyboard.press("Escape")


def _run_logs(client, run_id) -> str:
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    only_it = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id]))
    return "\n".join(entry.message for entry in client.read_logs(log_filter=only_it))


def test_a_resync_started_from_the_form_shows_its_graph_and_the_retry_command(sim, tmp_path):
    chromium = _chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    sim.set_faults("ioffice", malformed={"next": 1})  # one record corrupted: a dead letter
    with (
        _launched(
            sim, tmp_path, BRIDGE_SCHEDULES__SYNC=FAR_AWAY,
            BRIDGE_SCHEDULES__DEADLINE_WATCH=FAR_AWAY, BRIDGE_SCHEDULES__HEALTH_CHECK=FAR_AWAY,
        ) as (client, launcher, log_path, port),
        sync_api.sync_playwright() as playwright,
    ):  # fmt: skip
        ui = f"http://127.0.0.1:{port}"
        deployment = client.read_deployment_by_name("resync/resync")
        # --no-sandbox: CI containers run as root, where Chromium's sandbox cannot start.
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(UI_TIMEOUT_MS)
        refused: list[str] = []  # what the UI asked the API and was refused: said on failure
        page.on("response", lambda r: r.status >= 400 and refused.append(
            f"{r.request.method} {r.url} -> {r.status}"))  # fmt: skip
        page.on("pageerror", lambda e: refused.append(f"page error: {e}"))
        try:
            page.goto(f"{ui}/deployments/deployment/{deployment.id}")
            page.get_by_role("button", name="Run", exact=True).click()
            page.get_by_text("Custom run").click()
            _choose(page, "system", "ioffice")
            _choose(page, "streams (Optional)", "incoming")
            page.get_by_role("button", name="Submit").click()
            page.get_by_role("button", name="View run").first.wait_for()

            only_it = DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id]))

            def finished():
                runs = client.read_flow_runs(deployment_filter=only_it)
                done = [r for r in runs if r.state is not None and r.state.is_final()]
                return done[0] if done else None

            run = _wait("the resync run", finished, 240, launcher, log_path)
            assert run.parameters["system"] == "ioffice"
            assert run.parameters["streams"] == ["incoming"]
            assert run.name == "resync-ioffice-incoming-start..now"
            # Failed for the new dead letter, saying so in one line.
            assert run.state.is_failed(), f"{run.state.name}: {run.state.message}"
            assert run.state.message.startswith("1 new failure(s): L")
            assert "\n" not in run.state.message

            # The run's page: its task graph, and the task that read the chosen stream.
            page.goto(f"{ui}/runs/flow-run/{run.id}")
            page.get_by_text(run.name).first.wait_for()
            page.locator(".flow-run-graph canvas, .run-graph canvas").first.wait_for()
            page.get_by_text("Task Runs", exact=True).click()
            page.get_by_text("resync-ioffice-incoming", exact=True).first.wait_for()
            page.get_by_text("Artifacts", exact=True).click()
            page.get_by_text("open-failures").first.wait_for()

            # The standing table of open failures: the retry command first.
            page.goto(f"{ui}/artifacts/key/open-failures")
            page.locator("a[href*='/artifacts/artifact/']").first.click()  # the latest table
            retry = page.get_by_text("bridge failures --retry L").first
            retry.wait_for()
            assert retry.is_visible()
        except Exception:
            page.screenshot(path=str(tmp_path / "failed.png"), full_page=True)
            print("\n".join(refused))
            raise
        finally:
            browser.close()

        # The engine's last log lines reach the API after the final state: wait for the hook's.
        deadline = time.monotonic() + 30
        while " ended Failed" not in (logs := _run_logs(client, run.id)):
            if time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert " ended Failed" in logs
        assert "Traceback" not in logs and "unexpected exception" not in logs, logs[-3000:]

    output = log_path.read_text(errors="replace")
    assert launcher.returncode == 0, output[-4000:]
    assert "Traceback" not in output, output[-4000:]
    assert "never awaited" not in output, output[-4000:]
