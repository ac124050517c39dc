"""Row reads and writes the ORM would do, as plain SQL, for code that runs under a lock.

On SQLite every write transaction holds the database's one write lock, and the ticket
services run inside it for every mail, every reply and every change. Building a query
with the ORM costs there several times what the database takes to run it (0.3–0.6 ms
against ~0.05 ms for a one-row INSERT). These helpers do what `Model.save()`,
`QuerySet.bulk_create()`, `select_for_update().get(pk=...)` and `filter(key=...)[:1]` do
for plain models, with the SQL built once per model, the values prepared by their fields
and the values read converted by them exactly as the ORM does, so the rows written and
the instances left behind are the same (core/tests/test_rows.py compares them).

Only for plain models: a model with a custom save(), multi-table inheritance, or
generated or database-default columns goes through the ORM, as does a value that is an
expression (F(), Now()). Save signal receivers (checked on every call, so a receiver
added later still runs) hear an insert as save() sends it; an update with receivers goes
through the ORM.
"""

import datetime
from collections.abc import Callable, Sequence
from functools import cache
from types import NoneType
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    AutoField,
    BooleanField,
    CharField,
    DateTimeField,
    Field,
    ForeignKey,
    Model,
    TextField,
)
from django.db.models.signals import post_save, pre_save
from django.db.transaction import TransactionManagementError

M = TypeVar("M", bound=Model)
T = TypeVar("T")

# Above this many values in one INSERT, bulk_create's own batching is used.
_MAX_PARAMS = 500


def _db() -> BaseDatabaseWrapper:
    """The default connection itself, taken once per call: `django.db.connection` is a
    proxy that looks the connection up in asgiref's Local on every attribute read, and
    the field methods given it read several (~100 lookups per ticket create)."""
    return connections[DEFAULT_DB_ALIAS]


def _converters(
    model: type[Model], fields: Sequence[Any], db: BaseDatabaseWrapper
) -> list[tuple[int, list, Any]]:
    """What the ORM's compiler applies to the values it reads back (SQLite's text
    datetimes, JSON, booleans...), by position."""
    table = model._meta.db_table
    found = []
    for index, field in enumerate(fields):
        column = field.get_col(table)
        convs = db.ops.get_db_converters(column) + column.get_db_converters(db)
        if convs:
            found.append((index, convs, column))
    return found


def _convert(
    row: Sequence[Any], converters: list[tuple[int, list, Any]], db: BaseDatabaseWrapper
) -> list[Any]:
    values = list(row)
    for index, convs, column in converters:
        value = values[index]
        for converter in convs:
            value = converter(value, column, db)
        values[index] = value
    return values


@cache
def _plain(model: type[Model]) -> bool:
    """Whether saving this model is only its INSERT or UPDATE (no custom save, no
    parents, no columns the database fills in besides the auto-increment key)."""
    meta = model._meta
    return (
        _plain_columns(model)
        and isinstance(meta.pk, AutoField)
        and list(meta.db_returning_fields) == [meta.pk]
    )


@cache
def _keyed(model: type[Model]) -> bool:
    """Whether this model's key is set in Python (a UUID) and saving a new row is only
    its INSERT, with nothing to read back."""
    meta = model._meta
    return (
        _plain_columns(model)
        and not isinstance(meta.pk, AutoField)
        and not list(meta.db_returning_fields)
    )


def _plain_columns(model: type[Model]) -> bool:
    meta = model._meta
    return (
        not meta.proxy
        and not meta.parents
        and not meta.order_with_respect_to
        and not meta.select_on_save
        and model.save is Model.save
        and model.save_base is Model.save_base
        and not any(
            f.generated or f.has_db_default() or getattr(f, "get_placeholder", None)
            for f in meta.concrete_fields
        )
    )


def _signalled(model: type[Model]) -> bool:
    return pre_save.has_listeners(model) or post_save.has_listeners(model)


