"""A merge moves one ticket's messages onto another: search follows them there, for the
target's requester too, and the closed source's SLA clocks stop."""

import pytest

from deskline.search.models import Kind
from deskline.search.services import Filters, search
from deskline.sla.models import SlaPolicy, SlaTimer, TimerState
from deskline.tickets.services import add_message, merge_tickets

pytestmark = pytest.mark.django_db

MESSAGES = Filters(kinds=(Kind.MESSAGE,))


def test_merged_messages_are_found_on_the_target(
    make_user, agent_on, support_desk, indexed_ticket, committed
):
    SlaPolicy.objects.create(desk=support_desk, name="Day", resolution_minutes=1440)
    first, second = make_user("first@example.com"), make_user("second@example.com")
    source = indexed_ticket(support_desk, first, "Printer", body_text="Quetzal jammed again")
    target = indexed_ticket(support_desk, second, "Printer too", body_text="Paper stuck")
    committed(add_message, source, actor=first, body_text="The quetzal tray is bent")
    assert SlaTimer.objects.filter(ticket=source, state=TimerState.RUNNING).exists()
    agent = agent_on(support_desk)

    committed(merge_tickets, source, target, actor=agent)

    hits = search(agent, "quetzal", filters=MESSAGES, limit=20)
    assert len(hits) == 2 and {h.ticket_id for h in hits} == {target.pk}
    # The target's requester now reads those messages on their ticket, so finds them.
    assert {h.ticket_id for h in search(second, "quetzal", filters=MESSAGES)} == {target.pk}
    assert not SlaTimer.objects.filter(ticket=source, state=TimerState.RUNNING).exists()
