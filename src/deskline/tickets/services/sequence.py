from django.db import connection

from deskline.desks.models import Desk


def allocate_sequence(desk: Desk) -> int:
    """Take the desk's next ticket sequence; call inside the ticket's transaction.

    One UPDATE ... RETURNING: on PostgreSQL the row lock serialises concurrent
    openers of the same desk until commit, on SQLite the write lock already does.
    """
    table = Desk._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET next_sequence = next_sequence + 1 "  # noqa: S608
            "WHERE id = %s RETURNING next_sequence",
            [desk.pk],
        )
        row = cursor.fetchone()
    return int(row[0]) - 1
