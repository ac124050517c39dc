"""Access tokens in the full-text index (search/access.py).

Adds SearchDocument.access, fills it for the existing ticket and message documents
from their tickets and for articles and people with their kind (in SQL, no re-indexing
needed), and puts it in the index:
SQLite: search_fts gets a third column `access` (rebuilt from the table: about as long
as the FTS part of a reindex, a few minutes at 2M documents);
PostgreSQL: the tsvector gets one position-less lexeme "~<token>" per token, which no
word can produce (words are letters and digits), so only the access part of a query
matches them (every row's vector is recomputed by the UPDATE).
"""

from django.db import migrations, models

TOKENIZE = "tokenize=\"unicode61 remove_diacritics 0 categories 'L* N* Co M*'\""

# Same tokens as access.document_access: desk, then requester and organization
# unless the document is an internal note.
FILL = [
    """UPDATE search_searchdocument SET access =
        'd' || t.desk_id
        || CASE WHEN search_searchdocument.internal THEN ''
           ELSE ' r' || t.requester_id || COALESCE(' o' || t.organization_id, '') END
        FROM tickets_ticket t
        WHERE search_searchdocument.kind IN ('ticket', 'message')
          AND t.id = search_searchdocument.ticket_id""",
    # access.kind_access
    "UPDATE search_searchdocument SET access = kind WHERE kind IN ('article', 'user')",
]

SQLITE_TRIGGERS = [
    """CREATE TRIGGER search_fts_insert AFTER INSERT ON search_searchdocument BEGIN
        INSERT INTO search_fts(rowid, tokens_title, tokens_body, access)
        VALUES (new.id, new.tokens_title, new.tokens_body, new.access);
    END""",
    """CREATE TRIGGER search_fts_delete AFTER DELETE ON search_searchdocument BEGIN
        INSERT INTO search_fts(search_fts, rowid, tokens_title, tokens_body, access)
        VALUES ('delete', old.id, old.tokens_title, old.tokens_body, old.access);
    END""",
    """CREATE TRIGGER search_fts_update AFTER UPDATE OF tokens_title, tokens_body, access
        ON search_searchdocument BEGIN
        INSERT INTO search_fts(search_fts, rowid, tokens_title, tokens_body, access)
        VALUES ('delete', old.id, old.tokens_title, old.tokens_body, old.access);
        INSERT INTO search_fts(rowid, tokens_title, tokens_body, access)
        VALUES (new.id, new.tokens_title, new.tokens_body, new.access);
    END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS search_fts_update",
    "DROP TRIGGER IF EXISTS search_fts_delete",
    "DROP TRIGGER IF EXISTS search_fts_insert",
    "DROP TABLE IF EXISTS search_fts",
]
SQLITE_UP = [
    *SQLITE_DROP,
    *FILL,
    f"""CREATE VIRTUAL TABLE search_fts USING fts5(
        tokens_title, tokens_body, access,
        content='search_searchdocument', content_rowid='id', {TOKENIZE}
    )""",
    *SQLITE_TRIGGERS,
    "INSERT INTO search_fts(search_fts) VALUES ('rebuild')",
]
# Back to migration 0002's two-column index.
SQLITE_DOWN = [
    *SQLITE_DROP,
    f"""CREATE VIRTUAL TABLE search_fts USING fts5(
        tokens_title, tokens_body,
        content='search_searchdocument', content_rowid='id', {TOKENIZE}
    )""",
    *[
        t.replace(", access", "").replace(", new.access", "").replace(", old.access", "")
        for t in SQLITE_TRIGGERS
    ],
    "INSERT INTO search_fts(search_fts) VALUES ('rebuild')",
]

POSTGRES_VECTOR = """CREATE OR REPLACE FUNCTION search_document_vector() RETURNS trigger AS $$
    BEGIN
        NEW.vector := setweight(to_tsvector('simple', coalesce(NEW.tokens_title, '')), 'A')
                   || setweight(to_tsvector('simple', coalesce(NEW.tokens_body, '')), 'B'){access};
        RETURN NEW;
    END $$ LANGUAGE plpgsql"""
POSTGRES_ACCESS = """
                   || array_to_tsvector(ARRAY(
                          SELECT '~' || token
                          FROM unnest(string_to_array(coalesce(NEW.access, ''), ' ')) token
                          WHERE token <> ''))"""
POSTGRES_UP = [
    "DROP TRIGGER IF EXISTS search_document_vector ON search_searchdocument",
    POSTGRES_VECTOR.format(access=POSTGRES_ACCESS),
    """CREATE TRIGGER search_document_vector
        BEFORE INSERT OR UPDATE OF tokens_title, tokens_body, access
        ON search_searchdocument FOR EACH ROW EXECUTE FUNCTION search_document_vector()""",
    *FILL,
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS search_document_vector ON search_searchdocument",
    POSTGRES_VECTOR.format(access=""),
    """CREATE TRIGGER search_document_vector BEFORE INSERT OR UPDATE OF tokens_title, tokens_body
        ON search_searchdocument FOR EACH ROW EXECUTE FUNCTION search_document_vector()""",
    # Recompute the vectors without the access lexemes.
    "UPDATE search_searchdocument SET tokens_title = tokens_title WHERE access <> ''",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0004_fts_articles_people")]

    operations = [
        # Plain ALTER TABLE: Django's SQLite schema editor would copy the whole table
        # for a NOT NULL column, and dropping the old table would drop its triggers.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="searchdocument",
                    name="access",
                    field=models.CharField(blank=True, default="", max_length=100),
                )
            ],
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE search_searchdocument "
                    "ADD COLUMN access varchar(100) NOT NULL DEFAULT ''",
                    "ALTER TABLE search_searchdocument DROP COLUMN access",
                )
            ],
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        ),
    ]
