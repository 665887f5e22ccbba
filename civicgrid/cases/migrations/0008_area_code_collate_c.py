"""PostgreSQL: ``cases_case.area_code`` compares bytewise (``COLLATE "C"``), one index instead of two.

The column holds digit codes, read by equality, ``IN`` and prefix (``LIKE '6401%'``: every
scope filter, ``accounts.scope.code_q``). Under the database's locale (e.g. ``C.UTF-8``,
``zh_CN.UTF-8``) a btree can serve only the equality, so Django added a ``varchar_pattern_ops``
twin for the prefix matches, and every case written paid for both indexes, each comparison of the
first going through the locale's ``strcoll``. With ``COLLATE "C"`` the one btree serves all three
(digits sort the same in every locale), and the twin is dropped: about 4–5 µs of PostgreSQL CPU
per imported case (binary COPY of 200,000 cases by two connections, docs/benchmarks.md
``bench:import``).

Cheap on a big table: the collation of the same type needs no table rewrite, only the column's
remaining index is rebuilt. The model keeps its portable declaration (SQLite compares bytewise
already and has no "C" collation); an ``AlterField`` of ``area_code`` later would give the column
the default collation back and Django its ``_like`` index: then re-apply what this migration does.
"""

from django.db import migrations

TABLE, COLUMN, LIKE_INDEX = "cases_case", "area_code", "cases_case_area_code_b0e1a49a_like"


def _length(apps) -> int:  # type: ignore[no-untyped-def]
    return int(apps.get_model("cases", "Case")._meta.get_field(COLUMN).max_length)


def to_c(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = %s::regclass "
                       "AND pg_get_indexdef(indexrelid) LIKE %s",
                       [TABLE, f"%({COLUMN} varchar_pattern_ops)%"])
        twins = [row[0] for row in cursor.fetchall()]
    for name in twins:
        schema_editor.execute(f"DROP INDEX {name}")
    schema_editor.execute(f'ALTER TABLE {TABLE} ALTER COLUMN {COLUMN} TYPE varchar({_length(apps)}) '
                          'COLLATE "C"')


def to_default(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'ALTER TABLE {TABLE} ALTER COLUMN {COLUMN} TYPE varchar({_length(apps)}) '
                          'COLLATE "default"')
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {LIKE_INDEX} ON {TABLE} "
                          f"({COLUMN} varchar_pattern_ops)")


class Migration(migrations.Migration):

    dependencies = [("cases", "0007_reporter_phone_hash_hash_index")]

    operations = [migrations.RunPython(to_c, to_default)]
