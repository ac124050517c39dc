"""A second, small FTS5 index on SQLite holding articles and people only.

Finding the articles that match a common word otherwise walks every ticket and message
holding it (FTS5 knows rowids, not kinds): 680 ms at 1M tickets for 263 articles among
220,000 matches. Ranking stays in search_fts, so scores of all kinds stay comparable;
this table only answers "which articles and people match". PostgreSQL gets a partial GIN
index for the same question.
"""

from django.db import migrations

FEW = "('article', 'user')"

SQLITE_UP = [
    """CREATE VIRTUAL TABLE search_fts_few USING fts5(
        tokens_title, tokens_body,
        content='search_searchdocument', content_rowid='id',
        tokenize="unicode61 remove_diacritics 0 categories 'L* N* Co M*'"
    )""",
    f"""CREATE TRIGGER search_fts_few_insert AFTER INSERT ON search_searchdocument
        WHEN new.kind IN {FEW} BEGIN
        INSERT INTO search_fts_few(rowid, tokens_title, tokens_body)
        VALUES (new.id, new.tokens_title, new.tokens_body);
    END""",
    f"""CREATE TRIGGER search_fts_few_delete AFTER DELETE ON search_searchdocument
        WHEN old.kind IN {FEW} BEGIN
        INSERT INTO search_fts_few(search_fts_few, rowid, tokens_title, tokens_body)
        VALUES ('delete', old.id, old.tokens_title, old.tokens_body);
    END""",
    f"""CREATE TRIGGER search_fts_few_update AFTER UPDATE OF tokens_title, tokens_body
        ON search_searchdocument WHEN old.kind IN {FEW} BEGIN
        INSERT INTO search_fts_few(search_fts_few, rowid, tokens_title, tokens_body)
        VALUES ('delete', old.id, old.tokens_title, old.tokens_body);
        INSERT INTO search_fts_few(rowid, tokens_title, tokens_body)
        VALUES (new.id, new.tokens_title, new.tokens_body);
    END""",
    f"""INSERT INTO search_fts_few(rowid, tokens_title, tokens_body)
        SELECT id, tokens_title, tokens_body FROM search_searchdocument WHERE kind IN {FEW}""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS search_fts_few_update",
    "DROP TRIGGER IF EXISTS search_fts_few_delete",
    "DROP TRIGGER IF EXISTS search_fts_few_insert",
    "DROP TABLE IF EXISTS search_fts_few",
]
POSTGRES_UP = [
    f"""CREATE INDEX search_document_vector_few ON search_searchdocument
        USING gin (vector) WHERE kind IN {FEW}""",
]
POSTGRES_DOWN = ["DROP INDEX IF EXISTS search_document_vector_few"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0003_documentembedding")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        )
    ]
