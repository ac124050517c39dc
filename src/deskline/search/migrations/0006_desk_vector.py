"""Desk-scoped words in their own index (PostgreSQL only; nothing changes on SQLite).

A desk agent's search asked the GIN index for documents holding the words *and* the
desk's access lexeme, which made it read the whole posting list of that lexeme (every
document of the desk: 900,000 at 1M tickets) and of each word, however few documents
of the desk hold the words. Ticket and message documents now also get `desk_vector`:
each word lexeme joined to each desk token of the document ("vpn@d1"), kept by the
same trigger as `vector` and indexed on its own, so the index hands out a desk's
matches of a word directly.

Also: the GIN indexes stop using their pending list (fastupdate). With it, every
search scanned the list of not yet merged entries (up to 4 MB, 2,700 documents after a
bulk import) before the index itself; indexing runs in background tasks, so the
writes that now update the index at once cost nothing in a request.

The fill recomputes every ticket and message document's desk words in SQL (minutes
at 2M documents), no `search reindex` needed.
"""

from django.db import migrations

TICKETISH = "('ticket', 'message')"

# The word lexemes of `vector` (the access lexemes start with "~", no word does)
# joined to the desk tokens of `access`.
DESK_WORDS = """array_to_tsvector(ARRAY(
        SELECT lexeme || '@' || token
        FROM unnest(tsvector_to_array({vector})) lexeme,
             unnest(string_to_array(coalesce({access}, ''), ' ')) token
        WHERE token LIKE 'd%' AND lexeme NOT LIKE '~%'))"""

VECTOR = """CREATE OR REPLACE FUNCTION search_document_vector() RETURNS trigger AS $$
    BEGIN
        NEW.vector := setweight(to_tsvector('simple', coalesce(NEW.tokens_title, '')), 'A')
                   || setweight(to_tsvector('simple', coalesce(NEW.tokens_body, '')), 'B')
                   || array_to_tsvector(ARRAY(
                          SELECT '~' || token
                          FROM unnest(string_to_array(coalesce(NEW.access, ''), ' ')) token
                          WHERE token <> ''));{desk}
        RETURN NEW;
    END $$ LANGUAGE plpgsql"""
DESK_ASSIGNMENT = f"""
        IF NEW.kind IN {TICKETISH} THEN
            NEW.desk_vector := {DESK_WORDS.format(vector="NEW.vector", access="NEW.access")};
        ELSE
            NEW.desk_vector := NULL;
        END IF;"""

POSTGRES_UP = [
    "ALTER TABLE search_searchdocument ADD COLUMN desk_vector tsvector",
    VECTOR.format(desk=DESK_ASSIGNMENT),
    f"""UPDATE search_searchdocument
        SET desk_vector = {DESK_WORDS.format(vector="vector", access="access")}
        WHERE kind IN {TICKETISH}""",  # noqa: S608 - fixed SQL, no input
    f"""CREATE INDEX search_document_desk_vector ON search_searchdocument
        USING gin (desk_vector) WITH (fastupdate = off) WHERE kind IN {TICKETISH}""",
    "ALTER INDEX search_document_vector_gin SET (fastupdate = off)",
    "ALTER INDEX search_document_vector_few SET (fastupdate = off)",
    # Entries already in the pending lists are merged now (VACUUM would, later).
    "SELECT gin_clean_pending_list('search_document_vector_gin'::regclass)",
    "SELECT gin_clean_pending_list('search_document_vector_few'::regclass)",
]
POSTGRES_DOWN = [
    "ALTER INDEX search_document_vector_few RESET (fastupdate)",
    "ALTER INDEX search_document_vector_gin RESET (fastupdate)",
    "DROP INDEX IF EXISTS search_document_desk_vector",
    VECTOR.format(desk=""),
    "ALTER TABLE search_searchdocument DROP COLUMN desk_vector",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0005_document_access")]

    operations = [migrations.RunPython(_run(POSTGRES_UP), _run(POSTGRES_DOWN))]
