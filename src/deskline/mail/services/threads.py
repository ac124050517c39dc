"""Which ticket a mail continues: headers, reply token, number in subject, same subject."""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection

from deskline.accounts.models import User
from deskline.core import rows
from deskline.desks.models import Desk
from deskline.mail.models import OutboundMail, RawMail
from deskline.mail.models.raw import RawState
from deskline.mail.parsing import ParsedMail
from deskline.mail.services import authentication
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


@dataclass
class ThreadReads:
    """What a thread lookup read, kept so that `still_holds` can tell, cheaply and later
    (inside the writing transaction), whether the same lookup would answer the same.

    Threading is looked up before the transaction, so that SQLite's one write lock is
    not held for it; what changed in between (a ticket merged or closed, a mail it
    answers processed, a same-subject ticket opened) is seen here and the lookup done
    again under the lock."""

    # Message-ID → ticket id among sent mail (the mail's own id and those it answers).
    outbound: dict[str, int | None] = field(default_factory=dict)
    # The answered ids not found among sent mail, and what received mail said of them.
    received_ids: list[str] = field(default_factory=list)
    received: dict[str, int | None] = field(default_factory=dict)
    # Every ticket read, by id: (status, merged_into_id, desk_id), None when absent.
    tickets: dict[int, tuple | None] = field(default_factory=dict)
    # The same-subject matches: (desk id, requester id, normalized subject, ticket ids).
    subject: tuple[int, int, str, tuple[int, ...]] | None = None


def _row(ticket: Ticket) -> tuple:
    return (ticket.status, ticket.merged_into_id, ticket.desk_id)


def _follow_merges(ticket: Ticket | None, reads: ThreadReads | None = None) -> Ticket | None:
    seen = set()
    while ticket is not None and ticket.merged_into_id and ticket.pk not in seen:
        seen.add(ticket.pk)
        ticket = _ticket(ticket.merged_into_id, reads)
    return ticket


def _ticket(ticket_id: int, reads: ThreadReads | None = None) -> Ticket | None:
    # By primary key, in plain SQL (rows.first): no ORDER BY, which .first() would add,
    # and no query built by the ORM, which cost several times the read itself.
    ticket = rows.first(Ticket, "pk", ticket_id)
    if reads is not None:
        reads.tickets[ticket_id] = None if ticket is None else _row(ticket)
    return ticket


def _by_token(recipients: Iterable[str], reads: ThreadReads | None = None) -> Ticket | None:
    for email in recipients:
        ticket_id = ticket_id_for_token(split_address(email)[1])
        if ticket_id is not None:
            return _ticket(ticket_id, reads)
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


