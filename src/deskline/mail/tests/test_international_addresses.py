"""Internationalized addresses (RFC 6530-6532) over real SMTP: domains in Unicode or in
their ASCII "xn--" form, local parts in Unicode; in through `deskline smtpd`, out
through a local SMTP server with and without SMTPUTF8."""

import logging
import smtplib
import socket

import pytest

from deskline.accounts.models import User
from deskline.desks.models import Role
from deskline.mail.models import DeskAddress, OutboundMail
from deskline.mail.tests.conftest import build_mail
from deskline.mail.tests.test_acceptance import _send_queued_mail, _settled, intake_server
from deskline.tickets.models import Ticket
from deskline.tickets.services import add_message

__all__ = ["intake_server"]  # the fixture, used here
pytestmark = pytest.mark.django_db(transaction=True)


def _send(server, raw: bytes, sender: str, to: str = "it@desk.test") -> None:
    """As a mail server does: SMTPUTF8 when an address needs it (RFC 6531)."""
    port, handler = server
    with smtplib.SMTP("127.0.0.1", port, local_hostname="localhost", timeout=10) as client:
        client.ehlo()
        assert client.has_extn("smtputf8")
        international = not (sender + to).isascii()
        client.sendmail(sender, [to], raw, mail_options=["SMTPUTF8"] if international else [])
    handler.drain()


def test_a_domain_in_unicode_or_ascii_form_is_one_requester(it_address, intake_server):
    # An SMTPUTF8 client writes the domain in Unicode (raw UTF-8 headers, RFC 6532)...
    first = build_mail(sender="Jana <jana@bücher.example>", subject="First", utf8=True)
    _send(intake_server, first, "jana@bücher.example")
    # ...an older one in its ASCII form (any case), a script in encoded words.
    second = build_mail(sender="Jana <Jana@XN--BCHER-KVA.example>", subject="Second")
    _send(intake_server, second, "jana@xn--bcher-kva.example")
    _send(intake_server, build_mail(sender="jana@bücher.example", subject="Third"), "x@a.example")
    mails = _settled(3)
    assert [m.state for m in mails] == ["processed"] * 3, [m.error for m in mails]
    (requester,) = User.objects.all()
    assert requester.email == "jana@bücher.example" and requester.name == "Jana"
    assert sorted(Ticket.objects.values_list("subject", "requester")) == [
        ("First", requester.pk), ("Second", requester.pk), ("Third", requester.pk),
    ]  # fmt: skip


def test_a_unicode_local_part_opens_a_ticket_at_a_unicode_desk_address(it_desk, intake_server):
    DeskAddress.objects.create(desk=it_desk, email="Hilfe@Bücher.example", primary=True)
    raw = build_mail(sender="Jörg <Jörg@bücher.example>", to="hilfe@bücher.example", utf8=True)
    # The desk address named in either form reaches the desk.
    _send(intake_server, raw, "jörg@bücher.example", to="hilfe@xn--bcher-kva.example")
    (mail,) = _settled(1)
    assert mail.state == "processed", mail.error
    assert mail.ticket.desk == it_desk and mail.ticket.requester.email == "jörg@bücher.example"


def test_an_address_that_is_not_utf8_is_refused_for_good_not_deferred(
    it_address, intake_server, caplog
):
    # aiosmtpd logs the command, undecodable byte and all, which a test report sent
    # between xdist processes cannot carry.
    caplog.set_level(logging.WARNING, logger="mail.log")
    port, _ = intake_server
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        reader = conn.makefile("rb")
        reader.readline()
        for command in (b"EHLO localhost", b"MAIL FROM:<a@example.com> SMTPUTF8"):
            conn.sendall(command + b"\r\n")
            while (line := reader.readline())[3:4] == b"-":
                pass
            assert line.startswith(b"250"), line
        conn.sendall(b"RCPT TO:<it\xff@desk.test>\r\n")
        assert reader.readline().startswith(b"553"), "a 4xx would have the sender retry forever"


def _reply_to(requester_email: str, it_address: DeskAddress, agent_on, make_ticket) -> OutboundMail:
    ticket = make_ticket(it_address.desk, User.objects.create_user(requester_email))
    add_message(ticket, actor=agent_on(ticket.desk, Role.AGENT), body_text="Try this.")
    _send_queued_mail()
    return OutboundMail.objects.get(kind="reply")


def test_a_reply_to_an_idn_domain_needs_no_smtputf8(it_address, smtp_sink, agent_on, make_ticket):
    sent = _reply_to("jana@bücher.example", it_address, agent_on, make_ticket)
    assert sent.state == "sent", sent.last_error
    ((_, recipients, mail),) = smtp_sink.received
    # The domain in its ASCII form, so a server without SMTPUTF8 takes it.
    assert recipients == ["jana@xn--bcher-kva.example"]
    assert not any("SMTPUTF8" in option for option in smtp_sink.mail_options[0])
    assert mail["To"].addresses[0].addr_spec == "jana@xn--bcher-kva.example"


def test_a_reply_to_a_unicode_local_part_goes_out_with_smtputf8(
    it_address, smtputf8_sink, agent_on, make_ticket
):
    sent = _reply_to("jörg@bücher.example", it_address, agent_on, make_ticket)
    assert sent.state == "sent", sent.last_error
    ((_, recipients, mail),) = smtputf8_sink.received
    assert recipients == ["jörg@bücher.example"]
    assert "SMTPUTF8" in smtputf8_sink.mail_options[0]
    # The header in UTF-8 as it is (RFC 6532), not in encoded words.
    assert "\r\nTo: jörg@bücher.example\r\n".encode() in smtputf8_sink.raw[0]


def test_a_unicode_local_part_fails_at_once_where_the_server_cannot_take_it(
    it_address, smtp_sink, agent_on, make_ticket
):
    sent = _reply_to("jörg@bücher.example", it_address, agent_on, make_ticket)
    # Retrying cannot help: the server does not offer SMTPUTF8.
    assert sent.state == "failed" and sent.attempts == 1 and "SMTPUTF8" in sent.last_error
    assert smtp_sink.received == []
