from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deskline.accounts.models import User
from deskline.core import rows
from deskline.core.errors import Conflict, lazy_message
from deskline.core.html import html_to_text, sanitize_html, text_to_html
from deskline.tickets.choices import Channel, Status
from deskline.tickets.models import Attachment, Message, Ticket
from deskline.tickets.services import hooks
from deskline.tickets.services.events import event, save_events


def _claim_attachments(
    message: Message, attachments: Sequence[Attachment], uploader: User | None
) -> None:
    ids = [a.pk for a in attachments]
    if not ids:
        return
    # Unsaved rows (a file: left out of the IN; an uploader: refused) go through the ORM.
    if None in ids or (uploader is not None and uploader.pk is None):
        claimable = Attachment.objects.filter(
            pk__in=ids, ticket=message.ticket, message__isnull=True
        )
        if uploader is not None:
            claimable = claimable.filter(uploaded_by=uploader)
        claimed = claimable.update(message=message)
    else:
        claimed = _claim(message, ids, uploader)
    if claimed != len(set(ids)):
        raise ValidationError(
            {
                "attachment_ids": _(
                    "every attachment must be an unsent upload of yours on this ticket"
                )
            }
        )


def _claim(message: Message, ids: list[int], uploader: User | None) -> int:
    """Attachment.objects.filter(pk__in=ids, ticket=message.ticket, message__isnull=True,
    [uploaded_by=uploader]).update(message=message) in plain SQL: mail claims its files
    under SQLite's write lock, where building the ORM's UPDATE cost more than running it."""
    quote = connection.ops.quote_name
    meta = Attachment._meta
    column = {name: quote(meta.get_field(name).column)
              for name in ("message", "ticket", "uploaded_by")}  # fmt: skip
    unique = list(dict.fromkeys(ids))
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {column['message']} = %s "  # noqa: S608
        f"WHERE {column['message']} IS NULL "
        f"AND {quote(meta.pk.column)} IN ({', '.join(['%s'] * len(unique))}) "
        f"AND {column['ticket']} = %s"
    )
    params = [message.pk, *(meta.pk.get_db_prep_value(pk, connection) for pk in unique),
              message.ticket_id]  # fmt: skip
    if uploader is not None:
        sql += f" AND {column['uploaded_by']} = %s"
        params.append(uploader.pk)
    with transaction.mark_for_rollback_on_error(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def prepare_message(
    *,
    author: User | None,
    body_text: str,
    body_html: str,
    internal: bool,
    channel: str,
    attachments: Sequence[Attachment] = (),
    sender_name: str = "",
    sender_email: str = "",
    subject: str = "",
    source_headers: dict[str, Any] | None = None,
    created_at: Any = None,
) -> Message:
    """A message row ready to store, not yet on a ticket: its HTML sanitized, its text
    and HTML made from each other. Call it before the ticket's transaction, so that on
    SQLite the write lock is not held while a mail's HTML is cleaned."""
    clean_html = sanitize_html(body_html) if body_html else ""
    text = (body_text or "").strip("\n")
    if not text and clean_html:
        text = html_to_text(clean_html)
    if not text.strip() and not attachments:
        raise ValidationError({"body_text": _("a message needs a text or an attachment")})
    if not clean_html and text:
        clean_html = text_to_html(text)
    return Message(
        author=author,
        sender_name=(sender_name or (author.name if author else ""))[:200],
        sender_email=(sender_email or (author.email if author else ""))[:254],
        subject=(subject or "")[:998],
        body_text=text,
        body_html=clean_html,
        internal=internal,
        channel=channel,
        source_headers=source_headers or {},
        created_at=created_at or timezone.now(),
    )


def store_message(
    message: Message,
    ticket: Ticket,
    *,
    attachments: Sequence[Attachment] = (),
    uploader: User | None = None,
) -> Message:
    """Store a prepared message on its ticket; the caller owns the transaction and the
    ticket's state."""
    message.ticket = ticket
    # Message.objects.create() in plain SQL: this runs under SQLite's write lock for
    # every reply and every mail, where the ORM's INSERT cost several times its run.
    rows.insert(message)
    _claim_attachments(message, attachments, uploader)
    return message


def _take_saved_state(ticket: Ticket, saved: Ticket) -> None:
    """What refresh_from_db() does, from a row already in hand: `saved` holds what the
    database holds for this ticket, so reading it back would return the same values."""
    deferred = ticket.get_deferred_fields()
    for field in Ticket._meta.concrete_fields:
        if field.attname in deferred:
            continue
        setattr(ticket, field.attname, getattr(saved, field.attname))
        if field.is_relation and field.is_cached(ticket):
            field.delete_cached_value(ticket)
    for related in Ticket._meta.related_objects:
        if related.is_cached(ticket):
            related.delete_cached_value(ticket)


def add_message(
    ticket: Ticket,
    *,
    actor: User | None,
    body_text: str = "",
    body_html: str = "",
    internal: bool = False,
    channel: str = Channel.API,
    attachments: Sequence[Attachment] = (),
    author: User | None = None,
    sender_name: str = "",
    sender_email: str = "",
    subject: str = "",
    source_headers: dict[str, Any] | None = None,
) -> Message:
    """Add a public reply or an internal note, and move the ticket's status as desks expect.

    An agent's first public reply counts as the first response and opens a new
    ticket; a requester's reply reopens a pending or solved ticket. Access is the
    caller's job (tickets.access.check_can_add_message).
    """
    from deskline.tickets.access import AGENT_ROLES, REQUESTER, ticket_role

    author = author or actor
    # Inside the caller's transaction the hooks run at its commit, later: nothing can
    # change the ticket between our save and our return, so the reload is spared.
    in_callers_transaction = connection.in_atomic_block
    message = prepare_message(
        author=author,
        body_text=body_text,
        body_html=body_html,
        internal=internal,
        channel=channel,
        attachments=attachments,
        sender_name=sender_name,
        sender_email=sender_email,
        subject=subject,
        source_headers=source_headers,
    )
    with transaction.atomic():
        # select_for_update().get() in plain SQL, for the same reason as rows.insert.
        locked = rows.get_for_update(Ticket, ticket.pk)
        if locked.status == Status.CLOSED:
            raise Conflict(
                lazy_message(
                    _("%(ticket)s is closed; open a follow-up ticket instead"), ticket=locked.number
                )
            )
        role = ticket_role(author, locked) if author is not None else None
        from_agent = role in AGENT_ROLES
        now = timezone.now()
        message.created_at = now  # in commit order with the ticket's updated_at
        store_message(message, locked, attachments=attachments, uploader=actor)
        events = [
            event(locked, actor, "note_added" if internal else "reply_added", message=message)
        ]
        changed = ["updated_at"]
        new_status = locked.status
        if not internal and from_agent:
            if locked.first_response_at is None:
                locked.first_response_at = now
                changed.append("first_response_at")
            if locked.status == Status.NEW:
                new_status = Status.OPEN
        elif not internal and role == REQUESTER:
            # The requester, a follower or an organization colleague answered.
            if locked.status in (Status.PENDING, Status.SOLVED):
                new_status = Status.OPEN
        if new_status != locked.status:
            events.append(
                event(
                    locked,
                    actor,
                    "field_changed",
                    field="status",
                    before=locked.status,
                    after=new_status,
                )
            )
            if locked.custom_status_id is not None:
                events.append(
                    event(
                        locked,
                        actor,
                        "field_changed",
                        field="custom_status",
                        before=locked.custom_status.slug,
                        after=None,
                    )
                )
            locked.status = new_status
            locked.custom_status = None
            locked.solved_at = None
            changed += ["status", "custom_status", "solved_at"]
        locked.updated_at = now
        rows.update(locked, changed)  # locked.save(update_fields=changed)
        save_events(events)
        hooks.emit(
            hooks.TicketChange(
                hooks.MESSAGE_ADDED,
                locked.pk,
                actor.pk if actor else None,
                message.pk,
                desk_id=locked.desk_id,
                internal=message.internal,
                by_requester=author is not None and author.pk == locked.requester_id,
            )
        )
    if in_callers_transaction:
        _take_saved_state(ticket, locked)
    else:  # the inline hooks have run at our commit and may have changed the ticket
        ticket.refresh_from_db()
    return message
