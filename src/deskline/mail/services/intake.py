"""Every mail, whichever way it came: stored first, then processed once.

`store_raw` commits the bytes before anything reads them, so a crash, a parser bug or
a database error later never loses a message. `process` turns a stored mail into a
ticket, a reply or a recorded rejection in one transaction with the mail's new state,
so a crash in the middle leaves it "received" and the next run does it exactly once.
"""

import contextlib
import hashlib
import logging
import os
import re
from email.parser import BytesHeaderParser
from email.policy import compat32

from django.db import IntegrityError, transaction
from django.utils import timezone

from deskline.accounts.models import User, normalize_email
from deskline.core.errors import Conflict
from deskline.desks.models import Desk
from deskline.mail.models import DeskAddress, RawMail
from deskline.mail.models.raw import RawState
from deskline.mail.parsing import ParsedMail, parse_message, rewrite_cid, strip_reply
from deskline.mail.services import loops, threads
from deskline.mail.services.addresses import desk_addresses_and_desk, find_desk_address
from deskline.mail.services.languages import requester_language
from deskline.tickets.access import AGENT_ROLES, role_on_desk
from deskline.tickets.choices import Channel
from deskline.tickets.services import add_message
from deskline.tickets.services.inbound import InboundAttachment, InboundMessage, receive_inbound

log = logging.getLogger(__name__)

_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
# Test hook for the crash test: kill the process at a named point of processing.
CRASH_ENV = "DESKLINE_MAIL_CRASH_AT"


def _crash_point(name: str) -> None:
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), 9)


def header_message_id(raw: bytes) -> str:
    """The Message-ID read from the header block only (no body parse), or ""."""
    try:
        head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        value = BytesHeaderParser(policy=compat32).parsebytes(head).get("Message-ID", "")
    except Exception:  # a header too broken to read: fall back to the content hash
        return ""
    value = str(value).strip()
    match = _MESSAGE_ID.search(value)
    found = match.group(1) if match else value.strip("<> \t")
    return found[:998] if found and " " not in found else ""


def dedupe_key(message_id: str, sha256: str) -> str:
    if message_id:
        return "mid:" + hashlib.sha256(message_id.encode("utf-8", "replace")).hexdigest()
    return "sha:" + sha256


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
    message_id = header_message_id(raw)
    key = dedupe_key(message_id, sha)
    # The key is unique: the insert itself says whether the mail was seen, so new
    # mail (nearly all of it) costs no lookup first; a repeat costs a refused insert.
    try:
        # durable: refuses to run inside another transaction, so returning means committed.
        with transaction.atomic(durable=True):
            raw_mail = RawMail.objects.create(
                dedupe_key=key,
                sha256=sha,
                message_id=message_id,
                raw=raw,
                size=len(raw),
                source=source[:64],
                default_desk=default_desk,
                envelope_to=[e.lower() for e in envelope_to or []],
            )
    except IntegrityError:
        # Seen before (a re-poll, a second mailbox), or stored by another process now.
        return RawMail.objects.defer("raw").get(dedupe_key=key), False
    return raw_mail, True


def _recipients(parsed: ParsedMail, raw_mail: RawMail) -> list[str]:
    found = [*raw_mail.envelope_to, *parsed.to, *parsed.cc]
    for name in ("delivered-to", "x-original-to"):
        value = parsed.headers.get(name, "")
        found += [part.strip(" <>").lower() for part in value.split(",") if "@" in part]
    return list(dict.fromkeys(e.lower() for e in found if e))


def _source_headers(parsed: ParsedMail, raw_mail: RawMail) -> dict:
    return {
        "message_id": parsed.message_id,
        "in_reply_to": parsed.in_reply_to,
        "references": parsed.references[-20:],
        "from": parsed.from_email,
        "to": parsed.to,
        "cc": parsed.cc,
        "date": parsed.date.isoformat() if parsed.date else "",
        "raw_mail_id": raw_mail.pk,
        "defects": parsed.defects[:20],
        **{k: v for k, v in parsed.headers.items() if k in {"x-mailer", "user-agent"}},
    }


def _with_reply_text(headers: dict, text: str) -> dict:
    """Add the reply without quoted history and signature, for display (the API's
    reply_text); stored only when it differs, so most messages carry nothing extra.
    Only continuations get it: a first mail is the request itself, and stripping a
    forwarded mail there would hide the very content the agent must read."""
    reply = strip_reply(text)
    if reply and reply != text.strip():
        headers["reply_text"] = reply
    return headers


