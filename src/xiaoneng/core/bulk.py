"""Bulk writes for the hot paths (the deadline sweep's batches).

On PostgreSQL each write is one statement with one parameter: the rows as a JSON array of arrays, unpacked by
the server (``INSERT … SELECT … FROM jsonb_array_elements(%s)``, ``UPDATE … FROM (SELECT … FROM
jsonb_array_elements(%s))``). A batch of any size costs one round trip, and neither Django nor the driver builds
SQL or adapts values one by one: Django's ``bulk_update`` writes a CASE per field with a branch per row (its cost
grows with the square of the batch), and the driver adapts arrays element by element in Python, where
``json.dumps`` serialises the whole batch in C. Elsewhere (SQLite) Django's ``bulk_create`` / ``bulk_update``.

Values are what Django would write: ``pre_save`` where a field fills itself in (auto_now, auto_now_add), JSON
fields as JSON, date and time as ISO 8601 with the offset (exact to the microsecond). Each value is cast to its
column's type without a length, so a text too long for its column fails as in any other write instead of being
cut. The statements go through Django's cursor: they are counted and logged like any query.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import IntegrityError, connection, models, transaction

from .fields import EncryptedTextField

M = TypeVar("M", bound=models.Model)


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _cast_type(field: models.Field) -> str:
    """The column's type for the cast, without a length (varchar(40) → text: the assignment checks the length)."""
    db_type = field.db_type(connection)
    if db_type is None:
        raise ValueError(f"{field} has no column type")
    if db_type.startswith(("varchar", "char")):
        return "text"
    return db_type


@functools.lru_cache(maxsize=4096)  # the column types are asked of the backend once, not on every write
def _from_json(field: models.Field, position: int) -> str:
    """The SQL that takes the value of `field` out of the row `r` (a JSON array) at `position`."""
    if isinstance(field, models.JSONField):
        return f"NULLIF(r->{position}, 'null'::jsonb)"
    return f"(r->>{position})::{_cast_type(field)}"


Row = models.Model | dict[str, Any]


def _to_json(field: models.Field, *, add: bool, dicts: bool, now: dt.datetime) -> Callable[[Any], Any]:
    """How to read `field` of a row (a model instance, or a dict by attribute name) as a JSON-ready value."""
    attname = field.attname
    if getattr(field, "auto_now", False) or (add and getattr(field, "auto_now_add", False)):
        stamp = now.isoformat()
        if dicts:
            return lambda row: stamp
        return lambda obj: setattr(obj, attname, now) or stamp
    default = field.get_default()  # what a model instance would hold for a field left out

    def value(row: Any) -> Any:
        return row.get(attname, default) if dicts else getattr(row, attname)

    if isinstance(field, models.JSONField):
        if field.encoder is None:
            return value
        return lambda row: json.loads(json.dumps(value(row), cls=field.encoder))
    if isinstance(field, models.DateTimeField | models.DateField | models.TimeField):

        def iso(row: Any) -> Any:
            v = value(row)
            if isinstance(v, dt.datetime) and v.tzinfo is None:
                raise ValueError(f"{field}: a naive datetime cannot be written in bulk")
            return v.isoformat() if v is not None else None

        return iso
    if isinstance(field, EncryptedTextField):  # a text field that encrypts on the way in: never the plaintext
        return lambda row: field.get_db_prep_save(value(row), connection)
    if isinstance(field, models.CharField | models.TextField | models.IntegerField | models.BooleanField):
        return value  # str, int, bool or None, as JSON has them
    if field.is_relation:
        return value
    return lambda row: field.get_db_prep_save(value(row), connection)


def _rows(readers: list[Callable[[Any], Any]], rows: Sequence[Row]) -> str:
    return json.dumps([[read(r) for read in readers] for r in rows], ensure_ascii=False)


def insert(model: type[M], rows: Sequence[Row], *, skip_existing: tuple[str, ...] = ()) -> list[Any]:
    """Insert `rows` — model instances, or dicts of attribute values (cheaper: no instance is built; a field
    left out takes its default) — and return those written, with their primary key set (on a dict: under the
    key's attribute name).

    `skip_existing` names the fields of a unique constraint: a row whose values already exist there is skipped
    instead of failing the statement (ON CONFLICT DO NOTHING), and is left out of the answer; so is a repeat
    within `rows`. Without it, a conflict raises IntegrityError as usual."""
    if not rows:
        return []
    meta = model._meta
    dicts = isinstance(rows[0], dict)
    if not _postgres():
        if not dicts:
            return _insert_portable(model, rows, skip_existing)  # type: ignore[arg-type]
        objs = [model(**r) for r in rows]  # type: ignore[arg-type]
        written = {id(o) for o in _insert_portable(model, objs, skip_existing)}
        out = []
        for r, o in zip(rows, objs, strict=True):
            if id(o) in written:
                r[meta.pk.attname] = o.pk  # type: ignore[index]
                out.append(r)
        return out
    sql, fields = _insert_sql(model, skip_existing)
    from django.utils import timezone

    readers = _steady_readers(model, skip_existing, dicts)
    if readers is None:  # a field that stamps the time of the write
        now = timezone.now()
        readers = [_to_json(f, add=True, dicts=dicts, now=now) for f in fields]
    with connection.cursor() as cur:
        cur.execute(sql, [_rows(readers, rows)])
        returned = cur.fetchall()
    set_pk = _pk_setter(meta, dicts)
    if not skip_existing:  # every row written, in the order given
        for r, (pk,) in zip(rows, returned, strict=True):
            set_pk(r, pk)
        return list(rows)
    by_key: dict[tuple[Any, ...], Any] = {}
    for r in rows:
        by_key.setdefault(_key(meta, r, skip_existing, dicts), r)
    written = []
    for pk, *key in returned:
        r = by_key[tuple(key)]
        set_pk(r, pk)
        written.append(r)
    return written


