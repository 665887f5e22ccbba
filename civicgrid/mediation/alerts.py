"""High and 重大 risk disputes alert the leader and the centres at once (after commit).

Who: every active user holding ``dashboard.view`` through an area grant that covers the
dispute (the leader, the county and township centres). Through ``notifications``: an inbox
待办 and, where configured, SMS/WeCom. Idempotent: one alert per dispute and risk level.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from civicgrid.accounts.models import RoleGrant, User
from civicgrid.mediation.models import ALERT_RISKS, Dispute, Risk
from civicgrid.notifications import services as notifications
from civicgrid.notifications.models import Kind
from civicgrid.notifications.rules import Notice

logger = logging.getLogger("civicgrid.mediation")
ALERTED_PERMISSION = "dashboard.view"


def recipients(dispute: Dispute) -> list[User]:
    grants = (RoleGrant.objects.filter(area__isnull=False, user__is_active=True,
                                       role__permissions__permission=ALERTED_PERMISSION)
              .select_related("area", "user").order_by("user_id"))
    users: dict[int, User] = {}
    for grant in grants:
        if dispute.area_code.startswith(grant.area.code):
            users.setdefault(grant.user_id, grant.user)
    return list(users.values())


def send_risk_alert(dispute_id: int) -> int:
    """Notify now; returns how many people were told. Errors are logged, never raised."""
    try:
        dispute = Dispute.objects.select_related("grid").get(pk=dispute_id)
        if dispute.risk not in ALERT_RISKS:
            return 0
        users = recipients(dispute)
        with notifications.site_language():
            title = _("%(risk)s风险矛盾纠纷 %(code)s：%(type)s") % {
                "risk": _(Risk(dispute.risk).label), "code": dispute.code,
                "type": _(dispute.get_dispute_type_display())}
            body = (dispute.risk_reasons or dispute.summary)[:300]
            notifications.notify(case=None, topic="dispute_risk",
                                 dedupe_key=f"dispute:{dispute.pk}:risk:{dispute.risk}",
                                 notices=[Notice(users, Kind.TODO, title, body)])
        return len(users)
    except Exception:
        logger.exception("risk alert for dispute %s failed", dispute_id)
        return 0


def alert_after_commit(dispute: Dispute) -> None:
    if dispute.risk in ALERT_RISKS:
        pk = dispute.pk
        transaction.on_commit(lambda: send_risk_alert(pk))
