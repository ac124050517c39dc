"""One mail is stored once however often it comes (an SMTP retry, a re-poll, two
mailboxes), but a different mail that reuses a Message-ID (broken clients and mailing
software do) is a mail of its own: the Message-ID counts as "seen" only together with
the sender, date, subject and body."""

import hashlib
import imaplib
import importlib
import os
import smtplib
import subprocess
import sys

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from deskline.mail.models import Mailbox, RawMail
from deskline.mail.services.intake import dedupe_key, identity, store_raw
from deskline.mail.services.polling import poll_mailbox
from deskline.mail.tests import test_pipe
from deskline.mail.tests.conftest import build_mail
from deskline.mail.tests.dovecot import DOVECOT
from deskline.mail.tests.test_acceptance import _settled, intake_server
from deskline.mail.tests.test_pipe import _env, query
from deskline.tickets.models import Ticket

__all__ = ["intake_server"]  # the fixture, used here
needs_dovecot = pytest.mark.skipif(not os.path.exists(DOVECOT), reason=f"{DOVECOT} is absent")
data_dir, migrated = test_pipe.data_dir, test_pipe.migrated

REUSED = "<reused-1@broken-client.example>"
FIRST = build_mail(message_id=REUSED, subject="Printer jammed", body="Tray 2 is stuck.\n\nSam")
# The same client, later, with the same Message-ID: another request altogether.
SECOND = build_mail(message_id=REUSED, subject="Password reset", body="I am locked out.")


def _trace(raw: bytes, mailbox: str) -> bytes:
    """The copy a mail server delivers into one mailbox: trace headers on top."""
    return (
        f"Return-Path: <sam@example.com>\r\nDelivered-To: {mailbox}\r\n"
        f"Received: from mx.example.com by {mailbox.split('@')[1]}; "
        "Mon, 7 Dec 2026 10:00:00 +0000\r\n"
    ).encode() + raw


def _smtp(server, raw: bytes) -> None:
    port, handler = server
    with smtplib.SMTP("127.0.0.1", port, local_hostname="localhost", timeout=10) as client:
        client.sendmail("sam@example.com", ["it@desk.test"], raw)
    handler.drain()


@pytest.mark.django_db(transaction=True)
def test_a_reused_message_id_with_other_content_is_a_new_mail(it_address, intake_server):
    _smtp(intake_server, FIRST)
    _smtp(intake_server, FIRST)  # the sender's server retries: the same mail
    _smtp(intake_server, SECOND)
    first, second = _settled(2)
    assert first.message_id == second.message_id == REUSED.strip("<>")
    assert [first.state, second.state] == ["processed", "processed"], second.error
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == [
        "Password reset",
        "Printer jammed",
    ]


def _mailbox(desk, server, user: str) -> Mailbox:
    secret = {"desk": "secret-pw", "oauth": "token-abc"}[user]
    auth = "xoauth2" if user == "oauth" else "password"
    return Mailbox.objects.create(
        name=user, desk=desk, host="127.0.0.1", port=server.imap_port, tls="none",
        username=user, secret=secret, auth=auth, folder="Reuse",
    )  # fmt: skip


@needs_dovecot
@pytest.mark.django_db
def test_two_mailboxes_and_a_repoll_store_one_mail_and_a_reused_id_anew(dovecot, it_desk):
    # One mail to two desk addresses, each delivered into its own mailbox.
    dovecot.append("desk", _trace(FIRST, "it@desk.test"), "Reuse")
    dovecot.append("oauth", _trace(FIRST, "help@desk.test"), "Reuse")
    desk_box, other_box = _mailbox(it_desk, dovecot, "desk"), _mailbox(it_desk, dovecot, "oauth")
    assert poll_mailbox(desk_box) == 1 and poll_mailbox(other_box) == 1
    assert RawMail.objects.count() == 1
    # Someone marks the mail unread: fetched again, recognised.
    with imaplib.IMAP4("127.0.0.1", dovecot.imap_port) as client:
        client.login("desk", "secret-pw")
        client.select("Reuse")
        client.store("1:*", "-FLAGS", "\\Seen")
    poll_mailbox(desk_box)
    assert RawMail.objects.count() == 1
    # The broken client's next mail, with the same Message-ID.
    dovecot.append("desk", _trace(SECOND, "it@desk.test"), "Reuse")
    assert poll_mailbox(desk_box) == 1
    assert RawMail.objects.count() == 2 and Ticket.objects.count() == 2