def _record_automated(
    parsed: ParsedMail,
    raw_mail: RawMail,
    recipients: list[str],
    outbound: dict[str, int | None],
) -> None:
    """Automated mail never opens a ticket and is never answered; it is noted where it fits."""
    if parsed.bounce is not None or parsed.automated == "bounce":
        loops.record_bounce(parsed, raw_mail)
    ticket = threads.thread_ticket(parsed, recipients, outbound)
    raw_mail.state = RawState.REJECTED
    raw_mail.reason = (parsed.automated or "automated")[:64]
    if ticket is None:
        return
    raw_mail.ticket = ticket
    detail = f"Automated mail ({parsed.automated}) from {parsed.from_email or 'a null sender'}"
    if parsed.bounce is not None:
        bounce = parsed.bounce
        kind = "permanent" if bounce.hard else "temporary"
        detail += f": {kind} failure for {bounce.recipient} ({bounce.status} {bounce.reason})"
    # A closed ticket takes no notes; the mail stays recorded here all the same.
    with contextlib.suppress(Conflict):
        raw_mail.ticket_message = add_message(
            ticket,
            actor=None,
            internal=True,
            channel=Channel.EMAIL,
            body_text=f"{detail}\nSubject: {parsed.subject}\n\n{parsed.text_body[:4000]}",
            sender_name=parsed.from_name,
            sender_email=parsed.from_email,
            subject=parsed.subject,
            source_headers=_source_headers(parsed, raw_mail),
        )


def _requester_for_forward(
    parsed: ParsedMail, address: DeskAddress | None, sender: User | None
) -> tuple[str, str] | None:
    """(name, email) of the customer when an agent forwards their mail to the desk."""
    if address is None or not address.forwards_open_for_original_sender:
        return None
    if sender is None or not parsed.forwarded_from or not parsed.forwarded_from[1]:
        return None
    if role_on_desk(sender, address.desk_id) not in AGENT_ROLES:
        return None
    return parsed.forwarded_from


def _open_or_continue(
    parsed: ParsedMail,
    raw_mail: RawMail,
    recipients: list[str],
    known: dict[str, DeskAddress],
    default_desk: Desk | None,
    outbound: dict[str, int | None],
) -> None:
    address = find_desk_address(recipients, known)
    # The default desk as the process keeps it; read (the row's relation) when not kept.
    desk = address.desk if address else (default_desk or raw_mail.default_desk)
    # The email is unique: no ORDER BY (.first() would add one, dearer to build than to run).
    sender = next(iter(User.objects.filter(email=parsed.from_email).order_by()[:1]), None)
    ticket = threads.find_ticket(parsed, recipients, desk, sender, outbound)
    if ticket is not None and desk is not None and ticket.desk_id == desk.pk:
        ticket.desk = desk  # already loaded: spare the query for it
    if ticket is None and desk is None:
        raw_mail.state = RawState.REJECTED
        raw_mail.reason = "no-desk"
        raw_mail.error = f"none of the recipients is a desk address: {', '.join(recipients)}"
        return
    name, email = parsed.from_name, parsed.from_email
    forwarded = _requester_for_forward(parsed, address, sender) if ticket is None else None
    if forwarded:
        name, email = forwarded
    has_content = parsed.text_body.strip() or parsed.html_body or parsed.attachments
    target = ticket.desk if ticket else desk
    # The language only matters when the requester's account is created
    # (get_or_create_requester): skip detecting it for a sender we already know.
    known_requester = sender is not None and email == sender.email
    inbound = InboundMessage(
        desk=target,
        channel=Channel.EMAIL,
        sender_email=email,
        sender_name=name,
        subject=" ".join(parsed.subject.split()) or "(no subject)",
        body_text=parsed.text_body if has_content else "(empty message)",
        body_html=parsed.html_body,
        language="" if known_requester else requester_language(parsed, target.default_language),
        source_headers=(
            _with_reply_text(_source_headers(parsed, raw_mail), parsed.text_body)
            if ticket
            else _source_headers(parsed, raw_mail)
        ),
        ticket=ticket,
        attachments=[
            InboundAttachment(a.filename, a.content, a.content_id, a.inline)
            for a in parsed.attachments
        ],
        rewrite_inline=rewrite_cid,
        requester=sender if known_requester else None,
        # Looked up above by this very address (already lower case, as clean_email
        # leaves it), in this transaction: no account yet, create it without asking again.
        requester_absent=sender is None and email == parsed.from_email == normalize_email(email),
    )
    opened_ticket, message = receive_inbound(inbound)
    if message is None:
        message = inbound.opening_message
    raw_mail.ticket = opened_ticket
    raw_mail.ticket_message = message
    raw_mail.state = RawState.PROCESSED
    if inbound.refused_attachments:
        refused = "; ".join(f"{name}: {why}" for name, why in inbound.refused_attachments)
        raw_mail.error = f"attachments not stored: {refused}"
        add_message(
            opened_ticket,
            actor=None,
            internal=True,
            channel=Channel.EMAIL,
            body_text=f"Attachments refused from this mail (the original is kept): {refused}",
        )
    if ticket is None:
        from deskline.mail.services.outbound import schedule_acknowledgement

        schedule_acknowledgement(opened_ticket, message)


