"""The one door every channel (mail, portal, chat, phone, webhooks) uses to reach tickets."""

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from deskline.accounts.models import User
from deskline.accounts.services import clean_email, get_or_create_requester
from deskline.desks.models import Desk, Role
from deskline.tickets.models import Attachment, Message, Ticket
from deskline.tickets.services.messages import add_message
from deskline.tickets.services.opening import open_ticket_with_message

log = logging.getLogger(__name__)


@dataclass
class InboundAttachment:
    """A file that came with the message (mail attachment, inline image)."""

    filename: str
    content: bytes
    content_id: str = ""  # without <>; what an HTML body's cid: URLs name
    inline: bool = False


# (html, url_for(content_id) -> url or None) -> html: the channel knows its inline syntax.
InlineRewriter = Callable[[str, Callable[[str], str | None]], str]


@dataclass
class InboundMessage:
    """What a channel hands over, whatever it came from."""

    desk: Desk
    channel: str
    sender_email: str
    subject: str
    body_text: str = ""
    body_html: str = ""
    sender_name: str = ""
    language: str = ""
    source_headers: dict[str, Any] = field(default_factory=dict)
    # The ticket this continues, when the channel could tell (thread, reply token).
    ticket: Ticket | None = None
    attachments: list[InboundAttachment] = field(default_factory=list)
    # Points inline references of body_html at the stored attachments' URLs.
    rewrite_inline: InlineRewriter | None = None
    # The account of sender_email when the channel already read it: spares looking the
    # address up again (get_or_create_requester still runs when it would write).
    requester: User | None = None
    # True when the channel looked sender_email (as clean_email leaves it) up in this
    # transaction and found no account: it is created without a second lookup.
    requester_absent: bool = False
    # Filled by receive_inbound: files refused (blocked type, too large) with the reason.
    refused_attachments: list[tuple[str, str]] = field(default_factory=list)
    # Filled by receive_inbound when it opens a ticket: the ticket's first message.
    opening_message: Message | None = None


def _store_files(inbound: InboundMessage, ticket: Ticket, uploader: User) -> list[Attachment]:
    # Imported here: attachments imports the models, and the models are loaded lazily.
    from deskline.tickets.attachments import store_attachment

    stored = []
    for item in inbound.attachments:
        try:
            stored.append(
                store_attachment(
                    ticket,
                    filename=item.filename,
                    stream=io.BytesIO(item.content),
                    uploaded_by=uploader,
                    content_id=item.content_id,
                    inline=item.inline,
                )
            )
        except ValidationError as exc:  # one refused file must not lose the message
            with translation.override("en"):  # stored with the mail, whose record is English
                reason = "; ".join(exc.messages)
            inbound.refused_attachments.append((item.filename, reason))
    return stored


def _inline_html(inbound: InboundMessage, html: str, files: list[Attachment]) -> str:
    if not html or inbound.rewrite_inline is None:
        return html
    urls = {
        a.content_id: reverse("api-1:download_attachment", args=[a.pk])
        for a in files
        if a.content_id
    }
    return inbound.rewrite_inline(html, urls.get)


def receive_inbound(inbound: InboundMessage) -> tuple[Ticket, Message | None]:
    """Open a ticket, or add the message to the ticket it continues.

    Returns the ticket and, for a continuation, the message added (an opening's first
    message is left in inbound.opening_message). Attachments are stored with the
    message; the caller owns the transaction.
    """
    requester = inbound.requester
    if (
        requester is None
        # clean_email as get_or_create_requester would: a bad address fails the same way
        or requester.email != clean_email(inbound.sender_email)
        or (inbound.sender_name and not requester.name)  # get_or_create fills the name in
    ):
        requester = get_or_create_requester(
            inbound.sender_email,
            inbound.sender_name,
            language=inbound.language,
            known_absent=inbound.requester is None and inbound.requester_absent,
        )
    if inbound.ticket is not None:
        from deskline.tickets.access import role_on_desk

        files = _store_files(inbound, inbound.ticket, requester)
        # Light agents add internal notes only, whatever the channel (check_can_add_message
        # for pages and API); add_message reads the same, cached, role right after.
        light = role_on_desk(requester, inbound.ticket.desk_id) == Role.LIGHT_AGENT
        message = add_message(
            inbound.ticket,
            actor=requester,
            internal=light,
            body_text=inbound.body_text,
            body_html=_inline_html(inbound, inbound.body_html, files),
            channel=inbound.channel,
            attachments=files,
            sender_name=inbound.sender_name,
            sender_email=inbound.sender_email,
            subject=inbound.subject,
            source_headers=inbound.source_headers,
        )
        return inbound.ticket, message
    ticket, first = open_ticket_with_message(
        desk=inbound.desk,
        subject=inbound.subject or "(no subject)",
        requester=requester,
        # Files are stored after the opening, so a message of files alone needs a line.
        body_text=inbound.body_text
        or ("(attachments only)" if inbound.attachments and not inbound.body_html else ""),
        body_html=inbound.body_html,
        channel=inbound.channel,
        sender_name=inbound.sender_name,
        sender_email=inbound.sender_email,
        source_headers=inbound.source_headers,
    )
    inbound.opening_message = first
    if inbound.attachments:
        # The ticket must exist before its files; they join its first message, in the
        # same transaction as the opening, before any hook runs (hooks run on commit).
        files = _store_files(inbound, ticket, requester)
        Attachment.objects.filter(pk__in=[a.pk for a in files]).update(message=first)
        html = _inline_html(inbound, first.body_html, files)
        if html != first.body_html:
            first.body_html = html
            first.save(update_fields=["body_html"])
    return ticket, None
