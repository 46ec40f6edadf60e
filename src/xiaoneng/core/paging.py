"""Keyset pagination (按位置翻页): a page is "the next N rows after this row" in a fixed order, never "skip M rows".

OFFSET makes the database walk and throw away every row before the page, and a paginator's exact COUNT walks
them all on every page; at a million open items both take seconds. A keyset page starts from the last row seen
(an index seek) and costs the same on page 1 and page 20,000.

    LEDGER = paging.Keyset("work_item__deadline", "pk", nullable_first=True)
    qs = LEDGER.order(qs)                                 # the full order, for exports and unpaged reads
    page = LEDGER.page(qs, request.GET.get("cursor"), 50)  # raises InvalidCursor for a tampered cursor
    page.rows, page.next_cursor, page.previous_cursor, page.start_index
    capped_count(qs)                                      # (n, capped): "共 1000+ 项" instead of COUNT(*)

The order is ascending on a few fields, the last one unique (the primary key). The first may be nullable: its
NULLs sort last on every database (PostgreSQL and SQLite disagree by default), and the rows with a value and the
rows without are walked as two segments, each an index range scan, so neither database has to evaluate an OR
that defeats the index. A cursor is opaque to clients (URL-safe base64 of JSON: direction, position, key
values); a malformed or tampered one raises `InvalidCursor`, which the API answers with 400 and a page with its
first page. Tampering gains nothing: the cursor only says where to start reading inside the caller's own scope.

A set that is the union of two narrower ones ("items my unit owns OR takes part in") defeats an index on the
order: the database walks the whole order testing the OR, or collects the set and sorts it. `covered_by(qs, a, b)`
declares that every row of `qs` matches `a` or `b`; a page is then read as one keyset stream per condition
(`qs` AND the condition, in the order, `size + 1` rows: each an index range scan that leads with the condition's
equality, e.g. (owner_unit, deadline, id), or a sort of the few rows the condition names), the streams' rows
merged in Python in the order and duplicates dropped — the rows and cursors are exactly those of the single
query. A stream whose rows carry no usable index on the order can be `Keyed`: its keys are read in order from
another table that has one (a unit's co-unit rows, with their copy of the item's deadline), then its rows by
id. `capped_count` counts the union the same way, `cap + 1` ids per stream. This needs a scope the database
can check row by row (correlated EXISTS, core/rules.py `work_item_q`): a scope written as `IN (subquery)` inside
an OR is planned as a hashed subplan guessed to keep half the rows, and the streams then scan the table.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import F, Q, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework import exceptions, pagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

MAX_CURSOR_LENGTH = 512
COUNT_CAP = 1000


class InvalidCursor(ValueError):
    """A cursor this order did not write (edited, truncated, from another list)."""

    code = "invalid_cursor"

    @property
    def message(self) -> str:
        return gettext("翻页位置无效，请从第一页开始 (invalid page cursor; start from the first page)")


@dataclass(frozen=True)
class Page:
    """One page: its rows in order, the cursors of the pages either side (None at an end) and the 1-based
    position of its first row (a display hint carried in the cursor, exact unless rows came or went)."""

    rows: list[Any]
    next_cursor: str | None
    previous_cursor: str | None
    start_index: int

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None

    @property
    def end_index(self) -> int:
        return self.start_index + len(self.rows) - 1 if self.rows else self.start_index - 1


@dataclass(frozen=True)
class Keyed:
    """A stream of a cover whose keys are kept in order in another table: `condition` (on the queryset's model)
    says which rows it holds, `keys` is a queryset of that other table holding a row per such row (and maybe
    more), and `fields` name there the order's fields, the last one the row's primary key — e.g. a unit's rows
    of the co-unit table with their copy of the item's deadline: ("deadline", "workitem_id"). A page reads the
    next keys from `keys` in order (an index range) and then the rows of the queryset with those keys; rows the
    queryset does not keep (another kind's items, 回避, the filters) are skipped and more keys read. The count
    reads `condition` as a plain stream does."""

    condition: Q
    keys: models.QuerySet
    fields: tuple[str, ...]


KEYED_CHUNK_MAX = 800  # keys checked against the queryset in one query, at most (doubling from a page's size)


def covered_by(qs: models.QuerySet, *conditions: Q | Keyed) -> models.QuerySet:
    """`qs`, declared to be covered by `conditions`: every row matches at least one of them (the caller knows it
    from the filters it applied, e.g. a scope "owner is U OR U takes part"). Keyset pages and `capped_count`
    then read one stream per condition (a `Keyed` one from its key table) and merge them. Later filters only
    narrow the set, so the declaration
    stays true; never OR-combine (`|`) a covered queryset with another one (the declaration would follow it)."""
    if len(conditions) < 2:
        raise ValueError("a cover needs at least two conditions")
    qs = qs.all()
    qs.query.keyset_cover = tuple(conditions)  # Query.clone copies it to every queryset derived from qs
    return qs


def _cover(qs: models.QuerySet) -> tuple[Q | Keyed, ...] | None:
    """The conditions `covered_by` declared for `qs` (none for a combined query: its parts are separate)."""
    return None if qs.query.combinator else getattr(qs.query, "keyset_cover", None)


class Keyset:
    """An ascending order on `fields` (lookups such as "work_item__deadline"; the last must be unique, usually
    "pk") that pages by key. With `nullable_first`, the first field may be NULL and its NULLs come last."""

    def __init__(self, *fields: str, nullable_first: bool = False) -> None:
        if not fields or (nullable_first and len(fields) < 2):
            raise ValueError("a keyset needs a unique last field (and another after a nullable first one)")
        self.fields = fields
        self.nullable_first = nullable_first

    # -- ordering ----------------------------------------------------------------------------------------

    def order(self, qs: models.QuerySet) -> models.QuerySet:
        """`qs` in this order, NULLs of the first field last (both databases alike)."""
        first: Any = F(self.fields[0]).asc(nulls_last=True) if self.nullable_first else self.fields[0]
        return qs.order_by(first, *self.fields[1:])

    def key(self, row: Any) -> tuple[Any, ...]:
        """The row's values of the order's fields (related objects should be select_related)."""
        return _values(row, self.fields)

    # -- pages -------------------------------------------------------------------------------------------

    def page(self, qs: models.QuerySet, cursor: str | None, size: int) -> Page:
        """The page `cursor` points at (the first page when it is empty). `size` + 1 rows are read to know
        whether another page follows; at most two queries (one per segment when the first field is nullable).
        Raises InvalidCursor."""
        if not cursor:
            forward, position, key = True, 0, None
        else:
            forward, position, key = self._decode(qs.model, cursor)
        # Prefetches run once over the page's rows, not once per segment (and not for the extra row).
        lookups = qs._prefetch_related_lookups
        plain = qs.prefetch_related(None) if lookups else qs
        streams = _cover(qs)
        if streams:
            self._check_mergeable(qs.model)
        rows: list[Any] = []
        for i, (condition, fields) in enumerate(self._segments(key, forward)):
            need = size + 1 - len(rows)
            if need <= 0:
                break
            order = fields if forward else tuple(f"-{f}" for f in fields)
            segment = plain.filter(condition).order_by(*order)
            if not streams:
                rows += list(segment[:need])
            else:
                rows += self._streams(segment, streams, fields, forward, need, key, i)
        more = len(rows) > size
        rows = rows[:size]
        if lookups:
            prefetch_related_objects(rows, *lookups)
        if not forward and not rows:
            return self.page(qs, None, size)  # nothing before the key any more: the first page starts with it
        if forward:
            start = position
            after = self.cursor(self.key(rows[-1]), start + len(rows)) if more else None
            if key is None:
                before = None
            elif rows:
                before = self.cursor(self.key(rows[0]), start, forward=False)
            else:  # the page emptied since its link was made (rows closed or deleted): back from the key
                before = self.cursor(key, max(position - 1, 0), forward=False)
        else:
            rows.reverse()
            start = max(position - len(rows), 1) if more else 0
            after = self.cursor(self.key(rows[-1]), start + len(rows))
            before = self.cursor(self.key(rows[0]), start, forward=False) if more else None
        return Page(rows=rows, next_cursor=after, previous_cursor=before, start_index=start + 1)

    def _streams(
        self,
        segment: models.QuerySet,
        streams: tuple[Q | Keyed, ...],
        fields: tuple[str, ...],
        forward: bool,
        need: int,
        key: tuple[Any, ...] | None,
        index: int,
    ) -> list[Any]:
        """The first `need` rows of `segment` (ordered; the `index`-th segment from `key`), read as one query
        per stream of its cover (two or more for a keyed one) and merged. Once the streams read so far hold
        `need` rows, the next stream only reads rows before the last of them (no later row can make the page)."""
        parts: list[list[Any]] = []
        merged: list[Any] = []
        for stream in streams:
            bound = _values(merged[need - 1], fields) if len(merged) >= need else None
            if isinstance(stream, Keyed):
                part = self._keyed(segment, stream, fields, forward, need, key, index, bound)
            else:
                rows = segment.filter(stream)
                if bound is not None:
                    rows = rows.filter(_beyond(fields, bound, not forward))
                part = list(rows[:need])
            parts.append(part)
            merged = self._merge(parts, fields, forward)
        return merged[:need]

    def _keyed(
        self,
        segment: models.QuerySet,
        stream: Keyed,
        fields: tuple[str, ...],
        forward: bool,
        need: int,
        key: tuple[Any, ...] | None,
        index: int,
        bound: tuple[Any, ...] | None,
    ) -> list[Any]:
        """The first `need` rows of `segment` in the keyed stream: its next keys in order from `stream.keys`
        (the same segment, written in the key table's fields), then the rows of `segment` with those keys."""
        condition, names = self._segments(key, forward, stream.fields)[index]
        keys_qs = stream.keys.filter(condition)
        if bound is not None:
            keys_qs = keys_qs.filter(_beyond(names, bound, not forward))
        order = names if forward else tuple(f"-{f}" for f in names)
        pk = fields[-1]
        rows: list[Any] = []
        after = Q()
        chunk = min(max(need, 1), KEYED_CHUNK_MAX)
        while len(rows) < need:
            keys = list(keys_qs.filter(after).order_by(*order).values_list(*names)[:chunk])
            if not keys:
                break
            rows += list(segment.filter(**{f"{pk}__in": [k[-1] for k in keys]})[: need - len(rows)])
            if len(keys) < chunk:
                break
            after = _beyond(names, keys[-1], forward)
            chunk = min(chunk * 2, KEYED_CHUNK_MAX)
        return rows

    def _merge(self, parts: list[list[Any]], fields: tuple[str, ...], forward: bool) -> list[Any]:
        """The streams' rows of one segment as one stream in walking order, each row once (a row two conditions
        match comes in both streams; the last field is unique, so the key names the row)."""
        unique: dict[tuple[Any, ...], Any] = {}
        for part in parts:
            for row in part:
                unique.setdefault(self.key(row), row)
        return sorted(unique.values(), key=lambda row: _values(row, fields), reverse=not forward)

    def _check_mergeable(self, model: type[models.Model]) -> None:
        """Streams are merged in Python, so the order's fields must sort there as in the database: numbers,
        dates and times (text would follow the database's collation)."""
        for path in self.fields:
            field = _field(model, path)
            while field.is_relation:
                field = field.target_field
            if not isinstance(field, _MERGEABLE):
                raise ValueError(f"{path}: a covered queryset's order must be on numbers, dates or times")

    def cursor(self, key: tuple[Any, ...], position: int, *, forward: bool = True) -> str:
        """The cursor of the rows after `key` (forward) or before it, `position` being the 0-based position of
        the first row after `key` (forward) or of `key`'s own row (backward)."""
        payload = {"d": "n" if forward else "p", "o": position, "k": [_plain(v) for v in key]}
        raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=True).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    def _decode(self, model: type[models.Model], cursor: str) -> tuple[bool, int, tuple[Any, ...]]:
        try:
            if len(cursor) > MAX_CURSOR_LENGTH:
                raise ValueError
            payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            direction, position, values = payload["d"], payload["o"], payload["k"]
            if direction not in ("n", "p") or type(position) is not int or position < 0:
                raise ValueError
            if not isinstance(values, list) or len(values) != len(self.fields):
                raise ValueError
            key = tuple(
                self._value(model, path, value, nullable=self.nullable_first and i == 0)
                for i, (path, value) in enumerate(zip(self.fields, values, strict=True))
            )
        except (ValueError, TypeError, KeyError, binascii.Error, ValidationError, FieldDoesNotExist):
            raise InvalidCursor from None
        return direction == "n", position, key

    @staticmethod
    def _value(model: type[models.Model], path: str, value: Any, *, nullable: bool) -> Any:
        if value is None:
            if nullable:
                return None
            raise ValueError
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise ValueError
        field = _field(model, path)
        result = field.to_python(value)
        if isinstance(field, models.DateTimeField):
            if not isinstance(result, datetime) or (settings.USE_TZ and timezone.is_naive(result)):
                raise ValueError
        return result

    def _segments(
        self, key: tuple[Any, ...] | None, forward: bool, names: tuple[str, ...] | None = None
    ) -> list[tuple[Q, tuple[str, ...]]]:
        """(condition, order fields) for each segment, in walking order; written with `names` for the order's
        fields when given (a keyed stream's key table)."""
        all_fields = self.fields if names is None else names
        if not self.nullable_first:
            return [(Q() if key is None else _beyond(all_fields, key, forward), all_fields)]
        first, rest = all_fields[0], all_fields[1:]
        valued = (Q(**{f"{first}__isnull": False}), all_fields)
        null = (Q(**{f"{first}__isnull": True}), rest)
        if key is None:
            return [valued, null] if forward else [null, valued]
        if key[0] is None:
            tail = (null[0] & _beyond(rest, key[1:], forward), rest)
            return [tail] if forward else [tail, valued]
        head = (valued[0] & _beyond(all_fields, key, forward), all_fields)
        return [head, null] if forward else [head]


def _beyond(fields: tuple[str, ...], key: tuple[Any, ...], forward: bool) -> Q:
    """Rows strictly after (or before) `key` in the lexicographic order of `fields`, none of them NULL here.
    Written `a >= x AND (a > x OR rest beyond)` rather than a row comparison: the redundant bound on the
    leading field is what lets the database start an index range scan there, through joins too."""
    op, op_eq = ("gt", "gte") if forward else ("lt", "lte")
    head, value = fields[0], key[0]
    if len(fields) == 1:
        return Q(**{f"{head}__{op}": value})
    return Q(**{f"{head}__{op_eq}": value}) & (
        Q(**{f"{head}__{op}": value}) | _beyond(fields[1:], key[1:], forward)
    )


_MERGEABLE = (models.IntegerField, models.AutoField, models.DateField, models.TimeField, models.DecimalField)


def _values(row: Any, fields: tuple[str, ...]) -> tuple[Any, ...]:
    values = []
    for path in fields:
        value = row
        for attr in path.split("__"):
            value = getattr(value, attr)
        values.append(value)
    return tuple(values)


def _field(model: type[models.Model], path: str) -> models.Field:
    parts = path.split("__")
    for attr in parts[:-1]:
        model = model._meta.get_field(attr).related_model
    last = parts[-1]
    return model._meta.pk if last == "pk" else model._meta.get_field(last)


def _plain(value: Any) -> Any:
    """A key value as JSON keeps it exactly (datetimes to the microsecond, with their offset)."""
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    return value


def capped_count(qs: models.QuerySet, cap: int | None = None) -> tuple[int, bool]:
    """How many rows, counted no further than `cap` (COUNT_CAP): (n, False) when exact, (cap, True) when there
    are more. Reads at most cap + 1 rows where COUNT(*) would read them all."""
    cap = COUNT_CAP if cap is None else cap
    if streams := _cover(qs):  # the ids of each stream's first cap + 1 rows, the union counted
        ids: set[Any] = set()
        plain = qs.prefetch_related(None).order_by()
        for stream in streams:
            condition = stream.condition if isinstance(stream, Keyed) else stream
            ids.update(plain.filter(condition).values_list("pk", flat=True)[: cap + 1])
            if len(ids) > cap:
                break
        n = len(ids)
        return (cap, True) if n > cap else (n, False)
    n = qs.order_by()[: cap + 1].count()
    return (cap, True) if n > cap else (n, False)


# -- the API ------------------------------------------------------------------------------------------------


class CursorRefused(exceptions.APIException):
    status_code = 400
    default_code = InvalidCursor.code


class KeysetPagination(pagination.BasePagination):
    """DRF pagination by `view.keyset` (a Keyset): `?cursor=` from the previous answer's `next` / `previous`,
    `?page_size=` up to 200. Answers `{"count", "count_capped", "next", "previous", "results"}`: `count` is exact
    up to 1,000 rows, beyond that 1000 with `count_capped` true. A bad cursor answers 400 `invalid_cursor`."""

    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        keyset: Keyset = view.keyset
        size = self.get_page_size(request)
        try:
            page = keyset.page(queryset, request.query_params.get(self.cursor_query_param), size)
        except InvalidCursor as exc:
            raise CursorRefused(exc.message) from None
        self.count, self.capped = capped_count(queryset)
        self.url = request.build_absolute_uri()
        self.page = page
        return page.rows

    def get_page_size(self, request) -> int:
        default = settings.REST_FRAMEWORK.get("PAGE_SIZE", 50)
        raw = request.query_params.get(self.page_size_query_param, "")
        return min(int(raw), self.max_page_size) if raw.isdigit() and int(raw) > 0 else default

    def _link(self, cursor: str | None) -> str | None:
        return None if cursor is None else replace_query_param(self.url, self.cursor_query_param, cursor)

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.count,
                "count_capped": self.capped,
                "next": self._link(self.page.next_cursor),
                "previous": self._link(self.page.previous_cursor),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["count", "count_capped", "next", "previous", "results"],
            "properties": {
                "count": {"type": "integer", "example": 123, "description": "exact up to 1000"},
                "count_capped": {"type": "boolean", "description": "more rows than `count`"},
                "next": {**link, "example": "http://api.example.org/items/?cursor=eyJkIjoibiJ9"},
                "previous": link,
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "翻页位置: the `next` or `previous` link's cursor (opaque); none for the first page",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"rows per page (default 50, at most {self.max_page_size})",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]
