"""The full-text index, one per database vendor, kept in step by triggers.

SQLite: an FTS5 table over search_searchdocument (external content, so the tokens are
stored once). Its tokenizer only splits: the tokens are already normalized in Python
(search/text.py), and marks count as token characters as they do in search/text.py.
PostgreSQL: a tsvector column with the 'simple' configuration (no stemming, no stop
words: done in Python), title weighted A and body B, and a GIN index.
"""

from django.db import migrations

SQLITE_UP = [
    """CREATE VIRTUAL TABLE search_fts USING fts5(
        tokens_title, tokens_body,
        content='search_searchdocument', content_rowid='id',
        tokenize="unicode61 remove_diacritics 0 categories 'L* N* Co M*'"
    )""",
    """CREATE TRIGGER search_fts_insert AFTER INSERT ON search_searchdocument BEGIN
        INSERT INTO search_fts(rowid, tokens_title, tokens_body)
        VALUES (new.id, new.tokens_title, new.tokens_body);
    END""",
    """CREATE TRIGGER search_fts_delete AFTER DELETE ON search_searchdocument BEGIN
        INSERT INTO search_fts(search_fts, rowid, tokens_title, tokens_body)
        VALUES ('delete', old.id, old.tokens_title, old.tokens_body);
    END""",
    """CREATE TRIGGER search_fts_update AFTER UPDATE OF tokens_title, tokens_body
        ON search_searchdocument BEGIN
        INSERT INTO search_fts(search_fts, rowid, tokens_title, tokens_body)
        VALUES ('delete', old.id, old.tokens_title, old.tokens_body);
        INSERT INTO search_fts(rowid, tokens_title, tokens_body)
        VALUES (new.id, new.tokens_title, new.tokens_body);
    END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS search_fts_update",
    "DROP TRIGGER IF EXISTS search_fts_delete",
    "DROP TRIGGER IF EXISTS search_fts_insert",
    "DROP TABLE IF EXISTS search_fts",
]
POSTGRES_UP = [
    "ALTER TABLE search_searchdocument ADD COLUMN vector tsvector",
    """CREATE FUNCTION search_document_vector() RETURNS trigger AS $$
    BEGIN
        NEW.vector := setweight(to_tsvector('simple', coalesce(NEW.tokens_title, '')), 'A')
                   || setweight(to_tsvector('simple', coalesce(NEW.tokens_body, '')), 'B');
        RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER search_document_vector BEFORE INSERT OR UPDATE OF tokens_title, tokens_body
        ON search_searchdocument FOR EACH ROW EXECUTE FUNCTION search_document_vector()""",
    "CREATE INDEX search_document_vector_gin ON search_searchdocument USING gin (vector)",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS search_document_vector ON search_searchdocument",
    "DROP FUNCTION IF EXISTS search_document_vector()",
    "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS vector",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        )
    ]
