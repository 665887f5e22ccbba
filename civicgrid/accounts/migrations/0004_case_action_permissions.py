"""One permission per case action (the closed-loop issue): add them to the default roles.

Frozen here (not imported) so that later edits of the default matrix do not change history.
Only adds what is missing and removes the two codes that were split up; other edits the
security admin made are kept.
"""

from django.db import migrations

CENTER = ["cases.view", "cases.report", "cases.register", "cases.reject", "cases.merge",
          "cases.dispatch", "cases.escalate", "cases.decide_extension", "cases.supervise",
          "cases.verify", "cases.callback"]
ADDED = {
    "leader": ["cases.view", "cases.supervise"],
    "center_operator": CENTER,
    "hotline_agent": ["cases.view", "cases.report", "cases.callback"],
    "grid_member": ["cases.view", "cases.report", "cases.resolve_on_spot", "cases.verify"],
    "household_head": ["cases.view", "cases.report"],
    "dept_handler": ["cases.view", "cases.sign", "cases.return", "cases.handle",
                     "cases.request_extension"],
    "mediator": ["cases.view"],
    "resident": ["cases.view_own", "cases.report", "cases.callback_own"],
}
REMOVED = ["cases.hotline", "cases.review"]


def forward(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    RolePermission = apps.get_model("accounts", "RolePermission")
    RolePermission.objects.filter(permission__in=REMOVED).delete()
    for role in Role.objects.filter(code__in=ADDED):
        have = set(RolePermission.objects.filter(role=role).values_list("permission", flat=True))
        RolePermission.objects.bulk_create(
            [RolePermission(role=role, permission=p) for p in ADDED[role.code] if p not in have]
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_seed_roles")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
