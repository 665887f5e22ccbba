"""schemathesis over the whole /api/v1/ OpenAPI schema, as the demo ``center`` user (staff).

Every operation gets a bounded number of generated requests (valid and invalid) sent to the
WSGI application in-process, inside the test's transaction; each answer must not be a server
error, must match its documented schema, and its status must be one the schema documents.
A time budget caps the whole run (CI stage "pytest schemathesis", SQLite, < 3 minutes).

Run: ``pytest -m schemathesis tests/api`` (skipped in the ordinary runs).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.schemathesis

MAX_EXAMPLES = int(os.environ.get("CIVICGRID_SCHEMATHESIS_EXAMPLES", "25"))
BUDGET_SECONDS = float(os.environ.get("CIVICGRID_SCHEMATHESIS_SECONDS", "120"))
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]


def openapi_document() -> dict[str, Any]:
    """The schema /api/schema/ serves, generated in-process (JSON round trip: plain types)."""
    from drf_spectacular.renderers import OpenApiJsonRenderer

    raw = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(raw, renderer_context={}))


@pytest.fixture
def api_schema(db, cast) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    # the test client's trick: requests run inside the test's transaction, so the request
    # signals must not close the connection between requests
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        schema = schemathesis.openapi.from_dict(openapi_document())
        schema.app = get_wsgi_application()
        yield schema
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(cast) -> str:  # type: ignore[no-untyped-def]
    key, _ = Token.objects.get_or_create(user=cast["center"])
    return key.key


@pytest.fixture
def real_ids(cast, django_capture_on_commit_callbacks) -> dict[str, list[int]]:  # type: ignore[no-untyped-def]
    """Cases in several states (and the notices they caused) so that ``{id}`` often exists."""
    from civicgrid.areas.models import Area, Grid
    from civicgrid.cases.models import State
    from civicgrid.notifications.models import Notification
    from tests.cases.flows import to_state

    with django_capture_on_commit_callbacks(execute=True):
        cases = [to_state(cast, state).pk for state in (
            State.REPORTED, State.REGISTERED, State.DISPATCHED, State.IN_PROGRESS, State.HANDLED,
            State.CLOSED)]
    return {
        "/api/v1/cases/{id}/": cases,
        "/api/v1/areas/{id}/": list(Area.objects.order_by("pk").values_list("pk", flat=True)[:5]),
        "/api/v1/grids/{id}/": list(Grid.objects.order_by("pk").values_list("pk", flat=True)[:5]),
        "/api/v1/notifications/{id}/": list(Notification.objects.filter(user=cast["center"])
                                            .values_list("pk", flat=True)[:5]),
    }


def _with_real_id(choices: list[int], strategy: Any) -> Any:
    """Half the time, replace a generated ``{id}`` by one that exists in the centre's scope."""
    def swap(pair: tuple[Any, int | None]) -> Any:
        case, chosen = pair
        if chosen is not None and isinstance(case.path_parameters, dict) \
                and "id" in case.path_parameters:
            case.path_parameters["id"] = chosen
        return case

    return st.tuples(strategy, st.sampled_from([None, *choices])).map(swap)


def test_the_api_never_fails_and_keeps_its_schema(api_schema, token, real_ids) -> None:  # type: ignore[no-untyped-def]
    # one Hypothesis run per operation (the lazy pytest integration of schemathesis 4.32
    # does not run under pytest 9); every failing operation is reported, not just the first
    started = time.monotonic()
    headers = {"Authorization": f"Token {token}"}
    failures: list[str] = []
    ran = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        # past the time budget the remaining operations still run, with a couple of examples
        examples = MAX_EXAMPLES if time.monotonic() - started < BUDGET_SECONDS else 2
        strategy = operation.as_strategy()
        for prefix, choices in real_ids.items():
            if operation.path.startswith(prefix) and choices:
                strategy = _with_real_id(choices, strategy)

        @given(case=strategy)
        @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        def run(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - gather them all
            failures.append(f"{operation.label}: {exc}"[:4000])
        ran += 1
    assert ran >= 10, "the schema lists the whole API"
    assert not failures, "\n\n".join(failures)
