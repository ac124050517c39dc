"""Loop protection: bounces recorded on the address, caps on automatic mail."""

from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from deskline.mail import config
from deskline.mail.models import Bounce, OutboundMail, RawMail
from deskline.mail.models.outbound import OutboundKind, OutboundState
from deskline.mail.parsing import ParsedMail
from deskline.mail.services.addresses import is_desk_address
from deskline.tickets.models import Ticket

LOOP_MARKER = "deskline"


def record_bounce(parsed: ParsedMail, raw_mail: RawMail) -> Bounce | None:
    """Count a delivery failure against the address that failed."""
    bounce = parsed.bounce
    address = (bounce.recipient if bounce else "") or parsed.headers.get("x-failed-recipients", "")
    address = address.strip().lower()[:254]
    if not address or "@" not in address:
        return None
    now = timezone.now()
    hard = bool(bounce and bounce.hard)
    record, created = Bounce.objects.get_or_create(
        address=address,
        defaults={
            "hard": hard,
            "status": (bounce.status if bounce else "")[:16],
            "reason": (bounce.reason if bounce else "")[:64],
            "count": 1,
            "first_at": now,
            "last_at": now,
            "last_raw_mail": raw_mail,
        },
    )
    if not created:
        Bounce.objects.filter(pk=record.pk).update(
            # Once hard, an address stays hard until an admin clears it.
            hard=True if hard else F("hard"),
            status=(bounce.status if bounce else record.status)[:16],
            reason=(bounce.reason if bounce else record.reason)[:64],
            count=F("count") + 1,
            last_at=now,
            last_raw_mail=raw_mail,
        )
        record.refresh_from_db()
    return record


def is_own_mail(parsed: ParsedMail) -> bool:
    """Mail we sent coming back (our Message-ID, our loop marker, a desk address as sender)."""
    if parsed.message_id and OutboundMail.objects.filter(message_id=parsed.message_id).exists():
        return True
    if LOOP_MARKER in parsed.headers.get("x-loop", "").lower():
        return True
    return is_desk_address(parsed.from_email)


def suppression_reason(address: str, ticket: Ticket | None, kind: str) -> str:
    """Why an automatic mail to this address must not go out; "" when it may."""
    address = address.lower()
    if not address or is_desk_address(address):
        return "the recipient is one of our own addresses"
    if Bounce.objects.filter(address=address, hard=True).exists():
        return "the address bounced permanently"
    if kind == OutboundKind.REPLY:
        return ""  # a person wrote it; only automatic mail is capped
    since = timezone.now() - timedelta(minutes=config.auto_mail_window_minutes())
    recent = OutboundMail.objects.filter(
        kind=OutboundKind.ACKNOWLEDGEMENT, created_at__gte=since
    ).exclude(state=OutboundState.SUPPRESSED)
    if recent.filter(to=address).count() >= config.auto_mail_limit_per_address():
        return "too many automatic mails to this address in the window"
    if ticket is not None and (
        recent.filter(ticket=ticket).count() >= config.auto_mail_limit_per_ticket()
    ):
        return "too many automatic mails on this ticket in the window"
    return ""
