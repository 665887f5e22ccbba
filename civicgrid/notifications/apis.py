"""/api/v1/notifications/: the caller's own inbox; POST {id}/read/ marks one read."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from civicgrid.notifications import selectors, services
from civicgrid.notifications.links import link_of
from civicgrid.notifications.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    case_code = serializers.CharField(source="case.code", default="", read_only=True)
    is_read = serializers.BooleanField(read_only=True)
    link = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "topic", "title", "body", "case", "case_code", "link",
                  "created_at", "read_at", "is_read"]
        read_only_fields = fields

    def get_link(self, obj: Notification) -> str:
        return link_of(obj)


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          viewsets.GenericViewSet):
    """Own notifications only: another user's answers 404, exactly like a missing one."""

    serializer_class = NotificationSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        items = selectors.notifications_of(self.request.user)  # type: ignore[arg-type]
        unread = self.request.query_params.get("unread")
        if unread in ("1", "true"):
            items = items.filter(read_at__isnull=True)
        return items

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        item = services.mark_read(actor=request.user, notification_id=int(pk or 0))  # type: ignore[arg-type]
        return Response(NotificationSerializer(item).data)