def earlier_unprocessed(parsed: ParsedMail, raw_mail_id: int) -> list[int]:
    """Mail stored before this one, still waiting to be processed, that this one answers
    (oldest first). Processed in parallel, an answer could otherwise be decided before
    the mail it answers has a ticket, and open a second one."""
    ids = reference_ids(parsed)[:_CHUNK]
    if not ids:
        return []
    quote = connection.ops.quote_name
    meta = RawMail._meta
    sql = (
        f"SELECT {quote(meta.pk.column)} FROM {quote(meta.db_table)} "  # noqa: S608
        f"WHERE {quote('message_id')} IN ({', '.join(['%s'] * len(ids))}) "
        f"AND {quote('state')} = %s AND {quote(meta.pk.column)} < %s "
        f"ORDER BY {quote(meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids, str(RawState.RECEIVED), raw_mail_id])
        return [row[0] for row in cursor.fetchall()]


def _received_ticket_ids(missing: list[str]) -> dict[str, int | None]:
    return _first_ticket_ids(RawMail, missing, with_ticket=True) if missing else {}


def _by_message_ids(
    ids: list[str], outbound: dict[str, int | None] | None, reads: ThreadReads | None = None
) -> Ticket | None:
    # Two queries for all of them instead of two per id; `outbound` when already read.
    if not ids:
        return None
    if outbound is None:
        outbound = outbound_ticket_ids(ids)
    missing = [i for i in ids if not outbound.get(i)]
    received = _received_ticket_ids(missing)
    if reads is not None:
        reads.received_ids, reads.received = missing, received
    for message_id in ids:
        ticket_id = outbound.get(message_id) or received.get(message_id)
        if ticket_id:
            return _ticket(ticket_id, reads)
    return None


def thread_ticket(
    parsed: ParsedMail,
    recipients: list[str],
    outbound: dict[str, int | None] | None = None,
    reads: ThreadReads | None = None,
) -> Ticket | None:
    """A ticket named by proof only a thread member has: reply token or Message-IDs.

    `outbound` is outbound_ticket_ids() of (at least) reference_ids(parsed), when the
    caller already read it; `reads`, when given, records what was read (still_holds).
    """
    ticket = _by_token(recipients, reads)
    if ticket is None:
        ticket = _by_message_ids(reference_ids(parsed), outbound, reads)
    return _follow_merges(ticket, reads)


def _subject_match_ids(desk_id: int, requester_id: int, subject: str) -> tuple[int, ...]:
    """The requester's active tickets on the desk with this (normalized) subject, among
    their 50 latest, most recently updated first. Ids and subjects only, in plain SQL:
    building 50 full tickets with the ORM to compare their subjects cost more than
    the rest of the lookup."""
    quote = connection.ops.quote_name
    meta = Ticket._meta
    column = {name: quote(meta.get_field(name).column) for name in
              ("id", "subject", "desk", "requester", "status", "updated_at")}  # fmt: skip
    # Fixed values of our own, written in as tickets.lookups.LiteralIn does (SQLite
    # then uses the partial indexes); the ids are parameters.
    statuses = ", ".join("'" + str(s).replace("'", "''") + "'" for s in ACTIVE_STATUSES)
    sql = (
        f"SELECT {column['id']}, {column['subject']} FROM {quote(meta.db_table)} "  # noqa: S608
        f"WHERE {column['desk']} = %s AND {column['requester']} = %s "
        f"AND {column['status']} IN ({statuses}) ORDER BY {column['updated_at']} DESC LIMIT 50"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [desk_id, requester_id])
        rows = cursor.fetchall()
    return tuple(pk for pk, text in rows if normalize_subject(text) == subject)


def _ticket_rows(ids: list[int]) -> dict[int, tuple]:
    quote = connection.ops.quote_name
    meta = Ticket._meta
    names = ("id", "status", "merged_into", "desk")
    columns = ", ".join(quote(meta.get_field(name).column) for name in names)
    sql = (
        f"SELECT {columns} FROM {quote(meta.db_table)} "  # noqa: S608
        f"WHERE {quote(meta.pk.column)} IN ({', '.join(['%s'] * len(ids))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}


def still_holds(reads: ThreadReads) -> bool:
    """Whether what a thread lookup read is still what the database holds: then the
    same lookup would find the same ticket. Plain SQL, a few short reads."""
    ids = list(reads.outbound)
    if ids and outbound_ticket_ids(ids) != reads.outbound:
        return False
    if reads.received_ids and _received_ticket_ids(reads.received_ids) != reads.received:
        return False
    if reads.tickets:
        rows = _ticket_rows(list(reads.tickets))
        if any(rows.get(pk) != row for pk, row in reads.tickets.items()):
            return False
    if reads.subject is not None:
        desk_id, requester_id, subject, matches = reads.subject
        if _subject_match_ids(desk_id, requester_id, subject) != matches:
            return False
    return True


def _joinable(ticket: Ticket, sender_checked: bool) -> bool:
    """Whether a mail may join the ticket by its From (a subject, a number): not one
    that a mail from an unverified sender opened, when our server checks senders.
    Else a forger's ticket in a customer's name would gain the customer's real
    follow-ups, and with them the look of the customer's own request."""
    return not sender_checked or not authentication.opened_by_unverified_sender(ticket)


def find_ticket(
    parsed: ParsedMail,
    recipients: list[str],
    desk: Desk | None,
    sender: User | None,
    outbound: dict[str, int | None] | None = None,
    reads: ThreadReads | None = None,
    *,
    sender_verified: bool = True,
    sender_checked: bool = False,
) -> Ticket | None:
    """The open ticket this mail continues, or None for a new one.

    A number in the subject and a same-subject match only count for people already on
    the ticket: anyone can type "[IT-12]", not everyone may write into IT-12. And only
    when the sender is who From says (`sender_verified`, services.authentication):
    else the mail continues a ticket only by a proof of the thread (thread_ticket).
    When our server checked the sender (`sender_checked`), they never lead into a
    ticket that an unverified sender's mail opened either (_joinable).
    `reads`, when given, records what was read (still_holds).
    """
    ticket = thread_ticket(parsed, recipients, outbound, reads)
    if not sender_verified:
        sender = None  # From alone names no ticket
    if ticket is None and sender is not None:
        match = NUMBER.search(parsed.subject or "")
        if match:
            # The number is unique: no ORDER BY (.first() would add one); plain SQL.
            found = rows.first(Ticket, "number", match.group(1))
            if found is not None and reads is not None:
                reads.tickets[found.pk] = _row(found)
            candidate = _follow_merges(found, reads)
            if (
                candidate is not None
                and ticket_role(sender, candidate) is not None
                and _joinable(candidate, sender_checked)
            ):
                ticket = candidate
    if ticket is None and sender is not None and desk is not None:
        subject = normalize_subject(parsed.subject)
        if subject:
            match_ids = _subject_match_ids(desk.pk, sender.pk, subject)
            if reads is not None:
                reads.subject = (desk.pk, sender.pk, subject, match_ids)
            for match_id in match_ids:
                candidate = _ticket(match_id, reads)
                if candidate is not None and _joinable(candidate, sender_checked):
                    ticket = candidate
                    break
    if ticket is not None and ticket.status == Status.CLOSED:
        return None  # a closed ticket stays closed: the answer opens a new one
    return ticket
