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
    return _mediator(f"med-{village.code}", f"{village.name}调委会 调解员", village)
