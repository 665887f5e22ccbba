"""The KPI definitions (DESIGN.md §3) and their parameters: the one place they live.

Each KPI is a ``Kpi``: a count of one rollup measure, or a ratio of two, with a label, a unit,
a target and which list of cases a click on the number opens (``drill``, see
``drilldown.MEASURES``). A deployment overrides labels, targets, ``enabled`` and the
parameters with a JSON file named by ``CIVICGRID_KPI_CONFIG``::

    {"params": {"satisfied_at_least": 4, "due_soon_hours": 24},
     "kpis": {"closure_rate": {"target": 0.95}, "rework_rate": {"enabled": false}}}

``satisfied_at_least`` is folded into the rollups: run ``civicgrid rollups rebuild`` after
changing it.

Other apps add their own KPIs (e.g. mediation's 化解率) in their ``AppConfig.ready``::

    from civicgrid.stats.kpis import Kpi, register
    register(Kpi("dispute_resolution_rate", "化解率", "rate", source=my_source, group="disputes"))

where ``my_source(query: stats.query.KpiQuery) -> tuple[float, float | None]`` answers
(numerator, denominator) for the user-scoped filters in ``query`` (same periods, areas,
comparisons) from that app's own selectors, and may set ``drill_url(query) -> str`` for the
list behind the number. The command centre, the API, the exports and the assessment read
``enabled_kpis()`` and need no change.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_noop

from civicgrid.stats import conf

COUNT, RATE, HOURS = "count", "rate", "hours"

DEFAULT_PARAMS: dict[str, Any] = {
    "satisfied_at_least": 4,  # a callback rated at least this is 满意
    "due_soon_hours": 24,  # an open case due within this many hours is 将到期
}


@dataclass(frozen=True)
class Kpi:
    code: str
    label: str
    unit: str  # COUNT, RATE or HOURS
    numerator: str | None = None  # a rollup measure (``models.MEASURES`` or ``DERIVED``)
    denominator: str | None = None
    drill: str | None = None  # the drill-down list behind the number (or its numerator)
    target: float | None = None
    higher_is_better: bool = True
    enabled: bool = True
    now: bool = False  # a figure of this moment (the period does not apply): no earlier period
    group: str = "cases"
    source: Callable[..., tuple[float, float | None]] | None = None  # other apps' KPIs
    drill_url: Callable[..., str | None] | None = None

    def value(self, numerator: float, denominator: float | None) -> float | None:
        if self.unit == COUNT:
            return numerator
        if not denominator:
            return None
        if self.unit == HOURS:
            return numerator / denominator / 3600
        return numerator / denominator


# measures computed from the stored ones
DERIVED: dict[str, Callable[[dict[str, int]], int]] = {
    "closed_late": lambda m: m["closed"] - m["closed_on_time"],
}

_BUILTIN: list[Kpi] = [
    Kpi("received", gettext_noop("受理数"), COUNT, "received", drill="received"),
    Kpi("registered", gettext_noop("立案数"), COUNT, "registered", drill="registered"),
    Kpi("closed", gettext_noop("结案数"), COUNT, "closed", drill="closed"),
    Kpi("closure_rate", gettext_noop("结案率"), RATE, "closed", "registered", drill="closed",
        target=0.9),
    Kpi("on_time_rate", gettext_noop("按期结案率"), RATE, "closed_on_time", "closed",
        drill="closed_on_time", target=0.95),
    Kpi("closed_late", gettext_noop("超期结案数"), COUNT, "closed_late", drill="closed_late",
        higher_is_better=False),
    Kpi("rework_rate", gettext_noop("返工率"), RATE, "reworked", "handled", drill="reworked",
        target=0.05, higher_is_better=False),
    Kpi("verify_on_time_rate", gettext_noop("按时核查率"), RATE, "verified_on_time", "closed",
        drill="closed", target=0.95),
    Kpi("handle_hours", gettext_noop("平均处置时长"), HOURS, "handle_seconds", "handle_count",
        drill="closed", target=48, higher_is_better=False),
    Kpi("satisfaction_rate", gettext_noop("满意率"), RATE, "satisfied", "rated", drill="satisfied",
        target=0.9),
]

_registry: dict[str, Kpi] = {k.code: k for k in _BUILTIN}
_loaded: dict[str, Any] | None = None


# per group, functions that read for several queries at once (the KPI table's three periods)
# what that group's sources will then ask for one by one: one read instead of one per period
_prepare: dict[str, list[Callable[[list[Any]], None]]] = {}


def register_prepare(group: str, fn: Callable[[list[Any]], None]) -> None:
    if fn not in _prepare.setdefault(group, []):
        _prepare[group].append(fn)


def prepare(queries: list[Any]) -> None:
    """Let the groups that have enabled KPIs read for ``queries`` at once."""
    for group in {kpi.group for kpi in enabled_kpis() if kpi.source is not None}:
        for fn in _prepare.get(group, ()):
            fn(queries)


def register(kpi: Kpi) -> None:
    """Add (or replace) a KPI; call from ``AppConfig.ready``."""
    _registry[kpi.code] = kpi


def _config() -> dict[str, Any]:
    global _loaded
    if _loaded is None:
        path = conf.kpi_config_path()
        _loaded = json.loads(Path(path).read_text(encoding="utf-8")) if path else {}
    return _loaded


def configure(config: dict[str, Any] | None) -> None:
    """Use this configuration instead of the file (tests, and ``None`` to read it again)."""
    global _loaded
    _loaded = config


def param(name: str) -> Any:
    return _config().get("params", {}).get(name, DEFAULT_PARAMS[name])


def get(code: str) -> Kpi | None:
    kpi = _registry.get(code)
    if kpi is None:
        return None
    override = _config().get("kpis", {}).get(code, {})
    allowed = {k: v for k, v in override.items() if k in ("label", "target", "enabled")}
    return replace(kpi, **allowed) if allowed else kpi


def enabled_kpis(group: str | None = None) -> list[Kpi]:
    found = [get(code) for code in _registry]
    return [k for k in found if k is not None and k.enabled and (group is None or k.group == group)]
