"""deploy/automations.yaml made real on a Prefect API by `python -m bridge.automations`
(issue 17, item 7): created, then updated in place, with the notification block resolved by
name; the file's flow names are the flows the bridge has."""

from __future__ import annotations

import pytest

from bridge import automations

pytestmark = pytest.mark.prefect


def _bridge_flow_names() -> set[str]:
    from prefect import Flow

    import flows

    return {value.name for value in vars(flows).values() if isinstance(value, Flow)}


def test_the_file_is_valid_and_watches_exactly_the_bridges_flows(capsys):
    assert automations.main(["--check"]) == 0
    assert "2 automation(s) OK" in capsys.readouterr().out
    for item in automations.read_file(automations.DEFAULT_FILE):
        related = item.data["trigger"]["match_related"]["prefect.resource.name"]
        assert set(related) == _bridge_flow_names(), item.name


def test_a_broken_file_is_one_line_with_where(tmp_path, capsys):
    broken = tmp_path / "automations.yaml"
    broken.write_text("automations:\n  - name: x\n    trigger: [\n", encoding="utf-8")
    assert automations.main(["--check", "--file", str(broken)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"{broken}:" in err and "not valid YAML" in err
    broken.write_text(
        "automations:\n  - name: x\n    trigger: {type: event, posture: Sideways}\n"
        "    actions: []\n",
        encoding="utf-8",
    )
    assert automations.main(["--check", "--file", str(broken)]) == 2
    assert "automation 'x': trigger" in capsys.readouterr().err


@pytest.mark.usefixtures("prefect_harness")
def test_created_then_updated_in_place_with_the_notification_block(capsys):
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect.client.orchestration import get_client

    block = CustomWebhookNotificationBlock(name="ops", url="http://127.0.0.1:9/hook")
    block_id = block.save("bridge-notify", overwrite=True, _sync=True)
    notify = f"{block.get_block_type_slug()}/bridge-notify"

    assert automations.main(["--notify", notify]) == 0
    first = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in first] == [
        ["created", "bridge-run-failed"], ["created", "bridge-zombie-runs"],
    ]  # fmt: skip

    with get_client(sync_client=True) as client:
        [failed] = client.read_automations_by_name("bridge-run-failed")
        [zombie] = client.read_automations_by_name("bridge-zombie-runs")
    assert str(failed.actions[0].block_document_id) == str(block_id)
    assert failed.trigger.expect == {"prefect.flow-run.Failed", "prefect.flow-run.Crashed"}
    assert zombie.actions[0].type == "change-flow-run-state"

    # Again, without --notify: the notifying one is skipped, the other updated; none doubled.
    assert automations.main([]) == 0
    second = capsys.readouterr().out.splitlines()
    assert second[0].startswith("skipped  bridge-run-failed")
    assert second[1] == f"updated  bridge-zombie-runs ({zombie.id})"
    assert automations.main(["--notify", notify]) == 0
    assert f"updated  bridge-run-failed ({failed.id})" in capsys.readouterr().out
    with get_client(sync_client=True) as client:
        assert len(client.read_automations_by_name("bridge-run-failed")) == 1


@pytest.mark.usefixtures("prefect_harness")
def test_an_unknown_notification_block_is_refused_in_one_line(capsys):
    assert automations.main(["--notify", "custom-webhook/nobody-made-this"]) == 2
    # Only our lines: Prefect's console log handler may also write to the captured stderr.
    said = [line for line in capsys.readouterr().err.splitlines() if "bridge automations" in line]
    assert len(said) == 1 and "no custom-webhook block named" in said[0]
    assert automations.main(["--notify", "no-slash"]) == 2
    assert "TYPE/NAME" in capsys.readouterr().err
