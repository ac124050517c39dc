from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from ninja import Status as Reply

from deskline.accounts.models import User
from deskline.accounts.services import existing_requester, get_or_create_requester
from deskline.api.pagination import page_by
from deskline.api.schemas import (
    Error,
    EventOut,
    FollowerIn,
    LinkIn,
    LinkOut,
    MergeIn,
    TicketCreateIn,
    TicketOut,
    TicketPage,
    TicketUpdateIn,
)
from deskline.api.serializers import (
    event_out,
    load_ticket_relations,
    tags_by_ticket,
    ticket_out,
)
from deskline.api.trusted import trusted_json
from deskline.core.errors import Forbidden
from deskline.core.ids import Id, looks_numeric, parse_id, pk_or
from deskline.desks.models import Category, Team
from deskline.sla.services import display as sla_display
from deskline.tickets import services
from deskline.tickets.access import (
    EDITING_ROLES,
    can_see_desk,
    check_can_update_ticket,
    get_ticket_for_user,
    hidden_fields_by_desk,
    hide_unseen_merge_targets,
    hide_unseen_ticket_references,
    role_on_desk,
    visible_events_for_user,
    visible_links_for_user,
    visible_tickets_for_user,
)
from deskline.tickets.choices import Channel, Status
from deskline.tickets.models import (
    Attachment,
    Tag,
    Ticket,
    TicketLink,
    TicketTag,
)
from deskline.tickets.services import fields

router = Router(tags=["tickets"])
ERRORS = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}
_CHANNELS = frozenset(Channel.values)  # listed once: Channel.values builds it on each read
# What a requester may set when opening a ticket; the rest is the desk's business.
REQUESTER_CREATE_FIELDS = {
    "desk",
    "subject",
    "requester",
    "message",
    "custom_fields",
    "impact",
    "urgency",
    "type",
    "category",
    "followers",
    "channel",
}


def _ticket_response(ticket: Ticket, viewer: User) -> dict[str, Any]:
    """One ticket as the API shows it, reusing the relations already loaded on it."""
    hide_unseen_merge_targets(viewer, [ticket])
    load_ticket_relations([ticket])
    hidden = hidden_fields_by_desk(viewer, {ticket.desk_id}).get(ticket.desk_id)
    return ticket_out(ticket, tags_by_ticket([ticket.pk]).get(ticket.pk, []), hidden)


def _single_ticket(ticket_id: int, viewer: User) -> dict[str, Any]:
    """One ticket read afresh, after a service changed it."""
    return _ticket_response(Ticket.objects.get(pk=ticket_id), viewer)


def pending_attachments(ids: list[int]) -> list[Attachment]:
    """The uploads a message names; every id must exist (the service checks ownership)."""
    if not ids:
        return []
    wanted = {parse_id(i) for i in ids}
    found = list(Attachment.objects.filter(pk__in=[i for i in wanted if i]))
    if len(found) != len(wanted):
        missing = sorted(str(i) for i in set(ids) - {a.pk for a in found})
        raise ValidationError({"attachment_ids": f"no attachment {', '.join(missing)}"})
    return found


