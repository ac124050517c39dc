import math
import time
import weakref

from django.db import connection
from django.db.models import F, Max, QuerySet
from django.db.models.expressions import RawSQL

from deskline.desks.models import Desk
from deskline.search.backends.base import ALL, ANY
from deskline.search.models import SearchDocument

# ts_rank_cd normalization 1: divide by 1 + log(document length), as bm25 favours
# short documents that hold the words.
NORMALIZATION = 1
# Ids in the narrowest band newest_ranked reads (the first one, without statistics).
FIRST_BAND = 20_000
# The most ids newest_ranked walks by primary key, testing each row (see walks): about
# 1.2 microseconds an id at 1M tickets, where a GIN band costs about 0.3 microseconds
# for every match of the words in the whole table (of the desk's words for an agent),
# and a read and a permission check (about 6 microseconds) for each one in the band:
# at 2M documents the two meet near a density of 5 %, i.e. 50,000 ids for a window of
# 2,000 (it was 100,000 before the desk-scoped words made an agent's GIN scan cheap).
WALK_SPAN = 50_000
# The widest first band of a user whose documents are dense (walks): see newest_ranked.
BAND_CAP = 100_000
# Desk words name the bucket of their document's id, id >> BUCKET_BITS (16,384 ids):
# the shift of migration 0007's trigger, which must stay the same number.
BUCKET_BITS = 14
# The most buckets a band names (see migration 0007): the index tests every lexeme of
# the query for each candidate, so a band wider than this reads the desk's words
# without buckets, its ids cut by the primary key's index.
MAX_BUCKETS = 8
# The most desks whose words an admin's bands name (every_desk).
ADMIN_DESKS = 12
# Placeholders of the values that change from one band to the next in the statement
# _desk_bands compiles once (compiling the permission condition cost about 1.5 ms).
_DESK_WORDS = "\x01desk words\x01"
_LOW = -(2**62) + 11
_HIGH = -(2**62) + 12
_WORDS = "\x01words\x01"
# The compiled statements of _desk_bands, per query set of documents (one search's
# scope, shared by its passes) and the user's other access tokens.
_compiled_bands: "weakref.WeakKeyDictionary[QuerySet, dict]" = weakref.WeakKeyDictionary()
# How long a process keeps the lexeme statistics (lexeme_frequencies).
STATS_TTL = 300.0
_stats: dict[str, tuple[float, tuple[dict[str, float], float] | None]] = {}


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


def desk_words_query(
    tokens: list[str], match: str, desks: list[str], low: int = 0, high: int = 0
) -> str:
    """The words as desk-scoped lexemes of `desk_vector` (migrations 0006, 0007): "vpn@d1"
    is the word "vpn" in a document holding the desk token "d1"; with a range of ids
    [low, high), "vpn@d1#122" is the same in the documents of one bucket of ids in it
    (id >> BUCKET_BITS), one group per bucket."""
    joiner = " & " if match == ALL else " | "
    if high <= low:
        suffixes = [""]
    else:
        suffixes = [f"#{b}" for b in range(low >> BUCKET_BITS, ((high - 1) >> BUCKET_BITS) + 1)]
    return " | ".join(
        "(" + joiner.join(f"'{token}@{desk}{suffix}'" for token in tokens) + ")"
        for desk in desks
        for suffix in suffixes
    )


def _indexed_query(
    tokens: list[str], match: str, access: list[str] | None
) -> tuple[str, list[str]]:
    """The condition the GIN indexes answer: for desk tokens, the desk's own words
    (desk_vector), whose lists hold only that desk's matches, instead of the words and
    the desk lexeme of `vector`, whose lists hold every document of either; the other
    tokens (a requester's own, few) with the words in `vector`."""
    desks = [t for t in access or () if t.startswith("d")]
    if not desks:
        query, params = _query(tokens, match, access)
        return f"search_searchdocument.vector @@ {query}", params
    condition = "search_searchdocument.desk_vector @@ %s::tsquery"
    params = [desk_words_query(tokens, match, desks)]
    others = [t for t in access or () if not t.startswith("d")]
    if others:
        query, more = _query(tokens, match, others)
        condition = f"({condition} OR search_searchdocument.vector @@ {query})"
        params += more
    return condition, params