def _built(db: BaseDatabaseWrapper, key: tuple, build: Callable[[], T]) -> T:
    """`build()` once per connection: the SQL is the backend's, and the converters are
    bound to the connection they were taken from (each thread has its own)."""
    built = db.__dict__.get("_deskline_rows_sql")
    if built is None:
        built = db.__dict__["_deskline_rows_sql"] = {}
    found = built.get(key)
    if found is None:
        found = built[key] = build()
    return found


def _mark_for_rollback(db: BaseDatabaseWrapper) -> None:
    """What transaction.mark_for_rollback_on_error() does when the statement failed."""
    if db.in_atomic_block:
        db.needs_rollback = True


def _unchanged_types(field: Any) -> tuple[type, ...]:
    """The value types this field writes as they are: a str or None in a text column, a
    bool or None in a boolean one, None for a foreign key, when no method of the chain
    that prepares them (get_db_prep_save → get_db_prep_value → get_prep_value →
    to_python) is overridden. Each of Django's returns such a value unchanged, whatever
    the database."""
    kind = type(field)
    if isinstance(field, ForeignKey) and kind.get_db_prep_save is ForeignKey.get_db_prep_save:
        return (NoneType,)  # its first test: None is written as None
    if (
        kind.get_db_prep_save is not Field.get_db_prep_save
        or kind.get_db_prep_value is not Field.get_db_prep_value
    ):
        return ()
    for base, types in (
        (CharField, (str, NoneType)),
        (TextField, (str, NoneType)),
        (BooleanField, (bool, NoneType)),
    ):
        if (
            isinstance(field, base)
            and kind.get_prep_value is base.get_prep_value
            and kind.to_python is base.to_python
        ):
            return types
    return ()


def _shortcuts(field: Any, db: BaseDatabaseWrapper) -> dict[type, Callable[[Any], Any]]:
    """Per value type, what this field's get_db_prep_save() comes down to for it: for a
    date and time, the backend's adapt_datetimefield_value(), once the value is known to
    be None or aware (DateTimeField.get_prep_value() returns those as they are; a naive
    one it warns about and makes aware, so that one takes the whole way)."""
    kind = type(field)
    if not (
        isinstance(field, DateTimeField)
        and kind.get_db_prep_save is Field.get_db_prep_save
        and kind.get_db_prep_value is DateTimeField.get_db_prep_value
        and kind.get_prep_value is DateTimeField.get_prep_value
        and kind.to_python is DateTimeField.to_python
    ):
        return {}
    adapt = db.ops.adapt_datetimefield_value
    prepare = field.get_db_prep_save

    def aware(value: datetime.datetime) -> Any:
        if value.utcoffset() is None:
            return prepare(value, connection=db)
        return adapt(value)

    return {NoneType: adapt, datetime.datetime: aware}


def _writers(fields: list, db: BaseDatabaseWrapper) -> list[tuple]:
    """Per field: (the field, its attname when its pre_save() only reads it, its
    get_db_prep_save, the value types it writes unchanged, shortcuts by value type).
    Most fields' pre_save() is Field's, `getattr(obj, attname)`; the others (auto_now
    dates...) are called as save() calls them."""
    return [
        (
            f,
            f.attname if type(f).pre_save is Field.pre_save else None,
            f.get_db_prep_save,
            _unchanged_types(f),
            _shortcuts(f, db),
        )
        for f in fields
    ]


def _insert_sql(db: BaseDatabaseWrapper, model: type[Model], rows: int) -> tuple:
    """(INSERT ... RETURNING pk for `rows` rows, the fields' writers, the pk's converters)."""
    return _built(db, ("insert", model, rows), lambda: _build_insert_sql(db, model, rows))


def _build_insert_sql(db: BaseDatabaseWrapper, model: type[Model], rows: int) -> tuple:
    meta = model._meta
    quote = db.ops.quote_name
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field]
    placeholders = [["%s"] * len(fields) for _ in range(rows)]
    values = db.ops.bulk_insert_sql(fields, placeholders)
    returning, _ = db.ops.return_insert_columns([meta.pk])
    sql = (
        f"INSERT INTO {quote(meta.db_table)} "
        f"({', '.join(quote(f.column) for f in fields)}) {values} {returning}"
    )
    return sql, _writers(fields, db), _converters(model, [meta.pk], db)


