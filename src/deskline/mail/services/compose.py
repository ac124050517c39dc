"""Building the outgoing mail: From per desk, threading headers, number, alternatives."""

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from deskline.core.emails import ascii_domain, needs_smtputf8, sendable_email
from deskline.core.html import text_to_html
from deskline.mail.models import AcknowledgementTemplate, DeskAddress, OutboundMail, RawMail
from deskline.mail.models.outbound import OutboundKind, OutboundState
from deskline.mail.models.raw import RawState
from deskline.mail.services.addresses import reply_to_for
from deskline.mail.services.loops import LOOP_MARKER
from deskline.tickets.attachments import attachment_path
from deskline.tickets.models import Message, Ticket

MAX_REFERENCES = 20
DEFAULT_ACK_SUBJECT = AcknowledgementTemplate._meta.get_field("subject").default
DEFAULT_ACK_BODY = AcknowledgementTemplate._meta.get_field("body").default


def new_message_id(address: DeskAddress) -> str:
    domain = ascii_domain(address.email.partition("@")[2]) or "deskline.invalid"
    return make_msgid(domain=domain).strip("<>")


def _written(email: str) -> str:
    """An address as a mail header and the envelope carry it: the domain in ASCII form
    unless the local part is Unicode, which only SMTPUTF8 can carry (smtplib then asks
    the server for it, and the whole address goes in UTF-8)."""
    return email if needs_smtputf8(email) else sendable_email(email)


def thread_ids(ticket: Ticket, to: str | None = None) -> list[str]:
    """Message-IDs of the ticket's mail, oldest first (what References lists); with
    `to`, of our mail only that sent to this address.

    Only the conversation: mail recorded on the ticket but not taken in (out-of-office
    answers, bounces) and mail of ours never sent are left out, or the requester's
    client would thread our answer under an auto-reply, or under a mail it never got.
    """
    inbound = RawMail.objects.filter(ticket=ticket, state=RawState.PROCESSED).exclude(message_id="")
    outbound = OutboundMail.objects.filter(ticket=ticket).exclude(state=OutboundState.SUPPRESSED)
    if to is not None:
        # Only our mail to this same reader: a Message-ID is the proof a bounce gives
        # that it returns our mail to an address (loops.returns_our_mail), so the ids
        # of mail to others (automation mail to agents or any address) are not shown.
        outbound = outbound.filter(to__iexact=to)
    dated = [(m.received_at, m.message_id) for m in inbound.only("received_at", "message_id")]
    dated += [(m.created_at, m.message_id) for m in outbound.only("created_at", "message_id")]
    return [mid for _, mid in sorted(dated)]


def numbered_subject(ticket: Ticket, subject: str, *, reply: bool) -> str:
    subject = subject or ticket.subject
    # This ticket's own number: a subject may quote another one ("Re: [IT-7] ..." from
    # someone not on IT-7 opens a new ticket), and the requester's answers are matched
    # by the first number in it.
    if f"[{ticket.number}]" not in subject:
        subject = f"[{ticket.number}] {subject}"
    if reply and not subject.lower().startswith("re:"):
        subject = f"Re: {subject}"
    return subject


def portal_link(ticket: Ticket) -> str:
    try:
        path = reverse("web:portal_ticket", args=[ticket.number])
    except NoReverseMatch:
        path = "/"
    return settings.BASE_URL + path


def acknowledgement_choice(ticket: Ticket) -> tuple[str, str, str]:
    """(language, subject, body) of the acknowledgement, placeholders not yet filled.

    Languages are tried in order: the requester's, the desk's, English. For each, the
    desk's own template wins; else Deskline's built-in text when Deskline speaks that
    language (the model defaults, translated in the locale files), so an Arabic or
    Chinese requester is answered in their language without an admin writing a template.
    """
    languages = [ticket.requester.language, ticket.desk.default_language, "en"]
    templates = {
        t.language.lower(): t for t in AcknowledgementTemplate.objects.filter(desk=ticket.desk)
    }
    spoken = {code for code, _ in settings.LANGUAGES}
    for code in (c.lower() for c in languages if c):
        template = templates.get(code)
        if template is not None:
            return code, template.subject, template.body
        if code in spoken:
            with translation.override(code):
                return code, gettext(DEFAULT_ACK_SUBJECT), gettext(DEFAULT_ACK_BODY)
    return "en", DEFAULT_ACK_SUBJECT, DEFAULT_ACK_BODY


