"""Trigram indexes for the tenant list search (TEN-3, PERF): ``name``/``number`` ``icontains`` on
PostgreSQL is ``UPPER(col::text) LIKE UPPER('%term%')``; GIN indexes on exactly those expressions (pg_trgm)
turn the search's scan of every tenant into a bitmap index scan (bench: partner search count 14 -> 6 ms).

PostgreSQL only, and not in the model state: SQLite has no GIN/pg_trgm, so on other databases this
migration does nothing (``makemigrations --check`` stays clean)."""

from django.db import migrations

INDEXES = {
    "tenant_name_upper_trgm": "name",
    "tenant_number_upper_trgm": "number",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "tenants_tenant" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("tenants", "0003_verbose_names")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
