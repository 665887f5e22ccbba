"""``cases.import`` (bulk import of 12345 work orders) for centre operators and hotline agents.

Frozen here (not imported); only adds what is missing, so the security admin's edits stay.
"""

from django.db import migrations

ADDED = {"center_operator": "cases.import", "hotline_agent": "cases.import"}


def forward(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    RolePermission = apps.get_model("accounts", "RolePermission")
    for role in Role.objects.filter(code__in=ADDED):
        RolePermission.objects.get_or_create(role=role, permission=ADDED[role.code])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_integrations_manage")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
