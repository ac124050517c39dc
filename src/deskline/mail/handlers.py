"""Mail hears agent replies through the ticket hooks and sends them to the requester."""

from deskline.tickets.access import AGENT_ROLES, role_on_desk
from deskline.tickets.models import Message
from deskline.tickets.services import hooks


def on_message_added(change: hooks.TicketChange) -> None:
    if change.message_id is None or change.internal or change.by_requester:
        return  # by_requester: the requester's own words are not mailed back to them
    # A narrow read first: most messages (every mail from a requester) stop here, and
    # the full read below costs several times more.
    brief = (
        Message.objects.filter(pk=change.message_id)
        .values_list("internal", "author_id", "ticket__requester_id")
        .first()
    )
    if brief is None or brief[0] or brief[1] is None or brief[1] == brief[2]:
        return
    message = (
        Message.objects.select_related("ticket__desk", "ticket__requester", "author")
        .filter(pk=change.message_id)
        .first()
    )
    if message is None or message.internal or message.author is None:
        return
    if role_on_desk(message.author, message.ticket.desk_id) not in AGENT_ROLES:
        return  # the requester's own words are not mailed back to them
    if message.author_id == message.ticket.requester_id:
        return
    from deskline.mail.services.outbound import schedule_reply

    schedule_reply(message)


def register_all() -> None:
    hooks.register(hooks.MESSAGE_ADDED, on_message_added, inline=True)
