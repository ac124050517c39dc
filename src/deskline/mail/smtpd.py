"""The SMTP intake server: 250 only once the mail is committed, 451 when it cannot be.

aiosmtpd speaks SMTP on an event loop; database work runs on two single threads, one
that stores (quick, it gates the 250) and one that processes behind it, so a slow
mail never delays the next sender's answer.
"""

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.db import close_old_connections, connections

from deskline.mail.services.addresses import is_known_recipient
from deskline.mail.services.intake import process, store_raw

log = logging.getLogger(__name__)
MAX_MESSAGE_BYTES = 50 * 1024 * 1024
HANDED_BYTES = 256 * 1024


def _with_connection(func: Any, *args: Any) -> Any:
    close_old_connections()  # drop a connection the database closed meanwhile
    return func(*args)


def _process(raw_mail_id: int, raw: bytes | None) -> None:
    process(raw_mail_id, raw=raw)


def _store(raw: bytes, recipients: list[str]) -> tuple[int, bool]:
    raw_mail, created = store_raw(raw, "smtp", envelope_to=recipients)
    return raw_mail.pk, created


class IntakeHandler:
    def __init__(self) -> None:
        self.store_thread = ThreadPoolExecutor(1, thread_name_prefix="smtpd-store")
        self.process_thread = ThreadPoolExecutor(1, thread_name_prefix="smtpd-process")

    async def _run(self, pool: ThreadPoolExecutor, func: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(pool, _with_connection, func, *args)

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        try:
            known = await self._run(self.store_thread, is_known_recipient, address)
        except Exception:
            log.exception("smtpd: recipient check failed")
            return "451 4.3.0 Temporary failure, try again later"
        if not known:
            return "550 5.1.1 No desk receives mail at this address"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            raw_mail_id, created = await self._run(
                self.store_thread, _store, raw, list(envelope.rcpt_tos)
            )
        except Exception:
            log.exception("smtpd: could not store a mail")
            return "451 4.3.0 Temporary failure storing the message, try again later"
        if created:
            # Processed after the answer; a crash here leaves it for process_pending_mail.
            # A new row holds exactly these bytes: hand them over rather than read them
            # back, unless large (a backlog of queued mail would hold them in memory).
            handed = raw if len(raw) <= HANDED_BYTES else None
            self.process_thread.submit(_with_connection, _process, raw_mail_id, handed)
        return f"250 2.0.0 OK stored as {raw_mail_id}"

    def drain(self) -> None:
        """Wait until every mail received so far is processed."""
        self.process_thread.submit(lambda: None).result()

    def shutdown(self) -> None:
        for pool in (self.store_thread, self.process_thread):
            # Each thread holds its own database connection: close it with the thread.
            pool.submit(connections.close_all).result()
            pool.shutdown(wait=True)


class LenientSMTP(SMTP):
    # RFC 5321 caps lines at 1000 characters, but real mail breaks it (long base64 or
    # HTML lines) and other servers take it; refusing would lose the mail.
    line_length_limit = 8 * 1024 * 1024


class IntakeController(Controller):
    def factory(self) -> SMTP:
        return LenientSMTP(self.handler, **self.SMTP_kwargs)


def start(host: str, port: int) -> tuple[Controller, IntakeHandler]:
    """Start the server on a thread of its own; stop with stop(controller, handler)."""
    handler = IntakeHandler()
    controller = IntakeController(
        handler,
        hostname=host,
        port=port,
        data_size_limit=MAX_MESSAGE_BYTES,
        # Keep the exact bytes: no 8-bit decoding of the content by aiosmtpd.
        decode_data=False,
        ready_timeout=10,
    )
    controller.start()
    return controller, handler


def stop(controller: Controller, handler: IntakeHandler) -> None:
    controller.stop()
    handler.shutdown()
