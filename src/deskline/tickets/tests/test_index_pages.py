"""The ticket tables carry no index that another one already covers.

Every index of a table is one more B-tree page written (on SQLite, under the one write
lock) for each row added: a ticket's 19 indexes were most of the pages its create wrote
to the WAL (docs/benchmarks.md). An index whose columns begin another index is served
by that one, and a full index of a column almost always empty is better partial.
"""

import pytest
from django.db import connection

from deskline.tickets.models import Message, Ticket, TicketEvent, TicketFollower, TicketTag

pytestmark = pytest.mark.django_db

TABLES = [m._meta.db_table for m in (Ticket, Message, TicketEvent, TicketTag, TicketFollower)]


def _indexes(table: str, *, unique: bool) -> dict[str, list[str]]:
    """The table's indexes and their columns: non-unique ones, and with unique=True
    unique constraints too (never the primary key)."""
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return {
        name: info["columns"]
        for name, info in found.items()
        if (info["index"] or info["unique"])
        and (unique or not info["unique"])
        and not info["primary_key"]
    }


def _plain_indexes(table: str) -> dict[str, list[str]]:
    return _indexes(table, unique=False)


def _is_partial(name: str) -> bool:
    for model in (Ticket, Message, TicketEvent):
        for index in model._meta.indexes:
            if index.name == name:
                return index.condition is not None
    return False


@pytest.mark.parametrize("table", TABLES)
def test_no_index_is_the_start_of_another(table):
    indexes = {n: c for n, c in _plain_indexes(table).items() if not _is_partial(n)}
    coverers = {n: c for n, c in _indexes(table, unique=True).items() if not _is_partial(n)}
    covered = [
        (name, other)
        for name, columns in indexes.items()
        for other, longer in coverers.items()
        if other != name and len(longer) > len(columns) and longer[: len(columns)] == columns
    ]
    assert covered == [], f"{table}: indexes served by a longer one: {covered}"


def test_rarely_set_foreign_keys_are_indexed_only_where_set():
    indexes = _plain_indexes(Ticket._meta.db_table)
    for column in ("custom_status_id", "merged_into_id"):
        names = [n for n, c in indexes.items() if c == [column]]
        assert names, f"no index on {column}"
        assert all(_is_partial(n) for n in names), f"{column} has a full index: {names}"


def test_merged_and_status_lookups_use_the_partial_indexes():
    """A lookup by either key (what SET_NULL on delete runs) still finds its index."""
    with connection.cursor() as cursor:
        for column, index in (
            ("custom_status_id", "ticket_custom_status"),
            ("merged_into_id", "ticket_merged_into"),
        ):
            table = Ticket._meta.db_table
            if connection.vendor == "sqlite":
                cursor.execute(
                    f'EXPLAIN QUERY PLAN SELECT id FROM "{table}" WHERE "{column}" IN (1, 2)'  # noqa: S608
                )
                plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            else:
                cursor.execute("SET LOCAL enable_seqscan = off")
                cursor.execute(
                    f'EXPLAIN SELECT id FROM "{table}" WHERE "{column}" IN (1, 2)'  # noqa: S608
                )
                plan = " ".join(row[0] for row in cursor.fetchall())
            assert index in plan, plan
