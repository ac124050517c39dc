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

    def newest_matching(
        self,
        documents: QuerySet[SearchDocument],
        tokens: list[str],
        match: str,
        few: bool = False,
        access: list[str] | None = None,
    ) -> QuerySet[SearchDocument]:
        """Matches, unranked, newest (highest id) first, in the index's own order, so
        that a LIMIT stops reading early: its cost then follows the limit, not the
        number of documents holding the words. few=True: `documents` are articles and
        people only (FEW_KINDS), which have an index of their own. access: only
        documents holding one of these access tokens (search/access.py; tickets and
        messages only), matched in the index itself; None: no such condition."""
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
        messages), newest first: newest_matching cut, read and ranked however suits
        the backend, the rank the same as ranked() gives."""
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
