"""The rows behind each home-page panel, read through the owning app's scoped selectors."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.accounts.scope import scope_for
from civicgrid.accounts.selectors import grants_of, roles_visible_to, users_visible_to
from civicgrid.areas.selectors import areas_visible_to, grids_visible_to
from civicgrid.cases.deadlines import Timeliness, timeliness
from civicgrid.cases.models import OPEN_STATES, Case, Channel, State
from civicgrid.cases.selectors import cases_visible_to
from civicgrid.core.audit_selectors import audit_entries_visible_to

LIMIT = 10


def scope_summary(user: User) -> list[str]:
    parts = []
    for grant in grants_of(user):
        if grant.area is not None:
            parts.append(f"{grant.role.name}：{grant.area.name}")
        elif grant.grid_code:
            grid = grids_visible_to(user).filter(code=grant.grid_code).first()
            parts.append(f"{grant.role.name}：{grid.name if grid else '网格'}（{grant.grid_code}）")
        elif grant.org_unit is not None:
            parts.append(f"{grant.role.name}：{grant.org_unit.name}")
        else:
            parts.append(f"{grant.role.name}：全系统")
    return parts


def rows_for(user: User, role: str, key: str) -> list[dict[str, Any]]:
    if key == "users":
        return [
            {"label": f"{u.username} {u.display_name}", "meta": "已停用" if not u.is_active else ""}
            for u in users_visible_to(user).order_by("-date_joined")[:LIMIT]
        ]
    if key == "reference":
        return [
            {"label": "行政区划", "meta": f"{areas_visible_to(user).count()} 个",
             "url": reverse("areas:list")},
            {"label": "现行网格", "meta": f"{grids_visible_to(user).count()} 个",
             "url": reverse("areas:map")},
        ]
    if key == "roles":
        return [
            {"label": r.name, "meta": "、".join(sorted(p.permission for p in r.permissions.all()))}
            for r in roles_visible_to(user)
        ]
    if key == "audit":
        return [
            {"label": f"#{e.seq} {e.action} {e.target}", "meta": e.at.strftime("%Y-%m-%d %H:%M:%S")}
            for e in audit_entries_visible_to(user)[:LIMIT]
        ]
    if key in CASE_PANELS:
        return case_rows(user, role, key)
    if key in ("disputes", "followups", "dispute_watch"):
        from civicgrid.mediation.home import dispute_rows

        return dispute_rows(user, key)
    return []


# --- the case closed loop (read through civicgrid.cases.selectors) ---------------------------

CASE_PANELS = frozenset({"to_review", "to_dispatch", "to_close", "to_sign", "in_progress",
                         "overdue", "supervised", "my_reports", "to_verify", "calls",
                         "callbacks", "to_rate"})


def _case_query(user: User, role: str, key: str) -> tuple[QuerySet[Case], str]:
    """The panel's cases, most pressing first, and the page that lists all of them."""
    visible = cases_visible_to(user)
    now = timezone.now()
    overdue = Q(state__in=sorted(OPEN_STATES), due_at__lt=now)
    depts = sorted(scope_for(user, "cases.view").org_unit_ids)
    mine = Q(assignments__department_id__in=depts)
    by_state = {"to_review": State.REPORTED, "to_dispatch": State.REGISTERED,
                "to_close": State.HANDLED}
    if key in by_state:
        return (visible.filter(state=by_state[key]).order_by("due_at"),
                reverse("cases:list") + f"?tab={by_state[key]}")
    if key == "to_sign":
        return (visible.filter(mine, state=State.DISPATCHED, assignments__state="dispatched")
                .distinct().order_by("due_at"), reverse("cases:department") + "?tab=to_sign")
    if key == "in_progress":
        return (visible.filter(mine, state=State.IN_PROGRESS, assignments__state="signed")
                .distinct().order_by("due_at"), reverse("cases:department") + "?tab=in_progress")
    if key == "overdue" and role == "dept_handler":
        return (visible.filter(mine, overdue, assignments__state__in=["dispatched", "signed"])
                .distinct().order_by("due_at"), reverse("cases:department") + "?tab=overdue")
    if key == "overdue":
        return visible.filter(overdue).order_by("due_at"), reverse("cases:supervision")
    if key == "supervised":
        return (visible.filter(state__in=sorted(OPEN_STATES), supervise_level__gt=0)
                .order_by("-supervise_level", "due_at"),
                reverse("cases:supervision") + "?tab=supervised")
    if key == "my_reports":
        return visible.filter(reporter=user).order_by("-created_at"), reverse("cases:mine")
    if key == "to_rate":
        return (visible.filter(reporter=user, state=State.CLOSED, satisfaction__isnull=True,
                               closed_at__isnull=False).order_by("-closed_at"), reverse("cases:mine") + "?tab=to_rate")
    if key == "to_verify":
        scope = scope_for(user, "cases.verify")
        return (visible.filter(scope.code_q("area_code"), state=State.HANDLED).order_by("due_at"),
                reverse("cases:verify"))
    if key == "calls":
        today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
        return (visible.filter(reporter=user, channel=Channel.HOTLINE, created_at__gte=today)
                .order_by("-created_at"), reverse("cases:hotline"))
    # callbacks: closed hotline cases not yet called back
    return (visible.filter(channel=Channel.HOTLINE, state=State.CLOSED, satisfaction__isnull=True,
                           closed_at__isnull=False).order_by("closed_at"), reverse("cases:list") + f"?tab={State.CLOSED}")


def case_rows(user: User, role: str, key: str) -> list[dict[str, Any]]:
    qs, more = _case_query(user, role, key)
    now = timezone.now()
    rows: list[dict[str, Any]] = []
    for case in qs[:LIMIT]:
        t = (timeliness(start=case.stage_started_at, due=case.due_at, now=now)
             if case.state in OPEN_STATES else Timeliness.NORMAL)
        meta = _(State(case.state).label)
        if case.state in OPEN_STATES and case.due_at is not None:
            meta += f" · {_(Timeliness.LABELS[t])}"
        rows.append({"label": f"{case.code} {case.title}", "meta": meta,
                     "url": reverse("cases:detail", args=[case.pk]), "class": f"t-{t}"})
    if rows:
        rows.append({"label": _("查看全部") + " ›", "url": more, "meta": "", "class": "more"})
    return rows
