"""Disputes over the API: what a dispute looks like (personal data masked), what actions take.

Output serializers read a dispute the caller obtained through ``disputes_visible_to``;
request serializers only check shapes — the services decide everything else.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from civicgrid.mediation import privacy
from civicgrid.mediation.models import (
    Agreement,
    Dispute,
    DisputeEvent,
    DisputeType,
    FollowUp,
    Level,
    Party,
    PartyKind,
    PartySide,
    Performance,
    Referral,
    Risk,
    ScreeningReport,
    Session,
)
from civicgrid.mediation.workflow import actions_for


class PartySerializer(serializers.ModelSerializer[Party]):
    """ID number, phone and address are masked (6202**********1234, 138****5678)."""

    id_number = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    address = serializers.SerializerMethodField()

    class Meta:
        model = Party
        fields = ["side", "kind", "name", "id_number", "phone", "address"]

    def get_id_number(self, obj: Party) -> str:
        return privacy.masked(obj)["id_number"]

    def get_phone(self, obj: Party) -> str:
        return privacy.masked(obj)["phone"]

    def get_address(self, obj: Party) -> str:
        return privacy.masked(obj)["address"]


class DisputeSerializer(serializers.ModelSerializer[Dispute]):
    grid = serializers.SlugRelatedField(slug_field="code", read_only=True)
    mediator_name = serializers.SerializerMethodField()
    on_watch = serializers.BooleanField(read_only=True)
    referral = serializers.ChoiceField(choices=Referral.choices, allow_blank=True, read_only=True,
                                       help_text="分流去向（未分流时为空）")

    class Meta:
        model = Dispute
        fields = ["id", "code", "dispute_type", "summary", "amount", "people_count", "risk",
                  "risk_reasons", "source", "grid", "area_code", "address", "case", "start_level",
                  "level", "escalation_count", "state", "referral", "mediator_name", "created_at",
                  "accepted_at", "resolved_at", "closed_at", "due_at", "mediation_due_at",
                  "resolved_on_time", "next_followup_at", "on_watch", "version"]
        read_only_fields = fields

    def get_mediator_name(self, obj: Dispute) -> str:
        return (obj.mediator.display_name or obj.mediator.username) if obj.mediator else ""


class SessionSerializer(serializers.ModelSerializer[Session]):
    class Meta:
        model = Session
        fields = ["level", "held_at", "place", "mediators", "attendees", "notes"]


class AgreementSerializer(serializers.ModelSerializer[Agreement]):
    class Meta:
        model = Agreement
        fields = ["number", "level", "terms", "performance_method", "signed_at", "performance"]


class FollowUpSerializer(serializers.ModelSerializer[FollowUp]):
    performance = serializers.ChoiceField(choices=Performance.choices, allow_blank=True,
                                          read_only=True, help_text="履行情况（无协议时为空）")

    class Meta:
        model = FollowUp
        fields = ["visited_at", "performance", "notes"]


class EventSerializer(serializers.ModelSerializer[DisputeEvent]):
    class Meta:
        model = DisputeEvent
        fields = ["at", "actor_name", "action", "from_state", "to_state", "level", "note"]


class DisputeDetailSerializer(DisputeSerializer):
    parties = PartySerializer(many=True, read_only=True)
    sessions = SessionSerializer(many=True, read_only=True)
    agreement = serializers.SerializerMethodField()
    followups = FollowUpSerializer(many=True, read_only=True)
    timeline = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    class Meta(DisputeSerializer.Meta):
        fields = [*DisputeSerializer.Meta.fields, "parties", "sessions", "agreement", "followups",
                  "timeline", "actions"]
        read_only_fields = fields

    def get_agreement(self, obj: Dispute) -> dict[str, Any] | None:
        agreement = Agreement.objects.filter(dispute=obj).first()
        return AgreementSerializer(agreement).data if agreement else None

    def get_timeline(self, obj: Dispute) -> list[dict[str, Any]]:
        return EventSerializer(obj.events.order_by("at", "id"), many=True).data  # type: ignore[return-value]

    def get_actions(self, obj: Dispute) -> list[str]:
        return [a.replace("_", "-") for a in actions_for(self.context["request"].user, obj)]


class PartyInSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)
    side = serializers.ChoiceField(choices=PartySide.choices, default=PartySide.APPLICANT)
    kind = serializers.ChoiceField(choices=PartyKind.choices, default=PartyKind.PERSON)
    id_number = serializers.CharField(max_length=18, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class DisputeCreateSerializer(serializers.Serializer[Any]):
    """Give ``grid`` (or ``area``), or ``case`` to register from a 矛盾纠纷 case."""

    dispute_type = serializers.ChoiceField(choices=DisputeType.choices, required=False)
    summary = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    parties = PartyInSerializer(many=True)
    risk = serializers.ChoiceField(choices=Risk.choices, default=Risk.LOW)
    risk_reasons = serializers.CharField(max_length=2000, required=False, allow_blank=True,
                                         default="")
    grid = serializers.CharField(max_length=15, required=False, allow_blank=True)
    area = serializers.CharField(max_length=12, required=False, allow_blank=True)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False,
                                      allow_null=True, min_value=0)
    people_count = serializers.IntegerField(min_value=1, max_value=100000, default=2)
    level = serializers.ChoiceField(choices=Level.choices, required=False)
    screening = serializers.IntegerField(required=False, min_value=1)
    case = serializers.IntegerField(required=False, min_value=1, help_text="由矛盾纠纷类事件转入")


class VersionSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField(required=False, min_value=0,
                                       help_text="期望的版本号；不符返回 409 stale_version")


class DisputeNoteSerializer(VersionSerializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class DisputeReasonSerializer(VersionSerializer):
    reason = serializers.CharField(max_length=2000)


class SessionInSerializer(VersionSerializer):
    place = serializers.CharField(max_length=100)
    mediators = serializers.CharField(max_length=200)
    attendees = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    notes = serializers.CharField(max_length=4000)
    held_at = serializers.DateTimeField(required=False)


class ResolveSerializer(VersionSerializer):
    terms = serializers.CharField(max_length=8000)
    performance_method = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                               default="")


class ReferSerializer(VersionSerializer):
    referral = serializers.ChoiceField(choices=Referral.choices)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class FollowUpInSerializer(VersionSerializer):
    notes = serializers.CharField(max_length=4000)
    performance = serializers.ChoiceField(choices=Performance.choices, required=False,
                                          allow_blank=True, default="")


class RiskSerializer(VersionSerializer):
    risk = serializers.ChoiceField(choices=Risk.choices)
    reasons = serializers.CharField(max_length=2000)


class ScreeningReportSerializer(serializers.ModelSerializer[ScreeningReport]):
    disputes = serializers.SerializerMethodField()

    class Meta:
        model = ScreeningReport
        fields = ["id", "grid_code", "period", "zero_report", "notes", "submitted_at", "disputes"]
        read_only_fields = fields

    def get_disputes(self, obj: ScreeningReport) -> int:
        return obj.disputes.count()


class ScreeningCreateSerializer(serializers.Serializer[Any]):
    grid = serializers.CharField(max_length=15)
    zero_report = serializers.BooleanField(default=False, help_text="本期未发现矛盾纠纷（零报告）")
    notes = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    period = serializers.DateField(required=False, help_text="排查周期（该周期内任一天）")


class MissingGridSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()
    village = serializers.CharField(source="village.name")


class KpiRowSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField()
    screened = serializers.IntegerField(help_text="排查数")
    accepted = serializers.IntegerField(help_text="受理数")
    resolved = serializers.IntegerField(help_text="调解成功数")
    resolved_on_time = serializers.IntegerField(help_text="按期调解成功数")
    resolution_rate = serializers.FloatField(allow_null=True, help_text="化解率")
    on_time_rate = serializers.FloatField(allow_null=True, help_text="按期化解率")


class LevelRowSerializer(serializers.Serializer[Any]):
    level = serializers.CharField()
    label = serializers.CharField()
    accepted = serializers.IntegerField(help_text="在本级受理（上交的在各级都计）")
    resolved = serializers.IntegerField(help_text="在本级调解成功")
    escalated = serializers.IntegerField(help_text="从本级上交")
    resolution_rate = serializers.FloatField(allow_null=True, help_text="本级化解率")

