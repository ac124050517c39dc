"""The SMTP intake server: 250 only once the mail is committed, 451 when it cannot be.

aiosmtpd speaks SMTP on an event loop; database work runs on a single thread that
stores (quick, it gates the 250), and stored mail is processed behind it, so a slow
mail never delays the next sender's answer: by one thread of this process, or by
DESKLINE_SMTPD_PROCESSES worker processes (processing_pool) so that parsing and
deciding where mail goes use more than one core.
"""

import asyncio
import copy
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.db import close_old_connections, connections

from deskline.mail.models import RawMail
from deskline.mail.processing_pool import ProcessingPool, warm_up
from deskline.mail.services.addresses import is_known_recipient
from deskline.mail.services.intake import process, store_raw

log = logging.getLogger(__name__)
MAX_MESSAGE_BYTES = 50 * 1024 * 1024
HANDED_BYTES = 256 * 1024


def _with_connection(func: Any, *args: Any) -> Any:
    close_old_connections()  # drop a connection the database closed meanwhile
    return func(*args)


def _process(raw_mail_id: int, raw: bytes | None, stored: RawMail | None) -> None:
    process(raw_mail_id, raw=raw, stored=stored)


def _store(raw: bytes, recipients: list[str]) -> tuple[RawMail, bool]:
    return store_raw(raw, "smtp", envelope_to=recipients)


def _without_bytes(raw_mail: RawMail) -> RawMail:
    """The row just stored, for processing, without its bytes (handed over apart, or
    read back when large): a copy, so that a backlog does not keep large mail."""
    row = copy.copy(raw_mail)
    row.raw = b""
    return row


PROCESSES_ENV = "DESKLINE_SMTPD_PROCESSES"
# 2 where there are two cores, by measurement (docs/benchmarks.md, "Email intake", fifth
# round): with the ticket services' writes in plain SQL, a mail holds SQLite's one
# writer for less than half of its CPU, so a second process parses the next mail while
# the first writes: 146 -> 195 mails/s over one SMTP connection, 157 -> 223 over four,
# on 2 cores. (Before that change, 2 processes were no faster and cost a third more CPU
# per mail.) One core: the server's own thread.
DEFAULT_PROCESSES = min(2, os.cpu_count() or 1)


def configured_processes() -> int:
    """Processes that process stored mail (DESKLINE_SMTPD_PROCESSES; default 2 on two
    cores or more, else 1: this one's own thread)."""
    value = os.environ.get(PROCESSES_ENV, "").strip()
    if not value:
        return DEFAULT_PROCESSES
    try:
        processes = int(value)
    except ValueError:
        processes = 0
    if processes < 1:
        raise ValueError(f"{PROCESSES_ENV} must be a whole number of at least 1, not {value!r}")
    return processes


def _in_memory_database() -> bool:
    connection = connections["default"]
    return connection.vendor == "sqlite" and connection.is_in_memory_db()


def _readable(address: str) -> bool:
    """aiosmtpd keeps bytes that are no UTF-8 as lone surrogates (surrogateescape)."""
    try:
        address.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class IntakeHandler:
    def __init__(self, processes: int = 1) -> None:
        self.store_thread = ThreadPoolExecutor(1, thread_name_prefix="smtpd-store")
        # Worker processes have their own connections: an in-memory database (tests)
        # is not theirs to see, so it is processed here.
        separate = processes > 1 and not _in_memory_database()
        self.pool = ProcessingPool(processes) if separate else None
        self.process_thread = (
            ThreadPoolExecutor(1, thread_name_prefix="smtpd-process") if self.pool is None else None
        )

    async def _run(self, pool: ThreadPoolExecutor, func: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(pool, _with_connection, func, *args)

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if not _readable(address):
            # Bytes that are no UTF-8 name no mailbox; a 4xx would be retried for days.
            return "553 5.1.3 The address is not valid UTF-8"
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
            raw_mail, created = await self._run(
                self.store_thread, _store, raw, list(envelope.rcpt_tos)
            )
        except Exception:
            log.exception("smtpd: could not store a mail")
            return "451 4.3.0 Temporary failure storing the message, try again later"
        if created:
            # Processed after the answer; a crash here leaves it for process_pending_mail.
            # A new row holds exactly these bytes: hand them over, and the row as stored,
            # rather than read them back, unless large (a backlog of queued mail would
            # hold them in memory).
            small = len(raw) <= HANDED_BYTES
            handed = raw if small else None
            stored = _without_bytes(raw_mail) if small else None
            if self.pool is not None:
                self.pool.submit(raw_mail.pk, handed, stored)
            else:
                assert self.process_thread is not None
                self.process_thread.submit(_with_connection, _process, raw_mail.pk, handed, stored)
        return f"250 2.0.0 OK stored as {raw_mail.pk}"

    def drain(self) -> None:
        """Wait until every mail received so far is processed."""
        if self.pool is not None:
            self.pool.drain()
        else:
            assert self.process_thread is not None
            self.process_thread.submit(lambda: None).result()

    def shutdown(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()  # each worker closes its connection as it exits
        for pool in (self.store_thread, self.process_thread):
            if pool is None:
                continue
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


def start(host: str, port: int, processes: int = 1) -> tuple[Controller, IntakeHandler]:
    """Start the server on a thread of its own; stop with stop(controller, handler).

    `processes` > 1: stored mail is processed by that many worker processes."""
    handler = IntakeHandler(processes)
    if handler.pool is not None:
        handler.pool.start()  # each worker warms up as it starts
    else:
        warm_up()
    controller = IntakeController(
        handler,
        hostname=host,
        port=port,
        data_size_limit=MAX_MESSAGE_BYTES,
        # Keep the exact bytes: no 8-bit decoding of the content by aiosmtpd.
        decode_data=False,
        # Offer SMTPUTF8 (RFC 6531): mail from and to Unicode addresses (aiosmtpd's
        # default too; said here because refusing it would bounce such senders' mail).
        enable_SMTPUTF8=True,
        ready_timeout=10,
    )
    controller.start()
    return controller, handler


def stop(controller: Controller, handler: IntakeHandler) -> None:
    controller.stop()
    handler.shutdown()
