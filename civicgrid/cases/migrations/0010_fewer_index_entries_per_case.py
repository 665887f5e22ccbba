"""Three index entries fewer for every new case: the timeline's index on ``at``, the case's on
``grid_id``, and the case's on ``closed_at`` for open cases (now partial: closed cases only).

Each entry costs PostgreSQL about 1.1 µs of CPU per imported case (the four entries these and
``due_at`` make, dropped together in alternating imports of 200,000 cases: 4.5 µs), and every
workflow action pays for them too. Nothing needs them: the timeline is read by case and by id;
cases are found by grid through ``area_code`` (a case in a grid carries the grid's code), and
grids are never deleted; every query on ``closed_at`` is for closed cases (see ``Case``).

Only the indexes change (``DROP INDEX IF EXISTS``, reversed by ``CREATE INDEX``): Django's own
``AlterField`` would remake the tables on SQLite, and drop and add the foreign key on PostgreSQL.
"""

import django.db.models.deletion
from django.db import migrations, models

# Django's names for the indexes of ``db_index=True``, the same on PostgreSQL and SQLite
DROPPED = {"cases_caseevent_at_2a0bb58d": ("cases_caseevent", "at"),
           "cases_case_grid_id_af7609ce": ("cases_case", "grid_id"),
           "cases_case_closed_at_d6d6a19d": ("cases_case", "closed_at")}


class Migration(migrations.Migration):

    dependencies = [
        ("areas", "0001_initial"),
        ("cases", "0009_timeline_without_unread_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="caseevent",
                    name="at",
                    field=models.DateTimeField(verbose_name="时间"),
                ),
                migrations.AlterField(
                    model_name="case",
                    name="grid",
                    field=models.ForeignKey(blank=True, db_index=False, null=True,
                                            on_delete=django.db.models.deletion.PROTECT,
                                            related_name="cases", to="areas.grid",
                                            verbose_name="网格(当时版本)"),
                ),
                migrations.AlterField(
                    model_name="case",
                    name="closed_at",
                    field=models.DateTimeField(blank=True, null=True, verbose_name="结案时间"),
                ),
            ],
            database_operations=[
                migrations.RunSQL(f'DROP INDEX IF EXISTS "{name}"',
                                  f'CREATE INDEX "{name}" ON "{table}" ("{column}")')
                for name, (table, column) in DROPPED.items()
            ],
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(condition=models.Q(("closed_at__isnull", False)),
                               fields=["closed_at"], name="case_closed_at"),
        ),
    ]
