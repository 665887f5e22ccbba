"""Build the demo city: 大武口区 with generated villages and grids, centres, departments, users.

Deterministic for a given seed and size. Re-running on a database that already holds the
demo changes nothing (``build_demo`` returns early); ``--reset`` is the way to rebuild.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.db import transaction
from shapely.geometry import Polygon

from civicgrid.accounts import services as account_services
from civicgrid.accounts.models import OrgKind, OrgUnit, User
from civicgrid.areas import services as area_services
from civicgrid.areas.importers.areas_csv import AreaRecord
from civicgrid.areas.importers.grids_geojson import GridFeature
from civicgrid.areas.models import Area, AreaLevel, Grid, HouseholdGroup
from civicgrid.cases.setup_services import seed_taxonomy
from civicgrid.core import refcache
from civicgrid.demo.cases import build_cases, default_count
from civicgrid.demo.dispute_history import build_disputes
from civicgrid.demo.disputes import default_count as default_disputes
from civicgrid.demo.geography import plan_grids, plan_villages
from civicgrid.demo.org_units import DEPARTMENTS
from civicgrid.open311.demo import issue_demo_key

DISTRICT_CODE = "640202"
DEMO_TOWNSHIP_CODE = "640202001"  # 长胜街道: the township of `street`, `grid`, `head`, `mediator`
DEMO_PASSWORD = "Demo-2026!"  # noqa: S105 - published demo password, printed by `civicgrid demo`


@dataclass(frozen=True)
class DemoSize:
    villages: int = 60
    grids: int = 600
    seed: int = 2026
    cases: int | None = None  # None: about 33 per grid (20,000 for the default 600 grids)
    disputes: int | None = None  # None: about 6 per grid over two years (civicgrid.demo.disputes)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    display_name: str
    role: str
    scope: str


def demo_exists() -> bool:
    return User.objects.filter(username="center").exists() and Grid.objects.exists()


def _build_geography(size: DemoSize, rng: random.Random) -> None:
    area_services.ensure_dawukou_areas()
    townships = list(
        Area.objects.filter(level=AreaLevel.TOWNSHIP, code__startswith=DISTRICT_CODE)
        .order_by("code").values_list("code", "name")
    )
    villages = plan_villages(townships, size.villages, rng)
    area_services.import_areas(
        actor=None, source="demo",
        records=[AreaRecord(code=v.code, name=v.name, parent_code=v.township_code, row=i + 1)
                 for i, v in enumerate(villages)],
    )
    grids = plan_grids(villages, size.grids, rng)
    area_services.import_grids(
        actor=None, source="demo",
        features=[GridFeature(index=i, code=g.code, name=g.name, geometry=Polygon(g.ring))
                  for i, g in enumerate(grids)],
    )
    groups = []
    for g in grids:
        for k in range(1, rng.randint(2, 3) + 1):
            groups.append(HouseholdGroup(grid_code=g.code, name=f"{g.name}第{k}联户组",
                                         household_count=rng.randint(10, 15)))
    # thousands of rows: one bulk insert (the service validates one group at a time)
    HouseholdGroup.objects.bulk_create(groups, batch_size=2000)


def _build_org_units() -> dict[str, OrgUnit]:
    district = Area.objects.get(code=DISTRICT_CODE)
    units = [OrgUnit(code="center-640202", name="大武口区综治中心", kind=OrgKind.CENTER, area=district)]
    for area in Area.objects.filter(code__startswith=DISTRICT_CODE,
                                    level__in=[AreaLevel.TOWNSHIP, AreaLevel.VILLAGE]).order_by("code"):
        units.append(OrgUnit(code=f"center-{area.code}", name=f"{area.name}综治中心",
                             kind=OrgKind.CENTER, area=area))
    for code, dep_type, name, duties in DEPARTMENTS:
        units.append(OrgUnit(code=f"dept-640202-{code}", name=f"大武口区{name}",
                             kind=OrgKind.DEPARTMENT, area=district, department_type=dep_type,
                             responsibilities=duties))
    OrgUnit.objects.bulk_create(units, batch_size=1000)
    return {u.code: u for u in OrgUnit.objects.all()}


def _user(username: str, display_name: str, org: OrgUnit | None = None) -> User:
    return account_services.create_user(
        actor=None, username=username, password=DEMO_PASSWORD, display_name=display_name,
        org_unit=org, must_change_password=False,  # published demo logins
    )


def _build_users(orgs: dict[str, OrgUnit]) -> None:
    grant = account_services.grant_role
    district = Area.objects.get(code=DISTRICT_CODE)
    township = Area.objects.get(code=DEMO_TOWNSHIP_CODE)
    grid = Grid.objects.current().filter(code__startswith=DEMO_TOWNSHIP_CODE).order_by("code").first()
    assert grid is not None, "the demo township has no grid"

    for username, name, role in (("sysadmin", "系统管理员", "sysadmin"),
                                 ("secadmin", "安全管理员", "secadmin"),
                                 ("auditor", "审计管理员", "auditor")):
        grant(actor=None, user=_user(username, name), role_code=role)
    grant(actor=None, user=_user("leader", "区领导 王建国"), role_code="leader", area=district)
    grant(actor=None, user=_user("center", "区综治中心 李敏", orgs["center-640202"]),
          role_code="center_operator", area=district)
    grant(actor=None, user=_user("street", f"{township.name}综治中心 张伟", orgs[f"center-{township.code}"]),
          role_code="center_operator", area=township)
    grant(actor=None, user=_user("grid", "网格员 马小燕"), role_code="grid_member", grid_code=grid.code)
    head = _user("head", "联户长 杨志强")
    grant(actor=None, user=head, role_code="household_head", grid_code=grid.code)
    area_services.create_household_group(
        actor=None, grid_code=grid.code, name=f"{grid.name}{head.display_name[-3:]}联户组",
        household_count=12, head=head,
    )
    grant(actor=None, user=_user("hotline", "12345坐席 刘芳"), role_code="hotline_agent", area=district)
    chengguan = orgs["dept-640202-chengguan"]
    grant(actor=None, user=_user("dept", "城管局 赵强", chengguan), role_code="dept_handler", org_unit=chengguan)
    grant(actor=None, user=_user("mediator", f"{township.name}调解员 陈秀兰"), role_code="mediator", area=township)
    grant(actor=None, user=_user("resident", "群众 周磊"), role_code="resident", area=grid.village)


def build_demo(size: DemoSize | None = None) -> bool:
    """Build the demo city. Returns False (and does nothing) when it is already there."""
    size = size or DemoSize()
    if demo_exists():
        return False
    rng = random.Random(size.seed)
    with transaction.atomic():
        account_services.seed_roles()  # present after migrate; gone after a test DB flush
        _build_geography(size, rng)
        orgs = _build_org_units()
        _build_users(orgs)
        seed_taxonomy()
        issue_demo_key(DISTRICT_CODE)  # Open311 api_key "demo-open311-key"
        build_cases(default_count(size.grids) if size.cases is None else size.cases, size.seed)
        build_disputes(default_disputes(size.grids) if size.disputes is None else size.disputes,
                       size.seed)
        refcache.bump()  # org units, roles and policies were bulk-created
    return True


def demo_logins() -> list[DemoLogin]:
    from civicgrid.core.home_data import scope_summary

    order = ["sysadmin", "secadmin", "auditor", "leader", "center", "street", "grid", "head",
             "hotline", "dept", "mediator", "resident"]
    users = {u.username: u for u in User.objects.filter(username__in=order)}
    result = []
    for username in order:
        user = users.get(username)
        if user is None:
            continue
        scopes = scope_summary(user)
        role = scopes[0].split("：")[0] if scopes else ""
        where = "；".join(s.split("：", 1)[1] for s in scopes)
        result.append(DemoLogin(username, user.display_name, role, where))
    return result
