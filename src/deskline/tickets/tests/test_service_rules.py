"""Rules the services keep whoever calls them (found while building the demo data)."""

import pytest
from django.core.exceptions import ValidationError

from deskline.desks.services import create_category, create_team
from deskline.tickets.choices import Status
from deskline.tickets.models import StatusDefinition, TicketEvent
from deskline.tickets.services import add_follower, add_message, merge_tickets, update_ticket


def test_tickets_of_different_desks_cannot_be_merged(
    it_desk, support_desk, admin_user, make_user, make_ticket
):
    internal = make_ticket(it_desk, make_user())
    external = make_ticket(support_desk, make_user())
    with pytest.raises(ValidationError) as error:
        merge_tickets(internal, external, actor=admin_user)
    assert "target" in error.value.message_dict
    assert internal.messages.count() == 1


def test_merge_closes_source_with_a_status_event(it_desk, admin_user, make_user, make_ticket):
    source = make_ticket(it_desk, make_user())
    target = make_ticket(it_desk, make_user())
    merge_tickets(source, target, actor=admin_user)
    assert source.status == Status.CLOSED  # the caller's object is refreshed
    event = TicketEvent.objects.get(ticket=source, kind="field_changed", field="status")
    assert (event.before, event.after) == ("new", "closed")


def test_a_followers_reply_reopens_a_pending_ticket(it_desk, agent_on, make_user, make_ticket):
    agent = agent_on(it_desk)
    follower = make_user()
    ticket = make_ticket(it_desk, make_user())
    add_follower(ticket, follower, actor=agent)
    update_ticket(ticket, actor=agent, changes={"status": "pending"})
    add_message(ticket, actor=follower, body_text="Here is the log you asked for.")
    assert ticket.status == Status.OPEN


def test_reopening_clears_a_custom_status_with_an_event(it_desk, agent_on, make_user, make_ticket):
    agent = agent_on(it_desk)
    requester = make_user()
    StatusDefinition.objects.create(
        desk=it_desk, name="Waiting on vendor", slug="vendor", base_status=Status.PENDING
    )
    ticket = make_ticket(it_desk, requester)
    update_ticket(ticket, actor=agent, changes={"status": "vendor"})
    assert ticket.custom_status.slug == "vendor"
    add_message(ticket, actor=requester, body_text="Any news?")
    assert ticket.status == Status.OPEN and ticket.custom_status is None
    assert TicketEvent.objects.filter(
        ticket=ticket, field="custom_status", after__isnull=True
    ).exists()


def test_open_ticket_refuses_objects_of_another_desk(it_desk, support_desk, make_user, make_ticket):
    other_category = create_category(support_desk, name="Billing", slug="billing")
    other_team = create_team(support_desk, name="Billing", slug="billing")
    customer = make_user()
    with pytest.raises(ValidationError) as error:
        make_ticket(it_desk, customer, category=other_category)
    assert "category" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        make_ticket(it_desk, customer, team=other_team)
    assert "team" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        make_ticket(it_desk, customer, assignee=make_user())
    assert "assignee" in error.value.message_dict