@router.post("/tickets", response={201: TicketOut, **ERRORS})
def create_ticket(request: HttpRequest, payload: TicketCreateIn) -> HttpResponse:
    user = request.auth
    desk = fields.resolve_desk(payload.desk)
    role = role_on_desk(user, desk.pk)
    asked_for: tuple[str, str] | None = None  # (email, name) of a requester to find or add
    if role in EDITING_ROLES:
        if payload.requester:
            asked_for = (payload.requester.email, payload.requester.name)
        channel = payload.channel or Channel.API
    else:
        if not can_see_desk(user, desk):
            # Same answer as a missing desk: outsiders learn nothing of internal desks.
            raise ValidationError({"desk": f"no desk {payload.desk!r}"})
        # An empty value ("tags": []) sets nothing, so forms may always send every key.
        extra = sorted(
            k
            for k, v in payload.model_dump(exclude_unset=True).items()
            if k not in REQUESTER_CREATE_FIELDS and v not in (None, "", [], {})
        )
        hidden = hidden_fields_by_desk(user, {desk.pk}).get(desk.pk, set())
        extra += sorted(f"custom_fields.{k}" for k in (payload.custom_fields or {}) if k in hidden)
        if extra:
            raise Forbidden(f"{extra[0]} may only be set by the desk's agents")
        if payload.requester and payload.requester.email.strip().lower() != user.email:
            raise Forbidden("requesters may only open tickets for themselves")
        channel = payload.channel if payload.channel in (Channel.API, Channel.WEB) else Channel.API
    if channel not in _CHANNELS:
        raise ValidationError({"channel": f"{channel!r} is not one of {Channel.values}"})
    # Everything read or checked here happens before any write: on SQLite the write
    # lock is then held only for the ticket's own rows (docs/benchmarks.md).
    options: dict[str, Any] = {
        "desk": desk,
        "subject": payload.subject,
        "body_text": payload.message.body_text,
        "body_html": payload.message.body_html or "",
        "actor": user,
        "channel": channel,
        "impact": payload.impact,
        "urgency": payload.urgency,
        "priority": payload.priority,
        "category": fields.resolve_category(desk, payload.category),
        "ticket_type": payload.type,
        "tier": payload.tier,
        "team": fields.resolve_team(desk, payload.team),
        "assignee": fields.resolve_agent(desk, payload.assignee),
        "tags": payload.tags,
        "custom_fields": payload.custom_fields,
        "attachments": pending_attachments(payload.message.attachment_ids),
    }
    known = user if asked_for is None else existing_requester(*asked_for, field="requester.email")
    if known is not None and not payload.followers:
        ticket = services.open_ticket(requester=known, **options)
    else:
        with transaction.atomic():  # a rejected ticket leaves no requester or follower behind
            requester = known or get_or_create_requester(
                asked_for[0], asked_for[1], field="requester.email"
            )
            followers = [get_or_create_requester(e, field="followers") for e in payload.followers]
            ticket = services.open_ticket(requester=requester, followers=followers, **options)
    # open_ticket returns the ticket as stored, its desk, people, team and category set.
    return trusted_json(_ticket_response(ticket, request.auth), status=201)


class TicketFilters(Schema):
    desk: str | None = None
    status: str | None = None
    assignee: str | None = None
    team: str | None = None
    requester: str | None = None
    organization: Id | None = None
    priority: str | None = None
    tag: str | None = None
    category: str | None = None
    type: str | None = None
    updated_since: datetime | None = None
    sla: str | None = None
    limit: int = 25
    cursor: str | None = None


# From this many tickets on, a tag filter walks the list order instead of sorting the tag's
# tickets (see _apply_filters).
COMMON_TAG_TICKETS = 5000


def _user_id(value: str) -> int:
    """A user id from an id or an email; -1 (matches nothing) for an unknown email."""
    from deskline.accounts.models import User

    value = value.strip()
    if looks_numeric(value):
        return parse_id(value) or -1
    found = User.objects.filter(email=value.lower()).values_list("pk", flat=True).first()
    return found if found is not None else -1


