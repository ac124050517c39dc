from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from deskline.api.auth import BearerToken, RateLimited, Session
from deskline.api.schemas import Error
from deskline.core.clients import client_address
from deskline.core.ratelimit import anonymous_wait
from deskline.desks.models import Desk
from deskline.search.permissions import open_desks_condition
from deskline.search.services import Filters, Hit, search
from deskline.tickets.access import agent_desk_ids
from deskline.tickets.models import Ticket

router = Router(tags=["search"])
ERRORS = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


class Anonymous:
    """Readers without an account (the public help center). A request that sends
    credentials must be authenticated by them, never downgraded to anonymous.

    Each request counts against the client address's budget (DESKLINE_PUBLIC_RATE_LIMIT,
    shared with the help center's pages) unless `counted` is false: the images of an
    article, which one page view fetches by the handful."""

    def __init__(self, *, counted: bool = True) -> None:
        self.counted = counted

    def __call__(self, request: HttpRequest) -> Any:
        if request.headers.get("Authorization"):
            return None
        if self.counted and (wait := anonymous_wait(client_address(request))):
            raise RateLimited(retry_after=wait)
        return AnonymousUser()


PUBLIC_AUTH = [BearerToken(), Session(), Anonymous()]
# Article files (images shown in an article page): not counted.
PUBLIC_FILE_AUTH = [BearerToken(), Session(), Anonymous(counted=False)]


def readable_desk(user: Any, value: str, *, field: str = "desk") -> Desk:
    """A desk whose content the user may read, for filters: unknown or hidden → 422."""
    text = value.strip()
    lookup = Q(pk=int(text)) if text.isdecimal() and len(text) < 19 else Q(slug=text)
    desks = Desk.objects.filter(lookup, is_active=True)
    if not (user.is_authenticated and user.is_superuser):
        visible = open_desks_condition(user, prefix="")
        if user.is_authenticated:
            visible |= Q(pk__in=agent_desk_ids(user))
        desks = desks.filter(visible)
    desk = desks.first()
    if desk is None:
        raise ValidationError({field: f"no desk {value!r}"})
    return desk


class SearchQuery(Schema):
    q: str = Field(..., min_length=1, max_length=500)
    type: str | None = Field(None, description="article, ticket, message, user; comma-separated")
    desk: str | None = None
    status: str | None = Field(None, description="ticket status or article state; comma-separated")
    language: str | None = Field(None, max_length=10)
    created_from: datetime | None = None
    created_to: datetime | None = None
    limit: int = Field(20, ge=1, le=100)


class TicketRefOut(Schema):
    id: int
    number: str


class HitOut(Schema):
    type: str
    id: int
    title: str
    snippet: str
    score: float
    desk: str | None
    language: str
    status: str
    created_at: datetime
    ticket: TicketRefOut | None


class SearchOut(Schema):
    results: list[HitOut]


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def hits_out(hits: list[Hit]) -> list[dict[str, Any]]:
    desks = dict(Desk.objects.filter(pk__in={h.desk_id for h in hits}).values_list("pk", "slug"))
    ticket_ids = {h.ticket_id for h in hits if h.ticket_id}
    numbers = dict(Ticket.objects.filter(pk__in=ticket_ids).values_list("pk", "number"))
    return [
        {
            "type": h.kind,
            "id": h.object_id,
            "title": h.title,
            "snippet": h.snippet,
            "score": round(h.score, 6),
            "desk": desks.get(h.desk_id),
            "language": h.language,
            "status": h.status,
            "created_at": h.created_at,
            "ticket": {"id": h.ticket_id, "number": numbers[h.ticket_id]}
            if h.ticket_id in numbers
            else None,
        }
        for h in hits
    ]


@router.get("/search", response={200: SearchOut, **ERRORS}, auth=PUBLIC_AUTH)
def search_everything(request: HttpRequest, filters: Query[SearchQuery]) -> dict[str, Any]:
    """Tickets, messages, articles and people the caller may see, best first, with
    highlighted snippets (`<mark>`; the rest of the snippet is HTML-escaped)."""
    user = request.auth
    desk_ids = (readable_desk(user, filters.desk).pk,) if filters.desk else ()
    hits = search(
        user,
        filters.q,
        filters=Filters(
            kinds=_split(filters.type),
            desk_ids=desk_ids,
            statuses=_split(filters.status),
            language=filters.language or "",
            created_from=filters.created_from,
            created_to=filters.created_to,
        ),
        limit=filters.limit,
    )
    return {"results": hits_out(hits)}
