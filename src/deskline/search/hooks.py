"""Ticket changes → search documents, right after the change commits.

Indexing one ticket or message is a few small writes (milliseconds), so it runs in
the hook itself rather than as a queued task: a ticket is findable as soon as its
creator sees it. A failure is logged by the hooks runner; `deskline search reindex`
rebuilds everything.
"""

from deskline.search import indexing
from deskline.tickets.models import Message, Ticket
from deskline.tickets.services import hooks


def on_ticket_opened(change: hooks.TicketChange) -> None:
    indexing.index_ticket(change.ticket_id)
    if change.message_id:
        indexing.index_message(change.message_id)
    requester_id = Ticket.objects.filter(pk=change.ticket_id).values_list("requester_id", flat=True)
    for user_id in requester_id:
        indexing.index_user(user_id)


def on_message_added(change: hooks.TicketChange) -> None:
    if change.message_id:
        indexing.index_message(change.message_id)
    # The ticket's own document holds its public messages.
    indexing.index_ticket(change.ticket_id)


def on_ticket_updated(change: hooks.TicketChange) -> None:
    indexing.index_ticket(change.ticket_id)
    if "messages" in change.fields:
        # Messages moved here by a merge: their documents still name the old ticket.
        for message_id in Message.objects.filter(ticket_id=change.ticket_id).values_list(
            "pk", flat=True
        ):
            indexing.index_message(message_id)


def register() -> None:
    hooks.register(hooks.TICKET_OPENED, on_ticket_opened)
    hooks.register(hooks.MESSAGE_ADDED, on_message_added)
    hooks.register(hooks.TICKET_UPDATED, on_ticket_updated)
