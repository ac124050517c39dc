"""Desk words by id bucket too (PostgreSQL only; nothing changes on SQLite).

`desk_vector` (migration 0006) held "vpn@d1": reading a common word of a large desk
from it meant its whole posting list (105,000 entries, 35 ms, for three common words
of the IT desk at 1M tickets), and cutting that to a band of recent ids needed a bitmap
of the primary key over the band (7-13 ms for 100,000 ids). Each desk word now also
names the document's bucket of 16,384 ids ("vpn@d1#122" for ids 1,998,848-2,015,231),
so a band of the newest ids asks the index for the few buckets it covers and reads only
their entries. The bucket is `id >> 14` (BUCKET_BITS in backends/postgres.py). The
words without a bucket stay for wide ranges: a query naming a hundred buckets costs the
index a test of every one for each candidate (seconds), and a pair of words held
together by no document is answered from their two lists at once (0.05 ms), where
bucket by bucket it is not.

The fill recomputes every ticket and message document's desk words in SQL, like 0006,
and builds the index again after it; the table file grows until VACUUM FULL or
autovacuum (see docs/benchmarks.md).
"""

import importlib

from django.db import migrations

desk_vector = importlib.import_module("deskline.search.migrations.0006_desk_vector")
TICKETISH = desk_vector.TICKETISH

# Each word of the desk twice: "vpn@d1" and "vpn@d1#122".
DESK_WORDS = """array_to_tsvector(ARRAY(
        SELECT lexeme || '@' || token || bucket
        FROM unnest(tsvector_to_array({vector})) lexeme,
             unnest(string_to_array(coalesce({access}, ''), ' ')) token,
             unnest(ARRAY['', '#' || ({id} >> 14)::text]) bucket
        WHERE token LIKE 'd%' AND lexeme NOT LIKE '~%'))"""
NEW_WORDS = DESK_WORDS.format(id="NEW.id", vector="NEW.vector", access="NEW.access")
DESK_ASSIGNMENT = f"""
        IF NEW.kind IN {TICKETISH} THEN
            NEW.desk_vector := {NEW_WORDS};
        ELSE
            NEW.desk_vector := NULL;
        END IF;"""


def _fill(words: str) -> str:
    return f"""UPDATE search_searchdocument
        SET desk_vector = {words.format(id="id", vector="vector", access="access")}
        WHERE kind IN {TICKETISH}"""  # noqa: S608 - fixed SQL, no input


def _refill(function: str, words: str) -> list[str]:
    # The index is built again after the fill: kept during it, each row's entries went
    # into it one at a time (fastupdate is off), many times slower than a build.
    return [
        function,
        "DROP INDEX IF EXISTS search_document_desk_vector",
        _fill(words),
        f"""CREATE INDEX search_document_desk_vector ON search_searchdocument
            USING gin (desk_vector) WITH (fastupdate = off) WHERE kind IN {TICKETISH}""",
    ]


POSTGRES_UP = _refill(desk_vector.VECTOR.format(desk=DESK_ASSIGNMENT), DESK_WORDS)
POSTGRES_DOWN = _refill(
    desk_vector.VECTOR.format(desk=desk_vector.DESK_ASSIGNMENT), desk_vector.DESK_WORDS
)


class Migration(migrations.Migration):
    dependencies = [("search", "0006_desk_vector")]

    operations = [
        migrations.RunPython(desk_vector._run(POSTGRES_UP), desk_vector._run(POSTGRES_DOWN))
    ]
