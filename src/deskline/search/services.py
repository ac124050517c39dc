"""The one search service: tickets, messages, articles and people, for a user.

Every step that decides what is found runs in the database query (permissions,
filters, matching, the window's cut); ranking is bm25 computed in the query
(PostgreSQL) or over the rows the query returned (SQLite: cheaper than in its SQL, see
backends/sqlite_bm25.py), and Python turns the top rows into snippets.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from deskline.accounts.models import User
from deskline.conf import env_int
from deskline.core.errors import lazy_message
from deskline.search import access, embeddings, semantic
from deskline.search.backends import Backend, get_backend
from deskline.search.backends.base import ALL, ANY, FEW_KINDS
from deskline.search.models import Kind, SearchDocument
from deskline.search.permissions import visible_documents_condition
from deskline.search.snippets import highlight
from deskline.search.text import query_tokens

MAX_LIMIT = 100
# How deep each ranking is read before fusing them.
HYBRID_DEPTH = 50
# Tickets and messages grow without bound, so only the newest matches of these are
# ranked (see window_size); articles and people are few and always ranked in full.
WINDOWED_KINDS = (Kind.TICKET, Kind.MESSAGE)
assert set(WINDOWED_KINDS) | set(FEW_KINDS) == set(Kind.values)
DEFAULT_WINDOW = 2000


@dataclass(frozen=True)
class Filters:
    kinds: tuple[str, ...] = ()
    desk_ids: tuple[int, ...] = ()
    statuses: tuple[str, ...] = ()
    language: str = ""
    created_from: datetime | None = None
    created_to: datetime | None = None


@dataclass
class Hit:
    kind: str
    object_id: int
    ticket_id: int | None
    desk_id: int | None
    title: str
    snippet: str
    language: str
    status: str
    created_at: datetime
    score: float


def _filter_condition(filters: Filters) -> Q:
    condition = Q()
    if filters.kinds:
        unknown = set(filters.kinds) - set(Kind.values)
        if unknown:
            raise ValidationError(
                {
                    "type": lazy_message(
                        _("unknown type %(value)s; one of %(choices)s"),
                        value=sorted(unknown),
                        choices=Kind.values,
                    )
                }
            )
        condition &= Q(kind__in=filters.kinds)
    if filters.desk_ids:
        condition &= Q(desk_id__in=filters.desk_ids)
    if filters.statuses:
        condition &= Q(status__in=filters.statuses)
    if filters.language:
        # "zh-hans" is filed as "zh": documents keep the base language.
        condition &= Q(language=filters.language.split("-")[0].lower())
    if filters.created_from:
        condition &= Q(created_at__gte=filters.created_from)
    if filters.created_to:
        condition &= Q(created_at__lt=filters.created_to)
    return condition


def window_size() -> int:
    """How many of the newest matching tickets and messages a query ranks (0: all).

    Ranking every match costs time in proportion to how many documents hold the
    words, which for common words is a fifth of a large desk; the newest matches are
    what people look for most, and filters (desk, date, status) or rarer words reach
    older ones because they narrow the window's candidates before it is cut.
    """
    configured = getattr(settings, "SEARCH_WINDOW", None)
    if configured is None:
        configured = env_int("DESKLINE_SEARCH_WINDOW", DEFAULT_WINDOW, minimum=0)
    return max(0, int(configured))


@dataclass
class _Scope:
    """What every pass of one search (every word, then any word) reads the same way,
    built once: the query sets of what the user may see, narrowed by the filters, and
    the user's access tokens and followed tickets."""

    window: QuerySet[SearchDocument] | None
    few: QuerySet[SearchDocument] | None
    few_kinds: list[str]
    tokens: list[str] | None
    followed: list[int]


def _scope(user: User, narrowing: Q, kinds: tuple[str, ...], desk_ids: tuple[int, ...]) -> _Scope:
    """The window's part (tickets and messages) and the few kinds' part, each with only
    its kinds' permission terms: a simpler condition the planner estimates well enough
    to stop early on the newest matches. `narrowing`'s desk filter is `desk_ids`."""
    wanted = [k for k in Kind.values if not kinds or k in kinds]
    windowed = [k for k in wanted if k in WINDOWED_KINDS]
    few = [k for k in wanted if k not in WINDOWED_KINDS]
    window = few_scope = None
    tokens: list[str] | None = []
    followed: list[int] = []
    if windowed:
        window = SearchDocument.objects.filter(
            visible_documents_condition(user, windowed), narrowing, kind__in=windowed
        )
        # The window's candidates come from the index with the user's access tokens
        # (search/access.py), so its scan walks only documents the user may see, and
        # from the documents of the tickets the user follows (few; they carry no token).
        tokens = access.user_tokens(user, desk_ids)
        followed = access.followed_ticket_ids(user)
    if few:
        few_scope = SearchDocument.objects.filter(
            visible_documents_condition(user, few), narrowing, kind__in=few
        )
    return _Scope(window, few_scope, few, tokens, followed)


def _matching(
    documents: QuerySet[SearchDocument],
    scope: _Scope,
    backend: Backend,
    terms: list[str],
    mode: str,
    limit: int,
) -> list[SearchDocument]:
    """The best `limit` matching documents the user may see: all articles and people
    are ranked, and the newest window_size() tickets and messages.

    The permission and filter conditions are inside the window's query: documents
    hidden from the user never take a place in it. `documents`: what the user may
    see, narrowed by the filters (the union of the scope's parts).
    """
    size = window_size()
    if not size or scope.window is None:
        return list(backend.matching(documents, terms, mode)[:limit])
    ranks = _window_ranks(scope, scope.window, backend, terms, mode, size, limit)
    if scope.few is not None:
        # Ranked in one pass over the matches holding the kinds' tokens (access.py):
        # looking each article up in the big index by id cost 70-130 ms for a few
        # hundred articles at 1M tickets.
        ranks += backend.top_ranked(scope.few, terms, mode, limit, access=scope.few_kinds)
    # All rankings are the same function over the same index, so they merge.
    ranks.sort(reverse=True)
    return _rows(ranks[:limit])


