from django.db import migrations


def seed(apps, schema_editor):
    from civicgrid.accounts.permissions import ROLES

    Role = apps.get_model("accounts", "Role")
    RolePermission = apps.get_model("accounts", "RolePermission")
    for code, name, is_admin, perms in ROLES:
        role, created = Role.objects.get_or_create(
            code=code, defaults={"name": name, "is_admin_role": is_admin}
        )
        if created:
            RolePermission.objects.bulk_create(
                [RolePermission(role=role, permission=p) for p in perms]
            )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
