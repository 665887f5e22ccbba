"""``integrations.manage`` (Open311 api_keys and other external systems) for the system admin.

Frozen here (not imported); only adds what is missing, so the security admin's edits stay.
"""

from django.db import migrations


def forward(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    RolePermission = apps.get_model("accounts", "RolePermission")
    for role in Role.objects.filter(code="sysadmin"):
        RolePermission.objects.get_or_create(role=role, permission="integrations.manage")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_case_action_permissions")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
