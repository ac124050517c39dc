from django.db import transaction

from deskline.accounts.models import User
from deskline.tickets.models import Ticket, TicketFollower
from deskline.tickets.services.events import event, save_events


def add_follower(ticket: Ticket, user: User, *, actor: User | None) -> bool:
    with transaction.atomic():
        _, created = TicketFollower.objects.get_or_create(ticket=ticket, user=user)
        if created:
            save_events([event(ticket, actor, "follower_added", after=user.email)])
    return created


def remove_follower(ticket: Ticket, user: User, *, actor: User | None) -> bool:
    with transaction.atomic():
        deleted, _ = TicketFollower.objects.filter(ticket=ticket, user=user).delete()
        if deleted:
            save_events([event(ticket, actor, "follower_removed", before=user.email)])
    return bool(deleted)
