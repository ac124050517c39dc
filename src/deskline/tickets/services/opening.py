from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from deskline.accounts.models import User
from deskline.core import rows
from deskline.desks.models import Category, Desk, Team
from deskline.tickets.choices import Channel, Level, Status, TicketType, Tier, priority_for
from deskline.tickets.models import Attachment, Message, Ticket, TicketFollower
from deskline.tickets.services import fields, hooks
from deskline.tickets.services.events import event, save_events
from deskline.tickets.services.messages import prepare_message, store_message
from deskline.tickets.services.sequence import allocate_sequence, reserve_sequence
from deskline.tickets.services.tags import set_ticket_tags


def open_ticket(**options: Any) -> Ticket:
    """Open a ticket with its first message, numbered per desk (the options of
    open_ticket_with_message, which also returns that message)."""
    return open_ticket_with_message(**options)[0]


def open_ticket_with_message(
    *,
    desk: Desk,
    subject: str,
    requester: User,
    body_text: str = "",
    body_html: str = "",
    actor: User | None = None,
    channel: str = Channel.API,
    impact: str | None = None,
    urgency: str | None = None,
    priority: str | None = None,
    category: Category | None = None,
    ticket_type: str | None = None,
    tier: int | None = None,
    team: Team | None = None,
    assignee: User | None = None,
    tags: Sequence[str] = (),
    custom_fields: dict[str, Any] | None = None,
    followers: Sequence[User] = (),
    attachments: Sequence[Attachment] = (),
    sender_name: str = "",
    sender_email: str = "",
    source_headers: dict[str, Any] | None = None,
    enforce_required_fields: bool = False,
) -> tuple[Ticket, Message]:
    """Open a ticket with its first message, numbered per desk; (ticket, that message).

    `actor` is who did it (an agent logging a call, an API client); the requester is
    who asked. Both may be the same person.
    """
    subject = fields.clean_subject(subject)
    fields.check_belongs_to_desk(desk, category=category, team=team, assignee=assignee)
    # Fields whose value someone gave (rather than the default): triage fills only the
    # others, and reads this from the "created" event.
    chosen = [
        name
        for name, given in (("priority", priority or impact or urgency), ("type", ticket_type))
        if given
    ]
    impact = fields.clean_level("impact", impact or Level.MEDIUM)
    urgency = fields.clean_level("urgency", urgency or Level.MEDIUM)
    priority = fields.clean_priority(priority) if priority else priority_for(impact, urgency)
    ticket_type = fields.clean_type(ticket_type or TicketType.QUESTION)
    tier = fields.clean_tier(tier) if tier is not None else Tier.L1
    tag_names = fields.clean_tags(list(tags))
    custom = fields.clean_custom_fields(
        desk, custom_fields, enforce_required=enforce_required_fields
    )
    now = timezone.now()
    # Built before the transaction: on SQLite only the rows' writes hold the write lock.
    message = prepare_message(
        author=requester,
        body_text=body_text,
        body_html=body_html,
        internal=False,
        channel=channel,
        attachments=attachments,
        sender_name=sender_name or requester.name,
        sender_email=sender_email or requester.email,
        subject=subject,
        source_headers=source_headers,
        created_at=now,
    )
    sequence = reserve_sequence(desk)
    with transaction.atomic():
        if sequence is None:
            sequence = allocate_sequence(desk)
        ticket = Ticket(
            desk=desk,
            sequence=sequence,
            number=f"{desk.prefix}-{sequence}",
            subject=subject,
            requester=requester,
            organization_id=requester.organization_id,
            team=team,
            assignee=assignee,
            status=Status.OPEN if assignee is not None else Status.NEW,
            impact=impact,
            urgency=urgency,
            priority=priority,
            category=category,
            ticket_type=ticket_type,
            tier=tier,
            channel=channel,
            custom_fields=custom,
            created_at=now,
            updated_at=now,
        )
        # Ticket.objects.create() in plain SQL: mail opens tickets under SQLite's write
        # lock, where the ORM's INSERT cost more to build than to run.
        rows.insert(ticket)
        if tag_names:
            set_ticket_tags(ticket, tag_names)
        if followers:
            TicketFollower.objects.bulk_create(
                [TicketFollower(ticket=ticket, user=u) for u in followers if u.pk != requester.pk],
                ignore_conflicts=True,
            )
        store_message(message, ticket, attachments=attachments, uploader=actor)
        save_events(
            [
                event(
                    ticket,
                    actor or requester,
                    "created",
                    after={
                        "number": ticket.number,
                        "channel": channel,
                        "status": ticket.status,
                        **({"chosen": chosen} if chosen else {}),
                    },
                    message=message,
                )
            ]
        )
        hooks.emit(
            hooks.TicketChange(
                hooks.TICKET_OPENED,
                ticket.pk,
                actor.pk if actor else requester.pk,
                message.pk,
                desk_id=desk.pk,
                internal=False,
            )
        )
    return ticket, message
