"""``assessment.publish`` onto the leader role (only adds what is missing, so the security
admin's edits stay), and two default schemes a deployment edits in the admin (frozen here)."""

from django.db import migrations

ADDED = {"leader": ["assessment.publish"]}
RATE_INDICATORS = [("closure_rate", 30, 0.9), ("on_time_rate", 30, 0.95),
                   ("satisfaction_rate", 25, 0.9), ("rework_rate", 15, 0.05)]
DEPARTMENT_INDICATORS = [("on_time_rate", 40, 0.95), ("handle_hours", 20, 48),
                         ("satisfaction_rate", 25, 0.9), ("rework_rate", 15, 0.05)]


def forward(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    RolePermission = apps.get_model("accounts", "RolePermission")
    for role in Role.objects.filter(code__in=ADDED):
        for permission in ADDED[role.code]:
            RolePermission.objects.get_or_create(role=role, permission=permission)
    Scheme = apps.get_model("stats", "AssessmentScheme")
    Indicator = apps.get_model("stats", "AssessmentIndicator")
    for name, unit, indicators in (("乡镇（街道）月度考核", "township", RATE_INDICATORS),
                                   ("职能部门月度考核", "department", DEPARTMENT_INDICATORS)):
        if Scheme.objects.filter(name=name).exists():
            continue
        scheme = Scheme.objects.create(name=name, unit=unit, period="month")
        for sort, (kpi, weight, target) in enumerate(indicators):
            Indicator.objects.create(scheme=scheme, kpi=kpi, weight=weight, target=target, sort=sort)


class Migration(migrations.Migration):
    dependencies = [("stats", "0002_assessment"), ("accounts", "0007_user_must_change_password")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
