import math
import time

from django.db import connection
from django.db.models import F, Max, QuerySet

from deskline.search.backends.base import ALL
from deskline.search.models import SearchDocument

# ts_rank_cd normalization 1: divide by 1 + log(document length), as bm25 favours
# short documents that hold the words.
NORMALIZATION = 1
# Ids in the narrowest band newest_ids reads (the first one, without statistics).
FIRST_BAND = 20_000
# The most ids newest_ids walks by primary key, testing each row (see walks): about
# 1 microsecond an id at 1M tickets, where a GIN band costs a bitmap entry for every
# match of the words and tokens in the whole table and a permission check for each
# one in the band.
WALK_SPAN = 100_000
# How long a process keeps the lexeme statistics (lexeme_frequencies).
STATS_TTL = 300.0
_stats: tuple[float, tuple[dict[str, float], float] | None] | None = None


def tsquery_expression(tokens: list[str], match: str) -> str:
    joiner = " & " if match == ALL else " | "
    return joiner.join(f"'{token}'" for token in tokens)


def access_query(access: list[str]) -> str:
    # The vector's access lexemes are "~<token>" (migration 0005), which no word
    # produces; cast as is, not through to_tsquery, whose parser would drop the "~".
    return " | ".join(f"'~{token}'" for token in access)


def _query(tokens: list[str], match: str, access: list[str] | None) -> tuple[str, list[str]]:
    """The tsquery of the words, and of the access tokens when given, with parameters."""
    query = "to_tsquery('simple', %s)"
    params = [tsquery_expression(tokens, match)]
    if access is not None:
        query = f"({query} && %s::tsquery)"
        params.append(access_query(access))
    return query, params


def lexeme_frequencies() -> tuple[dict[str, float], float] | None:
    """Share of documents holding each common lexeme, and a share below every other
    one's, from the planner's statistics of the vector column (ANALYZE, autovacuum);
    None before the first ANALYZE. Read at most every STATS_TTL seconds per process."""
    global _stats
    now = time.monotonic()
    if _stats is None or now - _stats[0] > STATS_TTL:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats"
                " WHERE schemaname = current_schema() AND tablename = 'search_searchdocument'"
                " AND attname = 'vector'"
            )
            row = cursor.fetchone()
        known = None
        if row and row[0]:
            # The frequencies end with the lowest and highest of them and a null share.
            known = (dict(zip(row[0], row[1], strict=False)), row[1][len(row[0])] / 2)
        _stats = (now, known)
    return _stats[1]


def first_span(
    tokens: list[str], match: str, access: list[str] | None, limit: int, high: int
) -> int:
    """How many of the newest ids the first band covers: as many as should hold the
    window at the density the statistics predict for the words and tokens (taken as
    independent), with a margin, or every id when that is most of them (rare words:
    one GIN scan finds them all, where bands would scan the index once each)."""
    stats = lexeme_frequencies()
    if stats is None:
        return FIRST_BAND
    frequencies, rare = stats
    shares = [frequencies.get(t, rare) for t in tokens]
    every = match == ALL
    density = math.prod(shares) if every else 1 - math.prod(1 - share for share in shares)
    if access is not None:
        density *= min(1.0, sum(frequencies.get(f"~{t}", rare) for t in access))
    wanted = limit * 1.3 / density if density > 0 else high
    return high if wanted * 2 > high else max(int(wanted), FIRST_BAND)


def walks(access: list[str] | None) -> bool:
    """Whether the documents the user may see are dense among the newest ones: every
    document for an admin (no tokens), a desk's share for an agent ("d<desk>"), but a
    requester's own few ("r", "o") are better found through the GIN index."""
    return access is None or any(token.startswith("d") for token in access)


class PostgresBackend:
    name = "postgresql-tsvector"

    def _matched(
        self,
        documents: QuerySet[SearchDocument],
        tokens: list[str],
        match: str,
        access: list[str] | None = None,
        *,
        indexed: bool = True,
    ) -> QuerySet[SearchDocument]:
        # indexed: a plain `vector @@ query` in WHERE, so the GIN index is used; the
        # access tokens join the same query, so the index reads only what the user may
        # see. Otherwise the same condition as a function call, which no index serves:
        # the rows are read by primary key and each one tested.
        query, params = _query(tokens, match, access)
        vector = "search_searchdocument.vector"
        where = f"{vector} @@ {query}" if indexed else f"ts_match_vq({vector}, {query})"
        return documents.extra(  # noqa: S610 - fixed SQL, the query is a bound parameter
            where=[where], params=params
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
        # the window holds. The first band is sized from the words' and tokens'
        # frequencies (first_span). A band is walked by primary key instead when the
        # user's tokens are dense (walks) and the ids expected few: a GIN scan reads
        # every match of the words and of the desk token (900,000 documents for the
        # largest desk at 1M tickets) whatever the band, where a walk stops at the
        # window.
        matched = self._matched(documents, tokens, match, access)
        tested = self._matched(documents, tokens, match, access, indexed=False)
        top = SearchDocument.objects.aggregate(top=Max("id"))["top"] or 0
        ids: list[int] = []
        high = top + 1
        # The ids expected to hold the rest of the window: walked by primary key when
        # they are few enough, else read with GIN, a band at a time.
        expected = first_span(tokens, match, access, limit, high)
        span = expected
        dense = walks(access)
        # Documents holding every word of several are found by GIN, which costs about
        # a bitmap entry per match, while a walk reads every id until the window is
        # full, however few of them hold all the words ("password vpn": none).
        every = match == ALL and len(tokens) > 1
        if dense:
            # Words are not independent ("error vpn" are together in 87,000 of the IT
            # desk's documents, 14 times what their frequencies predict): a first
            # band of every id would test each of those against the permissions.
            span = min(span, WALK_SPAN)
        while high > 0 and len(ids) < limit:
            low = max(high - span, 0)
            if dense and not every and expected <= WALK_SPAN:
                band = tested.filter(id__gte=low, id__lt=high).order_by("-id")
            else:
                # Sorted by an expression no index provides: ordered by id, the planner
                # estimated a word pair's matches from each word's frequency and walked
                # the primary key through the band, every row of it when no document
                # held both words (1 s for "password vpn" at 1M).
                band = matched.filter(id__gte=low, id__lt=high).order_by((F("id") + 0).desc())
            ids += band.values_list("id", flat=True)[: limit - len(ids)]
            high = low
            covered = top + 1 - high
            # Enough ids for the rest at the density seen so far, with a margin; when
            # that is most of what is left (rare words, a requester's few tickets), the
            # rest in one query, each band costing a read of the words' GIN entries.
            needed = (limit - len(ids)) * covered * 1.3 / len(ids) if ids else high
            span = high if needed * 2 > high else max(int(needed), FIRST_BAND)
            expected = span
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
