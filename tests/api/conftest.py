"""tests/api: the schemathesis run is its own CI stage (``pytest -m schemathesis``)."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the schemathesis run unless ``-m`` names it: it has a stage of its own."""
    expression = config.getoption("markexpr") or ""
    if "schemathesis" in expression and "not schemathesis" not in expression:
        return
    skip = pytest.mark.skip(reason="runs in its own stage: pytest -m schemathesis")
    for item in items:
        if item.get_closest_marker("schemathesis"):
            item.add_marker(skip)
