"""Model → response dict. Plain functions so list pages batch their lookups."""

from functools import cache
from typing import Any

from django.db import connection
from django.urls import reverse

from deskline.accounts.models import User
from deskline.core import rows
from deskline.desks.models import Desk
from deskline.mail.services import authentication
from deskline.sla.services.display import attach_sla, sla_for
from deskline.tickets.models import (
    Attachment,
    Message,
    Tag,
    Ticket,
    TicketEvent,
    TicketTag,
)


def user_ref(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.name, "email": user.email}


def desk_ref(desk: Desk) -> dict[str, Any]:
    return {"id": desk.pk, "slug": desk.slug, "name": desk.name, "prefix": desk.prefix}


def tags_by_ticket(ticket_ids: list[int]) -> dict[int, list[str]]:
    if len(ticket_ids) == 1:
        names = _tag_names(ticket_ids[0])
        return {ticket_ids[0]: names} if names else {}
    tags: dict[int, list[str]] = {}
    pairs = TicketTag.objects.filter(ticket_id__in=ticket_ids).values_list("ticket_id", "tag__name")
    for ticket_id, name in pairs:
        tags.setdefault(ticket_id, []).append(name)
    return {k: sorted(v) for k, v in tags.items()}


def _tag_names(ticket_id: int) -> list[str]:
    """One ticket's tags, sorted, in plain SQL: every single-ticket answer (a create, a
    read, an update) needs them, and the ORM's join cost more to build than to run."""
    with connection.cursor() as cursor:
        cursor.execute(_tag_names_sql(connection.vendor), [ticket_id])
        return sorted(name for (name,) in cursor.fetchall())


@cache
def _tag_names_sql(vendor: str) -> str:
    """Built once per database vendor (the quoting is the vendor's), not per answer."""
    quote = connection.ops.quote_name
    link, tag = TicketTag._meta, Tag._meta
    return (
        f"SELECT t.{quote(tag.get_field('name').column)} FROM {quote(link.db_table)} l "  # noqa: S608
        f"JOIN {quote(tag.db_table)} t ON t.{quote(tag.pk.column)} = "
        f"l.{quote(link.get_field('tag').column)} "
        f"WHERE l.{quote(link.get_field('ticket').column)} = %s"
    )


def without_keys(values: Any, hidden: set[str]) -> Any:
    if not hidden or not isinstance(values, dict):
        return values
    return {k: v for k, v in values.items() if k not in hidden}


def ticket_out(ticket: Ticket, tags: list[str], hidden: set[str] | None = None) -> dict[str, Any]:
    """hidden: custom field keys the viewer may not see (tickets.access.hidden_fields_by_desk)."""
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "desk": desk_ref(ticket.desk),
        "subject": ticket.subject,
        "status": ticket.status,
        "custom_status": _rare(ticket, "custom_status", "slug"),
        "priority": ticket.priority,
        "impact": ticket.impact,
        "urgency": ticket.urgency,
        "type": ticket.ticket_type,
        "tier": ticket.tier,
        "channel": ticket.channel,
        "category": (
            {"id": ticket.category.pk, "path": ticket.category.path, "name": ticket.category.name}
            if ticket.category_id
            else None
        ),
        "tags": tags,
        "custom_fields": without_keys(ticket.custom_fields, hidden or set()),
        "requester": user_ref(ticket.requester),
        "organization": (
            {"id": ticket.organization.pk, "name": ticket.organization.name}
            if ticket.organization_id
            else None
        ),
        "team": (
            {"id": ticket.team.pk, "slug": ticket.team.slug, "name": ticket.team.name}
            if ticket.team_id
            else None
        ),
        "assignee": user_ref(ticket.assignee),
        "merged_into": _rare(ticket, "merged_into", "number"),
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "first_response_at": ticket.first_response_at,
        "solved_at": ticket.solved_at,
        "closed_at": ticket.closed_at,
        "sla": sla_for(ticket),
        "url": f"/api/v1/tickets/{ticket.pk}",
    }


# The relations ticket_out shows: (field, the columns it needs; () for all).
TICKET_RELATIONS = (
    ("desk", ()),
    ("team", ()),
    ("category", ()),
    ("organization", ("id", "name")),
    ("custom_status", ()),
    ("merged_into", ("id", "number")),
    ("requester", ("id", "name", "email")),
    ("assignee", ("id", "name", "email")),
)


