from django.db import connection

from deskline.desks.models import Desk

_TAKE = (
    f"UPDATE {Desk._meta.db_table} SET next_sequence = next_sequence + 1 "  # noqa: S608
    "WHERE id = %s RETURNING next_sequence"
)
# Outside a transaction the UPDATE is one of its own (autocommit), and set_config() with
# is_local applies to that transaction's commit: one round trip in all, where BEGIN,
# SET LOCAL, UPDATE and COMMIT took four.
_TAKE_UNFLUSHED = _TAKE + ", set_config('synchronous_commit', 'off', true)"


def allocate_sequence(desk: Desk) -> int:
    """Take the desk's next ticket sequence; call inside the ticket's transaction.

    One UPDATE ... RETURNING: on SQLite the write lock already serialises writers; on
    PostgreSQL the desk's row stays locked until the caller commits (see
    reserve_sequence for the way around that).
    """
    with connection.cursor() as cursor:
        cursor.execute(_TAKE, [desk.pk])
        row = cursor.fetchone()
    return int(row[0]) - 1


def reserve_sequence(desk: Desk) -> int | None:
    """On PostgreSQL outside any transaction: the desk's next sequence, taken and
    committed in a transaction of its own; otherwise None (allocate inside the ticket's
    transaction).

    Taken inside the ticket's transaction, the desk row stayed locked through that
    transaction's commit, whose WAL flush is the slowest step of a create: every create
    on one desk waited for the previous one's disk write (docs/benchmarks.md). Here the
    lock lasts one UPDATE. Its commit need not wait for the disk: the ticket's own commit
    comes later in the WAL and flushes it too, and if the server stops before that, no
    ticket holds the number. The price: a create that fails after this leaves a gap in
    the desk's numbers, as ids do in Zendesk. On SQLite the one write lock serialises the
    ticket's transaction anyway, and a second transaction would only add a commit.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_TAKE_UNFLUSHED, [desk.pk])
        row = cursor.fetchone()
    return int(row[0]) - 1
