"""Cases over the API: what a case looks like, and what each action accepts.

Output serializers read a case the caller obtained through ``cases_visible_to``; request
serializers only check shapes — the services decide everything else.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from civicgrid.accounts.scope import can
from civicgrid.cases import deadlines
from civicgrid.cases.models import (
    OPEN_STATES,
    Assignment,
    Case,
    CaseEvent,
    CasePhoto,
    Channel,
    State,
    Urgency,
)
from civicgrid.cases.transitions import TRANSITIONS
from civicgrid.cases.workflow import actions_for


def mask_phone(phone: str) -> str:
    """138****5678: the first three and the last four digits stay (shorter: the last two)."""
    phone = phone.strip()
    if not phone:
        return ""
    if len(phone) >= 8:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    return "*" * max(len(phone) - 2, 0) + phone[-2:]


def is_staff_viewer(user: Any) -> bool:
    """Staff see cases by area/grid/department; residents see only their own reports."""
    return can(user, "cases.view")


def timeliness_of(case: Case, now: Any = None) -> str | None:
    if case.state not in OPEN_STATES:
        return None
    return deadlines.timeliness(start=case.stage_started_at, due=case.due_at, now=now)


EVENT_LABELS = {"report": "上报"} | {a: t.label for a, t in TRANSITIONS.items()}


class CaseEventSerializer(serializers.ModelSerializer[CaseEvent]):
    label = serializers.SerializerMethodField()

    class Meta:
        model = CaseEvent
        fields = ["at", "action", "label", "from_state", "to_state", "actor_name", "note", "data"]

    def get_label(self, event: CaseEvent) -> str:
        return EVENT_LABELS.get(event.action, event.action)


class AssignmentSerializer(serializers.ModelSerializer[Assignment]):
    department_name = serializers.CharField(source="department.name", read_only=True)

    class Meta:
        model = Assignment
        fields = ["id", "department", "department_name", "role", "state", "dispatched_at",
                  "sign_due_at", "handle_due_at", "signed_at", "handled_at", "result"]


class CasePhotoSerializer(serializers.ModelSerializer[CasePhoto]):
    url = serializers.SerializerMethodField()

    class Meta:
        model = CasePhoto
        fields = ["id", "kind", "content_type", "size", "url", "created_at"]

    def get_url(self, photo: CasePhoto) -> str:
        path = reverse("case-photo", kwargs={"pk": photo.case_id, "photo_id": photo.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class CaseSerializer(serializers.ModelSerializer[Case]):
    """One row of the list."""

    state_label = serializers.CharField(source="get_state_display", read_only=True)
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    category_name = serializers.SerializerMethodField()
    grid = serializers.SlugRelatedField(slug_field="code", read_only=True)
    owner_name = serializers.CharField(source="owner.name", read_only=True)
    timeliness = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = ["id", "code", "channel", "category", "category_name", "urgency", "title",
                  "state", "state_label", "area_code", "grid", "owner", "owner_name", "address",
                  "lng", "lat", "created_at", "due_at", "timeliness", "supervise_level",
                  "version"]

    def get_category_name(self, case: Case) -> str:
        return str(case.category) if case.category else ""

    @extend_schema_field(serializers.ChoiceField(
        choices=["normal", "due_soon", "overdue"], allow_null=True,
        help_text="本环节时效：正常 / 将到期 / 已超期（已办结为 null）"))
    def get_timeliness(self, case: Case) -> str | None:
        return timeliness_of(case, self.context.get("now"))


class DeadlinesSerializer(serializers.Serializer[Any]):
    stage = serializers.CharField(allow_null=True, help_text="本环节：accept/dispatch/sign/handle/verify")
    stage_started_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(allow_null=True, help_text="本环节时限")
    handle_due_at = serializers.DateTimeField(allow_null=True, help_text="处置时限")
    timeliness = serializers.CharField(allow_null=True)
    closed_on_time = serializers.BooleanField(allow_null=True)


class CaseDetailSerializer(CaseSerializer):
    """A case with its timeline, assignments, photos and the actions open to the caller."""

    reporter_name = serializers.SerializerMethodField()
    reporter_phone = serializers.SerializerMethodField()
    merged_into = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    deadlines = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()
    assignments = serializers.SerializerMethodField()
    photos = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "description", "channel_detail", "source_ref",
                  "reporter_name", "reporter_phone", "anonymous", "on_the_spot", "merged_into",
                  "result", "satisfaction", "rework_count", "reopen_count", "escalation_count",
                  "registered_at", "dispatched_at", "handled_at", "closed_at", "updated_at",
                  "deadlines", "events", "assignments", "photos", "allowed_actions"]

    def _user(self) -> Any:
        request = self.context.get("request")
        return getattr(request, "user", None)

    @extend_schema_field(OpenApiTypes.STR)
    def get_reporter_name(self, case: Case) -> str:
        return case.reporter_name if is_staff_viewer(self._user()) else ""

    @extend_schema_field(OpenApiTypes.STR)
    def get_reporter_phone(self, case: Case) -> str:
        return mask_phone(case.reporter_phone_plain)  # masked for every role (DESIGN.md §5)

    @extend_schema_field(DeadlinesSerializer)
    def get_deadlines(self, case: Case) -> dict[str, Any]:
        return DeadlinesSerializer({
            "stage": case.stage, "stage_started_at": case.stage_started_at,
            "due_at": case.due_at, "handle_due_at": case.handle_due_at,
            "timeliness": timeliness_of(case, self.context.get("now")),
            "closed_on_time": case.closed_on_time,
        }).data

    @extend_schema_field(CaseEventSerializer(many=True))
    def get_events(self, case: Case) -> Any:
        events = case.events.order_by("at", "id")
        return CaseEventSerializer(events, many=True).data

    @extend_schema_field(AssignmentSerializer(many=True))
    def get_assignments(self, case: Case) -> Any:
        return AssignmentSerializer(case.assignments.select_related("department"), many=True).data

    @extend_schema_field(CasePhotoSerializer(many=True))
    def get_photos(self, case: Case) -> Any:
        return CasePhotoSerializer(case.photos.all(), many=True, context=self.context).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, case: Case) -> list[str]:
        user = self._user()
        return actions_for(user, case) if user is not None else []


class SuspectedDuplicateSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="case.id")
    code = serializers.CharField(source="case.code")
    title = serializers.CharField(source="case.title")
    state = serializers.CharField(source="case.state")
    distance_m = serializers.FloatField(help_text="距离（米）")


class CaseCreatedSerializer(serializers.Serializer[Case]):
    """The 201 body of a report: what the reporter needs at once, and the suspected duplicates.

    Lean on purpose (nothing here costs a query): the timeline, assignments, photos, deadlines
    and allowed actions are in the detail (``Location``, ``GET /api/v1/cases/{id}/``).
    """

    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True, help_text="事件编号（电话里可读出）")
    channel = serializers.ChoiceField(choices=Channel.choices, read_only=True)
    category = serializers.CharField(source="category.code", read_only=True, allow_null=True,
                                     help_text="事项分类编码")
    urgency = serializers.ChoiceField(choices=Urgency.choices, read_only=True)
    state = serializers.ChoiceField(choices=State.choices, read_only=True)
    area_code = serializers.CharField(read_only=True)
    grid = serializers.CharField(source="grid.code", read_only=True, allow_null=True,
                                 help_text="网格编码（不在网格内时为 null）")
    owner = serializers.IntegerField(source="owner_id", read_only=True, help_text="受理中心 id")
    on_the_spot = serializers.BooleanField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    due_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text="本环节时限")
    version = serializers.IntegerField(read_only=True)
    suspected_duplicates = serializers.SerializerMethodField()

    @extend_schema_field(SuspectedDuplicateSerializer(many=True))
    def get_suspected_duplicates(self, case: Case) -> Any:
        return SuspectedDuplicateSerializer(self.context.get("duplicates", []), many=True).data


# --- requests --------------------------------------------------------------------------------

class CaseCreateSerializer(serializers.Serializer[Any]):
    """A report from any channel (JSON, or multipart with ``photos``)."""

    channel = serializers.ChoiceField(choices=Channel.choices)
    title = serializers.CharField(max_length=120)
    description = serializers.CharField()
    category = serializers.CharField(required=False, allow_blank=True, help_text="事项分类编码（小类）")
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False, allow_blank=True)
    lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    lng = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    crs = serializers.ChoiceField(choices=["wgs84", "gcj02"], default="wgs84",
                                  help_text="坐标系：wgs84（含CGCS2000）或 gcj02（手机地图）")
    address = serializers.CharField(required=False, allow_blank=True, max_length=200)
    grid = serializers.CharField(required=False, allow_blank=True, help_text="网格编码（15位）")
    area = serializers.CharField(required=False, allow_blank=True, help_text="区划代码")
    reporter_name = serializers.CharField(required=False, allow_blank=True, max_length=64)
    reporter_phone = serializers.CharField(required=False, allow_blank=True, max_length=32)
    anonymous = serializers.BooleanField(default=False)
    source_ref = serializers.CharField(required=False, allow_blank=True, max_length=64,
                                       help_text="来源系统编号（如12345工单号）")
    on_the_spot_result = serializers.CharField(required=False, allow_null=True,
                                               help_text="即报即办：现场处置结果（仅网格员）")
    photos = serializers.ListField(child=serializers.FileField(), required=False,
                                   help_text="照片（multipart，可多张）：JPEG/PNG/HEIC")


class VersionedSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField(required=False, min_value=0,
                                       help_text="期望的版本号（也可用 If-Match 头）；不一致时 409 stale_version")


class RegisterSerializer(VersionedSerializer):
    category = serializers.CharField(required=False, allow_blank=True)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ReasonSerializer(VersionedSerializer):
    reason = serializers.CharField(help_text="理由（必填）")


class MergeSerializer(VersionedSerializer):
    into = serializers.IntegerField(help_text="合并到的事件 id")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class DispatchSerializer(VersionedSerializer):
    lead = serializers.IntegerField(required=False, allow_null=True,
                                    help_text="主办部门 id（缺省：按分类的默认部门）")
    co = serializers.ListField(child=serializers.IntegerField(), required=False, default=list,
                               help_text="协办部门 id")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class NoteSerializer(VersionedSerializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class HandleSerializer(VersionedSerializer):
    result = serializers.CharField(help_text="处置结果")
    photos = serializers.ListField(child=serializers.FileField(), required=False,
                                   help_text="处置照片（multipart，可多张）")


class RequestExtensionSerializer(VersionedSerializer):
    reason = serializers.CharField()
    until = serializers.DateTimeField(help_text="申请延至（ISO 8601）")


class DecideExtensionSerializer(VersionedSerializer):
    extension = serializers.IntegerField(help_text="延期申请 id")
    grant = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class SuperviseSerializer(VersionedSerializer):
    level = serializers.IntegerField(min_value=1, max_value=3, help_text="1 一般督办 / 2 重点督办 / 3 挂牌督办")
    note = serializers.CharField(help_text="督办意见")


class VerifySerializer(VersionedSerializer):
    passed = serializers.BooleanField(help_text="true：核查通过结案；false：返工（须写原因）")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class CallbackSerializer(VersionedSerializer):
    satisfaction = serializers.IntegerField(min_value=1, max_value=5, help_text="满意度 1–5")
    comment = serializers.CharField(required=False, allow_blank=True, default="")


def now_context(request: Any) -> dict[str, Any]:
    return {"request": request, "now": timezone.now()}


STATE_CHOICES = State.values
