from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from deskline.accounts.models import User
from deskline.core.errors import Conflict, lazy_message
from deskline.tickets.access import AGENT_ROLES, role_on_desk
from deskline.tickets.choices import LinkKind, Status
from deskline.tickets.models import Attachment, Message, Ticket
from deskline.tickets.services import fields
from deskline.tickets.services.events import event, save_events
from deskline.tickets.services.linking import link_tickets
from deskline.tickets.services.opening import open_ticket


def split_message(
    ticket: Ticket, message: Message, *, actor: User | None, subject: str = ""
) -> Ticket:
    """Open a new ticket from one message of `ticket` (a second question in a thread).

    The message is copied, files included, not moved: the original conversation stays
    as it happened, and both tickets record the split and are linked as related. The
    new ticket's requester is whoever wrote the message, unless an agent did.
    """
    if message.ticket_id != ticket.pk:
        raise ValidationError(
            {
                "message": lazy_message(
                    _("message %(id)s is not on %(ticket)s"),
                    id=message.pk,
                    ticket=ticket.number,
                )
            }
        )
    if message.internal:
        raise ValidationError({"message": _("an internal note cannot become a requester's ticket")})
    first = Message.objects.filter(ticket=ticket).order_by("created_at", "id").first()
    if first is not None and first.pk == message.pk:
        raise ValidationError({"message": _("the first message is the ticket itself")})
    if ticket.status == Status.CLOSED:
        raise Conflict(lazy_message(_("%(ticket)s is closed"), ticket=ticket.number))
    author = message.author
    requester = ticket.requester
    if author is not None and role_on_desk(author, ticket.desk_id) not in AGENT_ROLES:
        requester = author
    subject = fields.clean_subject(subject.strip() or ticket.subject)
    with transaction.atomic():
        new = open_ticket(
            desk=ticket.desk,
            subject=subject,
            requester=requester,
            body_text=message.body_text,
            body_html=message.body_html,
            actor=actor,
            channel=message.channel,
            priority=ticket.priority,
            ticket_type=ticket.ticket_type,
            category=ticket.category,
            team=ticket.team,
            sender_name=message.sender_name,
            sender_email=message.sender_email,
        )
        opening = new.messages.get()
        # Files are stored by content, so a copy is a new row naming the same file.
        Attachment.objects.bulk_create(
            [
                Attachment(
                    ticket=new,
                    message=opening,
                    uploaded_by_id=a.uploaded_by_id,
                    filename=a.filename,
                    content_type=a.content_type,
                    size=a.size,
                    sha256=a.sha256,
                    storage_path=a.storage_path,
                    content_id=a.content_id,
                    inline=a.inline,
                )
                for a in message.attachments.all()
            ]
        )
        save_events(
            [
                event(ticket, actor, "split_out", after=new.number, message=message),
                event(new, actor, "split_from", after=ticket.number),
            ]
        )
        link_tickets(new, ticket, LinkKind.RELATED, actor=actor)
    return new
