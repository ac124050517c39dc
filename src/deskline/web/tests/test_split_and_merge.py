"""Splitting a message into a new ticket from the ticket page, and merging in bulk."""

import io

import pytest
from django.test import Client

from deskline.desks.models import Role
from deskline.tickets.attachments import store_attachment
from deskline.tickets.models import Message, Ticket, TicketEvent, TicketLink
from deskline.tickets.services import add_message


@pytest.fixture
def agent(it_desk, agent_on):
    return agent_on(it_desk, Role.AGENT)


@pytest.fixture
def requester(make_user):
    return make_user(name="Sam", is_employee=True)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_second_question_becomes_its_own_ticket(
    agent, requester, make_user, it_desk, make_ticket
):
    ticket = make_ticket(it_desk, requester, subject="VPN drops", priority="high")
    colleague = make_user(name="Kim", is_employee=True)
    upload = store_attachment(
        ticket, filename="printer.txt", stream=io.BytesIO(b"jam\n"), uploaded_by=colleague
    )
    question = add_message(
        ticket,
        actor=colleague,
        body_text="Also, the printer on floor 2 jams.",
        attachments=[upload],
    )
    client = client_for(agent)
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    # Every public message but the opening one offers the split.
    assert page.count('class="inline split"') == 1
    response = client.post(
        f"/tickets/{ticket.number}/split/", {"message": question.pk, "subject": "Printer jams"}
    )
    new = Ticket.objects.exclude(pk=ticket.pk).get()
    assert response["Location"] == f"/tickets/{new.number}/"
    assert (new.subject, new.requester_id, new.priority) == ("Printer jams", colleague.pk, "high")
    opening = new.messages.get()
    assert opening.body_text == "Also, the printer on floor 2 jams."
    assert [a.filename for a in opening.attachments.all()] == ["printer.txt"]
    # The original conversation is untouched, and both tickets say what happened.
    assert Message.objects.filter(ticket=ticket).count() == 2
    assert TicketEvent.objects.get(ticket=ticket, kind="split_out").after == new.number
    assert TicketLink.objects.filter(source=new, target=ticket, kind="related").exists()
    shown = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert f"opened {new.number} from a message of this ticket" in shown


def test_opening_messages_notes_and_foreign_messages_are_not_split(
    agent, requester, it_desk, support_desk, make_ticket
):
    ticket = make_ticket(it_desk, requester)
    note = add_message(ticket, actor=agent, body_text="Checked the switch", internal=True)
    foreign = make_ticket(support_desk, requester)
    client = client_for(agent)
    opening = ticket.messages.order_by("id").first()
    refused = client.post(f"/tickets/{ticket.number}/split/", {"message": opening.pk})
    assert refused.status_code == 302 and refused["Location"] == f"/tickets/{ticket.number}/"
    assert client.post(f"/tickets/{ticket.number}/split/", {"message": note.pk}).status_code == 404
    other = foreign.messages.get()
    assert client.post(f"/tickets/{ticket.number}/split/", {"message": other.pk}).status_code == 404
    assert (
        client.post(f"/tickets/{foreign.number}/split/", {"message": other.pk}).status_code == 404
    )
    assert Ticket.objects.count() == 2


def test_requesters_cannot_split(requester, agent, it_desk, make_ticket):
    ticket = make_ticket(it_desk, requester)
    reply = add_message(ticket, actor=agent, body_text="Try a restart")
    response = client_for(requester).post(f"/tickets/{ticket.number}/split/", {"message": reply.pk})
    assert response.status_code in (302, 404)
    assert Ticket.objects.count() == 1


def test_bulk_merge_into_a_named_or_the_oldest_ticket(
    agent, requester, it_desk, support_desk, make_ticket
):
    first, second, third = (make_ticket(it_desk, requester, subject=s) for s in "ABC")
    foreign = make_ticket(support_desk, requester, subject="D")
    client = client_for(agent)
    client.post(
        "/tickets/bulk/",
        {"action": "merge", "value": "", "ticket": [third.number, second.number, foreign.number]},
    )
    second.refresh_from_db()
    third.refresh_from_db()
    foreign.refresh_from_db()
    assert third.merged_into_id == second.pk  # the oldest selected one takes the others
    assert second.merged_into_id is None and foreign.merged_into_id is None
    client.post(
        "/tickets/bulk/", {"action": "merge", "value": first.number, "ticket": [second.number]}
    )
    second.refresh_from_db()
    assert second.merged_into_id == first.pk
    assert Message.objects.filter(ticket=first).count() == 3
    # A target the agent cannot see merges nothing.
    fourth = make_ticket(it_desk, requester, subject="E")
    client.post(
        "/tickets/bulk/", {"action": "merge", "value": foreign.number, "ticket": [fourth.number]}
    )
    fourth.refresh_from_db()
    assert fourth.merged_into_id is None


def test_the_ticket_page_does_not_name_linked_tickets_the_agent_may_not_see(
    it_desk, support_desk, agent_on, make_user, make_ticket, admin_user
):
    from deskline.tickets.services import link_tickets

    own = make_ticket(support_desk, make_user(), subject="Invoice wrong")
    sibling = make_ticket(support_desk, make_user(), subject="Invoice wrong too")
    hidden = make_ticket(it_desk, make_user(is_employee=True), subject="Payroll server down")
    link_tickets(own, hidden, "related", actor=admin_user)
    link_tickets(own, sibling, "duplicate", actor=admin_user)
    page = client_for(agent_on(support_desk, Role.AGENT)).get(f"/tickets/{own.number}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert sibling.number in html
    assert hidden.number not in html and hidden.subject not in html
    assert "linked another ticket" in html
    assert [link.target for link in page.context["links"]] == [sibling]
    admin_page = client_for(admin_user).get(f"/tickets/{own.number}/").content.decode()
    assert hidden.number in admin_page
