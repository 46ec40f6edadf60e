"""Bulk writes for the intake and the case sweep.

On PostgreSQL each write is one statement whose parameters are one array per column (``INSERT … SELECT FROM
unnest(…)``, ``UPDATE … FROM unnest(…)``, counters added with ``ON CONFLICT … DO UPDATE SET c = c + EXCLUDED.c``),
so a batch of any size costs one round trip and no SQL is built row by row. Elsewhere (SQLite) Django's
``bulk_create`` / ``bulk_update`` and an ``executemany`` upsert. Statements go through Django's cursor, so they are
counted and logged like any query.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)


def postgres() -> bool:
    return connection.vendor == "postgresql"


def _array_type(field: models.Field) -> str:
    if isinstance(field, models.JSONField):
        return "text[]::jsonb[]"
    if isinstance(field, models.ForeignKey):
        return f"{field.target_field.rel_db_type(connection)}[]"
    db_type = field.db_type(connection)
    if db_type is None:
        raise ValueError(f"{field} has no column type")
    # "varchar(64)" arrays are fine; PostgreSQL's "serial"/"bigserial" never reach here (primary keys are skipped).
    return f"{db_type}[]"


def _coerce(field: models.Field, values: Iterable[Any]) -> list[Any]:
    """One Python type per array (the driver refuses a list mixing, say, 0 and 0.5 or Decimal and int)."""
    if isinstance(field, models.JSONField):
        return [None if v is None else json.dumps(v) for v in values]
    if isinstance(field, models.FloatField):
        return [None if v is None else float(v) for v in values]
    if isinstance(field, models.DecimalField):
        return [None if v is None else Decimal(v) for v in values]
    return list(values)


def _values(field: models.Field, objs: Sequence[models.Model]) -> list[Any]:
    return _coerce(field, (getattr(o, field.attname) for o in objs))


def insert(model: type[M], objs: Sequence[M]) -> list[M]:
    """Insert `objs` and set their primary keys (in order)."""
    if not objs:
        return []
    if not postgres():
        return model._default_manager.bulk_create(objs)
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"SELECT * FROM unnest({', '.join(f'%s::{_array_type(f)}' for f in fields)}) "
        f"RETURNING {quote(meta.pk.column)}"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [_values(f, objs) for f in fields])
        rows = cur.fetchall()
    for o, (pk,) in zip(objs, rows, strict=True):
        o.pk = pk
    return list(objs)


def update(model: type[M], objs: Sequence[M], fields: Sequence[str]) -> int:
    """Write `fields` of `objs` (matched by primary key) in one statement."""
    if not objs:
        return 0
    if not postgres():
        return model._default_manager.bulk_update(objs, fields, batch_size=500)
    meta = model._meta
    pk = meta.pk
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    arrays = [[o.pk for o in objs]] + [_values(f, objs) for f in columns]
    types = [f"{pk.rel_db_type(connection)}[]"] + [_array_type(f) for f in columns]
    names = [pk.column] + [f.column for f in columns]
    sql = (
        f"UPDATE {table} SET {', '.join(f'{quote(f.column)} = v.{quote(f.column)}' for f in columns)} "
        f"FROM unnest({', '.join(f'%s::{t}' for t in types)}) AS v({', '.join(quote(n) for n in names)}) "
        f"WHERE {table}.{quote(pk.column)} = v.{quote(pk.column)}"
    )
    with connection.cursor() as cur:
        cur.execute(sql, arrays)
        return cur.rowcount


def add_counts(
    model: type[models.Model],
    key_fields: Sequence[str],
    attr_fields: Sequence[str],
    rows: Iterable[tuple[tuple[Any, ...], tuple[Any, ...], dict[str, float]]],
) -> int:
    """Add counters to rollup rows, creating the rows that do not exist yet: each row is (key values, attribute
    values written on creation, {counter: amount}). Rows are written in key order, so concurrent batches lock
    the same rows in the same order (no deadlock)."""
    rows = sorted(rows, key=lambda r: r[0])
    if not rows:
        return 0
    meta = model._meta
    counters = sorted({c for _k, _a, amounts in rows for c in amounts})
    fields = [meta.get_field(n) for n in (*key_fields, *attr_fields, *counters)]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    conflict = ", ".join(quote(meta.get_field(n).column) for n in key_fields)
    sets = ", ".join(f"{quote(c)} = {table}.{quote(c)} + EXCLUDED.{quote(c)}" for c in counters)
    values = [(*key, *attrs, *(amounts.get(c, 0) for c in counters)) for key, attrs, amounts in rows]
    # The counters a new row does not mention start at 0 (the columns' defaults live in Django only).
    rest = [f for f in meta.concrete_fields if not f.primary_key and f not in fields]
    rest_columns = "".join(f", {quote(f.column)}" for f in rest)
    rest_values = [f.get_default() for f in rest]
    with connection.cursor() as cur:
        if postgres():
            arrays = [_coerce(f, col) for f, col in zip(fields, zip(*values, strict=True), strict=True)]
            types = [_array_type(f) for f in fields]
            rest_sql = "".join(f", %s::{f.db_type(connection)}" for f in rest)
            cur.execute(
                f"INSERT INTO {table} ({columns}{rest_columns}) "
                f"SELECT *{rest_sql} FROM unnest({', '.join(f'%s::{t}' for t in types)}) "
                f"ON CONFLICT ({conflict}) DO UPDATE SET {sets}",
                [*rest_values, *arrays],  # the SELECT list comes before unnest(…)
            )
        else:
            marks = ", ".join(["%s"] * (len(fields) + len(rest)))
            cur.executemany(
                f"INSERT INTO {table} ({columns}{rest_columns}) VALUES ({marks}) "
                f"ON CONFLICT ({conflict}) DO UPDATE SET {sets}",
                [(*v, *rest_values) for v in values],
            )
    return len(values)


def _raw_values(field: models.Field, value: Any) -> Any:
    if isinstance(field, models.JSONField):
        return None if value is None else json.dumps(value)
    return value


def copy_insert(model: type[models.Model], rows: Sequence[Any], *, with_ids: bool = False) -> None:
    """Insert many rows (model instances, or any objects with the fields' attribute names) by COPY on
    PostgreSQL — several times faster than sending arrays for wide rows. With `with_ids` the primary keys are
    taken from the table's sequence first (one query) and set on the rows, so their children can point at
    them. Elsewhere: Django's bulk_create (rows must then be model instances)."""
    if not rows:
        return
    if not postgres():
        if isinstance(rows[0], model):
            model._default_manager.bulk_create(rows)
            return
        # Plain row objects: build the instances Django needs, and hand their primary keys back.
        names = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
        objs = model._default_manager.bulk_create([model(**{n: getattr(r, n) for n in names}) for r in rows])
        for row, obj in zip(rows, objs, strict=True):
            row.pk = obj.pk
        return
    meta = model._meta
    quote = connection.ops.quote_name
    fields = [f for f in meta.concrete_fields if with_ids or not f.primary_key]
    with connection.cursor() as cur:
        if with_ids:
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(rows)],
            )
            for row, (pk,) in zip(rows, cur.fetchall(), strict=True):
                row.pk = pk
        columns = ", ".join(quote(f.column) for f in fields)
        with cur.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([_raw_values(f, getattr(row, f.attname)) for f in fields])