def _apply_filters(queryset: Any, user: Any, f: TicketFilters) -> Any:
    desk = fields.resolve_desk(f.desk) if f.desk else None
    if desk is not None and not can_see_desk(user, desk):
        raise ValidationError({"desk": f"no desk {f.desk!r}"})
    if desk is not None:
        queryset = queryset.filter(desk=desk)
    if f.status:
        statuses = [s.strip().lower() for s in f.status.split(",") if s.strip()]
        for status in statuses:
            fields.check_choice("status", status, Status.values)
        queryset = queryset.filter(status__in=statuses)
    if f.priority:
        priorities = [p.strip().lower() for p in f.priority.split(",") if p.strip()]
        for priority in priorities:
            fields.clean_priority(priority)
        queryset = queryset.filter(priority__in=priorities)
    if f.type:
        queryset = queryset.filter(ticket_type=fields.clean_type(f.type))
    if f.assignee:
        if f.assignee == "none":
            queryset = queryset.filter(assignee__isnull=True)
        elif f.assignee == "me":
            queryset = queryset.filter(assignee_id=user.pk)
        else:
            queryset = queryset.filter(assignee_id=_user_id(f.assignee))
    if f.requester:
        if f.requester == "me":
            queryset = queryset.filter(requester_id=user.pk)
        else:
            queryset = queryset.filter(requester_id=_user_id(f.requester))
    if f.team:
        if f.team == "none":
            queryset = queryset.filter(team__isnull=True)
        else:
            teams = Team.objects.filter(pk_or(f.team, "slug"))
            if desk is not None:
                teams = teams.filter(desk=desk)
            queryset = queryset.filter(team_id__in=list(teams.values_list("pk", flat=True)))
    if f.organization:
        queryset = queryset.filter(organization_id=f.organization)
    if f.category:
        roots = Category.objects.filter(pk_or(f.category.strip().strip("/"), "path"))
        if desk is not None:
            roots = roots.filter(desk=desk)
        # A category filter includes its subcategories.
        condition = Q(pk__in=[])
        for root in roots:
            condition |= Q(desk_id=root.desk_id, path=root.path)
            condition |= Q(desk_id=root.desk_id, path__startswith=f"{root.path}/")
        ids = list(Category.objects.filter(condition).values_list("pk", flat=True))
        queryset = queryset.filter(category_id__in=ids)
    if f.tag:
        try:
            tag = fields.clean_tags([f.tag])
        except ValidationError as exc:
            raise ValidationError({"tag": exc.message_dict["tags"]}) from None
        # By id, not by a join on the tag's name: PostgreSQL then knows how common the tag
        # is (a join made it guess ~1,500 of 33,000 tickets and pick a 650 ms plan at 1M).
        tag_ids = list(Tag.objects.filter(name__in=tag).values_list("pk", flat=True))
        tagged = TicketTag.objects.filter(tag_id__in=tag_ids)
        if tagged[:COMMON_TAG_TICKETS].count() == COMMON_TAG_TICKETS:
            # A common tag: walk (updated_at, id) and test each ticket, which stops after
            # a page. Gathering and sorting all its tickets took SQLite ~130 ms for a tag
            # on 33,000 of 1M tickets; walking takes ~7 ms but would crawl for a rare tag.
            queryset = queryset.filter(Exists(tagged.filter(ticket_id=OuterRef("pk"))))
        else:
            queryset = queryset.filter(pk__in=tagged.values("ticket_id"))
    if f.updated_since:
        queryset = queryset.filter(updated_at__gte=f.updated_since)
    if f.sla:
        queryset = sla_display.filter_tickets(queryset, f.sla)
    return queryset


@router.get("/tickets", response={200: TicketPage, **ERRORS})
def list_tickets(request: HttpRequest, filters: Query[TicketFilters]) -> HttpResponse:
    if not 1 <= filters.limit <= 100:
        raise ValidationError({"limit": "limit must be between 1 and 100"})
    queryset = _apply_filters(visible_tickets_for_user(request.auth), request.auth, filters)
    rows, next_cursor = page_by(queryset, "updated_at", filters.cursor, filters.limit)
    hide_unseen_merge_targets(request.auth, rows)
    load_ticket_relations(rows)
    tags = tags_by_ticket([t.pk for t in rows])
    hidden = hidden_fields_by_desk(request.auth, {t.desk_id for t in rows})
    items = [ticket_out(t, tags.get(t.pk, []), hidden.get(t.desk_id)) for t in rows]
    return trusted_json({"items": items, "next_cursor": next_cursor})


@router.get("/tickets/{ticket_id}", response={200: TicketOut, **ERRORS})
def get_ticket(request: HttpRequest, ticket_id: str) -> dict:
    return _ticket_response(get_ticket_for_user(request.auth, ticket_id), request.auth)


