"""``{% load case_deadlines %}``: 正常 / 将到期 / 已超期 of an open case or assignment.

``{{ case|timeliness }}`` gives the code (``normal``, ``due_soon``, ``overdue``; "" when
closed), handy as a CSS class; ``{{ case|timeliness_label }}`` the translated label. A list
page should call ``deadlines.annotate_timeliness(cases)`` first (two queries for the page);
the filters then read the stored result.
"""

from __future__ import annotations

from django import template

from civicgrid.cases import deadlines
from civicgrid.cases.models import Assignment, Case

register = template.Library()


@register.filter
def timeliness(item: Case | Assignment | None) -> str:
    if item is None:
        return ""
    cached = getattr(item, "timeliness", None)
    if isinstance(cached, str):
        return cached
    if isinstance(item, Assignment):
        return deadlines.assignment_timeliness(item)
    return deadlines.case_timeliness(item)


@register.filter
def timeliness_label(item: Case | Assignment | None) -> str:
    return str(deadlines.Timeliness.LABELS.get(timeliness(item), ""))
