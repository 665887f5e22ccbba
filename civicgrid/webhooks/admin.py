"""Webhook subscribers for the system admin: their deliveries, and who is failing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.scope import can
from civicgrid.core.admin_base import CivicModelAdmin, dry_run
from civicgrid.webhooks import services
from civicgrid.webhooks.delivery import failing_subscribers
from civicgrid.webhooks.models import Delivery, DeliveryStatus, Event, Subscriber

RECENT = 20


class SubscriberForm(forms.ModelForm):
    url = forms.URLField(label=_("推送地址"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(label=_("订阅事件"), choices=Event.choices,
                                       widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Subscriber
        fields = ["name", "url", "events", "area", "active"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        error = dry_run(lambda: (services.check_url(data["url"]),
                                 services.check_events(data["events"])))
        if error is not None:
            raise forms.ValidationError(error.message)
        return data


class HealthFilter(admin.SimpleListFilter):
    title = _("推送状况")
    parameter_name = "health"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("failing", _("失败中（有放弃的推送）")), ("ok", _("正常"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "failing":
            return queryset.filter(failing_subscribers()).distinct()
        if self.value() == "ok":
            return queryset.exclude(failing_subscribers())
        return queryset


@admin.register(Subscriber)
class SubscriberAdmin(CivicModelAdmin):
    view_permission = manage_permission = "integrations.manage"
    allow_delete = False
    form = SubscriberForm
    list_display = ["name", "url", "area", "active", "health", "dead_count", "last_success_at"]
    list_filter = [HealthFilter, "active"]
    search_fields = ["name", "url"]
    autocomplete_fields = ["area"]
    readonly_fields = ["secret_hint", "failing_since", "last_success_at", "created_by",
                       "created_at", "recent_deliveries"]
    actions = ["rotate_secret"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # a count over the dead rows only (their partial index), not a join of all deliveries
        dead = (Delivery.objects.filter(subscriber=OuterRef("pk"), status=DeliveryStatus.DEAD)
                .order_by().values("subscriber").annotate(n=Count("id")).values("n"))
        return super().get_queryset(request).select_related("area").annotate(
            dead=Coalesce(Subquery(dead), 0))

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = ["name", "url", "events", "area", "active"]
        return fields if obj is None else fields + self.readonly_fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [] if obj is None else list(self.readonly_fields)

    @admin.display(description=_("状况"))
    def health(self, obj: Subscriber) -> str:
        if obj.failing_since or getattr(obj, "dead", 0):
            return format_html('<strong style="color:#b00">{}</strong>', _("失败中"))
        return str(_("正常"))

    @admin.display(description=_("放弃的推送"), ordering="dead")
    def dead_count(self, obj: Subscriber) -> int:
        return int(getattr(obj, "dead", 0))

    @admin.display(description=_("签名密钥"))
    def secret_hint(self, obj: Subscriber) -> str:
        return f"{obj.signing_secret[:9]}…（{_('仅在创建或更换时显示一次')}）"

    @admin.display(description=_("最近推送"))
    def recent_deliveries(self, obj: Subscriber) -> str:
        rows = obj.deliveries.order_by("-id")[:RECENT]
        body = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((d.created_at.strftime("%Y-%m-%d %H:%M:%S"), d.event, d.get_status_display(),
              d.attempts, d.last_status_code or "", d.last_error[:120]) for d in rows))
        head = format_html("<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
                           _("时间"), _("事件"), _("状态"), _("尝试"), _("响应码"), _("错误"))
        return format_html("<table>{}{}</table>", head, body)

    def save_model(self, request: HttpRequest, obj: Subscriber, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            services.update_subscriber(actor=request.user, subscriber_id=obj.pk, name=data["name"],
                                       url=data["url"], events=data["events"], area=data["area"],
                                       active=data["active"])
            return
        created, secret = services.create_subscriber(
            actor=request.user, name=data["name"], url=data["url"], events=data["events"],
            area=data["area"], active=data["active"])
        obj.pk = created.pk
        messages.warning(request, _("签名密钥（只显示这一次，请立即交给对方系统）：%(secret)s")
                         % {"secret": secret})

    @admin.action(description=_("更换签名密钥"))
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet) -> None:
        for subscriber in queryset:
            secret = services.rotate_secret(actor=request.user, subscriber_id=subscriber.pk)
            messages.warning(request, _("%(name)s 的新签名密钥（只显示这一次）：%(secret)s")
                             % {"name": subscriber.name, "secret": secret})


@admin.register(Delivery)
class DeliveryAdmin(CivicModelAdmin):
    view_permission = manage_permission = "integrations.manage"
    allow_add = allow_change = allow_delete = False
    list_display = ["created_at", "subscriber", "event", "status", "attempts", "last_status_code",
                    "next_attempt_at", "sent_at"]
    list_filter = ["status", "event", "subscriber"]
    list_select_related = ["subscriber"]
    readonly_fields = ["subscriber", "uuid", "event_id", "event", "payload", "status", "attempts",
                       "next_attempt_at", "last_status_code", "last_error", "sent_at",
                       "created_at"]
    fields = readonly_fields
    actions = ["retry"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("重新推送"), permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = services.retry_now(actor=request.user, delivery_ids=queryset.values_list("pk", flat=True))
        messages.success(request, _("已重新排队 %(count)s 条推送。") % {"count": count})

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return can(request.user, "integrations.manage")
