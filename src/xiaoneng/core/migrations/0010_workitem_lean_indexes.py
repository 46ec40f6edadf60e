"""core_workitem keeps only the indexes a read uses.

Every update the sweep makes changes next_check_at, which the sweep's own index (workitem_due) holds, so it can
never be a heap-only (HOT) update: each one writes a new entry into every index of the table. Measured on a
bench run (pg_stat_user_indexes, bench/sweep_bench.py), these were never read and are dropped:

- kind, and its ``_like`` twin (no list filters by kind alone; a handful of kinds makes it unselective anyway);
- state's ``_like`` twin (state is compared for equality only; the plain index stays, as ``workitem_state``);
- deadline (a prefix of ``workitem_deadline_id``, migration 0008);
- region_path's plain index (scope filters by prefix, LIKE 'path%', which only the pattern-ops index serves; it
  stays, as ``workitem_region_path``);
- owner_unit's single-column index (a prefix of the new ``workitem_unit_deadline_id``, which pages one unit's
  ledger by key and serves the foreign key);
- owner_person and created_by (foreign keys nothing reads by; deleting a person or an account, which the
  platform does not do — accounts are deactivated — would scan the table instead).

On the co-unit table (core_workitem_units) the index on unit_id alone becomes (unit_id, workitem_id): a unit's
co-unit items are then read from the index alone, and the scope's "or takes part in" subquery costs the planner
little enough that it pages a liaison's items by index instead of scanning core_workitem.

The drops are by introspection (the names Django generated differ by database), and leave the foreign key
constraints in place: an AlterField would drop and re-add (and so re-validate) them.
"""

from django.conf import settings
from django.db import migrations, models

import django.db.models.deletion

DROPPED = ["kind", "state", "deadline", "region_path", "owner_unit", "owner_person", "created_by"]
CO_UNIT_INDEX = "workitem_units_unit_item"
KEPT = {
    "workitem_region_path",
    "workitem_state",
    "workitem_unit_deadline_id",
    "workitem_deadline_id",
    "workitem_due",
}


def drop_single_column_indexes(apps, schema_editor):
    model = apps.get_model("core", "WorkItem")
    table = model._meta.db_table
    columns = {model._meta.get_field(name).column for name in DROPPED}
    with schema_editor.connection.cursor() as cursor:
        constraints = schema_editor.connection.introspection.get_constraints(cursor, table)
    for name, info in constraints.items():
        if name in KEPT or not info["index"] or info["unique"] or info["primary_key"] or info["foreign_key"]:
            continue
        if len(info["columns"]) == 1 and info["columns"][0] in columns:
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def _drop_indexes_on(schema_editor, table, column):
    with schema_editor.connection.cursor() as cursor:
        constraints = schema_editor.connection.introspection.get_constraints(cursor, table)
    for name, info in constraints.items():
        if info["index"] and not info["unique"] and not info["primary_key"] and info["columns"] == [column]:
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def co_unit_index(apps, schema_editor):
    table = apps.get_model("core", "WorkItem").units.through._meta.db_table
    q = schema_editor.quote_name
    schema_editor.execute(
        f"CREATE INDEX {q(CO_UNIT_INDEX)} ON {q(table)} ({q('unit_id')}, {q('workitem_id')})"
    )
    _drop_indexes_on(schema_editor, table, "unit_id")


def co_unit_index_back(apps, schema_editor):
    through = apps.get_model("core", "WorkItem").units.through
    with schema_editor.connection.cursor() as cursor:
        constraints = schema_editor.connection.introspection.get_constraints(cursor, through._meta.db_table)
    if not any(info["index"] and info["columns"] == ["unit_id"] for info in constraints.values()):
        schema_editor.execute(
            schema_editor._create_index_sql(through, fields=[through._meta.get_field("unit")])
        )
    schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(CO_UNIT_INDEX)}")


def recreate_single_column_indexes(apps, schema_editor):
    model = apps.get_model("core", "WorkItem")  # the state before this migration: db_index=True
    for name in DROPPED:
        field = model._meta.get_field(name)
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))
        like = getattr(schema_editor, "_create_like_index_sql", None)
        if like is not None and (sql := like(model, field)) is not None:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0009_sweep_cards"),
        ("org", "0002_unit_handles_complaints"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="workitem",
            index=models.Index(fields=["owner_unit", "deadline", "id"], name="workitem_unit_deadline_id"),
        ),
        migrations.AddIndex(
            model_name="workitem",
            index=models.Index(
                fields=["region_path"], name="workitem_region_path", opclasses=["varchar_pattern_ops"]
            ),
        ),
        migrations.AddIndex(
            model_name="workitem",
            index=models.Index(fields=["state"], name="workitem_state"),
        ),
        # Not in Django's state (the through table is Django's own); the unit_id foreign key's index is its prefix.
        migrations.RunPython(co_unit_index, co_unit_index_back),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunPython(drop_single_column_indexes, recreate_single_column_indexes),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="workitem",
                    name="created_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="workitem",
                    name="deadline",
                    field=models.DateTimeField(blank=True, null=True, verbose_name="截止时间"),
                ),
                migrations.AlterField(
                    model_name="workitem",
                    name="kind",
                    field=models.CharField(max_length=40, verbose_name="类别"),
                ),
                migrations.AlterField(
                    model_name="workitem",
                    name="owner_person",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="org.person",
                        verbose_name="责任人",
                    ),
                ),
                migrations.AlterField(
                    model_name="workitem",
                    name="owner_unit",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="work_items",
                        to="org.unit",
                        verbose_name="责任单位",
                    ),
                ),
                migrations.AlterField(
                    model_name="workitem",
                    name="region_path",
                    field=models.CharField(editable=False, max_length=200),
                ),
                migrations.AlterField(
                    model_name="workitem",
                    name="state",
                    field=models.CharField(max_length=40, verbose_name="状态"),
                ),
            ],
        ),
    ]