def lexeme_frequencies(column: str = "vector") -> tuple[dict[str, float], float] | None:
    """Share of documents holding each common lexeme of the column (`vector`, or
    `desk_vector` for desk-scoped words), and a share below every other one's, from the
    planner's statistics (ANALYZE, autovacuum); None before the first ANALYZE. Read at
    most every STATS_TTL seconds per process."""
    now = time.monotonic()
    cached = _stats.get(column)
    if cached is None or now - cached[0] > STATS_TTL:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats"
                " WHERE schemaname = current_schema() AND tablename = 'search_searchdocument'"
                " AND attname = %s",
                [column],
            )
            row = cursor.fetchone()
        known = None
        if row and row[0]:
            # The frequencies end with the lowest and highest of them and a null share.
            known = (dict(zip(row[0], row[1], strict=False)), row[1][len(row[0])] / 2)
        cached = _stats[column] = (now, known)
    return cached[1]


def _density(shares: list[float], match: str) -> float:
    """Share of documents holding every (ALL) or any of the words, taken as independent."""
    if match == ALL:
        return math.prod(shares)
    return 1 - math.prod(1 - share for share in shares)


def first_span(
    tokens: list[str], match: str, access: list[str] | None, limit: int, high: int
) -> int:
    """How many of the newest ids the first band covers: as many as should hold the
    window at the density the statistics predict for the words and tokens, with a
    margin, or every id when that is most of them (rare words: one GIN scan finds them
    all, where bands would scan the index once each). A desk's words are counted in
    that desk (desk_vector): words common elsewhere are often rare in a small desk."""
    stats = lexeme_frequencies()
    if stats is None:
        return FIRST_BAND
    frequencies, rare = stats
    words = _density([frequencies.get(t, rare) for t in tokens], match)
    desks = [t for t in access or () if t.startswith("d")]
    by_desk = lexeme_frequencies("desk_vector") if desks else None
    if access is None:
        density = words
    elif by_desk is None:
        density = words * min(1.0, sum(frequencies.get(f"~{t}", rare) for t in access))
    else:
        desk_shares, desk_rare = by_desk
        density = sum(
            _density([desk_shares.get(f"{t}@{desk}", desk_rare) for t in tokens], match)
            for desk in desks
        )
        others = [t for t in access if not t.startswith("d")]
        density += words * min(1.0, sum(frequencies.get(f"~{t}", rare) for t in others))
    wanted = limit * 1.3 / density if density > 0 else high
    return high if wanted * 2 > high else max(int(wanted), FIRST_BAND)


def every_desk(top: int) -> list[str] | None:
    """The desk tokens of every desk, for a user without tokens (an admin), whose
    window is then read through the desks' own words, by id bucket (_desk_bands), as
    an agent's: every ticket and message has a desk, so they cover the same documents.
    Measured at 1M tickets, 3 desks: p50 40 -> 17 ms, p95 59 -> 34 ms, the same hits;
    a plain word's list holds every desk's matches, so a band's GIN scan or walk read
    and tested tens of thousands of rows. None (the plain words) when there are more
    desks than ADMIN_DESKS (each desk adds its lexemes to every band's query) or no
    documents."""
    if not top:
        return None
    desks = list(Desk.objects.order_by("pk").values_list("pk", flat=True)[: ADMIN_DESKS + 1])
    if not desks or len(desks) > ADMIN_DESKS:
        return None
    return [f"d{pk}" for pk in desks]


def walks(access: list[str] | None) -> bool:
    """Whether the documents the user may see are dense among the newest ones: every
    document for an admin (no tokens), but a requester's own few ("r", "o") are better
    found through the GIN index. (An agent's bands read the desk's words: _desk_bands.)"""
    return access is None