def test_copies_stored_at_once_by_several_processes_are_one_row(migrated):
    """`deskline mail ingest` run by the mail server for each copy at the same moment:
    the unique key decides, not a look-up first."""
    copies = [_trace(FIRST, f"box{n}@desk.test") for n in range(4)]
    copies += [_trace(SECOND, "box0@desk.test"), FIRST.replace(b"\r\n", b"\n")]
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "deskline", "mail", "ingest"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_env(migrated, DESKLINE_MAIL_SOCKET="off"),
        )
        for _ in copies
    ]
    for process, raw in zip(started, copies, strict=True):
        process.stdin.write(raw)
        process.stdin.close()
    for process in started:
        assert process.wait(timeout=120) == 0, process.stderr.read().decode()
    rows = query(
        migrated,
        "select subject, state from mail_rawmail "
        f"where message_id = '{REUSED.strip('<>')}' order by subject",
    )
    assert rows == [("Password reset", "processed"), ("Printer jammed", "processed")]


@pytest.mark.django_db(transaction=True)
def test_mail_stored_before_the_upgrade_is_still_recognised(it_desk):
    """POP3 keeps mail on the server and fetches it again at every poll: what was stored
    under the old key (the Message-ID alone) must be recognised after the upgrade."""
    before = [("mail", "0004_idn_emails_in_unicode")]
    after = [("mail", "0005_dedupe_key_with_content")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_rows = executor.loader.project_state(before).apps.get_model("mail", "RawMail").objects
    no_id = b"From: a@example.com\r\nSubject: no id\r\n\r\nbody\r\n"
    for message_id, raw in (("reused-1@broken-client.example", FIRST), ("", no_id)):
        sha = hashlib.sha256(raw).hexdigest()
        key = (
            f"mid:{hashlib.sha256(message_id.encode()).hexdigest()}" if message_id else f"sha:{sha}"
        )
        old_rows.create(dedupe_key=key, sha256=sha, message_id=message_id, raw=raw,
                        size=len(raw), source="pop3:1")  # fmt: skip
    try:
        MigrationExecutor(connection).migrate(after)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert not RawMail.objects.filter(dedupe_key__startswith="mid:").exists()
    assert not store_raw(FIRST, "pop3:1")[1] and not store_raw(no_id, "pop3:1")[1]
    # The broken client's other mail under the first one's Message-ID is new.
    assert store_raw(SECOND, "pop3:1")[1]


@pytest.mark.parametrize(
    "raw",
    [
        FIRST,
        FIRST.replace(b"\n", b"\r\n"),
        _trace(FIRST.replace(b"\n", b"\r\n"), "it@desk.test") + b"\r\n \t\r\n",
        "Message-ID: <ü@x>\nFrom: Jörg <jörg@bücher.example>\nSubject: Grüße\n\nÄ\nB\n".encode(),
        b"Message-ID: <only-headers@x>\r\nFrom: a@example.com",
        b"Message-ID: <x@y>\r\nFrom: a@\xff.example\r\n\r\nbody\r\n  \r\nend\r\n",
    ],
)
def test_the_migration_keys_mail_as_intake_does(raw):
    """The migration keeps a frozen copy of intake's key: stored mail re-keyed by it
    must be found by the key intake computes. A change to intake.identity needs a new
    migration that re-keys the stored mail again (and this test then fails)."""
    migration = importlib.import_module("deskline.mail.migrations.0005_dedupe_key_with_content")
    message_id, content = identity(raw)
    assert migration._key(message_id, raw) == dedupe_key(message_id, "", content)