def _fast_insert(db: BaseDatabaseWrapper, model: type[Model], objs: Sequence[Model]) -> bool:
    return (
        _plain(model)
        and db.features.can_return_columns_from_insert
        and (len(objs) == 1 or db.features.can_return_rows_from_bulk_insert)
        and all(obj.pk is None for obj in objs)
    )


def _insert_values(db: BaseDatabaseWrapper, objs: Sequence[Model], writers: list) -> list | None:
    params = []
    append = params.append
    for obj in objs:
        for field, attname, prepare, unchanged, shortcuts in writers:
            value = getattr(obj, attname) if attname else field.pre_save(obj, True)
            kind = type(value)
            if kind in unchanged:
                append(value)
                continue
            shortcut = shortcuts.get(kind)
            if shortcut is not None:
                append(shortcut(value))
                continue
            if hasattr(value, "resolve_expression"):
                return None  # an expression: the ORM compiles it
            append(prepare(value, connection=db))
    return params


def _run_insert(db: BaseDatabaseWrapper, model: type[M], objs: Sequence[M]) -> bool:
    sql, writers, pk_converters = _insert_sql(db, model, len(objs))
    params = _insert_values(db, objs, writers)
    if params is None:
        return False
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        keys = cursor.fetchall()
    alias = db.alias
    for obj, row in zip(objs, keys, strict=True):
        obj.pk = _convert(row, pk_converters, db)[0] if pk_converters else row[0]
        obj._state.adding = False
        obj._state.db = alias
    return True


def _run_keyed_insert(db: BaseDatabaseWrapper, model: type[M], obj: M) -> bool:
    sql, writers = _built(db, ("insert-keyed", model), lambda: _build_keyed_insert_sql(db, model))
    params = _insert_values(db, [obj], writers)
    if params is None:
        return False
    with db.cursor() as cursor:
        cursor.execute(sql, params)
    obj._state.adding = False
    obj._state.db = db.alias
    return True


def _build_keyed_insert_sql(db: BaseDatabaseWrapper, model: type[Model]) -> tuple[str, list]:
    meta = model._meta
    quote = db.ops.quote_name
    fields = list(meta.local_concrete_fields)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    return sql, _writers(fields, db)


def insert(obj: Model) -> None:
    """`obj.save()` of a new row (what `Model.objects.create()` does after building it),
    save signals included."""
    model = type(obj)
    db = _db()
    keyed = _keyed(model) and obj.pk is not None
    if not keyed and not _fast_insert(db, model, [obj]):
        obj.save(force_insert=True)
        return
    alias = db.alias
    signalled = _signalled(model)
    if signalled:
        # As save_base() sends it: a receiver may still set fields (django-tasks' sets
        # run_after on its task rows, queued with every ticket change).
        pre_save.send(sender=model, instance=obj, raw=False, using=alias, update_fields=None)
    obj._prepare_related_fields_for_save(operation_name="save")
    # As save() does: an error inside the caller's transaction marks it for rollback.
    try:
        done = _run_keyed_insert(db, model, obj) if keyed else _run_insert(db, model, [obj])
        if not done:  # an expression value: the ORM's INSERT, the signals sent here
            obj._save_table(raw=False, cls=model, force_insert=True, using=alias)
            obj._state.adding = False
            obj._state.db = alias
    except Exception:
        _mark_for_rollback(db)
        raise
    if signalled:
        post_save.send(
            sender=model, instance=obj, created=True, update_fields=None, raw=False, using=alias
        )


