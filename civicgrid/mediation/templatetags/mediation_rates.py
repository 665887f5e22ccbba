"""``{{ rate|percent }}``: 0.95623 → ``95.62 %``; no rate (nothing to divide by) → ``—``."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f} %"
