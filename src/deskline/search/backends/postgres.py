from django.db.models import Max, QuerySet

from deskline.search.backends.base import ALL
from deskline.search.models import SearchDocument

# ts_rank_cd normalization 1: divide by 1 + log(document length), as bm25 favours
# short documents that hold the words.
NORMALIZATION = 1
# Ids in the newest band newest_ids reads first.
FIRST_BAND = 20_000


def tsquery_expression(tokens: list[str], match: str) -> str:
    joiner = " & " if match == ALL else " | "
    return joiner.join(f"'{token}'" for token in tokens)


def access_query(access: list[str]) -> str:
    # The vector's access lexemes are "~<token>" (migration 0005), which no word
    # produces; cast as is, not through to_tsquery, whose parser would drop the "~".
    return " | ".join(f"'~{token}'" for token in access)


class PostgresBackend:
    name = "postgresql-tsvector"

    def _matched(
        self,
        documents: QuerySet[SearchDocument],
        tokens: list[str],
        match: str,
        access: list[str] | None = None,
    ) -> QuerySet[SearchDocument]:
        # A plain `vector @@ query` in WHERE, so the GIN index is used; the access
        # tokens join the same query, so the index reads only what the user may see.
        query = "to_tsquery('simple', %s)"
        params = [tsquery_expression(tokens, match)]
        if access is not None:
            query = f"({query} && %s::tsquery)"
            params.append(access_query(access))
        return documents.extra(  # noqa: S610 - fixed SQL, the query is a bound parameter
            where=[f"search_searchdocument.vector @@ {query}"], params=params
        )

    def matching(
        self, documents: QuerySet[SearchDocument], tokens: list[str], match: str
    ) -> QuerySet[SearchDocument]:
        return self.ranked(self._matched(documents, tokens, match), tokens, match)

    def newest_matching(
        self,
        documents: QuerySet[SearchDocument],
        tokens: list[str],
        match: str,
        few: bool = False,
        access: list[str] | None = None,
    ) -> QuerySet[SearchDocument]:
        # The planner picks: for a common word, walk the primary key backwards and stop
        # at the LIMIT; for a rarer one, read its matches from the GIN index and sort.
        # few (articles and people only) is the same query: their kind condition lets
        # the planner use the partial GIN index of migration 0004.
        return self._matched(documents, tokens, match, access).order_by("-id")

    def newest_ids(
        self,
        documents: QuerySet[SearchDocument],
        tokens: list[str],
        match: str,
        limit: int,
        access: list[str] | None = None,
    ) -> list[int]:
        # GIN returns its matches unordered, so "newest first" meant reading every
        # match from the table and sorting (8,700 rows for one common word at 100k
        # tickets, ten times that at 1M). Asking for the newest band of ids first, then
        # older bands sized by the matches seen so far, reads about as many rows as
        # the window holds.
        matched = self._matched(documents, tokens, match, access)
        top = SearchDocument.objects.aggregate(top=Max("id"))["top"] or 0
        ids: list[int] = []
        high = top + 1
        span = FIRST_BAND
        while high > 0 and len(ids) < limit:
            low = max(high - span, 0)
            band = matched.filter(id__gte=low, id__lt=high).order_by("-id")
            ids += band.values_list("id", flat=True)[: limit - len(ids)]
            high = low
            covered = top + 1 - high
            # Enough ids for the rest at the density seen so far, with a margin; when
            # that is most of what is left (rare words, a requester's few tickets), the
            # rest in one query, each band costing a read of the words' GIN entries.
            needed = (limit - len(ids)) * covered * 1.3 / len(ids) if ids else high
            span = high if needed * 2 > high else max(int(needed), FIRST_BAND)
        return ids

    def only(self, documents: QuerySet[SearchDocument], ids: list[int]) -> QuerySet[SearchDocument]:
        return documents.extra(  # noqa: S610 - fixed SQL, the ids are a bound parameter
            where=["search_searchdocument.id = ANY(%s)"], params=[ids]
        )

    def ranked_window(
        self,
        documents: QuerySet[SearchDocument],
        ids: list[int],
        tokens: list[str],
        match: str,
        access: list[str] | None = None,
    ) -> QuerySet[SearchDocument]:
        # By primary key: a range of ids would read hidden and non-matching rows too.
        return self.ranked(self.only(documents, ids), tokens, match)

    def ranked(
        self,
        candidates: QuerySet[SearchDocument],
        tokens: list[str],
        match: str,
        access: list[str] | None = None,
    ) -> QuerySet[SearchDocument]:
        if access is not None:
            candidates = self._matched(candidates, tokens, match, access)
        return candidates.extra(  # noqa: S610 - fixed SQL, the query is a bound parameter
            select={
                "rank": "ts_rank_cd(search_searchdocument.vector, "
                f"to_tsquery('simple', %s), {NORMALIZATION})"
            },
            select_params=[tsquery_expression(tokens, match)],
            order_by=["-rank", "-id"],
        )