@router.patch("/tickets/{ticket_id}", response={200: TicketOut, **ERRORS})
def update_ticket(request: HttpRequest, ticket_id: str, payload: TicketUpdateIn) -> dict:
    changes = payload.model_dump(exclude_unset=True)
    ticket = get_ticket_for_user(request.auth, ticket_id)
    check_can_update_ticket(request.auth, ticket, changes)
    services.update_ticket(ticket, actor=request.auth, changes=changes)
    return _single_ticket(ticket.pk, request.auth)


@router.get("/tickets/{ticket_id}/events", response={200: list[EventOut], **ERRORS})
def list_events(request: HttpRequest, ticket_id: str) -> list[dict]:
    ticket = get_ticket_for_user(request.auth, ticket_id)
    events = visible_events_for_user(request.auth, ticket).select_related("actor", "message")
    events = hide_unseen_ticket_references(request.auth, list(events))
    hidden = hidden_fields_by_desk(request.auth, {ticket.desk_id}).get(ticket.desk_id, set())
    shown = [event_out(e, hidden) for e in events]
    # A change to hidden custom fields only is no change for this viewer.
    return [e for e in shown if e["field"] != "custom_fields" or e["before"] != e["after"]]


@router.post("/tickets/{ticket_id}/merge", response={200: TicketOut, **ERRORS})
def merge_ticket(request: HttpRequest, ticket_id: str, payload: MergeIn) -> dict:
    source = get_ticket_for_user(request.auth, ticket_id, write=True)
    target = get_ticket_for_user(request.auth, payload.target, write=True, field="target")
    services.merge_tickets(source, target, actor=request.auth)
    return _single_ticket(target.pk, request.auth)


def _link_out(link: TicketLink) -> dict:
    return {
        "source": link.source.number,
        "target": link.target.number,
        "kind": link.kind,
        "created_at": link.created_at,
    }


@router.get("/tickets/{ticket_id}/links", response={200: list[LinkOut], **ERRORS})
def list_links(request: HttpRequest, ticket_id: str) -> list[dict]:
    ticket = get_ticket_for_user(request.auth, ticket_id)
    return [_link_out(link) for link in visible_links_for_user(request.auth, ticket)]


@router.post("/tickets/{ticket_id}/links", response={201: LinkOut, **ERRORS})
def add_link(request: HttpRequest, ticket_id: str, payload: LinkIn) -> Reply:
    source = get_ticket_for_user(request.auth, ticket_id, write=True)
    target = get_ticket_for_user(request.auth, payload.target, field="target")
    link = services.link_tickets(source, target, payload.kind, actor=request.auth)
    return Reply(201, _link_out(link))


@router.delete("/tickets/{ticket_id}/links/{kind}/{target}", response={204: None, **ERRORS})
def remove_link(request: HttpRequest, ticket_id: str, kind: str, target: str) -> Reply:
    source = get_ticket_for_user(request.auth, ticket_id, write=True)
    other = get_ticket_for_user(request.auth, target)
    services.unlink_tickets(source, other, kind, actor=request.auth)
    return Reply(204, None)


@router.post("/tickets/{ticket_id}/followers", response={204: None, **ERRORS})
def add_follower(request: HttpRequest, ticket_id: str, payload: FollowerIn) -> Reply:
    ticket = get_ticket_for_user(request.auth, ticket_id, write=True)
    services.add_follower(ticket, get_or_create_requester(payload.email), actor=request.auth)
    return Reply(204, None)


@router.delete("/tickets/{ticket_id}/followers/{email}", response={204: None, **ERRORS})
def remove_follower(request: HttpRequest, ticket_id: str, email: str) -> Reply:
    from deskline.accounts.models import User

    ticket = get_ticket_for_user(request.auth, ticket_id, write=True)
    user = User.objects.filter(email=email.strip().lower()).first()
    if user is not None:
        services.remove_follower(ticket, user, actor=request.auth)
    return Reply(204, None)
