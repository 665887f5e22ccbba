"""The case page's link to disputes: ``{% dispute_links case as links %}``.

``links.disputes``: the disputes registered from the case that the user may see;
``links.can_convert``: the case is a 矛盾纠纷 case with no dispute yet and the user may
register one (the page then offers 转为矛盾纠纷)."""

from __future__ import annotations

from typing import Any

from django import template

from civicgrid.accounts.scope import can
from civicgrid.mediation.models import Dispute, State
from civicgrid.mediation.selectors import disputes_of_case

register = template.Library()


@register.simple_tag(takes_context=True)
def dispute_links(context: Any, case: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    category = getattr(case, "category", None)
    is_dispute = category is not None and (category.is_dispute or (
        category.parent_id is not None and category.parent.is_dispute))
    if user is None or not is_dispute:
        return {"disputes": [], "can_convert": False}
    taken = Dispute.objects.filter(case_id=case.pk).exclude(state=State.DECLINED).exists()
    return {"disputes": list(disputes_of_case(user, case.pk)),
            "can_convert": not taken and can(user, "mediation.report")}
