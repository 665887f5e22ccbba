"""Demo disputes: mediators at every level, and a history that obeys the dispute workflow.

Mediators: one per village of the demo township (村调委会), one per other township (the demo
township has ``mediator``) and one for the district. The history is written in bulk along the
transition table, like the demo cases, in the proportions of the seeds (金昌: 62,657 screened,
61,404 resolved, 98 %; 大武口: 1,896 / 1,813 = 95.62 %).
"""

from __future__ import annotations

from civicgrid.accounts import services as account_services
from civicgrid.accounts.models import User
from civicgrid.areas.models import Area


def _mediator(username: str, display_name: str, area: Area) -> User:
    from civicgrid.demo.build import DEMO_PASSWORD

    user = User.objects.filter(username=username).first()
    if user is None:
        user = account_services.create_user(actor=None, username=username, password=DEMO_PASSWORD,
                                            display_name=display_name, must_change_password=False)
        account_services.grant_role(actor=None, user=user, role_code="mediator", area=area)
    return user


def village_mediator(village: Area) -> User:
    """The mediator of a village's 人民调解委员会 (created on first use)."""
    return _mediator(f"tiaojie-{village.code}", f"{village.name}调委会 调解员", village)


# --- the history --------------------------------------------------------------------------

DISPUTES_PER_GRID = 6.3  # 大武口: ~1,900 a year for ~300 grids' worth of households → 2 years
HISTORY_DAYS = 730
TYPES = [("neighbour", 25), ("family", 18), ("land", 12), ("labour", 10), ("debt", 9),
         ("boundary", 6), ("property", 6), ("traffic", 5), ("expropriation", 3), ("medical", 2),
         ("pollution", 2), ("other", 2)]
RISKS = [("low", 70), ("medium", 22), ("high", 6), ("major", 2)]
SOURCES = [("screening", 45), ("grid", 28), ("mediator", 15), ("center", 12)]
START_LEVELS = [("village", 85), ("township", 12), ("county", 3)]
SETTLED = {"village": 0.93, "township": 0.85, "county": 0.8}  # ≈ 96 % of the accepted resolved
SUMMARIES = {
    "neighbour": "两户因院墙、排水沟归属发生争执", "family": "夫妻因赡养老人、抚养子女发生矛盾",
    "land": "宅基地边界不清，双方互不相让", "labour": "工程完工后拖欠工人工资",
    "debt": "借款到期未还，双方对利息有争议", "boundary": "两村牧户草山边界放牧纠纷",
    "property": "业主与物业公司因物业费和维修发生纠纷", "traffic": "交通事故赔偿金额协商不成",
    "expropriation": "征地补偿款分配存在争议", "medical": "患者家属对诊疗结果有异议",
    "pollution": "养殖场异味影响周边居民", "other": "其他民间纠纷",
}
SURNAMES = "王李张刘陈杨马赵黄周吴徐孙朱胡郭何高林罗"
GIVEN = "建军秀兰志强小燕德福海涛玉梅国华丽娟明亮春花永红立新桂英"


def default_count(grids: int) -> int:
    return round(grids * DISPUTES_PER_GRID)


def ensure_mediators() -> dict[str, User]:
    """Mediators by area code: the district, every township, the demo township's villages."""
    from civicgrid.areas.models import AreaLevel
    from civicgrid.demo.build import DEMO_TOWNSHIP_CODE, DISTRICT_CODE

    found: dict[str, User] = {}
    district = Area.objects.get(code=DISTRICT_CODE)
    found[district.code] = _mediator(f"tiaojie-{district.code}", f"{district.name}人民调解委员会 调解员",
                                     district)
    for t in Area.objects.filter(level=AreaLevel.TOWNSHIP, code__startswith=DISTRICT_CODE):
        if t.code == DEMO_TOWNSHIP_CODE and User.objects.filter(username="mediator").exists():
            found[t.code] = User.objects.get(username="mediator")
        else:
            found[t.code] = _mediator(f"tiaojie-{t.code}", f"{t.name}调委会 调解员", t)
    for v in Area.objects.filter(level=AreaLevel.VILLAGE, code__startswith=DEMO_TOWNSHIP_CODE):
        found[v.code] = village_mediator(v)
    return found