@functools.lru_cache(maxsize=256)  # built once per model and conflict target, not on every write
def _insert_sql(model: type[models.Model], skip_existing: tuple[str, ...]) -> tuple[str, list[models.Field]]:
    meta = model._meta
    # The key is the database's to number unless the rows carry it (a one-to-one key such as a kind's row
    # beside its work item).
    numbered = isinstance(meta.pk, models.AutoField | models.BigAutoField | models.SmallAutoField)
    fields = [f for f in meta.concrete_fields if not (f.primary_key and numbered)]
    quote = connection.ops.quote_name
    key_columns = [meta.get_field(name).column for name in skip_existing]
    returning = [meta.pk.column, *key_columns]
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"SELECT {', '.join(_from_json(f, i) for i, f in enumerate(fields))} "
        "FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS t(r, n) ORDER BY n "
        + (f"ON CONFLICT ({', '.join(quote(c) for c in key_columns)}) DO NOTHING " if key_columns else "")
        + f"RETURNING {', '.join(quote(c) for c in returning)}"
    )
    return sql, fields


@functools.lru_cache(maxsize=256)
def _steady_readers(
    model: type[models.Model], skip_existing: tuple[str, ...], dicts: bool
) -> list[Callable[[Any], Any]] | None:
    """The readers of an insert, made once, for a model without auto_now / auto_now_add fields (None for one
    with them: those read the time of each write)."""
    _sql, fields = _insert_sql(model, skip_existing)
    if any(getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) for f in fields):
        return None
    return [_to_json(f, add=True, dicts=dicts, now=dt.datetime.min.replace(tzinfo=dt.UTC)) for f in fields]


def _pk_setter(meta: Any, dicts: bool) -> Callable[[Any, Any], None]:
    if dicts:
        return lambda row, pk: row.__setitem__(meta.pk.attname, pk)
    return lambda obj, pk: setattr(obj, "pk", pk)


def _key(meta: Any, row: Any, names: tuple[str, ...], dicts: bool) -> tuple[Any, ...]:
    attnames = [meta.get_field(n).attname for n in names]
    if dicts:
        return tuple(row.get(a) for a in attnames)
    return tuple(getattr(row, a) for a in attnames)


def _insert_portable(model: type[M], objs: Sequence[M], skip_existing: tuple[str, ...]) -> list[M]:
    """`insert` elsewhere: what exists is read first (one query), the rest inserted in bulk; should a concurrent
    writer add one of the same keys meanwhile, the bulk insert rolls back to its savepoint and the rows go one
    by one, skipping those."""
    if not skip_existing:
        return model._default_manager.bulk_create(objs)
    fresh: dict[tuple[Any, ...], M] = {}
    for o in objs:
        fresh.setdefault(_key(model._meta, o, skip_existing, False), o)
    for key in _existing(model, skip_existing, set(fresh)):
        fresh.pop(key, None)
    rows = list(fresh.values())
    try:
        with transaction.atomic():
            return model._default_manager.bulk_create(rows)
    except IntegrityError:
        written = []
        for o in rows:
            try:
                with transaction.atomic():
                    o.save(force_insert=True)
            except IntegrityError:
                o.pk = None
                continue
            written.append(o)
        return written


def _existing(
    model: type[models.Model], names: tuple[str, ...], keys: set[tuple[Any, ...]]
) -> set[tuple[Any, ...]]:
    """Which of `keys` (values of the fields `names`) exist already: one query, on the unique index."""
    attnames = [model._meta.get_field(n).attname for n in names]
    lookup = {f"{a}__in": {k[i] for k in keys} for i, a in enumerate(attnames)}
    return {tuple(k) for k in model._default_manager.filter(**lookup).values_list(*attnames)} & keys


def update(model: type[M], objs: Sequence[M], fields: Sequence[str]) -> int:
    """Write `fields` of `objs` (matched by primary key) in one statement. Returns the rows updated."""
    if not objs:
        return 0
    if not _postgres():
        return model._default_manager.bulk_update(objs, fields)
    meta = model._meta
    columns = [meta.pk] + [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    pk = quote(meta.pk.column)
    values = ", ".join(f"{_from_json(f, i)} AS {quote(f.column)}" for i, f in enumerate(columns))
    sql = (
        f"UPDATE {table} SET {', '.join(f'{quote(f.column)} = v.{quote(f.column)}' for f in columns[1:])} "
        f"FROM (SELECT {values} FROM jsonb_array_elements(%s::jsonb) AS t(r)) AS v "
        f"WHERE {table}.{pk} = v.{pk}"
    )
    with connection.cursor() as cur:
        from django.utils import timezone

        readers = [_to_json(f, add=False, dicts=False, now=timezone.now()) for f in columns]
        cur.execute(sql, [_rows(readers, objs)])
        return cur.rowcount
