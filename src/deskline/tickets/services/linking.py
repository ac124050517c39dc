from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deskline.accounts.models import User
from deskline.core.errors import Conflict, lazy_message
from deskline.tickets.choices import LinkKind, Status
from deskline.tickets.models import Attachment, Message, Ticket, TicketFollower, TicketLink
from deskline.tickets.services import hooks
from deskline.tickets.services.events import event, save_events


def link_tickets(source: Ticket, target: Ticket, kind: str, *, actor: User | None) -> TicketLink:
    if kind not in LinkKind.values:
        raise ValidationError(
            {
                "kind": lazy_message(
                    _("%(value)r is not one of %(choices)s"), value=kind, choices=LinkKind.values
                )
            }
        )
    if source.pk == target.pk:
        raise ValidationError({"target": _("a ticket cannot be linked to itself")})
    with transaction.atomic():
        link, created = TicketLink.objects.get_or_create(
            source=source, target=target, kind=kind, defaults={"created_by": actor}
        )
        if created:
            save_events(
                [
                    event(source, actor, "linked", field=kind, after=target.number),
                    event(target, actor, "linked", field=f"{kind}:reverse", after=source.number),
                ]
            )
    return link


def unlink_tickets(source: Ticket, target: Ticket, kind: str, *, actor: User | None) -> None:
    with transaction.atomic():
        deleted, _by_kind = TicketLink.objects.filter(
            source=source, target=target, kind=kind
        ).delete()
        if deleted:
            save_events(
                [
                    event(source, actor, "unlinked", field=kind, before=target.number),
                    event(target, actor, "unlinked", field=f"{kind}:reverse", before=source.number),
                ]
            )


def merge_tickets(source: Ticket, target: Ticket, *, actor: User | None) -> Ticket:
    """Move source's messages and files onto target and close source as merged.

    The whole conversation then lives on target; source stays as a closed pointer so
    old links and mail replies still lead somewhere.
    """
    if source.pk == target.pk:
        raise ValidationError({"target": _("a ticket cannot be merged into itself")})
    if source.desk_id != target.desk_id:
        # Desks differ in who may read them (internal vs external): moving messages
        # across would show one desk's conversation to the other's requesters.
        raise ValidationError({"target": _("tickets of different desks cannot be merged")})
    with transaction.atomic():
        locked = {
            t.pk: t
            for t in Ticket.objects.select_for_update().filter(pk__in=[source.pk, target.pk])
        }
        src, dst = locked[source.pk], locked[target.pk]
        if src.status == Status.CLOSED:
            raise Conflict(
                lazy_message(_("%(ticket)s is closed and cannot be merged"), ticket=src.number)
            )
        if dst.status == Status.CLOSED:
            raise Conflict(
                lazy_message(
                    _("%(ticket)s is closed; merge into an open ticket"), ticket=dst.number
                )
            )
        moved = Message.objects.filter(ticket=src).update(ticket=dst)
        Attachment.objects.filter(ticket=src).update(ticket=dst)
        # The source's requester keeps seeing their conversation on the merged ticket.
        followers = set(TicketFollower.objects.filter(ticket=src).values_list("user_id", flat=True))
        followers.add(src.requester_id)
        followers.discard(dst.requester_id)
        TicketFollower.objects.bulk_create(
            [TicketFollower(ticket=dst, user_id=uid) for uid in followers], ignore_conflicts=True
        )
        now = timezone.now()
        before_status = src.status
        src.status = Status.CLOSED
        src.closed_at = now
        src.merged_into = dst
        src.updated_at = now
        src.save(update_fields=["status", "closed_at", "merged_into", "updated_at"])
        dst.updated_at = now
        dst.save(update_fields=["updated_at"])
        save_events(
            [
                event(
                    src,
                    actor,
                    "field_changed",
                    field="status",
                    before=before_status,
                    after=Status.CLOSED,
                ),
                event(
                    src, actor, "merged_into", after=dst.number, before={"status": before_status}
                ),
                event(dst, actor, "merged_from", after=src.number, before={"messages": moved}),
            ]
        )
        # The other apps follow as for any change: the source's clocks stop and its page
        # shows it closed; the target's page, search and counts gain the moved messages.
        actor_id = actor.pk if actor else None
        for ticket_id, changed in ((src.pk, ("merged_into", "status")), (dst.pk, ("messages",))):
            hooks.emit(
                hooks.TicketChange(
                    hooks.TICKET_UPDATED,
                    ticket_id,
                    actor_id,
                    fields=changed,
                    desk_id=dst.desk_id,
                )
            )
    source.refresh_from_db()
    target.refresh_from_db()
    return target
