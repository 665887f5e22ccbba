"""PostgreSQL: the phone lookup index becomes a hash index (same name, same condition).

A caller's cases are only ever found by equality on the keyed hash (cases/views/hotline.py),
and a btree over 64 random hex characters is the dearest index a new case writes: every
insertion lands on a random leaf, splits pages and logs them (≈ 7–8 µs of PostgreSQL CPU per
case in a COPY of 50,000 cases, against ≈ 0 for a hash index). The model keeps declaring the
btree (portable: SQLite has no hash indexes); removing or changing that index in the model later
drops this one by its name as usual.
"""

from django.db import migrations

NAME, TABLE, COLUMN = "case_reporter_phone_hash", "cases_case", "reporter_phone_hash"


def _remake(schema_editor, method: str) -> None:  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")
    schema_editor.execute(f"CREATE INDEX {NAME} ON {TABLE} USING {method} ({COLUMN}) "
                          f"WHERE NOT ({COLUMN} = '')")


def to_hash(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    _remake(schema_editor, "hash")


def to_btree(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    _remake(schema_editor, "btree")


class Migration(migrations.Migration):

    dependencies = [("cases", "0006_reporter_phone_sealed")]

    operations = [migrations.RunPython(to_hash, to_btree)]
