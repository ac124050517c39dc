"""A mail reply shows without its quoted history; the full message is one click away."""

import pytest
from django.test import Client

from deskline.desks.models import Role
from deskline.tickets.choices import Channel
from deskline.tickets.services import InboundMessage, receive_inbound

pytestmark = pytest.mark.django_db

FULL = "Rebooting fixed it, thanks!\n\n--\nSam\n\nOn Monday IT wrote:\n> Please reboot the router."


def test_the_ticket_page_shows_the_reply_and_keeps_the_full_mail_folded(
    it_desk, agent_on, make_user, make_ticket
):
    requester = make_user(email="sam@example.com", is_employee=True)
    ticket = make_ticket(it_desk, requester, body_text="The VPN drops.\n> not a quote to hide")
    receive_inbound(
        InboundMessage(
            desk=it_desk,
            channel=Channel.EMAIL,
            sender_email="sam@example.com",
            subject="Re: VPN",
            body_text=FULL,
            source_headers={"reply_text": "Rebooting fixed it, thanks!"},
            ticket=ticket,
        )
    )
    client = Client()
    client.force_login(agent_on(it_desk, Role.AGENT))
    html = client.get(f"/tickets/{ticket.number}/").content.decode()

    reply_at = html.index('<div class="body reply" dir="auto"><p>Rebooting fixed it, thanks!</p>')
    details_at = html.index('<details class="full-message"><summary>Show full message</summary>')
    assert reply_at < details_at < html.index("Please reboot the router")
    # Only the stripped message is folded: the first one shows whole, with no toggle.
    assert html.count('<details class="full-message">') == 1
    assert html.index("not a quote to hide") < reply_at
