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

    def _matched(
        self, documents: QuerySet[SearchDocument], tokens: list[str], match: str
    ) -> QuerySet[SearchDocument]:
        # A plain `vector @@ query` in WHERE, so the GIN index is used.
        return documents.extra(  # noqa: S610 - fixed SQL, the query is a bound parameter
            where=["search_searchdocument.vector @@ to_tsquery('simple', %s)"],
            params=[tsquery_expression(tokens, match)],
        )

    def matching(
        self, documents: QuerySet[SearchDocument], tokens: list[str], match: str
    ) -> QuerySet[SearchDocument]:
        return self.ranked(self._matched(documents, tokens, match), tokens, match)

    def newest_matching(
        self, documents: QuerySet[SearchDocument], tokens: list[str], match: str, few: bool = False
    ) -> QuerySet[SearchDocument]:
        # The planner picks: for a common word, walk the primary key backwards and stop
        # at the LIMIT; for a rarer one, read its matches from the GIN index and sort.
        # few (articles and people only) is the same query: their kind condition lets
        # the planner use the partial GIN index of migration 0004.
        return self._matched(documents, tokens, match).order_by("-id")

    def only(self, documents: QuerySet[SearchDocument], ids: list[int]) -> QuerySet[SearchDocument]:
        return documents.extra(  # noqa: S610 - fixed SQL, the ids are a bound parameter
            where=["search_searchdocument.id = ANY(%s)"], params=[ids]
        )

    def ranked_window(
        self, documents: QuerySet[SearchDocument], ids: list[int], tokens: list[str], match: str
    ) -> QuerySet[SearchDocument]:
        # By primary key: a range of ids would read hidden and non-matching rows too.
        return self.ranked(self.only(documents, ids), tokens, match)

    def ranked(
        self, candidates: QuerySet[SearchDocument], tokens: list[str], match: str
    ) -> QuerySet[SearchDocument]:
        return candidates.extra(  # noqa: S610 - fixed SQL, the query is a bound parameter
            select={
                "rank": "ts_rank_cd(search_searchdocument.vector, "
                f"to_tsquery('simple', %s), {NORMALIZATION})"
            },
            select_params=[tsquery_expression(tokens, match)],
            order_by=["-rank", "-id"],
        )
