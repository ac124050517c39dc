"""Every mail, whichever way it came: stored first, then processed once.

`store_raw` commits the bytes before anything reads them, so a crash, a parser bug or
a database error later never loses a message. `process` turns a stored mail into a
ticket, a reply or a recorded rejection in one transaction with the mail's new state,
so a crash in the middle leaves it "received" and the next run does it exactly once.
It reads, parses and decides before that transaction (`prepare`) and only checks the
decision and writes inside it (`finish`; what is decided where: services.handling).
"""

import hashlib
import logging
import os
import re
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from deskline.core.emails import normalize_email
from deskline.core.errors import Conflict, english
from deskline.desks.models import Desk
from deskline.mail.models import RawMail
from deskline.mail.models.raw import RawState
from deskline.mail.parsing import ParsedMail, parse_message
from deskline.mail.services import authentication, handling, threads

log = logging.getLogger(__name__)

_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
# Test hook for the crash test: kill the process at a named point of processing.
CRASH_ENV = "DESKLINE_MAIL_CRASH_AT"


def _crash_point(name: str) -> None:
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), 9)


def _header_end(raw: bytes) -> tuple[int, int]:
    """(end of the header block, start of the body): the first empty line, in whichever
    line ending the mail came (a pipe often hands LF, SMTP and IMAP CRLF). Each search
    stops where the other found one: a search through the whole of a large mail would
    cost more than the rest of storing it."""
    crlf = raw.find(b"\r\n\r\n")
    lf = raw.find(b"\n\n", 0, crlf if crlf >= 0 else len(raw))
    if lf >= 0:
        return lf, lf + 2
    if crlf >= 0:
        return crlf, crlf + 4
    return len(raw), len(raw)


_TRAILING = frozenset(b" \t\r\n")


def _message_id(value: str) -> str:
    # No NUL: PostgreSQL text refuses it (the parser drops it from the ids it reads too).
    value = value.replace("\x00", "").strip()
    match = _MESSAGE_ID.search(value)
    found = match.group(1) if match else value.strip("<> \t")
    return found[:998] if found and " " not in found else ""


# What one mail keeps on every copy of it (the sender sets them once), besides its body.
# Not trace headers (Received, Delivered-To, Return-Path...), which each delivery adds.
_SAME_ON_EVERY_COPY = ("from", "date", "subject")


def identity(raw: bytes) -> tuple[str, str]:
    """(Message-ID or "", digest of the content that tells two mails with one Message-ID
    apart), read from the header block only (no MIME parse): the sender, date and
    subject as written, whitespace folded, and the body, line endings and trailing
    whitespace aside."""
    head_end, start = _header_end(raw)
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw[:head_end])
        values = [str(headers.get(name, "")) for name in ("message-id", *_SAME_ON_EVERY_COPY)]
    except Exception:  # a header too broken to read: the key falls back to the raw hash
        return "", ""
    content = hashlib.sha256()
    for value in values[1:]:
        content.update(b" ".join(value.encode("utf-8", "surrogateescape").split()) + b"\n")
    end = len(raw)
    while end > start and raw[end - 1] in _TRAILING:
        end -= 1
    if raw.find(b"\r", start, end) < 0:  # LF line endings (a pipe): hashed as CRLF
        content.update(raw[start:end].replace(b"\n", b"\r\n"))
    else:  # nearly all mail: hashed where it lies, without a copy
        content.update(memoryview(raw)[start:end])
    return _message_id(values[0]), content.hexdigest()


def dedupe_key(message_id: str, sha256: str, content: str = "") -> str:
    """The mail's unique key: its Message-ID with its content (mc:), so that copies of
    one mail are one row and another mail reusing the Message-ID is not; the hash of
    the exact bytes (sha:) for mail without a Message-ID."""
    if message_id:
        both = f"{message_id}\n{content}".encode("utf-8", "surrogateescape")
        return "mc:" + hashlib.sha256(both).hexdigest()
    return "sha:" + sha256


def _insert(raw_mail: RawMail) -> None:
    """raw_mail.save() of a new row, in plain SQL: storing holds the write lock (and
    gates the SMTP 250), and the ORM took more time building the INSERT than the
    database took to run it. Each value is prepared by its field, as save() does
    (nothing listens to this model's saves)."""
    quote = connection.ops.quote_name
    meta = RawMail._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    sql = (
        f"INSERT INTO {quote(meta.db_table)} "  # noqa: S608
        f"({', '.join(quote(field.column) for field in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    values = [field.get_db_prep_save(field.pre_save(raw_mail, True), connection)
              for field in fields]  # fmt: skip
    with connection.cursor() as cursor:
        if connection.features.can_return_columns_from_insert:
            returning, params = connection.ops.return_insert_columns([meta.pk])
            cursor.execute(f"{sql} {returning}", [*values, *params])
            raw_mail.pk = cursor.fetchone()[0]
        else:
            cursor.execute(sql, values)
            raw_mail.pk = connection.ops.last_insert_id(cursor, meta.db_table, meta.pk.column)
    raw_mail._state.adding = False
    raw_mail._state.db = connection.alias