def insert_many(model: type[M], objs: list[M]) -> list[M]:
    """`model.objects.bulk_create(objs)`: one INSERT, keys set on the objects, no signals."""
    db = _db()
    fields = len(model._meta.local_concrete_fields)
    if not objs or not _fast_insert(db, model, objs) or len(objs) * fields > _MAX_PARAMS:
        return model._default_manager.bulk_create(objs)
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
    # bulk_create's own transaction: inside the caller's, nothing more than marking it
    # for rollback on an error.
    if db.in_atomic_block:
        try:
            done = _run_insert(db, model, objs)
        except Exception:
            db.needs_rollback = True
            raise
    else:
        with transaction.atomic(using=db.alias, savepoint=False):
            done = _run_insert(db, model, objs)
    if not done:
        return model._default_manager.bulk_create(objs)
    return objs


def update(obj: Model, field_names: Sequence[str]) -> None:
    """`obj.save(update_fields=field_names)` of an existing row."""
    model = type(obj)
    meta = model._meta
    if not _plain(model) or _signalled(model) or not field_names:
        obj.save(update_fields=field_names)
        return
    wanted = set(field_names)
    fields = [f for f in meta.local_concrete_fields
              if f is not meta.pk and (f.name in wanted or f.attname in wanted)]  # fmt: skip
    if len({f.name for f in fields}) != len(wanted):
        obj.save(update_fields=field_names)  # unknown or non-concrete names: save() says so
        return
    # First, as save() does: it may set a key from a related object saved since.
    obj._prepare_related_fields_for_save(operation_name="save", fields=fields)
    values = [field.pre_save(obj, False) for field in fields]
    if any(hasattr(value, "resolve_expression") for value in values):
        obj.save(update_fields=field_names)
        return
    db = _db()
    quote = db.ops.quote_name
    sql = (
        f"UPDATE {quote(meta.db_table)} "  # noqa: S608
        f"SET {', '.join(f'{quote(f.column)} = %s' for f in fields)} "
        f"WHERE {quote(meta.pk.column)} = %s"
    )
    params = [field.get_db_prep_save(value, connection=db)
              for field, value in zip(fields, values, strict=True)]  # fmt: skip
    params.append(meta.pk.get_db_prep_value(obj.pk, db))
    try:
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            if cursor.rowcount < 1:
                raise DatabaseError("Save with update_fields did not affect any rows.")
    except Exception:
        _mark_for_rollback(db)
        raise
    obj._state.db = db.alias
    obj._state.adding = False


def _select_sql(
    db: BaseDatabaseWrapper,
    model: type[Model],
    field_name: str,
    for_update: bool,
    *,
    limit: bool = True,
) -> tuple[str, list, list, Any]:
    """(SELECT every column WHERE one column = %s, the attnames, the converters, the
    column's field)."""
    key = ("select", model, field_name, for_update, limit)
    return _built(db, key, lambda: _build_select_sql(db, model, field_name, for_update, limit))


def _build_select_sql(
    db: BaseDatabaseWrapper, model: type[Model], field_name: str, for_update: bool, limit: bool
) -> tuple:
    meta = model._meta
    quote = db.ops.quote_name
    fields = list(meta.concrete_fields)
    key_field = meta.pk if field_name == "pk" else meta.get_field(field_name)
    sql = (
        f"SELECT {', '.join(quote(f.column) for f in fields)} "  # noqa: S608
        f"FROM {quote(meta.db_table)} WHERE {quote(key_field.column)} = %s"
    )
    if for_update and db.features.has_select_for_update:
        sql += " FOR UPDATE"
    elif not for_update and limit:
        sql += " LIMIT 1"
    return sql, [f.attname for f in fields], _converters(model, fields, db), key_field


def _fetch(db: BaseDatabaseWrapper, sql: str, field: Any, value: Any, *, many: bool) -> Any:
    """Run a read keyed by one column: fetchall() when many, else fetchone()."""
    with db.cursor() as cursor:
        # As the ORM's exact lookup prepares its value.
        cursor.execute(sql, [field.get_db_prep_value(value, db)])
        return cursor.fetchall() if many else cursor.fetchone()


def _read(
    db: BaseDatabaseWrapper, model: type[M], field_name: str, value: Any, for_update: bool
) -> M | None:
    sql, names, converters, field = _select_sql(db, model, field_name, for_update)
    row = _fetch(db, sql, field, value, many=False)
    if row is None:
        return None
    return model.from_db(db.alias, names, _convert(row, converters, db))


