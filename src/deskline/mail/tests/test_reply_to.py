"""Reply-To: the requester is the From address, and the desk answers it, unless the desk
address says mail to it comes through a relay (a web form, a mail gateway) that sends
on behalf of the person named in Reply-To. Over real SMTP in and out."""

import pytest

from deskline.desks.models import Role
from deskline.mail.models import DeskAddress, OutboundMail
from deskline.mail.tests.conftest import build_mail
from deskline.mail.tests.test_acceptance import _send, _send_queued_mail, _settled, intake_server
from deskline.tickets.models import Ticket
from deskline.tickets.services import add_message

__all__ = ["intake_server"]  # the fixture, used here
pytestmark = pytest.mark.django_db(transaction=True)

RELAYED = {
    "sender": "Contact form <forms@website.example>",
    "headers": {"Reply-To": "Carla Customer <Carla@Customer.example>"},
    "subject": "Quote for 40 licences",
}


def _answered(ticket: Ticket, agent_on) -> list[str]:
    """Where the acknowledgement and an agent's reply went."""
    add_message(ticket, actor=agent_on(ticket.desk, Role.AGENT), body_text="Here it is.")
    _send_queued_mail()
    return list(OutboundMail.objects.order_by("id").values_list("to", flat=True))


def test_by_default_the_requester_is_from_and_answers_go_there(
    it_address, intake_server, smtp_sink, agent_on
):
    _send(intake_server, build_mail(**RELAYED))
    (mail,) = _settled(1)
    assert mail.ticket.requester.email == "forms@website.example"
    assert _answered(mail.ticket, agent_on) == ["forms@website.example"] * 2
    assert [to for _, to, _ in smtp_sink.received] == [["forms@website.example"]] * 2


def test_a_relay_address_takes_the_requester_from_reply_to(
    it_address, intake_server, smtp_sink, agent_on
):
    DeskAddress.objects.filter(pk=it_address.pk).update(requester_from_reply_to=True)
    _send(intake_server, build_mail(**RELAYED))
    (mail,) = _settled(1)
    requester = mail.ticket.requester
    assert (requester.email, requester.name) == ("carla@customer.example", "Carla Customer")
    assert mail.sender == "forms@website.example"  # the mail itself stays as it came
    assert _answered(mail.ticket, agent_on) == ["carla@customer.example"] * 2
    assert [to for _, to, _ in smtp_sink.received] == [["carla@customer.example"]] * 2
    # Carla's next message through the form names her ticket: she is on it, it joins.
    follow_up = {**RELAYED, "subject": f"Re: [{mail.ticket.number}] Quote", "body": "And 5 more."}
    _send(intake_server, build_mail(**follow_up))
    assert _settled(2)[1].ticket_id == mail.ticket_id and Ticket.objects.count() == 1


@pytest.mark.parametrize(
    "reply_to",
    [
        "",  # none: From it is
        "IT Help <it@desk.test>",  # the desk itself: never its own requester
        "Support <it+t1-abc@desk.test>",  # a plus-address of the desk
        "not an address",
    ],
)
def test_a_relay_address_falls_back_to_from(it_address, intake_server, reply_to):
    DeskAddress.objects.filter(pk=it_address.pk).update(requester_from_reply_to=True)
    headers = {"Reply-To": reply_to} if reply_to else {}
    _send(intake_server, build_mail(**{**RELAYED, "headers": headers}))
    (mail,) = _settled(1)
    assert mail.state == "processed", mail.error
    assert mail.ticket.requester.email == "forms@website.example"


def test_the_setting_is_on_the_desk_address_admin_page(it_address, admin_user, client):
    client.force_login(admin_user)
    page = client.get(f"/admin/mail/deskaddress/{it_address.pk}/change/")
    assert b'name="requester_from_reply_to"' in page.content
    form = {"desk": it_address.desk_id, "email": it_address.email, "name": "IT Help",
            "primary": "on", "requester_from_reply_to": "on",
            "created_at_0": "2026-12-01", "created_at_1": "09:00:00"}  # fmt: skip
    saved = client.post(f"/admin/mail/deskaddress/{it_address.pk}/change/", form)
    assert saved.status_code == 302, saved.context["adminform"].form.errors
    it_address.refresh_from_db()
    assert it_address.requester_from_reply_to
