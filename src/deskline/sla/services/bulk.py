"""Plain multi-row inserts for the scheduler's hot path.

At a full batch (2,000 timers) building model instances and compiling bulk_create's
statement cost several times the database work (bench/sla_tick.py); rows written here are
plain tuples sent as a few multi-row INSERTs. Only for append-only rows without signals or
Python-side defaults: timeline events and notices.
"""

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.db.models import DateTimeField, Field, JSONField, Model

CHUNK = 1000


def _converter(field: Field) -> Callable[[Any], Any] | None:
    if isinstance(field, JSONField):
        return lambda value: field.get_db_prep_value(value, connection, prepared=False)
    if isinstance(field, DateTimeField) and connection.vendor != "postgresql":
        return connection.ops.adapt_datetimefield_value
    return None


def insert_rows(model: type[Model], columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in columns]
    converters = [(i, c) for i, f in enumerate(fields) if (c := _converter(f)) is not None]
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
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
