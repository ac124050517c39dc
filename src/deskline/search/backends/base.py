from typing import Protocol

from django.db.models import QuerySet

from deskline.search.models import SearchDocument

ANY = "any"
# Kinds few enough to be always ranked in full, with a full-text index of their own.
FEW_KINDS = ("article", "user")
ALL = "all"


class Backend(Protocol):
    """Narrow a query set of documents to those matching the tokens, ranked.

    `tokens` are already normalized (search.text.query_tokens) and made of letters and
    digits only. match=ANY finds documents holding at least one token, ALL those holding
    every one. The permission and field filters already on `documents` run in the same
    query as the match.
    """

    name: str

    def matching(
        self, documents: QuerySet[SearchDocument], tokens: list[str], match: str
    ) -> QuerySet[SearchDocument]:
        """All matches, with a float `rank` (higher is better), ordered by it."""
        ...

    def newest_ranked(
        self,
        documents: QuerySet[SearchDocument],
        tokens: list[str],
        match: str,
        limit: int,
        access: list[str] | None = None,
    ) -> list[tuple[int, float]]:
        """(id, rank) of the newest `limit` matches of `documents` (tickets and
        messages), newest first, found, cut and ranked however suits the backend (the
        cost following the limit, not the number of documents holding the words), the
        rank the same as ranked() gives. access: only documents holding one of these
        access tokens (search/access.py), matched in the index itself; None: no such
        condition."""
        ...

    def only(self, documents: QuerySet[SearchDocument], ids: list[int]) -> QuerySet[SearchDocument]:
        """`documents` narrowed to these ids, as one bound parameter (the list may be
        longer than the database's limit on parameters)."""
        ...

    def ranked(
        self,
        candidates: QuerySet[SearchDocument],
        tokens: list[str],
        match: str,
        access: list[str] | None = None,
    ) -> QuerySet[SearchDocument]:
        """`candidates` (already known to match, unless `access` is given: then
        those matching and holding one of these tokens) with `rank`, ordered by it."""
        ...

    def top_ranked(
        self,
        candidates: QuerySet[SearchDocument],
        tokens: list[str],
        match: str,
        limit: int,
        access: list[str] | None = None,
    ) -> list[tuple[float, int]]:
        """(rank, id) of the best `limit` of ranked()'s rows, best first (ties: the
        higher id), however suits the backend."""
        ...
