"""The reference answer to "which areas and grids may this demo user see?".

Written out per demo login from DESIGN.md §5 and the demo's grants, independently of
``civicgrid.accounts.scope``: if the selectors and this table disagree, one of them is wrong.
"""

from __future__ import annotations

from civicgrid.areas.models import Area, Grid

DISTRICT = "640202"
TOWNSHIP = "640202001"
SIBLING_TOWNSHIP = "640202002"


def _demo_grid_code() -> str:
    return Grid.objects.current().filter(code__startswith=TOWNSHIP).order_by("code").values_list(
        "code", flat=True
    )[0]


def expected_area_codes(username: str) -> set[str]:
    all_codes = set(Area.objects.values_list("code", flat=True))
    under = lambda prefix: {c for c in all_codes if c.startswith(prefix)}  # noqa: E731
    if username == "sysadmin":
        return all_codes
    if username in {"leader", "center", "hotline", "dept"}:  # dept: the district it serves
        return under(DISTRICT)
    if username in {"street", "mediator"}:
        return under(TOWNSHIP)
    if username in {"grid", "head"}:
        return {_demo_grid_code()[:12]}
    return set()  # secadmin, auditor, resident: no area data


def expected_grid_codes(username: str) -> set[str]:
    current = set(Grid.objects.current().values_list("code", flat=True))
    if username == "sysadmin":
        return current
    if username in {"leader", "center", "hotline", "dept"}:
        return {c for c in current if c.startswith(DISTRICT)}
    if username in {"street", "mediator"}:
        return {c for c in current if c.startswith(TOWNSHIP)}
    if username in {"grid", "head"}:
        return {_demo_grid_code()}
    return set()
