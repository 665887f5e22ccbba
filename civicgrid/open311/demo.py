"""The demo's Open311 client: the published key ``demo-open311-key`` for the district."""

from __future__ import annotations

from civicgrid.open311.keys import ensure_client
from civicgrid.open311.models import Open311Client

DEMO_KEY = "demo-open311-key"  # noqa: S105 - published demo key, shown in the README
DEMO_CLIENT_NAME = "演示12345热线系统"


def issue_demo_key(district_code: str) -> Open311Client:
    """Idempotent: a second run finds the client by its key and changes nothing."""
    return ensure_client(name=DEMO_CLIENT_NAME, jurisdiction_code=district_code, key=DEMO_KEY)
