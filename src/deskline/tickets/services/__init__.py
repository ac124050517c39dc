"""Every user-visible change to a ticket goes through these functions.

Each one changes the rows and writes the ticket's events in one transaction.
"""

from deskline.tickets.services.followers import add_follower, remove_follower
from deskline.tickets.services.inbound import InboundMessage, receive_inbound
from deskline.tickets.services.linking import link_tickets, merge_tickets, unlink_tickets
from deskline.tickets.services.messages import add_message
from deskline.tickets.services.opening import open_ticket
from deskline.tickets.services.splitting import split_message
from deskline.tickets.services.updating import update_ticket

__all__ = [
    "InboundMessage",
    "add_follower",
    "add_message",
    "link_tickets",
    "merge_tickets",
    "open_ticket",
    "receive_inbound",
    "remove_follower",
    "split_message",
    "unlink_tickets",
    "update_ticket",
]
