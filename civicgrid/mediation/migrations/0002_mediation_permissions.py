"""``mediation.view`` and ``mediation.report`` onto the roles that screen, register and watch
disputes (issue #6). Frozen here (not imported); only adds what is missing, so the security
admin's edits stay."""

from django.db import migrations

ADDED = {
    "leader": ["mediation.view"],
    "center_operator": ["mediation.view", "mediation.report"],
    "grid_member": ["mediation.view", "mediation.report"],
    "mediator": ["mediation.view", "mediation.report"],
}


def forward(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    RolePermission = apps.get_model("accounts", "RolePermission")
    for role in Role.objects.filter(code__in=ADDED):
        for permission in ADDED[role.code]:
            RolePermission.objects.get_or_create(role=role, permission=permission)


class Migration(migrations.Migration):
    dependencies = [("mediation", "0001_initial"), ("accounts", "0007_user_must_change_password")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
