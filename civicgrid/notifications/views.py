"""/inbox/: the user's own 待办 and 消息, newest first; mark one or all read."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from civicgrid.core.errors import NotFound
from civicgrid.notifications import selectors, services
from civicgrid.notifications.links import link_of
from civicgrid.notifications.models import Kind

FILTERS = ("unread", "todo", "message")


@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    items = selectors.notifications_of(request.user)
    shown = request.GET.get("show", "")
    if shown == "unread":
        items = items.filter(read_at__isnull=True)
    elif shown in (Kind.TODO, Kind.MESSAGE):
        items = items.filter(kind=shown)
    page = Paginator(items, 30).get_page(request.GET.get("page"))
    for item in page.object_list:
        item.link = link_of(item)  # type: ignore[attr-defined]
    return render(request, "notifications/inbox.html", {"page": page, "show": shown})


@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        item = services.mark_read(actor=request.user, notification_id=pk)  # type: ignore[arg-type]
    except NotFound:
        return HttpResponse(status=404)
    target = link_of(item) if request.POST.get("open") else ""
    return HttpResponseRedirect(target or _back(request))


@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    services.mark_all_read(actor=request.user)  # type: ignore[arg-type]
    return HttpResponseRedirect(_back(request))


def _back(request: HttpRequest) -> str:
    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return nxt
    return reverse("notifications:inbox")
