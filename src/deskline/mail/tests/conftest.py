"""Mail test fixtures: desk addresses, a real SMTP sink (sink.py), mails built from parts."""

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest

from deskline.mail.tests.dovecot import DOVECOT, Dovecot
from deskline.mail.tests.sink import Sink, free_port, it_address, smtp_sink, smtputf8_sink

__all__ = [
    "BOUNCE", "Sink", "build_mail", "free_port", "it_address", "smtp_sink", "smtputf8_sink",
]  # fmt: skip

# A delivery-status report for gone@example.org; %s is its Message-ID's local part.
BOUNCE = (
    b"From: MAILER-DAEMON@mx.example.net\r\nTo: it@desk.test\r\n"
    b"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <%s@mx>\r\n"
    b"Content-Type: multipart/report; report-type=delivery-status; boundary=XX\r\n\r\n"
    b"--XX\r\nContent-Type: text/plain\r\n\r\nUser unknown\r\n"
    b"--XX\r\nContent-Type: message/delivery-status\r\n\r\n"
    b"Reporting-MTA: dns; mx.example.net\r\n\r\n"
    b"Final-Recipient: rfc822; gone@example.org\r\nAction: failed\r\n"
    b"Status: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n--XX--\r\n"
)


def build_mail(
    *,
    sender: str = "Sam Requester <sam@example.com>",
    to: str = "it@desk.test",
    subject: str = "VPN drops every hour",
    body: str = "Since Monday the VPN disconnects.",
    html: str = "",
    message_id: str | None = None,
    in_reply_to: str = "",
    references: str = "",
    attachments: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
    headers: dict[str, str] | None = None,
    utf8: bool = False,
) -> bytes:
    """A mail as a client writes it; `utf8`: headers in raw UTF-8 (RFC 6532, what
    SMTPUTF8 clients send) rather than the email package's encoded words."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Message-ID"] = message_id or make_msgid(domain="example.com")
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
    if references:
        mail["References"] = references
    for name, value in (headers or {}).items():
        mail[name] = value
    mail.set_content(body)
    if html:
        mail.add_alternative(html, subtype="html")
    for filename, content_type, content in attachments:
        maintype, _, subtype = content_type.partition("/")
        mail.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return mail.as_bytes(policy=mail.policy.clone(utf8=utf8))


@pytest.fixture
def mail_builder() -> Callable[..., bytes]:
    return build_mail


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    """A real Dovecot for the module's tests; they skip where Debian's is not installed."""
    if not os.path.exists(DOVECOT):
        pytest.skip(f"{DOVECOT} is absent")
    # Not pytest's tmp_path: its parents are private (0700) and Dovecot's unprivileged
    # processes must reach the passwd file and the maildir.
    root = Path(tempfile.mkdtemp(prefix="deskline-dovecot-"))
    server = Dovecot(root)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
