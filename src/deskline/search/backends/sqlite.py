import json
import weakref

from django.db import connection
from django.db.models import QuerySet

from deskline.search.backends import sqlite_bm25
from deskline.search.backends.base import ALL
from deskline.search.models import SearchDocument

# bm25 column weights: a word in the title counts as much as four in the body; the
# access tokens (search/access.py) are matched, never scored (sqlite_bm25).
TITLE_WEIGHT = 4.0
BODY_WEIGHT = 1.0
# Placeholders of the values newest_ranked sets in its compiled statements.
_EXPRESSION = "\x01match\x01"
_SINCE = -(2**62) + 21
# Those statements, per query set of documents (one search's scope, shared by its
# passes) and shape of the query (number of words, access tokens).
_compiled_windows: "weakref.WeakKeyDictionary[QuerySet, dict]" = weakref.WeakKeyDictionary()


def fts_expression(tokens: list[str], match: str, access: list[str] | None = None) -> str:
    joiner = " AND " if match == ALL else " OR "
    # Tokens are letters and digits only (search.text), quoting keeps FTS5 operators
    # such as NOT or NEAR literal words. The column filter keeps a word such as "d12"
    # from matching an access token.
    words = joiner.join(f'"{token}"' for token in tokens)
    expression = f"{{tokens_title tokens_body}} : ({words})"
    if access is not None:
        expression += " AND access : (" + " OR ".join(f'"{t}"' for t in access) + ")"
    return expression


class SqliteBackend:
    name = "sqlite-fts5"

    def _joined(
        self,
        documents: QuerySet[SearchDocument],
        tokens: list[str],
        match: str,
        table: str = "search_fts",
        access: list[str] | None = None,
        expression: str = "",
    ) -> QuerySet[SearchDocument]:
        # extra() joins the FTS5 table in the same SELECT: FTS5 finds the rows, the
        # permission conditions already on `documents` filter them. `expression`: the
        # MATCH's value instead of the words' (a placeholder, see newest_ranked).
        return documents.extra(  # noqa: S610 - fixed SQL, the query is a bound parameter
            tables=[table],
            where=[f"{table}.rowid = search_searchdocument.id", f"{table} MATCH %s"],
            params=[expression or fts_expression(tokens, match, access)],
        )

    def matching(
        self, documents: QuerySet[SearchDocument], tokens: list[str], match: str
    ) -> QuerySet[SearchDocument]:
        return self.ranked(documents, tokens, match)

    def newest_ranked(
        self,
        documents: QuerySet[SearchDocument],
        tokens: list[str],
        match: str,
        limit: int,
        access: list[str] | None = None,
    ) -> list[tuple[int, float]]:
        # Two statements, compiled once per search (its passes share `documents`) and
        # read without the ORM's row objects: building, compiling and iterating the
        # query sets was half of a search's time.
        key = (len(tokens), None if access is None else tuple(access))
        compiled = _compiled_windows.setdefault(documents, {})
        if key not in compiled:
            compiled[key] = self._compile_window(documents, tokens, match, access)
        newest, ranked = compiled[key]
        expression = fts_expression(tokens, match, access)
        with connection.cursor() as cursor:
            sql, template, at = newest
            values = list(template)
            values[at[_EXPRESSION]] = expression
            values[-1] = limit
            cursor.execute(sql, values)
            ids = [row[0] for row in cursor.fetchall()]
            if not ids:
                return []
            # A rowid range FTS5 reads in one sweep; a list of rowids made it look each
            # one up in the word lists again (92 ms for 2,300 rows of a three-word query
            # at 1M). With the same access tokens as the window's query, the sweep finds
            # exactly the window's rows, skipping what the user may not see as it did.
            sql, template, at = ranked
            _, rank_values = sqlite_bm25.expression(tokens, TITLE_WEIGHT, BODY_WEIGHT)
            values = [*rank_values, *template[len(rank_values) :]]
            values[at[_EXPRESSION]] = expression
            values[at[_SINCE]] = ids[-1]
            cursor.execute(sql, values)
            ranks = dict(cursor.fetchall())
        return [(pk, ranks[pk]) for pk in ids if pk in ranks]

    def _compile_window(
        self,
        documents: QuerySet[SearchDocument],
        tokens: list[str],
        match: str,
        access: list[str] | None,
    ) -> tuple[tuple[str, list, dict], tuple[str, list, dict]]:
        """newest_ranked's two statements with their parameters, placeholders where the
        values of a pass go (the MATCH expression, the window's oldest id, the size);
        the rank's own parameters lead the second one's (its SELECT list)."""
        joined = self._joined(documents, tokens, match, access=access, expression=_EXPRESSION)
        # Ordered by the FTS5 rowid, FTS5 hands out matches newest first and the LIMIT
        # stops the scan; ordered by the document's id, every match would be sorted.
        newest = joined.extra(order_by=["-search_fts.rowid"]).values_list("id")
        sql, params = newest.query.sql_with_params()
        template = [*params, None]
        first = (f"{sql} LIMIT %s", template, {_EXPRESSION: template.index(_EXPRESSION)})
        rank, rank_values = sqlite_bm25.expression(tokens, TITLE_WEIGHT, BODY_WEIGHT)
        markers = [f"\x01rank {i}\x01" for i in range(len(rank_values))]
        ranked = joined.extra(  # noqa: S610 - fixed SQL, values are bound parameters
            select={"rank": rank},
            select_params=markers,
            where=["search_fts.rowid >= %s"],
            params=[_SINCE],
        )
        sql, params = ranked.values_list("id", "rank").query.sql_with_params()
        template = list(params)
        if template[: len(markers)] != markers:
            raise RuntimeError("the rank's parameters are not first in its statement")
        at = {_EXPRESSION: template.index(_EXPRESSION), _SINCE: template.index(_SINCE)}
        return first, (sql, template, at)

    def only(self, documents: QuerySet[SearchDocument], ids: list[int]) -> QuerySet[SearchDocument]:
        # With a list to walk, the planner reads each candidate by rowid and asks FTS5
        # about that row only (a subquery made it walk every match of the words).
        return documents.extra(  # noqa: S610 - fixed SQL, the ids are a bound parameter
            where=["search_searchdocument.id IN (SELECT value FROM json_each(%s))"],
            params=[json.dumps(ids)],
        )

    def ranked(
        self,
        candidates: QuerySet[SearchDocument],
        tokens: list[str],
        match: str,
        access: list[str] | None = None,
    ) -> QuerySet[SearchDocument]:
        # The MATCH only finds the candidates; the score is bm25 computed from their
        # tokens (sqlite_bm25): FTS5's bm25() first reads the whole index list of
        # every word and access token of the query, whatever the rows ranked.
        rank, params = sqlite_bm25.expression(tokens, TITLE_WEIGHT, BODY_WEIGHT)
        joined = self._joined(candidates, tokens, match, access=access)
        return joined.extra(  # noqa: S610 - fixed SQL, the words are bound parameters
            select={"rank": rank}, select_params=params, order_by=["-rank", "-id"]
        )
