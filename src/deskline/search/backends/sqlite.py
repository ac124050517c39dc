import heapq
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
# Placeholder of the MATCH expression in the compiled statements of _matches.
_EXPRESSION = "\x01match\x01"
# Those statements, per query set of documents (one search's scope, shared by its
# passes) and shape of the query (number of words, access tokens, newest or all).
_compiled: "weakref.WeakKeyDictionary[QuerySet, dict]" = weakref.WeakKeyDictionary()


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
        # Ordered by the FTS5 rowid, FTS5 hands out matches newest first and the LIMIT
        # stops the scan; ordered by the document's id, every match would be sorted.
        rows = self._matches(documents, tokens, match, access, limit)
        return [(pk, rank) for rank, pk in self._scored(rows, tokens)]

    def top_ranked(
        self,
        candidates: QuerySet[SearchDocument],
        tokens: list[str],
        match: str,
        limit: int,
        access: list[str] | None = None,
    ) -> list[tuple[float, int]]:
        rows = self._matches(candidates, tokens, match, access)
        # (rank, id) tuples: ties go to the higher id, as ranked()'s ORDER BY.
        return heapq.nlargest(limit, self._scored(rows, tokens))

    @staticmethod
    def _scored(rows: list[tuple], tokens: list[str]) -> list[tuple[float, int]]:
        """(rank, id) of _matches' rows, in their order."""
        ranks = sqlite_bm25.scores([row[1:] for row in rows], tokens, TITLE_WEIGHT, BODY_WEIGHT)
        return [(rank, row[0]) for rank, row in zip(ranks, rows, strict=True)]

    def _matches(
        self,
        documents: QuerySet[SearchDocument],
        tokens: list[str],
        match: str,
        access: list[str] | None,
        newest: int | None = None,
    ) -> list[tuple[int, str, str, str]]:
        """(id, tokens_title, tokens_body, access) of the matches of `documents`, the
        `newest` ones only when given, to be ranked here (sqlite_bm25.scores, the same
        bm25 as ranked()'s SQL): ranking in SQL, whose replace() copies each text once
        per word, cost up to 70 ms for 2,000 rows of three common words at 1M tickets,
        in Python a few. One statement, compiled once per search (its passes share
        `documents`) and read without the ORM's row objects: building, compiling and
        iterating the query sets was half of a search's time."""
        key = (len(tokens), None if access is None else tuple(access), newest is not None)
        compiled = _compiled.setdefault(documents, {})
        if key not in compiled:
            compiled[key] = self._compile(documents, tokens, match, access, newest is not None)
        sql, template, at = compiled[key]
        values = list(template)
        values[at] = fts_expression(tokens, match, access)
        if newest is not None:
            values[-1] = newest
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            return cursor.fetchall()

    def _compile(
        self,
        documents: QuerySet[SearchDocument],
        tokens: list[str],
        match: str,
        access: list[str] | None,
        newest: bool,
    ) -> tuple[str, list, int]:
        """_matches' statement, its parameters with placeholders where the values of a
        call go (the MATCH expression; the number of newest rows, last), and the
        expression's position."""
        joined = self._joined(documents, tokens, match, access=access, expression=_EXPRESSION)
        if newest:
            joined = joined.extra(order_by=["-search_fts.rowid"])
        rows = joined.values_list("id", "tokens_title", "tokens_body", "access")
        sql, params = rows.query.sql_with_params()
        template = list(params)
        at = template.index(_EXPRESSION)
        if newest:
            return f"{sql} LIMIT %s", [*template, None], at
        return sql, template, at

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
