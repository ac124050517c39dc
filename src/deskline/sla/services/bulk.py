"""Plain bulk writes for the scheduler's hot path.

At a full batch (2,000 timers) building model instances and compiling bulk_create's
statement cost several times the database work (bench/sla_tick.py); rows written here are
plain tuples. Only for append-only rows without signals or Python-side defaults: timeline
events and notices.

On PostgreSQL rows go in by COPY and id lists as one text parameter: with a placeholder
per value psycopg splits and quotes the query in Python, which took a third of a
2,000-timer tick (5,000 placeholders per INSERT); sending arrays instead still spent a
third of the rest quoting them element by element.
"""

import json
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection
from django.db.models import DateTimeField, Field, JSONField, Model
from django.db.models.expressions import RawSQL

CHUNK = 1000


def _converter(field: Field) -> Callable[[Any], Any] | None:
    if isinstance(field, JSONField):
        if connection.vendor == "postgresql":
            # COPY sends JSON as text; None stays SQL NULL as with the ORM.
            return lambda value: None if value is None else json.dumps(value, cls=field.encoder)
        return lambda value: field.get_db_prep_value(value, connection, prepared=False)
    if isinstance(field, DateTimeField) and connection.vendor != "postgresql":
        return connection.ops.adapt_datetimefield_value
    return None


def pks_in(pks: Sequence[int]) -> Sequence[int] | RawSQL:
    """The right side of `pk__in` for a large list: one text parameter on PostgreSQL."""
    if connection.vendor == "postgresql":
        ids = ",".join(str(int(pk)) for pk in pks)
        return RawSQL("SELECT unnest(string_to_array(%s, ',')::bigint[])", [ids])
    return pks


def insert_rows(model: type[Model], columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in columns]
    converters = [(i, c) for i, f in enumerate(fields) if (c := _converter(f)) is not None]
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    if connection.vendor == "postgresql":
        _copy_rows(table, names, converters, rows)
        return
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            params: list[Any] = []
            for row in chunk:
                values = list(row)
                for i, convert in converters:
                    values[i] = convert(values[i])
                params += values
            marks = ", ".join([one] * len(chunk))
            # Table and column names come from the model; every value is a parameter.
            cursor.execute(f"INSERT INTO {table} ({names}) VALUES {marks}", params)  # noqa: S608


def _copy_rows(
    table: str,
    names: str,
    converters: list[tuple[int, Callable[[Any], Any]]],
    rows: list[tuple[Any, ...]],
) -> None:
    # Table and column names come from the model; values travel as COPY data.
    statement = f"COPY {table} ({names}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            if converters:
                values = list(row)
                for i, convert in converters:
                    values[i] = convert(values[i])
                row = tuple(values)  # noqa: PLW2901
            copy.write_row(row)
