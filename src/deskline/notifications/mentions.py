"""@mentions in internal notes notify the agents named.

An agent is named by mail address (@sam@example.com) or by the part before the @ when
that is unambiguous among the desk's agents (@sam). Only the desk's agents can be
mentioned: an internal note must not reach a requester.
"""

import re

from deskline.accounts.models import User
from deskline.desks.models import DeskMembership
from deskline.notifications.kinds import MENTION
from deskline.notifications.services import notify
from deskline.tickets.models import Message
from deskline.tickets.services.hooks import TicketChange

MENTION_RE = re.compile(r"(?<![\w.@])@([\w.+-]+(?:@[\w-]+(?:\.[\w-]+)+)?)")


def mentioned_agents(text: str, desk_id: int) -> list[User]:
    handles = {h.lower().rstrip(".") for h in MENTION_RE.findall(text or "")}
    if not handles:
        return []
    member_ids = DeskMembership.objects.filter(desk_id=desk_id).values("user_id")
    agents = list(User.objects.filter(pk__in=member_ids, is_active=True))
    agents += [u for u in User.objects.filter(is_superuser=True, is_active=True) if u not in agents]
    by_local: dict[str, list[User]] = {}
    for agent in agents:
        by_local.setdefault(agent.email.split("@")[0], []).append(agent)
    found: dict[int, User] = {}
    for handle in handles:
        if "@" in handle:
            found.update({a.pk: a for a in agents if a.email == handle})
        elif len(by_local.get(handle, [])) == 1:
            agent = by_local[handle][0]
            found[agent.pk] = agent
    return list(found.values())


def on_message_added(change: TicketChange) -> None:
    if change.message_id is None:
        return
    message = Message.objects.select_related("ticket", "author").filter(pk=change.message_id)
    message = message.first()
    if message is None or not message.internal:
        return
    agents = mentioned_agents(message.body_text, message.ticket.desk_id)
    author = message.author.display_name if message.author else "Someone"
    notify(
        [a.pk for a in agents],
        MENTION,
        f"{author} mentioned you on {message.ticket.number}: {message.ticket.subject}",
        ticket_id=message.ticket_id,
        actor_id=message.author_id,
    )
