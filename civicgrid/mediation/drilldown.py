"""The disputes behind a dispute KPI: the same query, the same definitions (``facts``), so
the list is exactly as long as the number (tests hold them equal)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from civicgrid.accounts.models import User
from civicgrid.core.errors import ValidationFailed
from civicgrid.mediation.facts import measure_q
from civicgrid.mediation.kpis import DisputeQuery
from civicgrid.mediation.models import Dispute, Level
from civicgrid.mediation.rollup_models import MEASURES
from civicgrid.mediation.selectors import disputes_visible_to

TITLES = {"screened": gettext_noop("排查数"), "accepted": gettext_noop("受理数"),
          "resolved": gettext_noop("调解成功数"), "resolved_on_time": gettext_noop("按期调解成功数")}
for _lv in Level:
    TITLES[f"accepted_{_lv.value}"] = gettext_noop("本级受理")
    TITLES[f"resolved_{_lv.value}"] = gettext_noop("本级化解")
    TITLES[f"escalated_{_lv.value}"] = gettext_noop("上交上级")


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def disputes_behind(user: User | None, dq: DisputeQuery, measure: str) -> QuerySet[Dispute]:
    if measure not in MEASURES:
        raise ValidationFailed("统计指标无效。", code="invalid_measure", fields={"measure": list(MEASURES)})
    area_q = Q(pk__in=[])
    for prefix in dq.prefixes:
        area_q |= Q(area_code__startswith=prefix)
    qs = disputes_visible_to(user).filter(area_q, measure_q(measure))
    if dq.period is not None:
        qs = qs.filter(created_at__gte=_midnight(dq.period.start),
                       created_at__lt=_midnight(dq.period.end + dt.timedelta(days=1)))
    if dq.level:
        qs = qs.filter(level=dq.level)
    if dq.dispute_type:
        qs = qs.filter(dispute_type=dq.dispute_type)
    if dq.mediator == 0:
        qs = qs.filter(mediator__isnull=True)
    elif dq.mediator is not None:
        qs = qs.filter(mediator_id=dq.mediator)
    return qs
