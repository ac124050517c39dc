"""Sending ticket mail through the task queue, with retries and loop protection.

Rows first, then a task: the OutboundMail row (with its Message-ID) exists from the
moment the reply does, so an answer that comes back before the send finishes still
threads; the task leases the row, sends, and on a temporary failure tries again later.
"""

import logging
import smtplib
import ssl
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from deskline.mail import config
from deskline.mail.models import OutboundMail
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
    outbound = OutboundMail.objects.create(
        ticket=ticket,
        ticket_message=message,
        kind=kind,
        to=to,
        message_id=compose.new_message_id(address),
        state=OutboundState.SUPPRESSED if why_not else OutboundState.PENDING,
        last_error=why_not,
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
        helo = address.email.partition("@")[2] or "localhost"
        _send(settings, compose.build(outbound, address), helo)
    except (smtplib.SMTPException, OSError) as exc:
        outbound.attempts += 1
        outbound.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        permanent = isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500
        permanent = permanent or isinstance(exc, smtplib.SMTPRecipientsRefused)
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
