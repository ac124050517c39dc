"""Loop protection: bounces recorded on the address, caps on automatic mail."""

from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from deskline.core.emails import normalize_email
from deskline.desks.models import DeskMembership
from deskline.mail import config
from deskline.mail.models import Bounce, DeskAddress, OutboundMail, RawMail
from deskline.mail.models.outbound import AUTOMATIC_KINDS, OutboundKind, OutboundState
from deskline.mail.parsing import ParsedMail
from deskline.mail.services.addresses import is_desk_address, split_address
from deskline.tickets.models import Ticket

LOOP_MARKER = "deskline"


# record_bounce's outcomes ("" when the mail names no address).
HARD, SOFT, UNTIED = "hard", "soft", "untied"


def record_bounce(parsed: ParsedMail, raw_mail: RawMail) -> str:
    """Count a delivery failure against the address that failed; "" when none is named.

    A permanent failure stops mail to the address (HARD) only when it returns a mail we
    sent to that very address: anyone can write a delivery report naming any address,
    and one forged report must not silence the desk towards a customer. A permanent
    failure not tied to our mail is counted with its status and reason all the same,
    without stopping mail (UNTIED).
    """
    bounce = parsed.bounce
    address = (bounce.recipient if bounce else "") or parsed.headers.get("x-failed-recipients", "")
    address = normalize_email(address)[:254]
    if not address or "@" not in address:
        return ""
    now = timezone.now()
    outcome = SOFT
    if bounce and bounce.hard:
        outcome = HARD if returns_our_mail(parsed, address) else UNTIED
    hard = outcome == HARD
    # Once hard, an address stays hard until an admin clears it; None keeps the value.
    update = {
        "hard": True if hard else None,
        "status": bounce.status[:16] if bounce else None,
        "reason": bounce.reason[:64] if bounce else None,
        "last_at": now,
        "last_raw_mail": raw_mail.pk,
    }
    # Update first: most bounces name an address that bounced before, and one UPDATE
    # does what reading, updating and reading the row back did.
    if _count_bounce(address, update):
        return outcome
    try:
        # A savepoint, so a concurrent first bounce of the same address does not
        # abort the caller's transaction; that one's row is then updated instead.
        with transaction.atomic():
            Bounce.objects.create(
                address=address,
                hard=hard,
                status=(bounce.status if bounce else "")[:16],
                reason=(bounce.reason if bounce else "")[:64],
                count=1,
                first_at=now,
                last_at=now,
                last_raw_mail=raw_mail,
            )
    except IntegrityError:
        _count_bounce(address, update)
    return outcome


# A bounce returns one mail; the rest of a long References chain is its thread.
_MAX_RETURNED_IDS = 50


def returns_our_mail(parsed: ParsedMail, address: str) -> bool:
    """Whether the bounce names (as the original it returns, or in its threading
    headers) a mail we handed over for sending to `address`. Message-IDs are ours and
    unguessable, and a mail's id is known only to its recipient and the desk, so only a
    real report of our mail, or its recipient, can tie a failure to the address."""
    ids = [*parsed.in_reply_to, *parsed.references][-_MAX_RETURNED_IDS:]
    if not ids:
        return False
    return (
        OutboundMail.objects.filter(message_id__in=ids, to=address)
        .exclude(state=OutboundState.SUPPRESSED)  # never sent: it cannot come back
        .exists()
    )


