"""The dispute KPIs in the command centre's registry (``civicgrid.stats.kpis``).

Each answers (numerator, denominator) for the command centre's query — its period and its
area prefixes (the reader's ``dashboard.view`` scope narrowed to the area asked for, any level
and everything below it) — from the dispute rollups (``mediation.kpis``; counted in the period
the dispute was registered). The case filters category/channel/department do not apply to
disputes; ``dispute_level``, ``dispute_type`` and ``dispute_mediator`` (0: none yet) cut the
dispute KPIs (``KpiQuery.extra``) and not the case ones. A click on a number opens the
disputes behind it (``/disputes/stats/disputes/``, same filters); the groupings by level,
type, township, village and mediator are on ``/disputes/stats/`` over the same rollups.
Registered by ``MediationConfig.ready``.
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_noop

from civicgrid.mediation.kpis import DisputeQuery, checked_cuts, sums, sums_of

Source = Callable[[Any], tuple[float, float | None]]


# the command centre's query parameters that cut the dispute KPIs (``KpiQuery.extra``)
EXTRA = {"dispute_level": "level", "dispute_type": "dispute_type", "dispute_mediator": "mediator"}
# … and the same filters on the dispute pages
PAGE_PARAMS = {"dispute_level": "level", "dispute_type": "type", "dispute_mediator": "mediator"}


def _cuts(q: Any) -> dict[str, Any]:
    given = dict(getattr(q, "extra", ()))
    return checked_cuts(**{EXTRA[k]: v for k, v in given.items() if k in EXTRA})


def query_of(q: Any) -> DisputeQuery:
    """The dispute query of a command-centre query (``stats.selectors.KpiQuery``). A reader
    who sees the centre only for departments (``q.departments``) sees no disputes: disputes
    are not assigned to departments."""
    prefixes = () if getattr(q, "departments", ()) else tuple(q.prefixes)
    return DisputeQuery(prefixes=prefixes, period=q.period, **_cuts(q))


_last = threading.local()


def _sums(q: Any) -> dict[str, int]:
    """The sums for ``q``. The KPI table asks once per dispute KPI for each of its three query
    objects (this period, the previous one, last year) and reads all three first
    (``prepare``), so this thread keeps the answers of its last few query objects — for those
    very objects, not for equal ones: another request reads the rollups again."""
    for ref, values in getattr(_last, "kept", []):
        if ref() is q:
            return values
    values = sums(query_of(q))
    _remember([(q, values)])
    return values


def _remember(pairs: list[tuple[Any, dict[str, int]]]) -> None:
    kept = [(ref, values) for ref, values in getattr(_last, "kept", []) if ref() is not None]
    _last.kept = [*kept, *((weakref.ref(q), values) for q, values in pairs)][-4:]


def prepare(queries: list[Any]) -> None:
    """The sums of the KPI table's queries, read in one statement before the sources ask."""
    _remember(list(zip(queries, sums_of([query_of(q) for q in queries]), strict=True)))


def _ratio(numerators: tuple[str, ...], denominator: str) -> Source:
    def source(q: Any) -> tuple[float, float | None]:
        values = _sums(q)
        return float(sum(values[n] for n in numerators)), float(values[denominator])
    return source


def _count(name: str) -> Source:
    def source(q: Any) -> tuple[float, float | None]:
        return float(_sums(q)[name]), None
    return source


def _watched(q: Any) -> tuple[float, float | None]:
    """High and 重大 risk disputes not yet closed, now (the watch list), in the query's area."""
    from civicgrid.mediation.selectors import watch_list

    if getattr(q, "departments", ()):  # a department's centre: no disputes (see ``query_of``)
        return 0.0, None
    qs = watch_list(q.user)
    cuts = _cuts(q)
    if cuts["level"]:
        qs = qs.filter(level=cuts["level"])
    if cuts["dispute_type"]:
        qs = qs.filter(dispute_type=cuts["dispute_type"])
    if cuts["mediator"] is not None:
        qs = qs.filter(mediator_id=cuts["mediator"] or None)
    return float((qs.filter(area_code__startswith=q.area) if q.area else qs).count()), None


def _watch_list(q: Any) -> str:
    return reverse("mediation:list") + "?tab=watch"


def _behind(measure: str | None) -> Callable[[Any], str]:
    """The disputes behind the number (its numerator), or the statistics page (levels)."""
    def drill(q: Any) -> str:
        params = {"since": q.period.start.isoformat(),
                  "until": (q.period.end + dt.timedelta(days=1)).isoformat()}
        if q.area:
            params["area"] = q.area
        params.update({PAGE_PARAMS[k]: v for k, v in getattr(q, "extra", ()) if k in PAGE_PARAMS})
        if measure is None:
            return reverse("mediation:stats") + "?" + urlencode(params)
        return reverse("mediation:behind") + "?" + urlencode({"measure": measure, **params})
    return drill


def register_kpis() -> None:
    from civicgrid.stats.kpis import COUNT, RATE, Kpi, register, register_prepare
    from civicgrid.stats.selectors import EXTRA_FILTERS

    EXTRA_FILTERS.update(EXTRA)
    register_prepare("disputes", prepare)

    # counts and rates open the dispute pages (drill_url), not a list of cases
    register(Kpi("dispute_high_risk_open", gettext_noop("高风险纠纷（未结）"), COUNT,
                 higher_is_better=False, group="disputes", source=_watched, drill_url=_watch_list,
                 now=True))
    for code, label, unit, source, target, drill, higher in (
        ("dispute_screened", gettext_noop("排查数"), COUNT, _count("screened"), None, "screened", True),
        ("dispute_accepted", gettext_noop("受理数（纠纷）"), COUNT, _count("accepted"), None,
         "accepted", True),
        ("dispute_resolved", gettext_noop("调解成功数"), COUNT, _count("resolved"), None, "resolved",
         True),
        ("dispute_resolution_rate", gettext_noop("化解率"), RATE, _ratio(("resolved",), "accepted"),
         0.95, "resolved", True),
        ("dispute_on_time_rate", gettext_noop("按期化解率"), RATE,
         _ratio(("resolved_on_time",), "resolved"), 0.9, "resolved_on_time", True),
        # settled at the village / all settled ("小事不出村"); at the village or township ("大事不出镇")
        ("dispute_village_rate", gettext_noop("小事不出村率"), RATE,
         _ratio(("resolved_village",), "resolved"), None, "resolved_village", True),
        ("dispute_township_rate", gettext_noop("大事不出镇率"), RATE,
         _ratio(("resolved_village", "resolved_township"), "resolved"), None, None, True),
        ("dispute_escalated", gettext_noop("上交数（纠纷）"), COUNT, _count("escalated"), None,
         "escalated", False),
    ):
        register(Kpi(code, label, unit, target=target, group="disputes", source=source,
                     higher_is_better=higher, drill_url=_behind(drill)))
