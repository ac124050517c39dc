"""Full-text backends behind one small interface, chosen by the database in use."""

from django.db import connection

from deskline.search.backends.base import Backend


def get_backend() -> Backend:
    if connection.vendor == "postgresql":
        from deskline.search.backends.postgres import PostgresBackend

        return PostgresBackend()
    if connection.vendor == "sqlite":
        from deskline.search.backends.sqlite import SqliteBackend

        return SqliteBackend()
    raise RuntimeError(f"search supports SQLite and PostgreSQL, not {connection.vendor}")


__all__ = ["Backend", "get_backend"]
