"""A ticket's history as one list: messages (with attachments) and events, oldest first."""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from deskline.accounts.models import User
from deskline.desks.models import CustomField
from deskline.mail.services import authentication
from deskline.tickets.access import (
    hidden_fields_by_desk,
    hide_unseen_ticket_references,
    sees_internal,
    visible_events_for_user,
    visible_messages_for_user,
)
from deskline.tickets.models import Attachment, Message, Ticket, TicketEvent

# Events that only announce a message: the message itself is shown instead.
MESSAGE_EVENTS = {"created", "reply_added", "note_added"}


REQUESTER_FIELDS = {"status", "subject"}


@dataclass
class FieldChange:
    """One custom field in a custom_fields event, as the timeline shows it."""

    label: str
    before: str
    after: str


@dataclass
class Entry:
    kind: str  # "message" or "event"
    id: int
    created_at: Any
    message: Message | None = None
    event: TicketEvent | None = None


def stripped_reply(message: Message) -> str:
    """A mail reply without its quoted history and signature, as the mail intake kept it
    in source_headers; "" when there is none (then the whole message is the reply)."""
    headers = message.source_headers if isinstance(message.source_headers, dict) else {}
    reply = headers.get("reply_text")
    return reply if isinstance(reply, str) else ""


def last_event_id(ticket: Ticket) -> int:
    return (
        TicketEvent.objects.filter(ticket=ticket)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
        or 0
    )


def timeline_for_user(user: User, ticket: Ticket) -> list[Entry]:
    """What this user may see of the ticket, in order.

    Messages are read from the ticket itself, not from its events: a merge moves
    messages onto this ticket while their events stay with the merged one. An entry's
    id is its event's id on this ticket (0 for a message merged in), which the reply
    form compares with what the agent has seen.
    """
    internal = sees_internal(user, ticket)
    messages = list(visible_messages_for_user(user, ticket).select_related("author"))
    files: dict[int, list[Attachment]] = {}
    for attachment in Attachment.objects.filter(message__in=[m.pk for m in messages]):
        files.setdefault(attachment.message_id, []).append(attachment)
    event_of_message = dict(
        TicketEvent.objects.filter(ticket=ticket, kind__in=MESSAGE_EVENTS).values_list(
            "message_id", "id"
        )
    )
    entries = []
    for message in messages:
        message.files = files.get(message.pk, [])
        message.reply_text = stripped_reply(message)
        verdict = authentication.verdict_of(message.source_headers)
        # Shown to agents: this mail joined no ticket by its From alone.
        message.sender_unverified = verdict if verdict and not verdict["verified"] else None
        entry_id = event_of_message.get(message.pk, 0)
        entries.append(Entry("message", entry_id, message.created_at, message=message))
    events = visible_events_for_user(user, ticket).exclude(kind__in=MESSAGE_EVENTS)
    hidden = hidden_fields_by_desk(user, {ticket.desk_id}).get(ticket.desk_id, set())
    labels: dict[str, str] | None = None
    for event in hide_unseen_ticket_references(user, list(events.select_related("actor"))):
        if not internal and event.kind == "field_changed" and event.field not in REQUESTER_FIELDS:
            # Requesters follow the status; assignments and tags are the desk's. Other
            # kinds they see (merges) have no field: the access helper chose them.
            continue
        if event.field == "custom_fields":
            if labels is None:
                labels = dict(
                    CustomField.objects.filter(desk_id=ticket.desk_id).values_list("key", "label")
                )
            event.field_changes = custom_field_changes(event.before, event.after, labels, hidden)
            if not event.field_changes:
                continue
        entries.append(Entry("event", event.pk, event.created_at, event=event))
    entries.sort(key=lambda e: (e.created_at, e.id))
    return entries


def changes_since(ticket: Ticket, seen_event_id: int, user: User) -> int:
    """How many changes others made to the ticket after the event the user has seen."""
    return (
        TicketEvent.objects.filter(ticket=ticket, id__gt=seen_event_id)
        .exclude(actor_id=user.pk)
        .count()
    )


def describe(value: Any) -> str:
    """An event's before/after value as short text."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, dict):
        return str(value.get("email") or value.get("path") or value.get("slug") or value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def custom_field_changes(
    before: Any, after: Any, labels: dict[str, str], hidden: set[str]
) -> list[FieldChange]:
    """The fields a custom_fields event changed, in the desk's field order (the order of
    labels), then any field no longer defined; fields in hidden are left out."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    changed = [
        key
        for key in dict.fromkeys([*labels, *before, *after])
        if key not in hidden and before.get(key) != after.get(key)
    ]
    return [
        FieldChange(labels.get(key, key), field_value(before.get(key)), field_value(after.get(key)))
        for key in changed
    ]


def field_value(value: Any) -> str:
    """A custom field's value as short text (a checkbox as yes or no)."""
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    return describe(value)
