"""`make test` relies on pytest-xdist's ``--dist loadgroup`` to keep each module's tests on the
session's Prefect harness on one worker (tests/conftest.py). When grouping stops working nothing
fails: every harness test may start a harness on any worker and the suite gets slower (pytest
9.2 with pytest-xdist 3.8 did exactly that, pytest-xdist issue 1386). This test fails instead.
"""

from __future__ import annotations

import os

import pytest


@pytest.mark.xdist_group("grouping-guard")
def test_a_grouped_test_is_scheduled_as_its_group(request):
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        pytest.skip("not under pytest-xdist: there is no grouping to check")
    if not request.config.getvalue("loadgroup"):
        pytest.skip("not --dist loadgroup")
    # xdist hands the scheduler a grouped test's id with "@<group>" appended; the id the worker
    # reports is the one the scheduler grouped by.
    assert request.node.nodeid.endswith("@grouping-guard"), (
        f"{request.node.nodeid!r}: --dist loadgroup did not take this test's group; check the "
        "pytest and pytest-xdist versions in constraints.txt"
    )