def copy_update(model: type[models.Model], rows: Sequence[Any], fields: Sequence[str]) -> None:
    """Write `fields` of many rows (matched by primary key): COPY into a temporary table, then one UPDATE …
    FROM it, on PostgreSQL; Django's bulk_update elsewhere."""
    if not rows:
        return
    if not postgres():
        # SQLite: one prepared UPDATE run for every row (executemany loops in C; Django's bulk_update builds a
        # CASE per column with a branch per row).
        meta = model._meta
        quote = connection.ops.quote_name
        columns = [meta.get_field(name) for name in fields]
        sets = ", ".join(f"{quote(f.column)} = %s" for f in columns)
        with connection.cursor() as cur:
            cur.executemany(
                f"UPDATE {quote(meta.db_table)} SET {sets} WHERE {quote(meta.pk.column)} = %s",
                [
                    [
                        *(f.get_db_prep_save(getattr(r, f.attname), connection) for f in columns),
                        r.pk,
                    ]
                    for r in rows
                ],
            )
        return
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = [meta.get_field(name) for name in fields]
    pk = quote(meta.pk.column)
    names = ", ".join([pk, *(quote(f.column) for f in columns)])
    temp = quote(f"{meta.db_table}_upd_{abs(hash(tuple(fields))) % 10**8}")
    with connection.cursor() as cur:
        # Only the columns written, no constraints; emptied at each commit; made once per connection.
        cur.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {temp} ON COMMIT DELETE ROWS AS "
            f"SELECT {names} FROM {table} WITH NO DATA"
        )
        with cur.cursor.copy(f"COPY {temp} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row.pk, *(_raw_values(f, getattr(row, f.attname)) for f in columns)])
        sets = ", ".join(f"{quote(f.column)} = t.{quote(f.column)}" for f in columns)
        cur.execute(f"UPDATE {table} SET {sets} FROM {temp} t WHERE {table}.{pk} = t.{pk}")
        cur.execute(f"TRUNCATE {temp}")
