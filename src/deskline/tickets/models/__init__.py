from deskline.tickets.models.attachment import Attachment
from deskline.tickets.models.event import TicketEvent
from deskline.tickets.models.link import TicketLink
from deskline.tickets.models.message import Message
from deskline.tickets.models.status import StatusDefinition
from deskline.tickets.models.ticket import Tag, Ticket, TicketFollower, TicketTag

__all__ = [
    "Attachment",
    "Message",
    "StatusDefinition",
    "Tag",
    "Ticket",
    "TicketEvent",
    "TicketFollower",
    "TicketLink",
    "TicketTag",
]