def _apply(raw_mail: RawMail, parsed: ParsedMail) -> None:
    raw_mail.sender = parsed.from_email[:254]
    raw_mail.subject = parsed.subject[:998]
    recipients = _recipients(parsed, raw_mail)
    # Desk addresses among the sender and the recipients, read once for both questions,
    # and the default desk: from the process's cache, which one short read validates.
    known, default_desk = desk_addresses_and_desk(
        [parsed.from_email, *recipients], raw_mail.default_desk_id
    )
    # The mail's own Message-ID (is it ours?) and those it answers (which thread?) are
    # all looked up among the mail we sent, in one query.
    outbound = threads.outbound_ticket_ids(
        [parsed.message_id, *threads.reference_ids(parsed)]
        if parsed.message_id
        else threads.reference_ids(parsed)
    )
    if loops.is_own_mail(parsed, known, outbound):
        raw_mail.state = RawState.DUPLICATE
        raw_mail.reason = "own-mail"
        return
    if parsed.automated or not parsed.from_email:
        _record_automated(parsed, raw_mail, recipients, outbound)
        return
    _open_or_continue(parsed, raw_mail, recipients, known, default_desk, outbound)


def _parse_outside_transaction(
    raw_mail_id: int, raw: bytes | None = None
) -> ParsedMail | Exception | None:
    """Parse before taking any lock: parsing is pure and the slowest step, and on SQLite
    a transaction holds the one write lock that storing new mail (the SMTP 250) needs.
    `raw`, when the caller just stored it, spares reading the bytes back."""
    if raw is None:
        raw = (
            RawMail.objects.filter(pk=raw_mail_id, state=RawState.RECEIVED)
            .values_list("raw", flat=True)
            .first()
        )
    if raw is None:
        return None
    try:
        return parse_message(bytes(raw))
    except Exception as exc:  # recorded on the mail below, inside the transaction
        return exc


# What processing changes on the row, saved alone: the stored bytes (up to 50 MB) are
# not sent back to the database with every state change.
_PROCESSED_FIELDS = [
    "attempts", "error", "state", "reason", "sender", "subject", "ticket", "ticket_message",
    "processed_at",
]  # fmt: skip


def process(raw_mail_id: int, *, raw: bytes | None = None) -> RawMail:
    """Turn a received mail into a ticket, a reply or a rejection; failures are kept.

    `raw` is the row's stored bytes when the caller has them at hand (it just stored
    them); they are never read from anywhere else.
    """
    parsed = _parse_outside_transaction(raw_mail_id, raw)
    with transaction.atomic():
        # The default desk is not joined: most mail does not need it, and the rest
        # takes it from the desks the process keeps (_apply).
        raw_mail = RawMail.objects.select_for_update().defer("raw").get(pk=raw_mail_id)
        if raw_mail.state != RawState.RECEIVED:
            return raw_mail  # someone else did it
        raw_mail.attempts += 1
        raw_mail.error = ""
        try:
            with transaction.atomic():
                if parsed is None:  # received meanwhile (reprocess): parse it now
                    parsed = parse_message(bytes(raw_mail.raw))
                if isinstance(parsed, Exception):
                    raise parsed
                _apply(raw_mail, parsed)
                _crash_point("before-commit")
        except Exception as exc:  # kept as failed with the reason, never lost
            log.warning("mail %s failed: %s", raw_mail.pk, exc, exc_info=True)
            raw_mail.state = RawState.FAILED
            raw_mail.reason = type(exc).__name__[:64]
            # No NUL: PostgreSQL text refuses it, and this row must be saved.
            raw_mail.error = f"{type(exc).__name__}: {exc}".replace("\x00", "")[:10_000]
            raw_mail.ticket = None
            raw_mail.ticket_message = None
        raw_mail.processed_at = timezone.now()
        raw_mail.save(update_fields=_PROCESSED_FIELDS)
    return raw_mail


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
    # A new row holds exactly these bytes; an earlier one (same Message-ID) may not.
    return process(raw_mail.pk, raw=raw if created else None)


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