def acknowledgement_text(ticket: Ticket) -> tuple[str, str]:
    """(subject, body) of the acknowledgement in the requester's language, filled in."""
    _, subject, body = acknowledgement_choice(ticket)
    return fill_placeholders(ticket, subject, body)


def fill_placeholders(ticket: Ticket, subject: str, body: str) -> tuple[str, str]:
    values = {
        "number": ticket.number,
        "subject": ticket.subject,
        "portal_link": portal_link(ticket),
        "requester_name": ticket.requester.name or ticket.requester.email,
        "desk": ticket.desk.name,
    }
    # format_map on admin-written text: unknown {names} stay as they are.
    safe = _Missing(values)
    return subject.format_map(safe), body.format_map(safe)


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def acknowledgement_enabled(ticket: Ticket) -> bool:
    templates = AcknowledgementTemplate.objects.filter(desk=ticket.desk)
    return not templates.exists() or templates.filter(enabled=True).exists()


def _text_charset(maintype: str, content: bytes) -> dict[str, str]:
    """A text file's charset when it is UTF-8 (ASCII is too): a text/* part without
    one is read as US-ASCII (RFC 2046), garbling any other letter shown inline."""
    if maintype != "text":
        return {}
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return {}  # some other charset, which the file does not say
    return {"charset": "utf-8"}


def build(outbound: OutboundMail, address: DeskAddress) -> EmailMessage:
    ticket = outbound.ticket
    mail = EmailMessage()
    mail["From"] = Address(address.name or ticket.desk.name, addr_spec=_written(address.email))
    mail["To"] = _written(outbound.to)
    mail["Reply-To"] = Address(
        address.name or ticket.desk.name, addr_spec=_written(reply_to_for(ticket, address))
    )
    mail["Date"] = format_datetime(timezone.now())
    mail["Message-ID"] = f"<{outbound.message_id}>"
    earlier = [m for m in thread_ids(ticket, outbound.to) if m != outbound.message_id]
    earlier = earlier[-MAX_REFERENCES:]
    if earlier:
        mail["In-Reply-To"] = f"<{earlier[-1]}>"
        mail["References"] = " ".join(f"<{m}>" for m in earlier)
    mail["X-Loop"] = f"{LOOP_MARKER} {sendable_email(address.email)}"
    mail["X-Deskline-Ticket"] = ticket.number
    files = []
    language = ticket.requester.language
    if outbound.kind == OutboundKind.ACKNOWLEDGEMENT:
        language, subject, text = acknowledgement_choice(ticket)
        subject, text = fill_placeholders(ticket, subject, text)
        html = text_to_html(text)
        # RFC 3834: an automatic answer says so, and asks not to be answered automatically.
        mail["Auto-Submitted"] = "auto-replied"
        mail["X-Auto-Response-Suppress"] = "All"
        mail["Subject"] = numbered_subject(ticket, subject, reply=False)
    elif outbound.kind == OutboundKind.AUTOMATION:
        # Text of the trigger or rule, in the language it chose; not an answer (RFC 3834).
        language, text = outbound.language, outbound.body
        html = text_to_html(text)
        mail["Auto-Submitted"] = "auto-generated"
        mail["X-Auto-Response-Suppress"] = "All"
        mail["Subject"] = numbered_subject(ticket, outbound.subject, reply=False)
    else:
        message: Message = outbound.ticket_message
        text = message.body_text
        html = message.body_html or text_to_html(text)
        mail["Subject"] = numbered_subject(ticket, ticket.subject, reply=True)
        files = list(message.attachments.all())
    mail.set_content(text or " ")
    mail.add_alternative(f'<html><body dir="auto">{html}</body></html>', subtype="html")
    for attachment in files:
        maintype, _, subtype = attachment.content_type.partition("/")
        content = attachment_path(attachment).read_bytes()
        mail.add_attachment(
            content,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
            params=_text_charset(maintype, content),
        )
    if language:
        # Last: set_content/add_alternative drop the Content-* headers set before them.
        mail["Content-Language"] = language
    return mail
