"""A real SMTP server for tests (the mail app's and automation's), and the IT desk's
address that mail goes out from."""

import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import Message

import pytest
from aiosmtpd.controller import Controller

from deskline.desks.models import Desk
from deskline.mail.models import DeskAddress


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
        self.mail_options: list[list[str]] = []  # MAIL FROM parameters, per message
        self.raw: list[bytes] = []  # each message's bytes as received

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        if self.refuse:
            return self.refuse
        mail = message_from_bytes(envelope.original_content, policy=policy.default)
        with self.arrived:
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos), mail))
            self.mail_options.append(list(envelope.mail_options))
            self.raw.append(envelope.original_content)
            self.arrived.notify_all()
        return "250 OK"

    def messages(self) -> list[Message]:
        return [m for _, _, m in self.received]


def _serve(monkeypatch: pytest.MonkeyPatch, *, smtputf8: bool) -> Iterator[Sink]:
    sink = Sink()
    port = free_port()
    controller = Controller(
        sink, hostname="127.0.0.1", port=port, decode_data=False, enable_SMTPUTF8=smtputf8
    )
    controller.start()
    monkeypatch.setenv("DESKLINE_SMTP_URL", f"smtp://127.0.0.1:{port}")
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def smtp_sink(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sink]:
    """A local SMTP server on a free port, set as DESKLINE_SMTP_URL (no SMTPUTF8, as
    many servers still are)."""
    yield from _serve(monkeypatch, smtputf8=False)


@pytest.fixture
def smtputf8_sink(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sink]:
    """smtp_sink that offers SMTPUTF8 (RFC 6531): it takes Unicode addresses."""
    yield from _serve(monkeypatch, smtputf8=True)
