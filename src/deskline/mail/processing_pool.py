"""Stored mail processed by worker processes, for `deskline smtpd` (DESKLINE_SMTPD_PROCESSES).

One Python process uses one core at most: parsing and deciding where a mail goes
(services.intake.prepare) run outside the database's write lock, so several processes,
each with its own connection, overlap them, while the writing itself still takes turns
on SQLite's one writer. Workers are started with "spawn" (the server already runs
threads, which a forked child must not inherit) and ignore Ctrl-C: the server stops
them once they have processed what they were given.

A worker that dies (killed, out of memory) loses nothing: the mail it held, and those
queued behind it, are stored and "received". They are handed once more to new workers;
a mail whose worker died twice is left to process_pending_mail, so that one mail that
kills its worker cannot keep the pool restarting.
"""

import contextlib
import functools
import logging
import multiprocessing
import os
import signal
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deskline.mail.models import RawMail

log = logging.getLogger(__name__)


def _start_worker() -> None:
    # Ctrl-C in a terminal reaches the whole process group: the server decides when
    # workers stop, after the mail they were given.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deskline.settings")
    import django

    django.setup()
    warm_up()


def warm_up() -> None:
    """Load now what processing loads on first use, so that it is part of the start
    (which the server waits for) and not of some mail's processing: the intake's
    modules, and the URL configuration (inline images are linked by reverse(), which
    imports every app's URLs and the API, about a second of CPU)."""
    from django.urls import NoReverseMatch, reverse

    from deskline.mail.services import intake, outbound  # noqa: F401

    # Only a warm-up: the URLs are loaded even when the name is not found.
    with contextlib.suppress(NoReverseMatch):
        reverse("api-1:download_attachment", args=[1])


def _ready() -> int:
    return os.getpid()


def _process(raw_mail_id: int, raw: bytes | None, stored: "RawMail | None") -> None:
    from django.db import close_old_connections

    from deskline.mail.services.intake import process

    close_old_connections()  # drop a connection the database closed meanwhile
    process(raw_mail_id, raw=raw, stored=stored)


class ProcessingPool:
    """`size` worker processes processing stored mail; submit() never blocks."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._outstanding = 0
        self._executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.size, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker
        )

    def start(self) -> list[int]:
        """Start every worker now (Django set up in each), not at the first mails: a
        worker that cannot start fails the server's start. Returns their process ids."""
        with self._lock:
            executor = self._executor
        # Submitted together, before any finishes: each one starts a worker of its own.
        started = [executor.submit(_ready) for _ in range(self.size)]
        return sorted({future.result() for future in started})

    def submit(self, raw_mail_id: int, raw: bytes | None, stored: "RawMail | None") -> None:
        """Process the stored mail in a worker: `raw` its bytes and `stored` its row
        (without the bytes) when at hand, else the worker reads them."""
        with self._lock:
            self._outstanding += 1
        self._submit(raw_mail_id, raw, stored, retried=False)

    def _submit(
        self, raw_mail_id: int, raw: bytes | None, stored: "RawMail | None", *, retried: bool
    ) -> None:
        for _ in range(2):  # a pool found broken is replaced once
            with self._lock:
                executor = self._executor
            try:
                future = executor.submit(_process, raw_mail_id, raw, stored)
            except (BrokenProcessPool, RuntimeError):
                self._replace(executor)
                continue
            future.add_done_callback(
                functools.partial(self._done, executor, raw_mail_id, raw, stored, retried)
            )
            return
        log.error("smtpd: mail %s not handed to a worker; process_pending_mail will", raw_mail_id)
        self._finished()

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is not broken:
                return  # another mail of the same pool replaced it already
            self._executor = self._new_executor()
        # The broken one needs no shutdown: its own thread terminated its workers.
        log.error("smtpd: a mail processing worker died; new workers started")

    def _done(
        self,
        executor: ProcessPoolExecutor,
        raw_mail_id: int,
        raw: bytes | None,
        stored: "RawMail | None",
        retried: bool,
        future: Future,
    ) -> None:
        error = None if future.cancelled() else future.exception()
        if future.cancelled() or isinstance(error, BrokenProcessPool):
            self._replace(executor)
            if not retried:
                self._submit(raw_mail_id, raw, stored, retried=True)
                return
            log.error(
                "smtpd: mail %s left received (its worker died twice); "
                "process_pending_mail will process it",
                raw_mail_id,
            )
        elif error is not None:
            # Stored and still "received" (or recorded as failed): nothing is lost.
            log.error("smtpd: processing mail %s failed: %s", raw_mail_id, error)
        self._finished()

    def _finished(self) -> None:
        with self._lock:
            self._outstanding -= 1
            self._idle.notify_all()

    def drain(self) -> None:
        """Wait until every mail submitted so far is processed (or given up)."""
        with self._idle:
            self._idle.wait_for(lambda: self._outstanding == 0)

    def shutdown(self) -> None:
        self.drain()
        with self._lock:
            executor = self._executor
        executor.shutdown(wait=True)
