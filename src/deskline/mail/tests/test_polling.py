"""IMAP and POP3 polling against a real Dovecot started by the test."""

import os

import pytest

from deskline.mail.models import Mailbox
from deskline.mail.services.polling import poll_mailbox
from deskline.mail.tests.conftest import build_mail
from deskline.mail.tests.dovecot import DOVECOT
from deskline.tickets.models import Ticket

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not os.path.exists(DOVECOT),
        reason=f"{DOVECOT} is absent: apt-get install dovecot-imapd dovecot-pop3d (.ci/run does)",
    ),
]


def _mailbox(desk, server, user="desk", **extra) -> Mailbox:
    defaults = {
        "name": user,
        "desk": desk,
        "host": "127.0.0.1",
        "port": server.imap_port,
        "tls": "none",
        "username": user,
        "secret": {"desk": "secret-pw", "oauth": "token-abc"}[user],
    }
    return Mailbox.objects.create(**{**defaults, **extra})


def test_imap_poll_stores_then_marks_seen_and_a_repoll_adds_nothing(dovecot, it_desk):
    folder = "Seen-test"
    dovecot.append("desk", build_mail(message_id="<imap-1@x>", subject="From IMAP"), folder)
    dovecot.append("desk", build_mail(message_id="<imap-2@x>", subject="Second"), folder)
    mailbox = _mailbox(it_desk, dovecot, folder=folder)
    assert poll_mailbox(mailbox) == 2
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["From IMAP", "Second"]
    assert all(seen for _, seen in dovecot.messages("desk", folder))
    mailbox.refresh_from_db()
    assert mailbox.last_error == "" and mailbox.last_polled_at is not None
    # Marked unseen again by someone: fetched again, recognised, nothing new.
    import imaplib

    with imaplib.IMAP4("127.0.0.1", dovecot.imap_port) as client:
        client.login("desk", "secret-pw")
        client.select(folder)
        client.store("1:*", "-FLAGS", "\\Seen")
    assert poll_mailbox(mailbox) == 2 and Ticket.objects.count() == 2


def test_imap_xoauth2_and_delete_after_import(dovecot, it_desk):
    dovecot.append("oauth", build_mail(message_id="<oauth-1@x>", subject="Token login"))
    mailbox = _mailbox(it_desk, dovecot, user="oauth", auth="xoauth2", after_import="delete")
    assert poll_mailbox(mailbox) == 1
    assert Ticket.objects.get().subject == "Token login"
    assert dovecot.messages("oauth") == []


def test_imap_move_after_import(dovecot, it_desk):
    folder = "Move-test"
    dovecot.append("desk", build_mail(message_id="<move-1@x>", subject="Move me"), folder)
    import imaplib

    with imaplib.IMAP4("127.0.0.1", dovecot.imap_port) as client:
        client.login("desk", "secret-pw")
        client.create("Imported")
    mailbox = _mailbox(it_desk, dovecot, folder=folder, after_import="move", move_to="Imported")
    assert poll_mailbox(mailbox) == 1
    assert dovecot.messages("desk", folder) == []
    assert [mid for mid, _ in dovecot.messages("desk", "Imported")] == [b"Message-ID: <move-1@x>"]


@pytest.mark.parametrize("after_import", ["move", "delete"])
def test_mail_already_read_is_imported_when_the_folder_is_emptied(dovecot, it_desk, after_import):
    # A colleague read the mail in the shared mailbox before the poll: when imported mail
    # leaves the folder, every mail in it is new to the desk, seen or not.
    folder = f"Read-{after_import}"
    dovecot.append("desk", build_mail(message_id=f"<read-{after_import}@x>"), folder, "(\\Seen)")
    dovecot.append("desk", build_mail(message_id=f"<unread-{after_import}@x>"), folder)
    import imaplib

    with imaplib.IMAP4("127.0.0.1", dovecot.imap_port) as client:
        client.login("desk", "secret-pw")
        client.create("Imported-read")
    mailbox = _mailbox(
        it_desk, dovecot, folder=folder, after_import=after_import, move_to="Imported-read"
    )
    assert poll_mailbox(mailbox) == 2, Mailbox.objects.get(pk=mailbox.pk).last_error
    assert Ticket.objects.count() == 1  # the same subject and requester: one ticket
    assert dovecot.messages("desk", folder) == []


def test_wrong_password_is_recorded_on_the_mailbox(dovecot, it_desk):
    mailbox = _mailbox(it_desk, dovecot, secret="wrong")
    assert poll_mailbox(mailbox) == 0
    mailbox.refresh_from_db()
    assert "fail" in mailbox.last_error.lower() or "auth" in mailbox.last_error.lower()


def test_pop3_poll_and_delete(dovecot, it_desk):
    dovecot.append("desk", build_mail(message_id="<pop-1@x>", subject="Over POP3"))
    mailbox = _mailbox(
        it_desk, dovecot, protocol="pop3", port=dovecot.pop3_port, after_import="delete"
    )
    assert poll_mailbox(mailbox) == 1
    assert Ticket.objects.get().subject == "Over POP3"
    assert dovecot.messages("desk") == []
