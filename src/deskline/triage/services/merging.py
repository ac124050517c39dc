"""A new ticket that repeats the same requester's open request joins it.

Only the ticket triage is looking at (the newer one) is ever merged away, and only while
nobody but its requester has worked on it: a ticket an agent has assigned, answered or
moved is the agent's to merge or keep, so it only gets the duplicate link. Nor when
either ticket came by mail whose sender our mail server did not verify: the "same
requester" is then only a From address anyone can write (mail.services.authentication).
"""

import logging

from django.core.exceptions import ValidationError
from django.db import transaction

from deskline.core.errors import Conflict, english
from deskline.mail.services.authentication import opened_by_unverified_sender
from deskline.tickets.choices import ACTIVE_STATUSES, Channel
from deskline.tickets.models import Message, Ticket, TicketEvent
from deskline.tickets.services.events import event, save_events
from deskline.tickets.services.linking import merge_tickets
from deskline.triage.models import auto_merges

log = logging.getLogger(__name__)

# The history entry on both tickets saying triage merged them, and why.
MERGED_KIND = "triage_merged"


# Tickets an agent opens by hand for a caller: a decision to keep the request apart.
_OPENED_BY_AGENTS = (Channel.AGENT, Channel.PHONE)


def touched_by_others(ticket: Ticket) -> bool:
    """Whether anyone but the requester changed or wrote on the ticket. Triage, routing
    and rules act with no actor, so their changes do not count; nor does opening it
    through an integration: a web form, chat widget or script opens tickets through the
    API as its own user, on the requester's behalf, and that is the request, not work
    on it. An agent opening one in the console or logging a call does count."""
    by_others = TicketEvent.objects.filter(ticket=ticket, actor__isnull=False).exclude(
        actor_id=ticket.requester_id
    )
    if ticket.channel not in _OPENED_BY_AGENTS:
        by_others = by_others.exclude(kind="created")
    written_by_others = Message.objects.filter(ticket=ticket).exclude(author_id=ticket.requester_id)
    return by_others.exists() or written_by_others.exists()


def may_merge(new: Ticket, earlier: Ticket) -> bool:
    return (
        new.desk_id == earlier.desk_id
        and new.requester_id == earlier.requester_id
        and (earlier.created_at, earlier.pk) < (new.created_at, new.pk)
        and earlier.status in ACTIVE_STATUSES
        and earlier.merged_into_id is None
        and auto_merges(new.desk_id)
        and not opened_by_unverified_sender(new)
        and not opened_by_unverified_sender(earlier)
    )


def merge_duplicate(new: Ticket, earlier: Ticket, score: float) -> bool:
    """Merge `new` into `earlier` when allowed; False leaves both as they were."""
    if not may_merge(new, earlier):
        return False
    try:
        with transaction.atomic():
            # Locked first so an agent's reply or change lands before (and is seen
            # here) or after the merge (on the merged, closed ticket's target).
            locked = Ticket.objects.select_for_update().filter(pk=new.pk).first()
            if locked is None or locked.merged_into_id or locked.status not in ACTIVE_STATUSES:
                return False
            if touched_by_others(locked):
                return False
            merge_tickets(source=new, target=earlier, actor=None)
            why = {"score": round(score, 3), "reason": "same requester, same request"}
            save_events(
                [
                    event(new, None, MERGED_KIND, after={**why, "into": earlier.number}),
                    event(earlier, None, MERGED_KIND, after={**why, "from": new.number}),
                ]
            )
    except (ValidationError, Conflict) as exc:  # e.g. the earlier ticket closed meanwhile
        log.info("triage could not merge %s into %s: %s", new.number, earlier.number, english(exc))
        return False
    return True
