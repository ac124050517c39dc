"""Mail test fixtures: desk addresses, a real SMTP sink, mails built from parts."""

import socket
import threading
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import make_msgid

import pytest
from aiosmtpd.controller import Controller

from deskline.desks.models import Desk
from deskline.mail.models import DeskAddress

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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
) -> bytes:
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
    return mail.as_bytes()


@pytest.fixture
def it_address(it_desk: Desk) -> DeskAddress:
    return DeskAddress.objects.create(
        desk=it_desk, email="it@desk.test", name="IT Help", primary=True
    )


class Sink:
    """A real SMTP server that keeps what it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], Message]] = []
        self.arrived = threading.Condition()
        self.refuse = ""  # an SMTP reply to give to every DATA ("451 ..."), or ""

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        if self.refuse:
            return self.refuse
        mail = message_from_bytes(envelope.original_content, policy=policy.default)
        with self.arrived:
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos), mail))
            self.arrived.notify_all()
        return "250 OK"

    def messages(self) -> list[Message]:
        return [m for _, _, m in self.received]


@pytest.fixture
def smtp_sink(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sink]:
    """A local SMTP server on a free port, set as DESKLINE_SMTP_URL."""
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, decode_data=False)
    controller.start()
    monkeypatch.setenv("DESKLINE_SMTP_URL", f"smtp://127.0.0.1:{port}")
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def mail_builder() -> Callable[..., bytes]:
    return build_mail
