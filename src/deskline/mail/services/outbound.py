"""Sending ticket mail through the task queue, with retries and loop protection.

Rows first, then a task: the OutboundMail row (with its Message-ID) exists from the
moment the reply does, so an answer that comes back before the send finishes still
threads; the task leases the row, sends, and on a temporary failure tries again later.
"""

import logging
import smtplib
import ssl
import uuid
from collections.abc import Iterable
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from deskline.core.emails import ascii_domain, check_email, normalize_email
from deskline.mail import config
from deskline.mail.models import DeskAddress, OutboundMail
from deskline.mail.models.outbound import OutboundKind, OutboundState
from deskline.mail.services import compose, loops
from deskline.mail.services.addresses import sending_address
from deskline.tickets.models import Message, Ticket

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=10)


def _schedule(ticket: Ticket, message: Message | None, kind: str) -> OutboundMail | None:
    if not config.smtp_configured():
        return None  # nothing is sent: spare the reads below (the same answer)
    address = sending_address(ticket.desk)
    to = ticket.requester.email
    if address is None or not to or config.smtp_settings() is None:
        return None  # this desk sends no mail (no address, or no SMTP server configured)
    why_not = loops.suppression_reason(to, ticket, kind)
    return _create(ticket, address, to, kind, why_not, ticket_message=message)


def _create(
    ticket: Ticket, address: DeskAddress, to: str, kind: str, why_not: str, **fields: object
) -> OutboundMail:
    outbound = OutboundMail.objects.create(
        ticket=ticket,
        kind=kind,
        to=to,
        message_id=compose.new_message_id(address),
        state=OutboundState.SUPPRESSED if why_not else OutboundState.PENDING,
        last_error=why_not,
        **fields,
    )
    if not why_not:
        from deskline.mail.tasks import send_outbound_mail

        transaction.on_commit(lambda: send_outbound_mail.enqueue(outbound.pk))
    return outbound


def schedule_acknowledgement(ticket: Ticket, message: Message | None) -> OutboundMail | None:
    # No SMTP server: _schedule would return None whatever the template says.
    if not config.smtp_configured() or not compose.acknowledgement_enabled(ticket):
        return None
    return _schedule(ticket, message, OutboundKind.ACKNOWLEDGEMENT)


def schedule_reply(message: Message) -> OutboundMail | None:
    return _schedule(message.ticket, message, OutboundKind.REPLY)


def schedule_automatic_mail(
    ticket: Ticket,
    recipients: Iterable[str],
    subject: str,
    body: str,
    language: str = "",
    batch: str = "",
) -> list[OutboundMail]:
    """Mail a trigger or scheduled rule sends about a ticket, to any addresses.

    One row per recipient, each with its own Message-ID: a bounce then names the one
    address it failed for, and nobody learns the others' addresses. Every recipient,
    whether on the ticket or not, is held to the bounce and loop rules of automatic
    mail; the rows of this one mail count once against the per-ticket cap, and so do
    those of every call given the same `batch` (the mails of one trigger firing: one
    reaction of automation, however many mail actions it has). Nothing is recorded
    when the desk sends no mail (no address, no SMTP server), as for replies.
    """
    if not config.smtp_configured():
        return []
    address = sending_address(ticket.desk)
    if address is None or config.smtp_settings() is None:
        return []
    # Lowercased: a bounce names the address lowercased, and must find this row.
    emails = list(dict.fromkeys(normalize_email(e) for e in recipients if e and e.strip()))
    invalid = [e for e in emails if not _valid_address(e)]
    if invalid:  # an old queued task, or a user row written around the forms
        log.warning("automation mail on ticket %s skips bad addresses %r", ticket.pk, invalid)
        emails = [e for e in emails if e not in invalid]
    if not emails:
        return []
    kind = OutboundKind.AUTOMATION
    batch = batch[:32] or uuid.uuid4().hex
    staff = loops.staff_addresses(ticket)
    over_cap = loops.ticket_suppression(ticket, batch, staff)
    return [
        _create(
            ticket,
            address,
            to,
            kind,
            loops.address_suppression(to, kind, capped=to not in staff)
            or ("" if to in staff else over_cap),
            subject=subject[:998],
            body=body,
            language=language[:16],
            batch=batch,
        )
        for to in emails
    ]


def _valid_address(email: str) -> bool:
    try:
        check_email(email)
    except ValidationError:
        return False
    return len(email) <= OutboundMail._meta.get_field("to").max_length


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 4 ** (attempts - 1), 6 * 3600))


def _send(settings: config.SmtpSettings, mail: object, helo: str) -> None:
    context = ssl.create_default_context()
    cls = smtplib.SMTP_SSL if settings.ssl else smtplib.SMTP
    kwargs = {"context": context} if settings.ssl else {}
    # An explicit HELO name: smtplib's default asks DNS for our FQDN, seconds each time.
    kwargs["local_hostname"] = helo
    with cls(settings.host, settings.port, timeout=settings.timeout, **kwargs) as client:
        if settings.starttls:
            client.starttls(context=context)
        if settings.username:
            client.login(settings.username, settings.password)
        client.send_message(mail)  # type: ignore[arg-type]


def deliver(outbound_id: int) -> str:
    """Send one mail if it is due; returns its state afterwards."""
    now = timezone.now()
    # A lease instead of a lock: no transaction stays open while SMTP talks.
    leased = OutboundMail.objects.filter(
        pk=outbound_id, state=OutboundState.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + LEASE)
    outbound = OutboundMail.objects.select_related("ticket__desk", "ticket__requester").get(
        pk=outbound_id
    )
    if not leased:
        return outbound.state
    settings = config.smtp_settings()
    address = sending_address(outbound.ticket.desk)
    try:
        if settings is None or address is None:
            raise smtplib.SMTPException("no SMTP server or no desk address configured")
        helo = ascii_domain(address.email.partition("@")[2]) or "localhost"
        _send(settings, compose.build(outbound, address), helo)
    except (smtplib.SMTPException, OSError) as exc:
        outbound.attempts += 1
        outbound.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        permanent = isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500
        permanent = permanent or isinstance(exc, smtplib.SMTPRecipientsRefused)
        # A Unicode local part and a server without SMTPUTF8: no retry can change that.
        permanent = permanent or isinstance(exc, smtplib.SMTPNotSupportedError)
        if permanent or outbound.attempts >= config.send_attempts():
            outbound.state = OutboundState.FAILED
        else:
            outbound.next_attempt_at = timezone.now() + _backoff(outbound.attempts)
            _retry_later(outbound)
        outbound.save(update_fields=["attempts", "last_error", "state", "next_attempt_at"])
        log.warning("mail %s to %s not sent: %s", outbound.pk, outbound.to, exc)
        return outbound.state
    outbound.attempts += 1
    outbound.state = OutboundState.SENT
    outbound.sent_at = timezone.now()
    outbound.last_error = ""
    outbound.save(update_fields=["attempts", "state", "sent_at", "last_error"])
    return outbound.state


def _retry_later(outbound: OutboundMail) -> None:
    from deskline.mail.tasks import send_outbound_mail

    try:
        send_outbound_mail.using(run_after=outbound.next_attempt_at).enqueue(outbound.pk)
    except Exception:  # the periodic sweep picks it up anyway
        log.exception("could not enqueue a retry of mail %s", outbound.pk)


def deliver_due(limit: int = 200) -> int:
    """The periodic sweep: every pending mail whose time has come (lost tasks included)."""
    ids = list(
        OutboundMail.objects.filter(
            state=OutboundState.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for i in ids if deliver(i) == OutboundState.SENT)