def store_raw(
    raw: bytes,
    source: str,
    *,
    default_desk: Desk | None = None,
    envelope_to: list[str] | None = None,
) -> tuple[RawMail, bool]:
    """Store the bytes durably; (the row, True) when new, (the earlier row, False) if seen.

    Commits before returning (call it outside any transaction), so an SMTP 250, an
    IMAP delete or a pipe exit 0 can follow safely.
    """
    sha = hashlib.sha256(raw).hexdigest()
    message_id, content = identity(raw)
    key = dedupe_key(message_id, sha, content)
    # The key is unique: the insert itself says whether the mail was seen, so new
    # mail (nearly all of it) costs no lookup first; a repeat costs a refused insert,
    # and copies stored at the same moment by several processes end as one row.
    try:
        # durable: refuses to run inside another transaction, so returning means committed.
        with transaction.atomic(durable=True):
            raw_mail = RawMail(
                dedupe_key=key,
                sha256=sha,
                message_id=message_id,
                raw=raw,
                size=len(raw),
                source=source[:64],
                default_desk=default_desk,
                envelope_to=[normalize_email(e) for e in envelope_to or []],
            )
            _insert(raw_mail)
    except IntegrityError:
        # Seen before (a re-poll, a second mailbox), or stored by another process now.
        return RawMail.objects.defer("raw").get(dedupe_key=key), False
    return raw_mail, True


@dataclass
class Prepared:
    """A mail read, parsed and planned before any transaction (see `prepare`)."""

    raw_mail_id: int
    # The row as read before the transaction (its bytes not always loaded); None when
    # it was not "received" then.
    raw_mail: RawMail | None
    parsed: ParsedMail | Exception | None
    plan: handling.Plan | None


def _parse(raw: bytes) -> ParsedMail | Exception:
    try:
        return parse_message(bytes(raw))
    except Exception as exc:  # recorded on the mail inside the transaction
        return exc


def _check_sender(raw_mail: RawMail, raw: bytes, parsed: ParsedMail | Exception) -> None:
    """Take our mail server's verdict on From, once: a mail processed again (reprocess)
    keeps the verdict of its first processing, so it is decided the same way."""
    if raw_mail.sender_auth is None and not isinstance(parsed, Exception):
        raw_mail.sender_auth = authentication.check_sender(raw, parsed.from_email)


def prepare(
    raw_mail_id: int, *, raw: bytes | None = None, stored: RawMail | None = None
) -> Prepared:
    """Everything processing only reads, before taking any lock: reading the row,
    parsing (pure, the slowest step) and deciding where the mail goes. On SQLite a
    transaction holds the one write lock that storing new mail (the SMTP 250) and every
    other intake process need; `finish` re-checks the decision under it.

    `raw`, when the caller just stored it, spares reading the bytes back; `stored` is
    the row the caller just stored (then not read at all)."""
    if stored is not None:
        raw_mail: RawMail | None = stored
    else:
        found = RawMail.objects.filter(pk=raw_mail_id, state=RawState.RECEIVED).order_by()
        if raw is not None:
            found = found.defer("raw")
        raw_mail = next(iter(found[:1]), None)
    if raw_mail is None:
        return Prepared(raw_mail_id, None, None, None)
    raw = raw if raw is not None else raw_mail.raw
    parsed = _parse(raw)
    _check_sender(raw_mail, raw, parsed)
    if isinstance(parsed, Exception):
        return Prepared(raw_mail_id, raw_mail, parsed, None)
    _process_earlier(parsed, raw_mail_id)
    try:
        decided: handling.Plan | None = handling.plan(raw_mail, parsed)
    except Exception:  # decided again inside the transaction, where a failure is kept
        log.debug("mail %s: planning before the transaction failed", raw_mail_id, exc_info=True)
        decided = None
    return Prepared(raw_mail_id, raw_mail, parsed, decided)


def _process_earlier(parsed: ParsedMail, raw_mail_id: int) -> None:
    """Process first the mail this one answers when it is stored and still waiting (more
    than one process processes mail: `deskline smtpd` with several, pipes, the poller).
    Only earlier mail, so this ends; whoever comes second finds it done."""
    try:
        earlier = threads.earlier_unprocessed(parsed, raw_mail_id)
    except Exception:  # only an ordering aid: the mail itself is processed all the same
        log.warning("mail %s: could not look for the mail it answers", raw_mail_id, exc_info=True)
        return
    for earlier_id in earlier:
        try:
            process(earlier_id)
        except Exception:  # left "received": process_pending_mail takes it up
            log.warning("mail %s: could not process mail %s first", raw_mail_id, earlier_id,
                        exc_info=True)  # fmt: skip


def _lock_state(raw_mail_id: int) -> tuple[str, int] | None:
    """The mail's (state, attempts), its row locked where the database locks rows (on
    SQLite the transaction already holds the one write lock). Plain SQL: it runs under
    that lock for every mail."""
    quote = connection.ops.quote_name
    sql = (
        f"SELECT {quote('state')}, {quote('attempts')} "  # noqa: S608
        f"FROM {quote(RawMail._meta.db_table)} WHERE {quote(RawMail._meta.pk.column)} = %s"
    )
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(sql, [raw_mail_id])
        return cursor.fetchone()