def _count_bounce(address: str, values: dict) -> int:
    """Bounce.objects.filter(address=address).update(**values, count=F("count") + 1),
    where a None value keeps the column's value (F(name)), in plain SQL: it runs under
    SQLite's write lock for every bounce, and the ORM took several times the UPDATE's
    own time to build it. Values are prepared by their fields, as update() does."""
    quote = connection.ops.quote_name
    meta = Bounce._meta
    assignments, params = [], []
    for name, value in values.items():
        field = meta.get_field(name)
        if value is None:
            assignments.append(f"{quote(field.column)} = {quote(field.column)}")
        else:
            assignments.append(f"{quote(field.column)} = %s")
            params.append(field.get_db_prep_save(value, connection=connection))
    count = quote(meta.get_field("count").column)
    address_field = meta.get_field("address")
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {', '.join(assignments)}, "  # noqa: S608
        f"{count} = ({count} + %s) WHERE {quote(address_field.column)} = %s"
    )
    params += [1, address_field.get_db_prep_value(address, connection)]
    with transaction.mark_for_rollback_on_error(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def is_own_mail(
    parsed: ParsedMail,
    known: dict[str, DeskAddress] | None = None,
    outbound: dict[str, int | None] | None = None,
) -> bool:
    """Mail we sent coming back (our Message-ID, our loop marker, a desk address as sender).

    `known` is desk_addresses() of emails including the sender, `outbound` is
    threads.outbound_ticket_ids() of ids including the mail's own: both already read.
    """
    if LOOP_MARKER in parsed.headers.get("x-loop", "").lower():
        return True  # no query needed
    if known is not None and parsed.from_email:
        if split_address(parsed.from_email)[0] in known:
            return True
    elif is_desk_address(parsed.from_email):
        return True
    if not parsed.message_id:
        return False
    if outbound is not None:
        return parsed.message_id in outbound
    return OutboundMail.objects.filter(message_id=parsed.message_id).exists()


def suppression_reason(address: str, ticket: Ticket | None, kind: str) -> str:
    """Why a mail of this kind to this address must not go out; "" when it may."""
    return address_suppression(address, kind) or (
        "" if kind == OutboundKind.REPLY else ticket_suppression(ticket)
    )


def address_suppression(address: str, kind: str, *, capped: bool = True) -> str:
    """Why mail to this address must not go out, leaving the per-ticket cap aside.
    `capped=False` for the desk's own people (staff_addresses): bounces still count."""
    address = normalize_email(address)
    if not address or is_desk_address(address):
        return "the recipient is one of our own addresses"
    if Bounce.objects.filter(address=address, hard=True).exists():
        return "the address bounced permanently"
    if kind == OutboundKind.REPLY or not capped:
        return ""  # a person wrote it; only automatic mail is capped
    if _recent_automatic().filter(to=address).count() >= config.auto_mail_limit_per_address():
        return "too many automatic mails to this address in the window"
    return ""


def ticket_suppression(
    ticket: Ticket | None, batch: str = "", staff: set[str] | None = None
) -> str:
    """Why no more automatic mail may go out about this ticket; "" when it may.

    Counted in mails, not recipients: the rows of one automation mail to a team share a
    batch, so the cap stops the next mail (a loop), not the team's second member. The
    rows of `batch`, the mail being decided, do not count against it.
    """
    if ticket is None:
        return ""
    if staff is None:
        staff = staff_addresses(ticket)
    recent = _recent_automatic().filter(ticket=ticket).exclude(to__in=staff)
    if batch:
        recent = recent.exclude(batch=batch)
    counts = recent.aggregate(
        own=Count("pk", filter=Q(batch="")),
        batches=Count("batch", distinct=True, filter=~Q(batch="")),
    )
    if counts["own"] + counts["batches"] >= config.auto_mail_limit_per_ticket():
        return "too many automatic mails on this ticket in the window"
    return ""


def staff_addresses(ticket: Ticket) -> set[str]:
    """The ticket's desk's own people. The caps stop a loop with someone else's
    robot; a desk's agents get every trigger mail about its tickets (their own robots'
    answers are marked automatic and start nothing), so their mail is neither capped
    nor counted against the ticket."""
    rows = DeskMembership.objects.filter(desk_id=ticket.desk_id, user__is_active=True)
    return {email.lower() for email in rows.values_list("user__email", flat=True)}


def _recent_automatic() -> QuerySet[OutboundMail]:
    """Automatic mail (acknowledgements and automation mail alike) of the cap window
    that was not suppressed: both kinds can answer a loop, so both count."""
    since = timezone.now() - timedelta(minutes=config.auto_mail_window_minutes())
    return OutboundMail.objects.filter(kind__in=AUTOMATIC_KINDS, created_at__gte=since).exclude(
        state=OutboundState.SUPPRESSED
    )
