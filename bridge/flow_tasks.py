"""The Prefect side every flow of flows.py shares: a task per stream and per step, the
artifact publisher, the call-slot limit, and how a run ends (its verdict).

A run's work is in pipelines/orchestration.py, which knows nothing of Prefect; this module
wraps its steps as tasks (so a run page shows its graph and which stream failed) and turns its
outcome into the state the run ends in: Completed, or Failed naming the new failures, or
Failed with the one-line reason of an expected refusal and no traceback.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from typing import Any

from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.concurrency.sync import concurrency
from prefect.exceptions import FailedRun
from prefect.logging.loggers import flow_run_logger
from prefect.states import Completed, Failed, State
from prefect.utilities.annotations import quote

from pipelines import orchestration as orch
from reports import failure_tables

# --- tasks: one per stream and per step; state is in the store, so nothing is cached ---------

_TASK = {"cache_policy": NO_CACHE, "log_prints": False}


def _reading(step: Callable[..., Any]) -> Callable[..., Any]:
    """A step that reads a system, as a task: a system down or refusing ends the task Failed
    with its one-line reason instead of a logged traceback; the flow still gets the error."""
    from connectors.errors import ConnectorError

    @functools.wraps(step)
    def reading(*args: Any, **kwargs: Any) -> Any:
        try:
            return step(*args, **kwargs)
        except ConnectorError as exc:
            return Failed(message=str(exc)[:500], data=exc)

    return reading


sync_stream = task(_reading(orch.sync_stream), name="sync-stream",
                   task_run_name="sync-{system}-{stream}", **_TASK)  # fmt: skip
resync_stream = task(_reading(orch.resync_stream), name="resync-stream",
                     task_run_name="resync-{system}-{stream}", **_TASK)  # fmt: skip
reread_rejects = task(_reading(orch.reread_rejects), name="reread-rejects",
                      task_run_name="reread-rejects-{system}", **_TASK)  # fmt: skip


def _raising(reading_task: Any) -> Callable[..., Any]:
    """Call a reading task; its Failed state's error raised again for the run to handle."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return reading_task(*args, return_state=True, **kwargs).result(raise_on_failure=True)

    return call


reconcile = task(orch.reconcile_step, name="reconcile", **_TASK)
push = task(orch.push_step, name="push", **_TASK)


def _leading_quoted(step: Any, count: int) -> Any:
    """``step`` with its first ``count`` arguments (the run, the connector, the mapping
    catalog) passed as ``quote``: Prefect walks every argument of a task looking for futures,
    and walking the settings and the catalog cost more than a small run's own work."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return step(*(quote(a) if i < count else a for i, a in enumerate(args)), **kwargs)

    return call


TASKS = orch.Steps(
    sync_stream=_leading_quoted(_raising(sync_stream), 3),
    resync_stream=_leading_quoted(_raising(resync_stream), 3),
    reread_rejects=_leading_quoted(_raising(reread_rejects), 3),
    reconcile=_leading_quoted(reconcile, 1), push=_leading_quoted(push, 1),
)  # fmt: skip


@task(name="publish", task_run_name="publish-{key}", **_TASK)
def publish(key: str, rows: list[dict], description: str) -> None:
    """A Vietnamese table artifact (an empty table still says what it is)."""
    create_table_artifact(rows, key=key, description=description)


def limit(names: Sequence[str], timeout_s: float | None = None) -> Any:
    return concurrency(list(names), occupy=1, strict=True, timeout_seconds=timeout_s)


def new_run(settings, engine) -> orch.Run:  # type: ignore[no-untyped-def]
    return orch.Run(settings, engine, get_run_logger(), limit)


def publish_open(failures: Sequence[Any], tz: str) -> None:
    """Refresh the standing table of every open failure (key ``open-failures``)."""
    rows, description = failure_tables.open_failures_table(failures, tz)
    publish(failure_tables.ARTIFACT_KEY, rows, description)


def verdict(outcome: orch.Verdict, tz: str, flow_name: str, result: dict[str, Any]) -> State:
    """Publish the failures the run met (their technical reasons to the log) and every open
    one; Completed with ``result``, or Failed naming the new ones."""
    if outcome.met:
        fresh = {f.tag for f in outcome.new}
        for f in outcome.met:
            level = get_run_logger().warning if f.tag in fresh else get_run_logger().info
            level("failure %s %s (%dx): %s", f.tag, f.where, f.count, f.reason)
        rows, description = failure_tables.failure_table(outcome.met, outcome.new, tz)
        publish(f"{flow_name}-failures", rows, description)
    publish_open(outcome.open, tz)
    if outcome.new:
        # A message only: Prefect reads a Failed state's data as the exception that failed it.
        return Failed(message=orch.failure_summary(outcome.new))
    return Completed(message=f"{flow_name}: no new failures", data=result)


def refused(exc: BaseException) -> State:
    """An expected failure (a system down or refusing, a request that cannot be met): the run
    ends Failed with the one-line reason and no traceback. Anything else is a bug and raises."""
    from connectors.errors import ConnectorError

    if not isinstance(exc, ConnectorError | ValueError):
        raise exc
    get_run_logger().error("%s", exc)
    return Failed(message=str(exc)[:500])


def _log_outcome(flow_: Any, flow_run: Any, state: State) -> None:
    """on_completion / on_failure hook: one line for whoever reads the worker's log."""
    logger = flow_run_logger(flow_run, flow_)
    level = logger.error if state.is_failed() else logger.info
    level("%s ended %s: %s", flow_run.name, state.name, state.message)


HOOKS: dict[str, list[Callable]] = {"on_completion": [_log_outcome], "on_failure": [_log_outcome]}


class _NoTracebackForAFailedState(logging.Filter):
    """A served run is executed by Prefect's engine process, which asks for the run's result at
    the end and logs "Engine execution exited with unexpected exception" with a traceback for
    any Failed state, even one a flow returned on purpose with its reason (``FailedRun``). That
    line is dropped; a flow that raised (a bug) keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = str(record.msg)
        if not text.startswith("Engine execution exited with unexpected exception"):
            return True
        error = record.exc_info[1] if record.exc_info else None
        # connectors/redaction.py folds the traceback into the message (its last line names
        # the exception) and clears exc_info, so both forms are read.
        last = text.rstrip().rsplit("\n", 1)[-1]
        return not (isinstance(error, FailedRun) or last.startswith(_FAILED_RUN))


_FAILED_RUN = f"{FailedRun.__module__}.{FailedRun.__qualname__}:"


logging.getLogger("prefect.flow_runs").addFilter(_NoTracebackForAFailedState())