def _ranks(ranked: QuerySet[SearchDocument], limit: int) -> list[tuple[float, int]]:
    # (rank, id) only: sorting thousands of whole rows (texts and tokens) cost more
    # than reading the few kept ones again by id (_rows).
    return [(rank, pk) for pk, rank in ranked.values_list("id", "rank")[:limit]]


def _rows(ranks: list[tuple[float, int]]) -> list[SearchDocument]:
    """The documents of (rank, id) pairs, in that order, each with its `rank`."""
    by_id = SearchDocument.objects.in_bulk([pk for _, pk in ranks])
    rows = []
    for rank, pk in ranks:
        row = by_id[pk]
        row.rank = rank  # type: ignore[attr-defined]
        rows.append(row)
    return rows


def _window_ranks(
    scope: _Scope,
    window: QuerySet[SearchDocument],
    backend: Backend,
    terms: list[str],
    mode: str,
    size: int,
    limit: int,
) -> list[tuple[float, int]]:
    """(rank, id) of the best `limit` of the newest `size` matching tickets and
    messages of `window` (the permission condition, which applies to every candidate).
    """
    by_token: list[tuple[int, float]] = []
    if scope.tokens is None or scope.tokens:
        by_token = backend.newest_ranked(window, terms, mode, size, access=scope.tokens)
    followed: list[tuple[float, int]] = []
    if scope.followed:
        candidates = list(window.filter(ticket_id__in=scope.followed).values_list("id", flat=True))
        if candidates:
            ranked = backend.ranked(backend.only(window, candidates), terms, mode)
            followed = _ranks(ranked, len(candidates))
    window_ids = sorted({*(pk for pk, _ in by_token), *(pk for _, pk in followed)}, reverse=True)
    if not window_ids:
        return []
    oldest = window_ids[:size][-1]
    ranks = sorted(((rank, pk) for pk, rank in by_token if pk >= oldest), reverse=True)[:limit]
    seen = {pk for pk, _ in by_token}
    ranks += [(rank, pk) for rank, pk in followed if pk >= oldest and pk not in seen]
    return ranks


def _snippet(row: SearchDocument, terms: list[str]) -> str:
    """From the text around the first match; the title when only the title matched."""
    text = row.text.strip()
    snippet = highlight(text, terms) if text else ""
    if "<mark>" not in snippet and row.title:
        titled = highlight(row.title, terms)
        if "<mark>" in titled or not snippet:
            return titled
    return snippet


def _hybrid_rows(
    documents: QuerySet[SearchDocument],
    scope: _Scope,
    backend: Backend,
    terms: list[str],
    query: str,
    limit: int,
) -> list[SearchDocument]:
    depth = max(limit, HYBRID_DEPTH)
    lexical = _matching(documents, scope, backend, terms, ANY, depth)
    meaning = embeddings.semantic_ranking(documents, query, limit=depth)
    if not meaning:
        return lexical[:limit]
    by_id = {row.object_id: row for row in lexical}
    order = semantic.reciprocal_rank_fusion([list(by_id), meaning])[:limit]
    missing = [i for i in order if i not in by_id]
    for row in documents.filter(object_id__in=missing, kind=Kind.ARTICLE):
        row.rank = 0.0  # type: ignore[attr-defined]
        by_id[row.object_id] = row
    fused = 1.0 / semantic.RRF_K
    rows = []
    for position, object_id in enumerate(order):
        row = by_id[object_id]
        # The fused order is what counts; the score says so and stays comparable.
        row.rank = fused / (position + 1)  # type: ignore[attr-defined]
        rows.append(row)
    return rows


def search(
    user: User,
    query: str,
    *,
    filters: Filters | None = None,
    limit: int = 20,
    match: str = "",
    hybrid: bool | None = None,
    snippets: bool = True,
) -> list[Hit]:
    """Ranked hits the user may see. match='' means: every word if that finds
    something, else any word (a long query still finds the closest documents).

    hybrid (articles only, `ai` extra): fuse the lexical ranking with the semantic one;
    None means whenever the search is for articles and embeddings are installed.
    """
    filters = filters or Filters()
    narrowing = _filter_condition(filters)
    terms = query_tokens(query)
    if not terms:
        return []
    limit = max(1, min(limit, MAX_LIMIT))
    documents = SearchDocument.objects.filter(visible_documents_condition(user), narrowing)
    backend = get_backend()
    kinds = filters.kinds
    if hybrid is None:
        hybrid = kinds == (Kind.ARTICLE,) and semantic.available()
    scope = _scope(user, narrowing, kinds, filters.desk_ids)
    rows: list[SearchDocument] = []
    if hybrid:
        rows = _hybrid_rows(documents, scope, backend, terms, query, limit)
    else:
        modes = [match] if match else ([ALL, ANY] if len(terms) > 1 else [ANY])
        for mode in modes:
            rows = _matching(documents, scope, backend, terms, mode, limit)
            if rows:
                break
    return [
        Hit(
            kind=row.kind,
            object_id=row.object_id,
            ticket_id=row.ticket_id,
            desk_id=row.desk_id,
            title=row.title,
            snippet=_snippet(row, terms) if snippets else "",
            language=row.language,
            status=row.status,
            created_at=row.created_at,
            score=float(row.rank),  # type: ignore[attr-defined]
        )
        for row in rows
    ]