def _next_span(limit: int, found: int, covered: int, high: int) -> int:
    """The next band: enough ids for the rest of the window at the density seen so far
    in the `covered` newest ids, with a margin; when that is most of the `high` ids left
    (rare words, a requester's few tickets), all of them in one query, each band costing
    a read of the words' GIN entries."""
    needed = (limit - found) * covered * 1.3 / found if found else high
    return high if needed * 2 > high else max(int(needed), FIRST_BAND)


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
        # indexed: plain `@@` conditions in WHERE, so the GIN indexes are used; the
        # access tokens are part of them, so the index reads only what the user may
        # see (_indexed_query). Otherwise the same condition as a function call, which
        # no index serves: the rows are read by primary key and each one tested.
        if indexed:
            where, params = _indexed_query(tokens, match, access)
        else:
            query, params = _query(tokens, match, access)
            where = f"ts_match_vq(search_searchdocument.vector, {query})"
        return documents.extra(  # noqa: S610 - fixed SQL, the query is a bound parameter
            where=[where], params=params
        )

    def matching(
        self, documents: QuerySet[SearchDocument], tokens: list[str], match: str
    ) -> QuerySet[SearchDocument]:
        return self.ranked(self._matched(documents, tokens, match), tokens, match)

    def newest_ranked(
        self,
        documents: QuerySet[SearchDocument],
        tokens: list[str],
        match: str,
        limit: int,
        access: list[str] | None = None,
    ) -> list[tuple[int, float]]:
        # GIN returns its matches unordered, so "newest first" meant reading every
        # match from the table and sorting (8,700 rows for one common word at 100k
        # tickets, ten times that at 1M). Asking for the newest band of ids first, then
        # older bands sized by the matches seen so far, reads about as many rows as
        # the window holds. The first band is sized from the words' and tokens'
        # frequencies (first_span). An agent's bands read the desk's own words
        # (_desk_bands). Otherwise a band is walked by primary key when the user's
        # documents are dense (walks: an admin) and the ids expected few: a GIN scan
        # reads every match of the words whatever the band, where a walk stops at the
        # window. Each band's rows are ranked in the query that finds them: ranking
        # the window in a query of its own read 2,000 rows again by id and checked
        # their permissions a second time (20-40 ms at 1M tickets).
        top = SearchDocument.objects.aggregate(top=Max("id"))["top"] or 0
        if access is None:
            access = every_desk(top)
        if any(token.startswith("d") for token in access or ()):
            return self._desk_bands(documents, tokens, match, limit, access or [], top)
        matched = self._matched(documents, tokens, match, access)
        tested = self._matched(documents, tokens, match, access, indexed=False)
        found: list[tuple[int, float]] = []
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
            span = min(span, BAND_CAP)
        while high > 0 and len(found) < limit:
            low = max(high - span, 0)
            wanted = limit - len(found)
            if dense and not every and expected <= WALK_SPAN:
                # The rank is computed for the rows the walk keeps, as it finds them.
                band = tested.filter(id__gte=low, id__lt=high).order_by("-id")
                found += self._with_rank(band, tokens, match).values_list("id", "rank")[:wanted]
            else:
                # Sorted by an expression no index provides: ordered by id, the planner
                # estimated a word pair's matches from each word's frequency and walked
                # the primary key through the band, every row of it when no document
                # held both words (1 s for "password vpn" at 1M).
                band = matched.filter(id__gte=low, id__lt=high).order_by((F("id") + 0).desc())
                # Ranked after the cut, in the same statement: the sort reads every
                # match of the band, and ranking them all could cost more than the rest.
                # Raw, not a queryset: Django would alias the table of a subquery, but
                # the fixed SQL of _matched names it, so it would test the outer row.
                cut, params = band.values("id")[:wanted].query.sql_with_params()
                cut_ids = RawSQL(cut, params)  # noqa: S611 - compiled SQL, bound parameters
                kept = SearchDocument.objects.filter(id__in=cut_ids)
                rows = self._with_rank(kept, tokens, match).values_list("id", "rank")
                found += sorted(rows, reverse=True)
            high = low
            span = expected = _next_span(limit, len(found), top + 1 - high, high)
        return found

    def _desk_bands(
        self,
        documents: QuerySet[SearchDocument],
        tokens: list[str],
        match: str,
        limit: int,
        access: list[str],
        top: int,
    ) -> list[tuple[int, float]]:
        """newest_ranked for a user with desk tokens (an agent, or a desk filter): each
        band asks `desk_vector` for the desk's words, in the buckets of its ids when
        they are few (migration 0007), so the index reads only those buckets' entries,
        and `vector` for the words of the user's own requests ("r", "o": few). One
        statement per band, compiled once per search: the newest matches cut, then
        ranked (the vector rides along with the cut, so ranking reads no row again)."""
        desks = [token for token in access if token.startswith("d")]
        others = tuple(token for token in access if not token.startswith("d"))
        words = tsquery_expression(tokens, match)
        compiled = _compiled_bands.setdefault(documents, {})
        found: list[tuple[int, float]] = []
        high = top + 1
        # Words are not independent ("error vpn" are together in 87,000 of the IT desk's
        # documents, 14 times what their frequencies predict): a first band of every id
        # would read and test each of those.
        span = min(first_span(tokens, match, access, limit, high), BAND_CAP)
        with connection.cursor() as cursor:
            while high > 0 and len(found) < limit:
                low = max(high - span, 0)
                if span >= 1 << BUCKET_BITS:
                    # The index reads whole buckets: the band takes all of the last one.
                    low = low >> BUCKET_BITS << BUCKET_BITS
                bucketed = ((high - 1) >> BUCKET_BITS) - (low >> BUCKET_BITS) < MAX_BUCKETS
                if (others, bucketed) not in compiled:
                    compiled[others, bucketed] = self._compile_bands(
                        documents, list(others), bucketed
                    )
                statement, template, at = compiled[others, bucketed]
                values = list(template)
                values[0] = words
                if _WORDS in at:
                    values[at[_WORDS]] = words
                if bucketed:
                    values[at[_DESK_WORDS]] = desk_words_query(tokens, match, desks, low, high)
                else:
                    values[at[_DESK_WORDS]] = desk_words_query(tokens, match, desks)
                values[at[_LOW]] = low
                values[at[_HIGH]] = high
                values[-1] = limit - len(found)
                cursor.execute(statement, values)
                found += sorted(cursor.fetchall(), reverse=True)
                high = low
                covered = top + 1 - high
                span = _next_span(limit, len(found), covered, high)
                chunk = max(MAX_BUCKETS << BUCKET_BITS, 1)
                rest = len(found) * high / covered  # matches expected in the rest
                if found and span > chunk and rest > 2 * (limit - len(found)):
                    # The rest holds well over what the window still needs (words
                    # common in other desks, scattered in this one): a wide band would
                    # read and test every one of them, bucketed bands stop when full.
                    span = chunk
        return found

    def _compile_bands(
        self, documents: QuerySet[SearchDocument], others: list[str], bucketed: bool
    ) -> tuple[str, list, dict]:
        """_desk_bands' statement, its parameters, and where in them go the values that
        change from one band or pass to the next (placeholders until then)."""
        condition = "search_searchdocument.desk_vector @@ %s::tsquery"
        params: list = [_DESK_WORDS]
        markers = [_DESK_WORDS, _LOW, _HIGH]
        if others:
            query, more = _query(["x"], ANY, others)
            condition = f"({condition} OR search_searchdocument.vector @@ {query})"
            params += [_WORDS, *more[1:]]
            markers.append(_WORDS)
        # Bucketed, "+ 0": not a condition for the primary key's index, whose bitmap
        # of the band's ids cost more (7-13 ms for 100,000 ids) than the buckets leave
        # to test. Wide, the desk's whole lists are cut by that bitmap.
        column = "search_searchdocument.id + 0" if bucketed else "search_searchdocument.id"
        band = documents.extra(  # noqa: S610 - fixed SQL, values are bound parameters
            select={"v": "search_searchdocument.vector"},
            where=[condition, f"{column} >= %s", f"{column} < %s"],
            params=[*params, _LOW, _HIGH],
        )
        # Sorted by an expression no index provides (see newest_ranked's GIN bands).
        cut = band.order_by((F("id") + 0).desc()).values_list("id", "v")
        sql, compiled = cut.query.sql_with_params()
        # The ranked words come first, the band's size last.
        template = [None, *compiled, None]
        at = {marker: template.index(marker) for marker in markers}
        # Compiled SQL and a constant around it; every value is a bound parameter.
        rank = f"ts_rank_cd(cut.v, to_tsquery('simple', %s), {NORMALIZATION})"
        statement = f"SELECT cut.id, {rank} FROM ({sql} LIMIT %s) cut"  # noqa: S608
        return statement, template, at

    def only(self, documents: QuerySet[SearchDocument], ids: list[int]) -> QuerySet[SearchDocument]:
        return documents.extra(  # noqa: S610 - fixed SQL, the ids are a bound parameter
            where=["search_searchdocument.id = ANY(%s)"], params=[ids]
        )

    def ranked(
        self,
        candidates: QuerySet[SearchDocument],
        tokens: list[str],
        match: str,
        access: list[str] | None = None,
    ) -> QuerySet[SearchDocument]:
        if access is not None:
            candidates = self._matched(candidates, tokens, match, access)
        return self._with_rank(candidates, tokens, match).extra(order_by=["-rank", "-id"])

    def top_ranked(
        self,
        candidates: QuerySet[SearchDocument],
        tokens: list[str],
        match: str,
        limit: int,
        access: list[str] | None = None,
    ) -> list[tuple[float, int]]:
        ranked = self.ranked(candidates, tokens, match, access)
        return [(rank, pk) for pk, rank in ranked.values_list("id", "rank")[:limit]]

    def _with_rank(
        self, documents: QuerySet[SearchDocument], tokens: list[str], match: str
    ) -> QuerySet[SearchDocument]:
        return documents.extra(  # noqa: S610 - fixed SQL, the query is a bound parameter
            select={
                "rank": "ts_rank_cd(search_searchdocument.vector, "
                f"to_tsquery('simple', %s), {NORMALIZATION})"
            },
            select_params=[tsquery_expression(tokens, match)],
        )