# What processing changes on the row, saved alone: the stored bytes (up to 50 MB) are
# not sent back to the database with every state change.
_PROCESSED_FIELDS = [
    "attempts", "error", "state", "reason", "sender", "subject", "ticket", "ticket_message",
    "processed_at", "sender_auth",
]  # fmt: skip


def _save_processed(raw_mail: RawMail) -> None:
    """raw_mail.save(update_fields=_PROCESSED_FIELDS) in plain SQL: it runs under the
    write lock for every mail, and the ORM took several times the UPDATE's own time to
    build it. Each value is prepared by its field, as save() does (nothing listens to
    this model's saves)."""
    quote = connection.ops.quote_name
    meta = RawMail._meta
    fields = [meta.get_field(name) for name in _PROCESSED_FIELDS]
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {assignments} "  # noqa: S608
        f"WHERE {quote(meta.pk.column)} = %s"
    )
    values = [field.get_db_prep_save(getattr(raw_mail, field.attname), connection)
              for field in fields]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, raw_mail.pk])


def finish(prepared: Prepared) -> RawMail:
    """Turn a prepared mail into a ticket, a reply or a rejection, in one transaction
    with its new state; failures are kept on the mail."""
    raw_mail_id = prepared.raw_mail_id
    with transaction.atomic():
        row = _lock_state(raw_mail_id)
        if row is None:
            raise RawMail.DoesNotExist(f"no mail {raw_mail_id}")
        if row[0] != RawState.RECEIVED:
            return RawMail.objects.defer("raw").get(pk=raw_mail_id)  # someone else did it
        parsed, raw_mail = prepared.parsed, prepared.raw_mail
        if raw_mail is None:  # received meanwhile (reprocess): read and parse it now
            raw_mail = RawMail.objects.get(pk=raw_mail_id)
            parsed = _parse(raw_mail.raw)
            _check_sender(raw_mail, raw_mail.raw, parsed)
        raw_mail.state, raw_mail.attempts = row[0], row[1] + 1
        # A reprocessed mail's earlier failure or rejection no longer describes it.
        raw_mail.error = raw_mail.reason = ""
        try:
            with transaction.atomic():
                if isinstance(parsed, Exception):
                    raise parsed
                assert parsed is not None
                decided = prepared.plan
                if decided is None or not handling.still_valid(decided):
                    decided = handling.plan(raw_mail, parsed)  # again, under the lock
                handling.carry_out(raw_mail, parsed, decided)
                _crash_point("before-commit")
        except Exception as exc:  # kept as failed with the reason, never lost
            log.warning("mail %s failed: %s", raw_mail.pk, exc, exc_info=True)
            raw_mail.state = RawState.FAILED
            raw_mail.reason = type(exc).__name__[:64]
            # No NUL: PostgreSQL text refuses it, and this row must be saved.
            raw_mail.error = f"{type(exc).__name__}: {english(exc)}".replace("\x00", "")[:10_000]
            raw_mail.ticket = None
            raw_mail.ticket_message = None
        raw_mail.processed_at = timezone.now()
        _save_processed(raw_mail)
    return raw_mail


def process(
    raw_mail_id: int, *, raw: bytes | None = None, stored: RawMail | None = None
) -> RawMail:
    """Turn a received mail into a ticket, a reply or a rejection; failures are kept.

    `raw` is the row's stored bytes when the caller has them at hand (it just stored
    them), `stored` the row it just stored; they are never read from anywhere else.
    """
    return finish(prepare(raw_mail_id, raw=raw, stored=stored))


def ingest(
    raw: bytes,
    source: str,
    *,
    default_desk: Desk | None = None,
    envelope_to: list[str] | None = None,
) -> RawMail:
    """store_raw then process: what the pipe does."""
    raw_mail, created = store_raw(raw, source, default_desk=default_desk, envelope_to=envelope_to)
    _crash_point("after-store")
    if not created and raw_mail.state != RawState.RECEIVED:
        return raw_mail
    # A new row holds exactly these bytes; an earlier one (another copy) may not.
    if created:
        return process(raw_mail.pk, raw=raw, stored=raw_mail)
    return process(raw_mail.pk)


def reprocess(raw_mail_id: int) -> RawMail:
    """Try a failed or rejected mail again (after a fix, or a new desk address)."""
    with transaction.atomic():
        raw_mail = RawMail.objects.select_for_update().get(pk=raw_mail_id)
        if raw_mail.state == RawState.PROCESSED:
            raise Conflict(f"mail {raw_mail_id} already became {raw_mail.ticket or 'a ticket'}")
        raw_mail.state = RawState.RECEIVED
        raw_mail.save(update_fields=["state"])
    return process(raw_mail_id)


def process_pending(limit: int = 500) -> int:
    """Mail left "received" (a crash, a killed SMTP worker): process it now."""
    ids = list(
        RawMail.objects.filter(state=RawState.RECEIVED)
        .order_by("received_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for raw_mail_id in ids:
        process(raw_mail_id)
    return len(ids)
