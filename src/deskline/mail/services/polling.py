"""Fetching mail from IMAP and POP3 mailboxes; the server copy is touched only after commit."""

import contextlib
import imaplib
import logging
import poplib
import ssl

from django.db import close_old_connections
from django.utils import timezone
from imap_tools import AND, MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.consts import MailMessageFlags

from deskline.mail.models import Mailbox
from deskline.mail.models.mailbox import AfterImport, AuthMethod, Protocol, TlsMode
from deskline.mail.services.intake import process, store_raw

log = logging.getLogger(__name__)
TIMEOUT = 60


class PollError(Exception):
    pass


def _imap_connection(mailbox: Mailbox):  # type: ignore[no-untyped-def]
    port = mailbox.effective_port()
    if mailbox.tls == TlsMode.SSL:
        return MailBox(
            mailbox.host, port, timeout=TIMEOUT, ssl_context=ssl.create_default_context()
        )
    if mailbox.tls == TlsMode.STARTTLS:
        return MailBoxStartTls(
            mailbox.host, port, timeout=TIMEOUT, ssl_context=ssl.create_default_context()
        )
    return MailBoxUnencrypted(mailbox.host, port, timeout=TIMEOUT)


def _fetch_raw(client: imaplib.IMAP4, uid: str) -> bytes | None:
    # BODY.PEEK: reading must not mark the mail seen before it is stored.
    status, data = client.uid("FETCH", uid, "(BODY.PEEK[])")
    if status != "OK":
        return None
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return bytes(item[1])
    return None


def _poll_imap(mailbox: Mailbox) -> list[int]:
    stored: list[int] = []
    with _imap_connection(mailbox) as server:
        if mailbox.auth == AuthMethod.XOAUTH2:
            server.xoauth2(mailbox.username, mailbox.secret, initial_folder=mailbox.folder)
        else:
            server.login(mailbox.username, mailbox.secret, initial_folder=mailbox.folder)
        moved = mailbox.after_import == AfterImport.MOVE and mailbox.move_to
        # When imported mail leaves the folder, all mail in it is new to the desk, also
        # what someone already read in their mail client; else the \Seen flag says.
        leaves = moved or mailbox.after_import == AfterImport.DELETE
        for uid in server.uids("ALL" if leaves else AND(seen=False)):
            raw = _fetch_raw(server.client, uid)
            if raw is None:
                continue
            raw_mail, _ = store_raw(raw, mailbox.source, default_desk=mailbox.desk)
            stored.append(raw_mail.pk)
            # Only now that the mail is committed may the server forget it.
            if mailbox.after_import == AfterImport.DELETE:
                server.delete(uid)
            elif moved:
                server.move(uid, mailbox.move_to)
            else:
                server.flag(uid, MailMessageFlags.SEEN, True)
    return stored


def _poll_pop3(mailbox: Mailbox) -> list[int]:
    port = mailbox.effective_port()
    if mailbox.tls == TlsMode.SSL:
        server = poplib.POP3_SSL(
            mailbox.host, port, timeout=TIMEOUT, context=ssl.create_default_context()
        )
    else:
        server = poplib.POP3(mailbox.host, port, timeout=TIMEOUT)
    stored: list[int] = []
    try:
        if mailbox.tls == TlsMode.STARTTLS:
            server.stls(context=ssl.create_default_context())
        if mailbox.auth == AuthMethod.XOAUTH2:
            raise PollError("POP3 mailboxes support password authentication only")
        server.user(mailbox.username)
        server.pass_(mailbox.secret)
        count, _ = server.stat()
        for number in range(1, count + 1):
            _, lines, _ = server.retr(number)
            raw_mail, _ = store_raw(
                b"\r\n".join(lines) + b"\r\n", mailbox.source, default_desk=mailbox.desk
            )
            stored.append(raw_mail.pk)
            # POP3 has no "seen": mail kept on the server is fetched again and
            # recognised by its Message-ID; "delete" empties the mailbox.
            if mailbox.after_import == AfterImport.DELETE:
                server.dele(number)
        server.quit()  # deletions happen at QUIT, after every store committed
    finally:
        with contextlib.suppress(OSError):
            server.close()
    return stored


def poll_mailbox(mailbox: Mailbox) -> int:
    """Fetch new mail, store each, tell the server, then process; returns mails stored."""
    try:
        ids = _poll_imap(mailbox) if mailbox.protocol == Protocol.IMAP else _poll_pop3(mailbox)
    except Exception as exc:  # a broken mailbox must not stop the others
        log.warning("mailbox %s: %s", mailbox, exc)
        Mailbox.objects.filter(pk=mailbox.pk).update(
            last_polled_at=timezone.now(), last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        return 0
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(), last_error="")
    for raw_mail_id in ids:
        process(raw_mail_id)
    return len(ids)


def poll_all() -> int:
    total = 0
    for mailbox in Mailbox.objects.filter(enabled=True).select_related("desk"):
        total += poll_mailbox(mailbox)
        close_old_connections()
    return total
