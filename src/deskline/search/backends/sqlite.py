from django.db.models import QuerySet

from deskline.search.backends.base import ALL
from deskline.search.models import SearchDocument

# bm25 column weights: a word in the title counts as much as four in the body.
TITLE_WEIGHT = 4.0
BODY_WEIGHT = 1.0


def fts_expression(tokens: list[str], match: str) -> str:
    joiner = " AND " if match == ALL else " OR "
    # Tokens are letters and digits only (search.text), quoting keeps FTS5 operators
    # such as NOT or NEAR literal words.
    return joiner.join(f'"{token}"' for token in tokens)


class SqliteBackend:
    name = "sqlite-fts5"

    def matching(
        self, documents: QuerySet[SearchDocument], tokens: list[str], match: str
    ) -> QuerySet[SearchDocument]:
        # extra() joins the FTS5 table in the same SELECT: FTS5 finds the rows, the
        # permission conditions already on `documents` filter them, bm25 ranks them.
        return documents.extra(  # noqa: S610 - fixed SQL, the query is a bound parameter
            tables=["search_fts"],
            where=["search_fts.rowid = search_searchdocument.id", "search_fts MATCH %s"],
            params=[fts_expression(tokens, match)],
            select={"rank": f"-bm25(search_fts, {TITLE_WEIGHT}, {BODY_WEIGHT})"},
            order_by=["-rank", "-id"],
        )