def load_ticket_relations(tickets: list[Ticket]) -> list[Ticket]:
    """Attach what ticket_out shows to tickets fetched alone: one query per related model
    (requester and assignee share one) for the ids on the page; none for relations that
    are unset or already loaded.

    Joining them instead made PostgreSQL spend 8-30 ms planning each ticket query at 1M
    tickets (docs/benchmarks.md); these primary-key lookups cost well under 1 ms each.
    """
    pending: list[tuple[Any, Ticket, int]] = []
    ids: dict[Any, set[int]] = {}
    columns: dict[Any, tuple[str, ...]] = {}
    for name, only in TICKET_RELATIONS:
        field = Ticket._meta.get_field(name)
        model = field.related_model
        columns[model] = only
        for ticket in tickets:
            pk = getattr(ticket, field.attname)
            if pk is not None and not field.is_cached(ticket):
                pending.append((field, ticket, pk))
                ids.setdefault(model, set()).add(pk)
    found: dict[Any, dict[int, Any]] = {}
    for model, pks in ids.items():
        if len(tickets) == 1:
            # One ticket alone (a create, a read, an update): plain reads by primary
            # key (core/rows.py), whole rows, where the ORM's query cost more to build.
            found[model] = {pk: rows.first(model, "pk", pk) for pk in pks}
            continue
        queryset = model._default_manager.filter(pk__in=pks).order_by()
        if columns[model]:
            queryset = queryset.only(*columns[model])
        found[model] = {row.pk: row for row in queryset}
    for field, ticket, pk in pending:
        field.set_cached_value(ticket, found[field.related_model].get(pk))
    attach_sla(tickets)  # the SLA timers of the page, in one query
    return tickets


def _rare(ticket: Ticket, relation: str, field: str) -> Any:
    """A field of custom_status or merged_into (from an annotation when there is one)."""
    annotated = f"{relation}_{field}"
    if hasattr(ticket, annotated):
        return getattr(ticket, annotated)
    if getattr(ticket, f"{relation}_id") is None:
        return None
    return getattr(getattr(ticket, relation), field)


def attachment_out(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "url": reverse("api-1:download_attachment", args=[attachment.pk]),
    }


def reply_text_of(message: Message) -> str:
    """What to show first: a mail reply without its quoted history (stored by the mail
    intake in source_headers); the whole text stays in body_text."""
    headers = message.source_headers if isinstance(message.source_headers, dict) else {}
    stored = headers.get("reply_text")
    return stored if isinstance(stored, str) and stored else message.body_text


def message_out(message: Message, ticket_number: str) -> dict[str, Any]:
    verdict = authentication.verdict_of(message.source_headers)
    return {
        "id": message.pk,
        "ticket": ticket_number,
        "sender": {"name": message.sender_name, "email": message.sender_email},
        "author": user_ref(message.author),
        "subject": message.subject,
        "body_text": message.body_text,
        "body_html": message.body_html,
        "internal": message.internal,
        "channel": message.channel,
        "attachments": [attachment_out(a) for a in message.attachments.all()],
        "source_headers": message.source_headers,
        "created_at": message.created_at,
        "reply_text": reply_text_of(message),
        "sender_verified": None if verdict is None else verdict["verified"],
        "sender_verification": "" if verdict is None else authentication.describe(verdict),
    }


def event_out(event: TicketEvent, hidden: set[str] | None = None) -> dict[str, Any]:
    hidden = hidden or set()
    return {
        "id": event.pk,
        "kind": event.kind,
        "field": event.field,
        "before": without_keys(event.before, hidden),
        "after": without_keys(event.after, hidden),
        "actor": user_ref(event.actor),
        "message_id": event.message_id,
        "created_at": event.created_at,
    }


def user_out(user: User) -> dict[str, Any]:
    from deskline.tickets.access import desk_roles

    slugs = dict(Desk.objects.filter(pk__in=desk_roles(user).keys()).values_list("pk", "slug"))
    return {
        "id": user.pk,
        "email": user.email,
        "name": user.name,
        "organization": (
            {"id": user.organization.pk, "name": user.organization.name}
            if user.organization_id
            else None
        ),
        "is_employee": user.is_employee,
        "is_admin": user.is_superuser,
        "language": user.language,
        "time_zone": user.time_zone,
        "phone": user.phone,
        "desk_roles": {slugs[d]: r for d, r in desk_roles(user).items() if d in slugs},
        "created_at": user.created_at,
    }
