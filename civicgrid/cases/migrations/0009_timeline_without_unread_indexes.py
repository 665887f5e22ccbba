"""The timeline's indexes that no query reads: by action, by actor and by organisation (see
``CaseEvent``). Only the indexes go; the foreign keys stay as they are (Django's own
``AlterField`` would drop each key and add it again, checking the whole timeline under lock)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# Django's names for the foreign keys' indexes, the same on PostgreSQL and SQLite
INDEXES = {"cases_caseevent_actor_id_3b42ca2c": "actor_id",
           "cases_caseevent_actor_org_id_93489f7f": "actor_org_id"}


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0007_user_must_change_password"),
        ("cases", "0008_area_code_collate_c"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="caseevent",
            name="caseevent_action",
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="caseevent",
                    name="actor",
                    field=models.ForeignKey(blank=True, db_index=False, null=True,
                                            on_delete=django.db.models.deletion.PROTECT,
                                            related_name="+", to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name="caseevent",
                    name="actor_org",
                    field=models.ForeignKey(blank=True, db_index=False, null=True,
                                            on_delete=django.db.models.deletion.PROTECT,
                                            related_name="+", to="accounts.orgunit"),
                ),
            ],
            database_operations=[
                migrations.RunSQL(f'DROP INDEX IF EXISTS "{name}"',
                                  f'CREATE INDEX "{name}" ON "cases_caseevent" ("{column}")')
                for name, column in INDEXES.items()
            ],
        ),
    ]
