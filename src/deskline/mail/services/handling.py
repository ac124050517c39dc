"""What a parsed mail becomes: decided from reads made before the transaction, written in it.

On SQLite every write transaction holds the database's one write lock (and
deskline.core.sqlite queues writers on a file lock for all of it), so whatever
`process` does inside its transaction no other intake process, nor the SMTP server's
store (its 250), can overlap. Deciding where a mail goes only reads: the desk
addresses, the mail we sent and received that it answers, the sender's account, the
ticket it continues. `plan` does that before the transaction; inside it, `still_valid`
re-reads in a few short plain-SQL queries what those answers rest on, and when anything
changed in between (a ticket merged or closed, the mail it answers processed by another
process, the sender's account created, a desk address edited) the plan is made again
under the lock, so a mail ends exactly as if it had all been decided there. `carry_out`
then does only the writing.

Not re-checked, because a decision made a moment earlier is as right: a sender's role on
a desk (an agent forwarding a customer's mail; a number in the subject), and accounts
changed in other ways than being created. Not re-checked either, because it cannot
happen in that order: mail we sent appearing after a mail that answers it (sent mail is
recorded before it is sent); when a found one moves to another ticket, that is re-checked.
"""

import contextlib
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection

from deskline.accounts.models import User, normalize_email
from deskline.core import rows
from deskline.core.emails import check_email
from deskline.core.errors import Conflict
from deskline.desks.models import Desk
from deskline.mail.models import DeskAddress, RawMail
from deskline.mail.models.raw import RawState
from deskline.mail.parsing import ParsedMail, rewrite_cid, strip_reply
from deskline.mail.services import addresses, authentication, loops, threads
from deskline.mail.services.languages import requester_language
from deskline.tickets.access import AGENT_ROLES, role_on_desk
from deskline.tickets.choices import Channel
from deskline.tickets.models import Ticket
from deskline.tickets.services import add_message
from deskline.tickets.services.inbound import InboundAttachment, InboundMessage, receive_inbound


@dataclass
class Plan:
    """Where a mail goes, and what it was decided from."""

    # own | automated | no-desk | inbound
    kind: str
    # The desk addresses' change token the addresses were read under (None: not cached).
    token: str | None
    reads: threads.ThreadReads
    # (address, None) when the sender was looked up and has no account.
    sender: tuple[str, int | None] | None = None
    # The thread's ticket (automated) or the one continued (inbound); None for a new one.
    ticket: Ticket | None = None
    inbound: InboundMessage | None = None
    error: str = ""
    recipients: list[str] = field(default_factory=list)


def recipients_of(parsed: ParsedMail, raw_mail: RawMail) -> list[str]:
    found = [*raw_mail.envelope_to, *parsed.to, *parsed.cc]
    for name in ("delivered-to", "x-original-to"):
        value = parsed.headers.get(name, "")
        found += [part.strip(" <>") for part in value.split(",") if "@" in part]
    return list(dict.fromkeys(normalize_email(e) for e in found if e))


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
        # Our mail server's verdict on From, shown to agents (absent: not checked).
        **({authentication.KEY: raw_mail.sender_auth} if raw_mail.sender_auth else {}),
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


def _requester_for_forward(
    parsed: ParsedMail, address: DeskAddress | None, sender: User | None, sender_verified: bool
) -> tuple[str, str] | None:
    """(name, email) of the customer when an agent forwards their mail to the desk. Not
    when our mail server did not verify the agent's From: anyone could otherwise open
    tickets in a customer's name by writing an agent's address."""
    if address is None or not address.forwards_open_for_original_sender or not sender_verified:
        return None
    if sender is None or not parsed.forwarded_from or not parsed.forwarded_from[1]:
        return None
    if role_on_desk(sender, address.desk_id) not in AGENT_ROLES:
        return None
    return parsed.forwarded_from


def _sender(
    parsed: ParsedMail, address: DeskAddress | None, known: dict[str, DeskAddress]
) -> tuple[str, str]:
    """(name, email) of who wrote the mail: From, or where the desk address says its
    mail is relayed (requester_from_reply_to), the first Reply-To when it is another
    address and none of the desks' own (the desk must never become its own requester);
    its name when it gives one, else none (a relay's From name is the relay's)."""
    if address is None or not address.requester_from_reply_to or not parsed.reply_to:
        return parsed.from_name, parsed.from_email
    reply_to = parsed.reply_to[0]
    if reply_to == parsed.from_email or addresses.split_address(reply_to)[0] in known:
        return parsed.from_name, parsed.from_email
    try:
        check_email(reply_to)
    except ValidationError:
        return parsed.from_name, parsed.from_email
    return parsed.reply_to_name, reply_to


def _user_sql() -> str:
    quote = connection.ops.quote_name
    meta = User._meta
    return (
        f"SELECT {quote(meta.pk.column)} FROM {quote(meta.db_table)} "  # noqa: S608
        f"WHERE {quote(meta.get_field('email').column)} = %s"
    )


def _user_id(email: str) -> int | None:
    # Plain SQL: a check under the write lock, where building it with the ORM would
    # cost several times the read.
    with connection.cursor() as cursor:
        cursor.execute(_user_sql(), [email])
        row = cursor.fetchone()
    return row[0] if row else None


