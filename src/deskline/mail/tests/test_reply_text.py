"""The reply without quoted history is stored on mail replies and shown by the API
next to the untouched full text."""

import pytest

from deskline.mail.services.intake import ingest
from deskline.mail.tests.conftest import build_mail

pytestmark = pytest.mark.django_db

QUOTED_REPLY = (
    "Rebooting fixed it, thanks!\n"
    "\n"
    "--\n"
    "Sam Requester\n"
    "ACME Logistics\n"
    "\n"
    "On Mon, 3 Jun 2024 at 10:00, IT Help <it@desk.test> wrote:\n"
    "> Please reboot the router and tell us.\n"
    "> \n"
    "> Since Monday the VPN disconnects.\n"
)


def test_reply_text_is_stored_for_replies_and_shown_in_the_api(
    it_address, it_desk, agent_on, api_for
):
    first = ingest(build_mail(message_id="<first@example.com>"), "pipe")
    reply = ingest(
        build_mail(subject="Re: VPN", body=QUOTED_REPLY, in_reply_to="<first@example.com>"),
        "pipe",
    )
    assert reply.ticket_id == first.ticket_id
    stored = reply.ticket_message
    assert stored.source_headers["reply_text"] == "Rebooting fixed it, thanks!"
    assert "> Please reboot" in stored.body_text  # the original stays whole

    response = api_for(agent_on(it_desk)).get(f"/tickets/{first.ticket.number}/messages")
    assert response.status_code == 200, response.content
    items = response.json()["items"]
    assert [m["reply_text"] for m in items] == [
        "Since Monday the VPN disconnects.",
        "Rebooting fixed it, thanks!",
    ]
    assert (
        items[1]["body_text"].startswith("Rebooting fixed it") and "wrote:" in items[1]["body_text"]
    )


def test_first_mail_and_unquoted_replies_store_nothing_extra(it_address):
    forwarded = "FYI, see below.\n\n---------- Forwarded message ----------\nFrom: a@b.c\n\nHelp!"
    first = ingest(build_mail(message_id="<f2@example.com>", body=forwarded), "pipe")
    assert "reply_text" not in first.ticket_message.source_headers  # the request itself
    plain = ingest(build_mail(body="Still broken.", in_reply_to="<f2@example.com>"), "pipe")
    assert plain.ticket_id == first.ticket_id
    assert "reply_text" not in plain.ticket_message.source_headers
