"""Which ticket a mail continues: headers, reply token, number in subject, same subject."""

import re
from collections.abc import Iterable

from django.db import connection

from deskline.accounts.models import User
from deskline.desks.models import Desk
from deskline.mail.models import OutboundMail, RawMail
from deskline.mail.parsing import ParsedMail
from deskline.mail.services.addresses import split_address, ticket_id_for_token
from deskline.tickets.access import ticket_role
from deskline.tickets.choices import ACTIVE_STATUSES, Status
from deskline.tickets.models import Ticket

# Reply and forward prefixes of many languages and clients: Re, Fwd, AW/WG (German),
# SV/VS (Nordic), RV/RIF (Italian/Spanish), TR (French), Odp (Polish), 回复/回覆/答复/转发
# (Chinese), 返信/転送 (Japanese), رد/إعادة توجيه/تحويل (Arabic), Ответ/Fw (Russian).
_PREFIX = re.compile(
    r"^\s*(?:(?:re|fwd?|aw|wg|sv|vs|rv|rif|tr|odp|antw|ynt|ilt|ref|res|enc|"
    r"回复|回覆|答复|答覆|转发|轉寄|返信|転送|رد|إعادة توجيه|تحويل|ответ|пересл)"
    r"\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*|\[[^\]]*\]\s*)",
    re.IGNORECASE,
)
NUMBER = re.compile(r"\[([A-Z][A-Z0-9]{0,9}-\d{1,18})\]")


def normalize_subject(subject: str) -> str:
    """The subject without reply/forward prefixes, tags in brackets and extra spaces."""
    text = (subject or "").strip()
    while True:
        stripped = _PREFIX.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    return " ".join(text.split()).casefold()


def _follow_merges(ticket: Ticket | None) -> Ticket | None:
    seen = set()
    while ticket is not None and ticket.merged_into_id and ticket.pk not in seen:
        seen.add(ticket.pk)
        ticket = ticket.merged_into
    return ticket


def _ticket(ticket_id: int) -> Ticket | None:
    # By primary key: no ORDER BY, which .first() would add (and which costs more to
    # build than the read takes).
    return next(iter(Ticket.objects.filter(pk=ticket_id).order_by()[:1]), None)


def _by_token(recipients: Iterable[str]) -> Ticket | None:
    for email in recipients:
        ticket_id = ticket_id_for_token(split_address(email)[1])
        if ticket_id is not None:
            return _ticket(ticket_id)
    return None


# Bounded IN lists (SQLite's variable limit); a References header rarely has more.
_CHUNK = 500


def _order_by_sql(model: type[OutboundMail] | type[RawMail]) -> str:
    quote = connection.ops.quote_name
    terms = []
    for name in model._meta.ordering or ["pk"]:
        field = name.lstrip("-")
        column = (model._meta.pk if field == "pk" else model._meta.get_field(field)).column
        terms.append(quote(column) + (" DESC" if name.startswith("-") else " ASC"))
    return ", ".join(terms)


def _first_ticket_ids(
    model: type[OutboundMail] | type[RawMail], ids: list[str], *, with_ticket: bool = False
) -> dict[str, int | None]:
    """message id → ticket id of the row with that Message-ID that .first() would read
    (the first in the model's ordering); with_ticket: among rows that have a ticket.

    Plain SQL: it runs for every mail, and building it with the ORM cost about ten
    times what the database takes to answer it."""
    quote = connection.ops.quote_name
    found: dict[str, int | None] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        # Only names from the model's metadata are formatted in; the values are parameters.
        sql = (
            f"SELECT {quote('message_id')}, {quote('ticket_id')} "  # noqa: S608
            f"FROM {quote(model._meta.db_table)} "
            f"WHERE {quote('message_id')} IN ({', '.join(['%s'] * len(chunk))})"
            + (f" AND {quote('ticket_id')} IS NOT NULL" if with_ticket else "")
            + f" ORDER BY {_order_by_sql(model)}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, chunk)
            for message_id, ticket_id in cursor.fetchall():
                found.setdefault(message_id, ticket_id)
    return found


def outbound_ticket_ids(ids: list[str]) -> dict[str, int | None]:
    """Message-ID → ticket id of the mail we sent with it, for those of these ids we sent."""
    return _first_ticket_ids(OutboundMail, ids) if ids else {}


def reference_ids(parsed: ParsedMail) -> list[str]:
    """The Message-IDs this mail answers, newest first: In-Reply-To, then References
    from the end."""
    ids = dict.fromkeys([*parsed.in_reply_to, *reversed(parsed.references)])
    return [i for i in ids if i]


def _by_message_ids(ids: list[str], outbound: dict[str, int | None] | None) -> Ticket | None:
    # Two queries for all of them instead of two per id; `outbound` when already read.
    if not ids:
        return None
    if outbound is None:
        outbound = outbound_ticket_ids(ids)
    missing = [i for i in ids if not outbound.get(i)]
    received = _first_ticket_ids(RawMail, missing, with_ticket=True) if missing else {}
    for message_id in ids:
        ticket_id = outbound.get(message_id) or received.get(message_id)
        if ticket_id:
            return _ticket(ticket_id)
    return None


def thread_ticket(
    parsed: ParsedMail,
    recipients: list[str],
    outbound: dict[str, int | None] | None = None,
) -> Ticket | None:
    """A ticket named by proof only a thread member has: reply token or Message-IDs.

    `outbound` is outbound_ticket_ids() of (at least) reference_ids(parsed), when the
    caller already read it.
    """
    ticket = _by_token(recipients)
    if ticket is None:
        ticket = _by_message_ids(reference_ids(parsed), outbound)
    return _follow_merges(ticket)


def find_ticket(
    parsed: ParsedMail,
    recipients: list[str],
    desk: Desk | None,
    sender: User | None,
    outbound: dict[str, int | None] | None = None,
) -> Ticket | None:
    """The open ticket this mail continues, or None for a new one.

    A number in the subject and a same-subject match only count for people already on
    the ticket: anyone can type "[IT-12]", not everyone may write into IT-12.
    """
    ticket = thread_ticket(parsed, recipients, outbound)
    if ticket is None and sender is not None:
        match = NUMBER.search(parsed.subject or "")
        if match:
            candidate = _follow_merges(Ticket.objects.filter(number=match.group(1)).first())
            if candidate is not None and ticket_role(sender, candidate) is not None:
                ticket = candidate
    if ticket is None and sender is not None and desk is not None:
        subject = normalize_subject(parsed.subject)
        if subject:
            recent = Ticket.objects.filter(
                desk=desk, requester=sender, status__in=ACTIVE_STATUSES
            ).order_by("-updated_at")[:50]
            ticket = next((t for t in recent if normalize_subject(t.subject) == subject), None)
    if ticket is not None and ticket.status == Status.CLOSED:
        return None  # a closed ticket stays closed: the answer opens a new one
    return ticket