def plan(raw_mail: RawMail, parsed: ParsedMail) -> Plan:
    """Decide what the mail becomes; only reads (run it before the transaction)."""
    recipients = recipients_of(parsed, raw_mail)
    # Desk addresses among the sender and the recipients, read once for both questions,
    # and the default desk: from the process's cache, which one short read validates.
    # (The first Reply-To too: a relay's Reply-To naming a desk address is not taken.)
    token, known, default_desk = addresses.desk_addresses_token_and_desk(
        [parsed.from_email, *recipients, *parsed.reply_to[:1]], raw_mail.default_desk_id
    )
    # The mail's own Message-ID (is it ours?) and those it answers (which thread?) are
    # all looked up among the mail we sent, in one query.
    outbound = threads.outbound_ticket_ids(
        [parsed.message_id, *threads.reference_ids(parsed)]
        if parsed.message_id
        else threads.reference_ids(parsed)
    )
    reads = threads.ThreadReads(outbound=outbound)
    if loops.is_own_mail(parsed, known, outbound):
        return Plan("own", token, reads, recipients=recipients)
    if parsed.automated or not parsed.from_email:
        ticket = threads.thread_ticket(parsed, recipients, outbound, reads)
        return Plan("automated", token, reads, ticket=ticket, recipients=recipients)
    return _plan_inbound(raw_mail, parsed, recipients, known, default_desk, token, reads)


def _plan_inbound(
    raw_mail: RawMail,
    parsed: ParsedMail,
    recipients: list[str],
    known: dict[str, DeskAddress],
    default_desk: Desk | None,
    token: str | None,
    reads: threads.ThreadReads,
) -> Plan:
    address = addresses.find_desk_address(recipients, known)
    # The default desk as the process keeps it; read (the row's relation) when not kept.
    desk = address.desk if address else (default_desk or raw_mail.default_desk)
    sender_name, sender_email = _sender(parsed, address, known)
    # The email is unique: no ORDER BY (.first() would add one); plain SQL (rows.first),
    # as building the read with the ORM cost several times running it.
    sender = rows.first(User, "email", sender_email)
    # An absent sender is checked again under the lock (another mail of theirs may
    # create the account meanwhile, and a known sender's same-subject ticket may join).
    checked = (sender_email, None) if sender is None else None
    verdict = raw_mail.sender_auth
    sender_checked = isinstance(verdict, dict)
    sender_verified = not sender_checked or verdict.get("verified") is True
    ticket = threads.find_ticket(
        parsed, recipients, desk, sender, reads.outbound, reads,
        sender_verified=sender_verified, sender_checked=sender_checked,
    )  # fmt: skip
    if ticket is not None and desk is not None and ticket.desk_id == desk.pk:
        ticket.desk = desk  # already loaded: spare the query for it
    if ticket is None and desk is None:
        error = f"none of the recipients is a desk address: {', '.join(recipients)}"
        return Plan("no-desk", token, reads, sender=checked, error=error, recipients=recipients)
    name, email = sender_name, sender_email
    forwarded = (
        _requester_for_forward(parsed, address, sender, sender_verified) if ticket is None else None
    )
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
        # leaves it) and found absent; still_valid checks it is still absent inside the
        # transaction that creates the account, so it is created without asking again.
        requester_absent=sender is None and email == sender_email == normalize_email(email),
    )
    return Plan("inbound", token, reads, sender=checked, ticket=ticket, inbound=inbound,
                recipients=recipients)  # fmt: skip


def still_valid(plan: Plan) -> bool:
    """Whether the plan is what `plan` would decide now: run inside the transaction,
    where (on SQLite) nothing can change any more until it commits."""
    if plan.token is None or addresses.cache_token() != plan.token:
        return False  # desk addresses changed (or are not cached: nothing to compare)
    if plan.sender is not None and _user_id(plan.sender[0]) != plan.sender[1]:
        return False
    return threads.still_holds(plan.reads)


def _record_automated(parsed: ParsedMail, raw_mail: RawMail, ticket: Ticket | None) -> None:
    """Automated mail never opens a ticket and is never answered; it is noted where it fits."""
    outcome = ""
    if parsed.bounce is not None or parsed.automated == "bounce":
        outcome = loops.record_bounce(parsed, raw_mail)
    raw_mail.state = RawState.REJECTED
    raw_mail.reason = (parsed.automated or "automated")[:64]
    untied = ""
    if outcome == loops.UNTIED and parsed.bounce is not None:
        untied = (
            f"permanent failure for {parsed.bounce.recipient} not tied to a mail we sent "
            "to that address: recorded, mail to it not stopped"
        )
        raw_mail.error = untied
    if ticket is None:
        return
    raw_mail.ticket = ticket
    detail = f"Automated mail ({parsed.automated}) from {parsed.from_email or 'a null sender'}"
    if parsed.bounce is not None:
        bounce = parsed.bounce
        kind = "permanent" if bounce.hard else "temporary"
        detail += f": {kind} failure for {bounce.recipient} ({bounce.status} {bounce.reason})"
        if untied:
            detail += " (not a mail we sent to that address: mail to it is not stopped)"
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


def _receive(raw_mail: RawMail, inbound: InboundMessage, ticket: Ticket | None) -> None:
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


def carry_out(raw_mail: RawMail, parsed: ParsedMail, plan: Plan) -> None:
    """Write what the plan decided (inside the caller's transaction)."""
    raw_mail.sender = parsed.from_email[:254]
    raw_mail.subject = parsed.subject[:998]
    if plan.kind == "own":
        raw_mail.state = RawState.DUPLICATE
        raw_mail.reason = "own-mail"
    elif plan.kind == "automated":
        _record_automated(parsed, raw_mail, plan.ticket)
    elif plan.kind == "no-desk":
        raw_mail.state = RawState.REJECTED
        raw_mail.reason = "no-desk"
        raw_mail.error = plan.error
    else:
        assert plan.inbound is not None
        _receive(raw_mail, plan.inbound, plan.ticket)