def first(model: type[M], field_name: str, value: Any) -> M | None:
    """`model.objects.filter(**{field_name: value}).order_by()[:1]`, the row or None:
    for reads by a key or a unique column, where order does not matter."""
    if model._meta.proxy or model._meta.parents or value is None:
        found = model._default_manager.filter(**{field_name: value}).order_by()[:1]
        return next(iter(found), None)
    return _read(_db(), model, field_name, value, False)


def first_with(model: type[M], field_name: str, value: Any, relation: str) -> M | None:
    """`model.objects.select_related(relation).filter(**{field_name: value})[:1]` for a
    non-null foreign key `relation`: the row with its related row, in one statement."""
    fk = model._meta.get_field(relation)
    if (
        model._meta.proxy
        or model._meta.parents
        or fk.null
        or fk.related_model._meta.proxy
        or fk.related_model._meta.parents
        or value is None
    ):
        found = model._default_manager.select_related(relation).filter(**{field_name: value})
        return next(iter(found.order_by()[:1]), None)
    db = _db()
    key = ("select-with", model, field_name, relation)
    sql, names, related_names, width, converters, field = _built(
        db, key, lambda: _build_select_with_sql(db, model, field_name, fk)
    )
    row = _fetch(db, sql, field, value, many=False)
    if row is None:
        return None
    values = _convert(row, converters, db)
    obj = model.from_db(db.alias, names, values[:width])
    related = fk.related_model.from_db(db.alias, related_names, values[width:])
    fk.set_cached_value(obj, related)
    return obj


def _build_select_with_sql(
    db: BaseDatabaseWrapper, model: type[Model], field_name: str, fk: Any
) -> tuple:
    quote = db.ops.quote_name
    meta, other = model._meta, fk.related_model._meta
    fields, related_fields = list(meta.concrete_fields), list(other.concrete_fields)
    key_field = meta.pk if field_name == "pk" else meta.get_field(field_name)
    columns = [f"a.{quote(f.column)}" for f in fields]
    columns += [f"b.{quote(f.column)}" for f in related_fields]
    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(meta.db_table)} a "  # noqa: S608
        f"JOIN {quote(other.db_table)} b ON b.{quote(other.pk.column)} = a.{quote(fk.column)} "
        f"WHERE a.{quote(key_field.column)} = %s LIMIT 1"
    )
    width = len(fields)
    converters = _converters(model, fields, db) + [
        (width + index, convs, col)
        for index, convs, col in _converters(fk.related_model, related_fields, db)
    ]
    return (
        sql,
        [f.attname for f in fields],
        [f.attname for f in related_fields],
        width,
        converters,
        key_field,
    )


def where(model: type[M], field_name: str, value: Any) -> list[M]:
    """`list(model.objects.filter(**{field_name: value}).order_by())`: every row with
    that value, in no particular order."""
    if model._meta.proxy or model._meta.parents or value is None:
        return list(model._default_manager.filter(**{field_name: value}).order_by())
    db = _db()
    sql, names, converters, field = _select_sql(db, model, field_name, False, limit=False)
    found = _fetch(db, sql, field, value, many=True)
    return [model.from_db(db.alias, names, _convert(row, converters, db)) for row in found]


def get_for_update(model: type[M], pk: Any) -> M:
    """`model.objects.select_for_update().get(pk=pk)` (FOR UPDATE where the database
    locks rows; SQLite's transaction already holds its one write lock)."""
    if model._meta.proxy or model._meta.parents:
        return model._default_manager.select_for_update().get(pk=pk)
    db = _db()
    if db.features.has_select_for_update and db.get_autocommit():
        raise TransactionManagementError(
            "select_for_update cannot be used outside of a transaction."
        )
    found = _read(db, model, "pk", pk, True)
    if found is None:
        raise model.DoesNotExist(f"{model._meta.object_name} matching query does not exist.")
    return found
