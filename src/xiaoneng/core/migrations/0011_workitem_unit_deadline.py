"""The co-unit table (core_workitem_units) becomes a model of its own, WorkItemUnit (same table, same columns:
only Django's state changes), and gains `deadline`, a copy of its item's deadline kept by the database, with the
index (unit_id, deadline, workitem_id): one unit's co-unit items in the ledger's order, read by key like the
items it owns (core/paging.py), where they were fetched and sorted on every page (1,850 of them for one unit
at a million items: 15–20 ms a page).

The copy is written by triggers, so no code path can forget it: when an item's deadline changes (the clock's
refresh, the bulk sweep, an extension, a pause, a bulk UPDATE or a COPY) its co-unit rows follow in the same
statement, and a new co-unit row takes its item's deadline — on PostgreSQL reading the item FOR SHARE, so a
co-unit added while another transaction changes the deadline ends with the new one (SQLite has one writer). On SQLite a migration that rebuilds either table
(Django's "remake table" for an AlterField) drops its triggers: tests/core/test_workitem_units.py checks on the
migrated test database that the copy follows, so such a migration must create them again.
"""

from django.db import migrations, models

import django.db.models.deletion

POSTGRESQL = """
CREATE OR REPLACE FUNCTION xiaoneng_workitem_deadline_to_units() RETURNS trigger AS $$
BEGIN
    UPDATE core_workitem_units SET deadline = NEW.deadline WHERE workitem_id = NEW.id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION xiaoneng_workitem_unit_deadline() RETURNS trigger AS $$
BEGIN
    -- FOR SHARE: a concurrent change of the item's deadline is waited for and its value read (not the one
    -- before it), and a change after this waits until this row is committed, so its update reaches the row.
    NEW.deadline := (SELECT deadline FROM core_workitem WHERE id = NEW.workitem_id FOR SHARE);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS workitem_deadline_to_units ON core_workitem;
CREATE TRIGGER workitem_deadline_to_units
    AFTER UPDATE OF deadline ON core_workitem
    FOR EACH ROW WHEN (OLD.deadline IS DISTINCT FROM NEW.deadline)
    EXECUTE FUNCTION xiaoneng_workitem_deadline_to_units();
DROP TRIGGER IF EXISTS workitem_unit_deadline ON core_workitem_units;
CREATE TRIGGER workitem_unit_deadline
    BEFORE INSERT OR UPDATE OF workitem_id, deadline ON core_workitem_units
    FOR EACH ROW EXECUTE FUNCTION xiaoneng_workitem_unit_deadline();
"""

POSTGRESQL_BACK = """
DROP TRIGGER IF EXISTS workitem_deadline_to_units ON core_workitem;
DROP TRIGGER IF EXISTS workitem_unit_deadline ON core_workitem_units;
DROP FUNCTION IF EXISTS xiaoneng_workitem_deadline_to_units();
DROP FUNCTION IF EXISTS xiaoneng_workitem_unit_deadline();
"""

# SQLite cannot assign NEW in a BEFORE trigger: the new row is corrected right after it is written.
SQLITE = [
    "DROP TRIGGER IF EXISTS workitem_deadline_to_units",
    """CREATE TRIGGER workitem_deadline_to_units
    AFTER UPDATE OF deadline ON core_workitem
    FOR EACH ROW WHEN OLD.deadline IS NOT NEW.deadline
    BEGIN
        UPDATE core_workitem_units SET deadline = NEW.deadline WHERE workitem_id = NEW.id;
    END""",
    "DROP TRIGGER IF EXISTS workitem_unit_deadline",
    """CREATE TRIGGER workitem_unit_deadline
    AFTER INSERT ON core_workitem_units
    FOR EACH ROW
    BEGIN
        UPDATE core_workitem_units SET deadline = (SELECT deadline FROM core_workitem WHERE id = NEW.workitem_id)
        WHERE id = NEW.id;
    END""",
    "DROP TRIGGER IF EXISTS workitem_unit_deadline_moved",
    """CREATE TRIGGER workitem_unit_deadline_moved
    AFTER UPDATE OF workitem_id, deadline ON core_workitem_units
    FOR EACH ROW WHEN NEW.deadline IS NOT (SELECT deadline FROM core_workitem WHERE id = NEW.workitem_id)
    BEGIN
        UPDATE core_workitem_units SET deadline = (SELECT deadline FROM core_workitem WHERE id = NEW.workitem_id)
        WHERE id = NEW.id;
    END""",
]

SQLITE_BACK = [
    "DROP TRIGGER IF EXISTS workitem_deadline_to_units",
    "DROP TRIGGER IF EXISTS workitem_unit_deadline",
    "DROP TRIGGER IF EXISTS workitem_unit_deadline_moved",
]

BACKFILL = (
    "UPDATE core_workitem_units SET deadline = "
    "(SELECT deadline FROM core_workitem WHERE core_workitem.id = core_workitem_units.workitem_id)"
)


def _execute(schema_editor, statements):
    # Straight to the cursor without parameters (no '%' placeholders to escape in the function bodies).
    with schema_editor.connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _execute(schema_editor, [POSTGRESQL])
    elif vendor == "sqlite":
        _execute(schema_editor, SQLITE)
    else:
        raise RuntimeError(f"core.0011: the co-unit deadline copy needs triggers; {vendor} is not supported")
    _execute(schema_editor, [BACKFILL])


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    _execute(schema_editor, [POSTGRESQL_BACK] if vendor == "postgresql" else SQLITE_BACK)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0010_workitem_lean_indexes"),
        ("org", "0002_unit_handles_complaints"),
    ]

    operations = [
        # Django's own through table, described as the model it already is (no change in the database).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="WorkItemUnit",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "workitem",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE, to="core.workitem"
                            ),
                        ),
                        (
                            "unit",
                            models.ForeignKey(
                                db_index=False, on_delete=django.db.models.deletion.CASCADE, to="org.unit"
                            ),
                        ),
                    ],
                    options={
                        "db_table": "core_workitem_units",
                        "unique_together": {("workitem", "unit")},
                        "indexes": [
                            models.Index(fields=["unit", "workitem"], name="workitem_units_unit_item"),
                        ],
                    },
                ),
                migrations.AlterField(
                    model_name="workitem",
                    name="units",
                    field=models.ManyToManyField(
                        blank=True,
                        related_name="participating_items",
                        through="core.WorkItemUnit",
                        to="org.unit",
                        verbose_name="协办单位",
                    ),
                ),
            ],
        ),
        migrations.AddField(
            model_name="workitemunit",
            name="deadline",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="workitemunit",
            index=models.Index(fields=["unit", "deadline", "workitem"], name="workitem_units_unit_deadline"),
        ),
        migrations.RunPython(forward, backward),
    ]
