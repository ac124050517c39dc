from django.db.models import QuerySet

from deskline.search.backends.base import ALL
from deskline.search.models import SearchDocument

# ts_rank_cd normalization 1: divide by 1 + log(document length), as bm25 favours
# short documents that hold the words.
NORMALIZATION = 1


def tsquery_expression(tokens: list[str], match: str) -> str:
    joiner = " & " if match == ALL else " | "
    return joiner.join(f"'{token}'" for token in tokens)


class PostgresBackend:
    name = "postgresql-tsvector"

    def matching(
        self, documents: QuerySet[SearchDocument], tokens: list[str], match: str
    ) -> QuerySet[SearchDocument]:
        expression = tsquery_expression(tokens, match)
        # A plain `vector @@ query` in WHERE, so the GIN index is used.
        return documents.extra(  # noqa: S610 - fixed SQL, the query is a bound parameter
            where=["search_searchdocument.vector @@ to_tsquery('simple', %s)"],
            params=[expression],
            select={
                "rank": "ts_rank_cd(search_searchdocument.vector, "
                f"to_tsquery('simple', %s), {NORMALIZATION})"
            },
            select_params=[expression],
            order_by=["-rank", "-id"],
        )
