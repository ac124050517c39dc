from typing import Protocol

from django.db.models import QuerySet

from deskline.search.models import SearchDocument

ANY = "any"
ALL = "all"


class Backend(Protocol):
    """Narrow a query set of documents to those matching the tokens, ranked.

    `tokens` are already normalized (search.text.query_tokens) and made of letters and
    digits only. match=ANY finds documents holding at least one token, ALL those holding
    every one. The result has a float `rank` (higher is better) and is ordered by it, so
    the permission and field filters already on `documents` run in the same query.
    """

    name: str

    def matching(
        self, documents: QuerySet[SearchDocument], tokens: list[str], match: str
    ) -> QuerySet[SearchDocument]: ...
